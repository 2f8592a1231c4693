"""The model publishing and tag commands as users run them against a real server hosting guest 9999 and host
10000: the legacy CLI (`python fate_flow/fate_flow_client.py -f load|bind|unload|unbind|tag_* -c conf`, confs
shaped as examples/publish_load_model.json and examples/bind_model_service.json) and fate-client 1.6.1's
`flow model load|bind`. FATE-Serving is a recording gRPC ModelService on 127.0.0.1
(tests/api/test_model_load_bind.py)."""
from __future__ import annotations

import json

import pytest

from fate_flow.proto import model_service_pb2 as pb
from fate_flow.settings import PROJECT_ROOT
from tests.api.test_model_load_bind import (MODEL_ID, NOT_DEPLOYED, ROLES, VERSION, RecordingServing,
                                            expected_load_request)
from tests.api.test_model_store import make_model
from tests.conftest import make_settings
from tests.integration.client_venv import CLIENT_VENV, require_client_venv, run_json
from tests.integration.test_legacy_cli import flow
from tests.server_process import make_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(server, serving, deployed child version): one server, both parties, servings from `servings.hosts`."""
    base = tmp_path_factory.mktemp("cli_models")
    serving = RecordingServing().start()
    server = make_server(base, party_ids=[9999, 10000],
                         extra_conf={"route_table": {}, "servings": {"hosts": [serving.address], "timeout": 3}})
    settings = make_settings(server.home, server.conf_path)
    for role, party in (("guest", "9999"), ("host", "10000"), ("arbiter", "10000")):
        make_model(settings, role, party, model_id=MODEL_ID, roles=ROLES)
    try:
        server.start()
        deployed = server.post("/v1/model/deploy", json={"model_id": MODEL_ID, "model_version": VERSION}).json()
        assert deployed["retcode"] == 0, deployed
        yield server, serving, deployed["data"]["model_version"]
    finally:
        server.stop()
        serving.stop()


def conf_from_example(tmp_path, example: str, version: str, **changes) -> str:
    """The shipped example conf with this test's model version (and `changes`)."""
    conf = json.loads((PROJECT_ROOT / "examples" / example).read_text())
    conf["job_parameters"]["model_version"] = version
    conf.update(changes)
    path = tmp_path / example
    path.write_text(json.dumps(conf))
    return str(path)


def test_legacy_load_with_the_example_conf_and_by_model_version(served, tmp_path):
    server, serving, child = served
    serving.take()
    rc, answer = flow(server, "-f", "load", "-c", conf_from_example(tmp_path, "publish_load_model.json", child))
    assert rc == 0 and answer["retcode"] == 0 and answer["jobId"], answer
    assert answer["data"]["guest"] == {"9999": 0} and answer["data"]["host"] == {"10000": 0}
    received = sorted(serving.take(), key=lambda r: r[1].local.role)
    assert received == [("publishLoad", expected_load_request("guest", "9999", child, server.http_port)),
                        ("publishLoad", expected_load_request("host", "10000", child, server.http_port))]

    rc, answer = flow(server, "-f", "load", "-j", child)
    assert rc == 0 and answer["retcode"] == 0, answer
    assert len(serving.take()) == 2


def test_legacy_load_of_a_model_that_was_not_deployed_fails_by_party(served, tmp_path):
    server, serving, _ = served
    rc, answer = flow(server, "-f", "load", "-c", conf_from_example(tmp_path, "publish_load_model.json", VERSION))
    assert rc == 1 and (answer["retcode"], answer["retmsg"]) == (101, "failed"), answer
    assert answer["data"]["detail"]["host"]["10000"] == {"retcode": 100, "retmsg": NOT_DEPLOYED}
    assert serving.take() == []


def test_legacy_bind_with_the_example_conf_and_without_service_id(served, tmp_path):
    server, serving, child = served
    serving.take()
    rc, answer = flow(server, "-f", "bind", "-c", conf_from_example(tmp_path, "bind_model_service.json", child))
    assert (rc, answer["retcode"], answer["retmsg"]) == (0, 0, "service id is hetero_lr_service"), answer
    [(method, request)] = serving.take()
    assert method == "publishBind" and request.serviceId == "hetero_lr_service"
    assert request.model["guest"].roleModelInfo["9999"] == pb.ModelInfo(tableName=child,
                                                                       namespace=f"guest#9999#{MODEL_ID}")
    assert list(request.model) == ["guest"] and (request.local.role, request.local.partyId) == ("guest", "9999")

    rc, answer = flow(server, "-f", "bind", "-c", conf_from_example(tmp_path, "bind_model_service.json", child,
                                                                    service_id=""))
    assert rc == 1 and (answer["retcode"], answer["retmsg"]) == (101, "no service id"), answer
    assert serving.take() == []


