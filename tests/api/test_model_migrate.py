"""/v1/model/migrate (contract §1.5.7, §8.8) on the app over SQLite, whose conf hosts parties 9999 and 10000:
each executing party's model becomes a zip under the new ids; unpacked as the new party, it is a model whose
Pipeline names the new parties."""
from __future__ import annotations

import io
import json

import pytest

from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.services.models.migrate import SAME_ROLES, STRUCTURE_DIFFERS
from fate_flow.services.models.package import unpack_model_zip
from fate_flow.services.models.paths import model_dir
from tests.api.test_model_store import MODEL_ID, ROLES, VERSION, make_model, post, snapshot

NEW_ROLES = {"guest": [9998], "host": [20000, 20001], "arbiter": [20000]}
NEW_MODEL_ID = "arbiter-20000#guest-9998#host-20000_20001#model"
UNIFY = "202201010000000000001"


def body(**changes) -> dict:
    request = {"migrate_initiator": {"role": "guest", "party_id": 9998}, "role": ROLES, "migrate_role": NEW_ROLES,
               "model_id": MODEL_ID, "model_version": VERSION, "unify_model_version": UNIFY,
               "execute_party": {"guest": [9999], "host": [10000], "arbiter": [10000]},
               "job_parameters": {"federated_mode": "MULTIPLE", "work_mode": 0}}
    request.update(changes)
    return request


@pytest.fixture
def models(settings) -> dict:
    """(role, party id) -> the party's model directory, for every party of ROLES."""
    return {(role, str(p)): make_model(settings, role, str(p)) for role, parties in ROLES.items() for p in parties}


def test_migrate_makes_one_zip_per_party_that_unpacks_as_the_new_partys_model(client, settings, models):
    originals = {key: snapshot(root) for key, root in models.items()}
    answer = post(client, "/v1/model/migrate", body())
    assert answer["retcode"] == 0 and answer["retmsg"] == "success" and answer["jobId"].isdigit(), answer
    news = {("guest", "9999"): "9998", ("host", "10000"): "20000", ("arbiter", "10000"): "20000"}
    out = settings.home / "temp" / "fate_flow"
    for (role, party_id), new_party in news.items():
        assert answer["data"][role][party_id] == 0
        detail = answer["data"]["detail"][role][party_id]
        path = out / f"{role}#{new_party}#{NEW_MODEL_ID}_{UNIFY}.zip"
        assert detail == {"retcode": 0, "model_id": NEW_MODEL_ID, "model_version": UNIFY, "path": str(path),
                          "retmsg": f"Migrating model successfully. The configuration of model has been modified "
                                    f"automatically. New model id is: {NEW_MODEL_ID}, model version is: {UNIFY}. "
                                    f"Model files can be found at '{path}'."}

        target = model_dir(settings, role, new_party, NEW_MODEL_ID, UNIFY)
        unpack_model_zip(io.BytesIO(path.read_bytes()), target, "migrated")
        pipeline = PipelinedModel(target).read_pipeline()
        assert (pipeline.model_id, pipeline.model_version) == (NEW_MODEL_ID, UNIFY)
        assert (pipeline.initiator_role, pipeline.initiator_party_id) == ("guest", 9998)
        assert json.loads(pipeline.roles) == NEW_ROLES
        train = json.loads(pipeline.train_runtime_conf)
        assert (train["role"], train["initiator"]) == (NEW_ROLES, {"role": "guest", "party_id": 9998})
        assert train["job_parameters"]["common"] == {"work_mode": 0, "model_id": NEW_MODEL_ID, "model_version": UNIFY}
        on_party = json.loads(pipeline.runtime_conf_on_party)
        assert on_party["role"] == NEW_ROLES and on_party["job_parameters"]["model_id"] == NEW_MODEL_ID
        record = (target / "variables/data/pipeline/pipeline/Pipeline").read_bytes()
        assert (target / "pipeline.pb").read_bytes() == record
        buffer = "variables/data/trainer_0/model/TestModelParam"
        assert (target / buffer).read_bytes() == originals[(role, party_id)][buffer]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no staging left
    assert {key: snapshot(root) for key, root in models.items()} == originals  # the source models are untouched

    # the unpacked models are found under the new ids
    rows = post(client, "/v1/model/query", {"model_id": NEW_MODEL_ID, "model_version": UNIFY})
    assert rows["retcode"] == 0, rows
    assert sorted((r["f_role"], r["f_party_id"], json.dumps(r["f_roles"], sort_keys=True)) for r in rows["data"]) == \
        sorted((role, party, json.dumps(NEW_ROLES, sort_keys=True)) for (role, _), party in news.items())

    again = post(client, "/v1/model/migrate", body(execute_party={"guest": [9999]}))
    assert again["retcode"] == 0 and again["data"]["guest"]["9999"] == 100, again
    assert again["data"]["detail"]["guest"]["9999"]["retmsg"].startswith(
        f"migrate model of role guest 9999 failed, details: Unify model version {UNIFY} has been occupied"), again


