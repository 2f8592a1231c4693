"""The shipped HeteroSecureBoost example job as users run it, on one flow server hosting guest 9999 and host 10000
with the bundled serving beside it: DSL v2 through the legacy CLI and through FATE's `flow` CLI, DSL v1 through the
legacy CLI; the trees rendered by the model output API; deploy, a predict job scoring the rows as training did, and
online inference (guest and host servings cooperating) equal to the predict job."""
import json

import pytest
import requests

from fate_flow.settings import PROJECT_ROOT
from tests.integration.client_venv import CLIENT_VENV, require_client_venv, run_json
from tests.integration.test_example_jobs import cli, wait_for
from tests.integration.test_ml_jobs import evaluation, guest_scores, submit
from tests.integration.test_serving_jobs import guest_rows
from tests.serving.serving_process import ServingProcess, make_server_with_serving, serving_conf

pytestmark = pytest.mark.slow

EXAMPLES = PROJECT_ROOT / "examples"
PARTIES = {("guest", "9999"): "success", ("host", "10000"): "success"}
ROLES = {"guest": ["9999"], "host": ["10000"]}
INITIATOR = {"role": "guest", "party_id": "9999"}
COMPONENT = "hetero_secureboost_0"
SERVICE_ID = "breast-secureboost"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Flow server + serving, the breast data uploaded and the v2 example job run through the legacy CLI."""
    base = tmp_path_factory.mktemp("secureboost_jobs")
    serving = serving_conf()
    server = make_server_with_serving(base, serving=serving).start()
    proc = ServingProcess.beside(server, serving)
    try:
        proc.start()
        for conf in ("upload_guest.json", "upload_host.json"):
            rc, answer = cli(server, "-f", "upload", "-c", f"examples/{conf}", "-drop", "1")
            assert rc == 0 and answer["retcode"] == 0, answer
        job_id, answer = submit(server, EXAMPLES / "hetero_secureboost_breast_conf.json",
                                EXAMPLES / "hetero_secureboost_dsl.json", answer_too=True)
        assert wait_for(server, job_id, timeout=300) == PARTIES
        yield {"server": server, "serving": proc, "base": base, "job_id": job_id,
               "model_id": answer["data"]["model_info"]["model_id"]}
    finally:
        proc.stop()
        server.stop()


def test_example_job_v2_through_the_legacy_cli(trained):
    server, job_id = trained["server"], trained["job_id"]
    assert evaluation(server, job_id, COMPONENT)["auc"] >= 0.9955
    rc, model = cli(server, "-f", "component_output_model", "-j", job_id, "-r", "guest", "-p", "9999",
                    "-cpn", COMPONENT)
    assert rc == 0 and model["retcode"] == 0, model
    assert model["data"]["tree_num"] == 5 and len(model["data"]["trees_"]) == 5
    assert model["meta"]["module_name"] == "HeteroSecureBoost"
    assert model["meta"]["meta_data"]["tree_meta"]["max_depth"] == 3
    rc, host_model = cli(server, "-f", "component_output_model", "-j", job_id, "-r", "host", "-p", "10000",
                         "-cpn", COMPONENT)
    assert rc == 0 and host_model["data"]["trees_"] and all(
        n["sitename"] == "host:10000" for t in host_model["data"]["trees_"] for n in t["tree_"])
    rc, metrics = cli(server, "-f", "component_metric_all", "-j", job_id, "-r", "guest", "-p", "9999",
                      "-cpn", COMPONENT)
    assert rc == 0 and len(metrics["data"]["train"]["loss"]["data"]) == 5, metrics


def test_example_job_v1_through_the_legacy_cli(trained):
    server = trained["server"]
    job_id = submit(server, EXAMPLES / "hetero_secureboost_breast_conf_v1.json",
                    EXAMPLES / "hetero_secureboost_dsl_v1.json")
    assert wait_for(server, job_id, timeout=300) == PARTIES
    assert evaluation(server, job_id, COMPONENT)["auc"] >= 0.9955


def test_example_job_through_the_flow_cli(trained):
    require_client_venv()
    server = trained["server"]
    flow = str(CLIENT_VENV / "bin" / "flow")
    assert run_json([flow, "init", "--ip", "127.0.0.1", "--port", str(server.http_port)])["retcode"] == 0
    answer = run_json([flow, "job", "submit", "-c", str(EXAMPLES / "hetero_secureboost_breast_conf.json"),
                       "-d", str(EXAMPLES / "hetero_secureboost_dsl.json")])
    assert answer["retcode"] == 0, answer
    assert wait_for(server, answer["jobId"], timeout=300) == PARTIES
    assert evaluation(server, answer["jobId"], COMPONENT)["auc"] >= 0.9955


@pytest.fixture(scope="module")
def deployed(trained):
    """The trained job deployed, its predict job run, and the deployed model loaded and bound at the servings."""
    server, base = trained["server"], trained["base"]
    answer = server.post("/v1/model/deploy", json={
        "model_id": trained["model_id"], "model_version": trained["job_id"],
        "cpn_list": ["reader_0", "dataio_0", "intersection_0", COMPONENT]}).json()
    assert answer["retcode"] == 0, answer
    version = answer["data"]["model_version"]
    conf = json.loads((EXAMPLES / "test_predict_conf.json").read_text())
    conf["job_parameters"]["common"]["model_version"] = version
    conf["job_parameters"]["common"]["model_id"] = trained["model_id"]
    conf["role"] = {"guest": [9999], "host": [10000]}
    dsl = server.post("/v1/model/get/predict/dsl", json={"model_id": trained["model_id"],
                                                         "model_version": version}).json()
    assert dsl["retcode"] == 0 and COMPONENT in dsl["data"]["components"], dsl
    (base / "conf.json").write_text(json.dumps(conf))
    (base / "dsl.json").write_text(json.dumps(dsl["data"]))
    predict_job = submit(server, base / "conf.json", base / "dsl.json")
    assert wait_for(server, predict_job, timeout=300) == PARTIES
    job_parameters = {"work_mode": 0, "model_id": trained["model_id"], "model_version": version}
    loaded = server.post("/v1/model/load", json={"initiator": INITIATOR, "role": ROLES,
                                                 "job_parameters": job_parameters}).json()
    assert loaded["retcode"] == 0, loaded
    bound = server.post("/v1/model/bind", json={"service_id": SERVICE_ID, "initiator": INITIATOR, "role": ROLES,
                                                "job_parameters": job_parameters}).json()
    assert bound["retcode"] == 0, bound
    return {**trained, "version": version, "predict_job": predict_job}


def test_predict_job_scores_the_training_rows_identically(deployed):
    server = deployed["server"]
    trained = guest_scores(server, deployed["job_id"], COMPONENT)
    predicted = guest_scores(server, deployed["predict_job"], COMPONENT)
    assert trained and trained == predicted


def test_online_inference_equals_the_predict_job(deployed):
    serving = deployed["serving"]
    predicted = guest_scores(deployed["server"], deployed["predict_job"], COMPONENT)
    rows = [row for row in guest_rows(1000) if row[0] in predicted][:20]
    assert len(rows) == 20
    with requests.Session() as session:
        for sample_id, features in rows:
            answer = serving.infer(SERVICE_ID, features, {"id": sample_id}, session=session)
            assert answer["retcode"] == 0, answer
            assert answer["data"]["modelVersion"] == deployed["version"]
            assert abs(answer["data"]["score"] - predicted[sample_id]) < 1e-9, (sample_id, answer)
    stranger = serving.infer(SERVICE_ID, rows[0][1], {"id": "no-such-id"})
    assert stranger["retcode"] != 0 and "host party 10000" in stranger["retmsg"], stranger


def test_a_migrated_model_predicts_the_same_under_new_party_ids(deployed, tmp_path):
    """Migrate (guest 9999 -> 9998, host 10000 -> 20000), export/import on a server hosting only the new ids, and
    a predict job there: the trees still find their parties (the model keeps their roles and positions)."""
    from pathlib import Path

    from fate_flow.client.http_client import FlowHttpClient
    from tests.server_process import make_server
    old, new = {"guest": ["9999"], "host": ["10000"]}, {"guest": ["9998"], "host": ["20000"]}
    new_model_id, unify = "guest-9998#host-20000#model", "202612040000000000001"
    server = deployed["server"]
    migrated = server.post("/v1/model/migrate", json={
        "migrate_initiator": {"role": "guest", "party_id": 9998}, "role": old, "migrate_role": new,
        "model_id": deployed["model_id"], "model_version": deployed["version"], "unify_model_version": unify,
        "execute_party": old, "job_parameters": {"federated_mode": "MULTIPLE", "work_mode": 0}}).json()
    assert migrated["retcode"] == 0, migrated
    other = make_server(tmp_path / "new", party_ids=(9998, 20000)).start()
    try:
        client = FlowHttpClient("127.0.0.1", other.http_port, timeout=60)
        for role in ("guest", "host"):
            path = EXAMPLES / "data" / f"breast_hetero_{role}.csv"
            answer = client.upload({"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1,
                                    "partition": 4}, path)
            assert answer["retcode"] == 0, answer
            detail = migrated["data"]["detail"][role][old[role][0]]
            imported = client.model_import({"model_id": new_model_id, "model_version": unify, "role": role,
                                            "party_id": new[role][0]}, Path(detail["path"]))
            assert imported["retcode"] == 0, imported
        conf = json.loads((EXAMPLES / "test_predict_conf.json").read_text())
        conf["initiator"]["party_id"] = 9998
        conf["role"] = {"guest": [9998], "host": [20000]}
        conf["job_parameters"]["common"].update(model_id=new_model_id, model_version=unify)
        answer = other.post("/v1/job/submit", json={"job_dsl": {}, "job_runtime_conf": conf}).json()
        assert answer["retcode"] == 0, answer
        assert wait_for(other, answer["jobId"], timeout=300) == {("guest", "9998"): "success",
                                                                 ("host", "20000"): "success"}
        rows = other.post("/v1/tracking/component/output/data", json={
            "job_id": answer["jobId"], "component_name": COMPONENT, "role": "guest", "party_id": 9998}).json()
        score = rows["meta"]["header"][0].index("predict_score")
        moved = {row[0]: float(row[score]) for row in rows["data"][0]}
        assert moved == guest_scores(server, deployed["predict_job"], COMPONENT)
    finally:
        other.stop()