def test_legacy_unload_and_unbind(served, tmp_path):
    server, serving, child = served
    serving.take()
    ref = {"model_id": MODEL_ID, "model_version": child, "role": "guest", "party_id": "9999"}
    conf = tmp_path / "unbind.json"
    conf.write_text(json.dumps({**ref, "service_id": "hetero_lr_service"}))
    assert flow(server, "-f", "unload", "-c", str(conf))[0] == 0
    assert flow(server, "-f", "unbind", "-c", str(conf))[0] == 0
    namespace = f"guest#9999#{MODEL_ID}"
    assert serving.take() == [("unload", pb.UnloadRequest(tableName=child, namespace=namespace)),
                              ("unbind", pb.UnbindRequest(serviceId="hetero_lr_service", tableName=child,
                                                          namespace=namespace))]


def test_legacy_tag_commands(served, tmp_path):
    server, _, child = served

    def conf(**body) -> str:
        path = tmp_path / "tag.json"
        path.write_text(json.dumps(body))
        return str(path)

    rc, answer = flow(server, "-f", "tag_create", "-c", conf(tag_name="prod", tag_desc="serving now"))
    assert rc == 0 and answer["retmsg"] == "'prod' tag has been created successfully.", answer
    rc, answer = flow(server, "-f", "tag_model", "-j", child, "-c", conf(tag_name="prod"))
    assert rc == 0 and answer["retcode"] == 0, answer
    rc, answer = flow(server, "-f", "model_tag_list", "-j", child)
    assert rc == 0 and answer["data"]["tags"] == [{"name": "prod", "description": "serving now"}], answer
    rc, answer = flow(server, "-f", "tag_query", "-c", conf(tag_name="prod", with_model=True))
    assert rc == 0 and {m["party_id"] for m in answer["data"]["models"]} == {"9999", "10000"}, answer
    rc, answer = flow(server, "-f", "tag_update", "-c", conf(tag_name="prod", new_tag_name="live"))
    assert rc == 0, answer
    rc, answer = flow(server, "-f", "tag_list", "-limit", "5")
    assert rc == 0 and [t["name"] for t in answer["data"]["tags"]] == ["live"], answer
    assert answer["data"]["tags"][0]["model_count"] == 1
    rc, answer = flow(server, "-f", "tag_model", "-j", child, "-c", conf(tag_name="live", remove=True))
    assert rc == 0 and answer["retcode"] == 0, answer
    rc, answer = flow(server, "-f", "tag_delete", "-c", conf(tag_name="live"))
    assert rc == 0 and answer["retmsg"] == "'live' tag has been deleted successfully.", answer
    rc, answer = flow(server, "-f", "tag_model", "-c", conf(tag_name="x"))
    assert rc == 1 and answer["retmsg"] == "the following arguments are required: -j job_id", answer


def test_fate_client_flow_model_load_and_bind(served, tmp_path):
    """fate-client 1.6.1's `flow model load -c`, `flow model load -j` and `flow model bind -c` (contract §9.2)."""
    require_client_venv()
    server, serving, child = served
    cli = str(CLIENT_VENV / "bin" / "flow")
    assert run_json([cli, "init", "--ip", "127.0.0.1", "--port", str(server.http_port)])["retcode"] == 0
    serving.take()
    answer = run_json([cli, "model", "load", "-c", conf_from_example(tmp_path, "publish_load_model.json", child)])
    assert answer["retcode"] == 0 and answer["data"]["host"] == {"10000": 0}, answer
    answer = run_json([cli, "model", "load", "-j", child])
    assert answer["retcode"] == 0, answer
    assert [m for m, _ in serving.take()] == ["publishLoad"] * 4
    answer = run_json([cli, "model", "bind", "-c", conf_from_example(tmp_path, "bind_model_service.json", child)])
    assert (answer["retcode"], answer["retmsg"]) == (0, "service id is hetero_lr_service"), answer
    [(method, request)] = serving.take()
    assert method == "publishBind" and request.serviceId == "hetero_lr_service"