def test_unify_model_version_may_be_spelled_as_in_fates_migrate_example(client, settings, models):
    answer = post(client, "/v1/model/migrate", body(unify_model_version="20200901_0001",
                                                    execute_party={"guest": [9999]}))
    assert answer["retcode"] == 0, answer
    assert answer["data"]["detail"]["guest"]["9999"]["model_version"] == "20200901_0001"
    path = settings.home / "temp" / "fate_flow" / f"guest#9998#{NEW_MODEL_ID}_20200901_0001.zip"
    assert path.is_file()


@pytest.mark.parametrize("unify", ["../x", "a/b", ".hidden", "x" * 101])
def test_a_unify_model_version_that_is_not_a_model_version_is_refused(client, settings, models, unify):
    answer = post(client, "/v1/model/migrate", body(unify_model_version=unify, execute_party={"guest": [9999]}))
    assert answer["retcode"] == 101 and answer["retmsg"].startswith("parameter unify_model_version must be a model "
                                                                    "version"), answer
    assert not list((settings.home / "temp").rglob("*.zip"))


def test_a_party_this_server_does_not_host_is_answered_as_unreachable(client, settings, models):
    answer = post(client, "/v1/model/migrate", body(execute_party={"host": [10000, 10001]}))
    assert answer["retcode"] == 101 and answer["retmsg"] == "failed", answer
    assert answer["data"]["host"] == {"10000": 0, "10001": 104}
    assert answer["data"]["detail"]["host"]["10001"]["retmsg"] == \
        "party host 10001 is not hosted by this server; run the migration on the server hosting it"


def test_a_missing_model_is_a_party_error(client, settings):
    answer = post(client, "/v1/model/migrate", body(execute_party={"guest": [9999]}))
    assert answer["data"]["detail"]["guest"]["9999"] == {
        "retcode": 100, "retmsg": f"migrate model of role guest 9999 failed, details: Model guest#9999#{MODEL_ID} "
                                  f"{VERSION} is not exist."}


@pytest.mark.parametrize("changes, retmsg", [
    ({"migrate_role": {"guest": [9998], "host": [20000], "arbiter": [20000]}},
     f"{STRUCTURE_DIFFERS} (host: 2 parties in role, 1 in migrate_role)"),
    ({"migrate_role": {"guest": [9998], "host": [20000, 20001]}},
     f"{STRUCTURE_DIFFERS} (role 'arbiter' only in role)"),
    ({"migrate_role": {"guest": [9998], "hots": [20000, 20001], "arbiter": [20000]}},
     "parameter migrate_role has unknown roles ['hots']: roles are guest, host, arbiter"),
    ({"migrate_role": ROLES, "migrate_initiator": {"role": "guest", "party_id": 9999}}, SAME_ROLES),
    ({"migrate_initiator": {"role": "guest", "party_id": 9999}},
     "migrate_initiator guest 9999 is not a party of migrate_role (guest 9998; host 20000, 20001; arbiter 20000)"),
    ({"execute_party": {"host": [10002]}},
     "execute_party host 10002 not in role (guest 9999; host 10000, 10001; arbiter 10000)"),
    ({"migrate_role": {"guest": [9998], "host": [20000, 20000], "arbiter": [20000]}},
     "parameter migrate_role.host names a party twice: ['20000', '20000']"),
    ({"migrate_role": {"guest": ["../9998"], "host": [20000, 20001], "arbiter": [20000]}},
     "parameter migrate_role.guest must list party ids (numbers), got ['../9998']"),
    ({"job_parameters": None, "execute_party": None},
     "required parameters are missing: execute_party,job_parameters;"),
])
def test_mismatched_or_incomplete_requests_are_refused_naming_the_roles(client, changes, retmsg):
    assert post(client, "/v1/model/migrate", body(**changes)) == {"retcode": 100, "retmsg": retmsg}


def test_the_model_roles_must_be_the_request_roles(client, settings, models):
    answer = post(client, "/v1/model/migrate", body(role={"guest": [9999], "host": [10001, 10000], "arbiter": [10000]},
                                                    execute_party={"guest": [9999]}))
    assert answer["data"]["detail"]["guest"]["9999"]["retmsg"] == (
        f"migrate model of role guest 9999 failed, details: {STRUCTURE_DIFFERS} role (guest 9999; host 10001, "
        f"10000; arbiter 10000) is not the model's roles (guest 9999; host 10000, 10001; arbiter 10000)")
