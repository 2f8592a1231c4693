"""Predict jobs submitted with a DSL, as FATE's v2 examples (hetero-lr-normal-predict-dsl.json) and its clients do
it: the flagship job is trained, deployed without its Reader through the legacy CLI's `-f deploy` with a component
list file (`cpn_path`), and the deployed predict DSL (get/predict/dsl) plus a Reader feeding its first component is
submitted through the legacy CLI, FATE's `flow` CLI and flow_sdk (fate-client 1.6.1). Each predict job scores the
training rows as training did. A deploy with a predict DSL file (`dsl_path`) stores that DSL, which a predict job
submitted without a DSL then runs."""
import json

import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.integration.client_venv import CLIENT_VENV, require_client_venv, run_client, run_json
from tests.integration.test_example_jobs import cli, wait_for
from tests.integration.test_ml_jobs import guest_scores
from tests.server_process import make_server

pytestmark = pytest.mark.slow

EXAMPLES = PROJECT_ROOT / "examples"
PARTIES = {("guest", "9999"): "success", ("host", "10000"): "success", ("arbiter", "10000"): "success"}
# the flagship job's components a user deploys to predict with; its Reader is left out, as FATE users do
DEPLOYED = ["dataio_0", "intersection_0", "hetero_feature_binning_0", "hetero_feature_selection_0", "hetero_lr_0"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(server, model id, training job, child version deployed without a Reader, base dir)."""
    require_client_venv()
    base = tmp_path_factory.mktemp("predict_dsl")
    server = make_server(base, party_ids=(9999, 10000)).start()
    try:
        for conf in ("upload_guest.json", "upload_host.json"):
            rc, answer = cli(server, "-f", "upload", "-c", f"examples/{conf}", "-drop", "1")
            assert rc == 0 and answer["retcode"] == 0, answer
        rc, answer = cli(server, "-f", "submit_job", "-c", "examples/test_hetero_lr_job_conf.json",
                         "-d", "examples/test_hetero_lr_job_dsl.json")
        assert rc == 0 and answer["retcode"] == 0, answer
        train_job, model_id = answer["jobId"], answer["data"]["model_info"]["model_id"]
        assert wait_for(server, train_job, timeout=300) == PARTIES

        cpn_file = base / "component_list.txt"
        cpn_file.write_text(", ".join(DEPLOYED) + "\n")
        deploy_conf = base / "deploy.json"
        deploy_conf.write_text(json.dumps({"model_id": model_id, "model_version": train_job,
                                           "cpn_path": str(cpn_file)}))
        rc, deployed = cli(server, "-f", "deploy", "-c", str(deploy_conf))
        assert rc == 0 and deployed["retcode"] == 0, deployed
        yield server, model_id, train_job, deployed["data"]["model_version"], base
    finally:
        server.stop()


def predict_files(server, model_id: str, version: str, directory, with_dsl: bool = True) -> tuple:
    """The example predict conf for `version`, and the deployed predict DSL with reader_0 feeding dataio_0."""
    conf = json.loads((EXAMPLES / "test_predict_conf.json").read_text())
    conf["job_parameters"]["common"]["model_version"] = version
    conf_path = directory / f"predict_conf_{version}.json"
    conf_path.write_text(json.dumps(conf))
    if not with_dsl:
        return conf_path, None
    answer = server.post("/v1/model/get/predict/dsl", json={"model_id": model_id, "model_version": version}).json()
    assert answer["retcode"] == 0, answer
    dsl = answer["data"]
    dsl["components"] = {"reader_0": {"module": "Reader", "output": {"data": ["data"]}}, **dsl["components"]}
    dsl["components"]["dataio_0"]["input"]["data"] = {"data": ["reader_0.data"]}
    dsl_path = directory / f"predict_dsl_{version}.json"
    dsl_path.write_text(json.dumps(dsl))
    return conf_path, dsl_path


def assert_scores_as_trained(server, train_job: str, predict_job: str) -> None:
    assert wait_for(server, predict_job, timeout=300) == PARTIES
    trained, predicted = guest_scores(server, train_job, "hetero_lr_0"), guest_scores(server, predict_job,
                                                                                     "hetero_lr_0")
    assert trained and predicted == trained


def sdk_submit(server, conf_path, dsl_path=None) -> dict:
    dsl = f", dsl_path={str(dsl_path)!r}" if dsl_path else ""
    script = (f"import json\nfrom flow_sdk.client import FlowClient\n"
              f"c = FlowClient('127.0.0.1', {server.http_port}, 'v1')\n"
              f"print(json.dumps(c.job.submit(conf_path={str(conf_path)!r}{dsl})))")
    result = run_client([str(CLIENT_VENV / "bin" / "python"), "-c", script])
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_legacy_cli_deploys_a_component_list_file(trained):
    server, model_id, _, version, _ = trained
    answer = server.post("/v1/model/get/predict/dsl", json={"model_id": model_id, "model_version": version}).json()
    components = answer["data"]["components"]
    assert sorted(components) == sorted(DEPLOYED)
    assert "data" not in components["dataio_0"]["input"], "deployed without its Reader, dataio_0 reads no data"


def test_without_a_dsl_a_model_deployed_without_its_reader_is_refused_at_submit(trained, tmp_path):
    server, model_id, _, version, _ = trained
    conf_path, _ = predict_files(server, model_id, version, tmp_path, with_dsl=False)
    answer = sdk_submit(server, conf_path)
    assert answer["retcode"] == 100 and "Component dataio_0 has no data input" in answer["retmsg"], answer


def test_legacy_cli_predict_with_the_deployed_dsl_and_a_reader(trained, tmp_path):
    server, model_id, train_job, version, _ = trained
    conf_path, dsl_path = predict_files(server, model_id, version, tmp_path)
    rc, answer = cli(server, "-f", "submit_job", "-c", str(conf_path), "-d", str(dsl_path))
    assert rc == 0 and answer["retcode"] == 0, answer
    assert answer["data"]["model_info"] == {"model_id": model_id, "model_version": version}
    assert_scores_as_trained(server, train_job, answer["jobId"])
    job = server.post("/v1/job/query", json={"job_id": answer["jobId"], "role": "host"}).json()["data"][0]
    assert job["f_dsl"] == json.loads(dsl_path.read_text()), "every party runs the submitted DSL"


def test_flow_cli_predict_with_the_deployed_dsl_and_a_reader(trained, tmp_path):
    server, model_id, train_job, version, _ = trained
    conf_path, dsl_path = predict_files(server, model_id, version, tmp_path)
    flow = str(CLIENT_VENV / "bin" / "flow")
    assert run_json([flow, "init", "--ip", "127.0.0.1", "--port", str(server.http_port)])["retcode"] == 0
    answer = run_json([flow, "job", "submit", "-c", str(conf_path), "-d", str(dsl_path)])
    assert answer["retcode"] == 0, answer
    assert_scores_as_trained(server, train_job, answer["jobId"])


def test_flow_sdk_predict_with_the_deployed_dsl_and_a_reader(trained, tmp_path):
    server, model_id, train_job, version, _ = trained
    conf_path, dsl_path = predict_files(server, model_id, version, tmp_path)
    answer = sdk_submit(server, conf_path, dsl_path)
    assert answer["retcode"] == 0, answer
    assert_scores_as_trained(server, train_job, answer["jobId"])


def test_a_deployed_dsl_file_is_what_a_predict_job_without_dsl_runs(trained, tmp_path):
    """Deploy through the legacy CLI with dsl_path (the predict DSL with its Reader); then predict without a DSL."""
    server, model_id, train_job, version, _ = trained
    _, dsl_path = predict_files(server, model_id, version, tmp_path)
    deploy_conf = tmp_path / "deploy_dsl.json"
    deploy_conf.write_text(json.dumps({"model_id": model_id, "model_version": train_job, "dsl_path": str(dsl_path)}))
    rc, deployed = cli(server, "-f", "deploy", "-c", str(deploy_conf))
    assert rc == 0 and deployed["retcode"] == 0, deployed
    child = deployed["data"]["model_version"]
    stored = server.post("/v1/model/get/predict/dsl", json={"model_id": model_id, "model_version": child}).json()
    assert sorted(stored["data"]["components"]) == sorted(["reader_0", *DEPLOYED])
    conf_path, _ = predict_files(server, model_id, child, tmp_path, with_dsl=False)
    answer = sdk_submit(server, conf_path)
    assert answer["retcode"] == 0, answer
    assert_scores_as_trained(server, train_job, answer["jobId"])
