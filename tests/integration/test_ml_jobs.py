"""The flagship ML jobs as a user runs them with the legacy CLI: hetero LR (reader, dataio, intersection,
binning, selection, hetero LR, evaluation) in DSL v2 and v1 and HomoLR, on one server hosting every party
and across three servers (guest, host, arbiter each on its own); then deploy and a predict job whose
scores equal the training job's for the same rows."""
import json

import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.integration.test_example_jobs import cli, wait_for
from tests.server_process import make_server

pytestmark = pytest.mark.slow

EXAMPLES = PROJECT_ROOT / "examples"
PARTIES = {("guest", "9999"): "success", ("host", "10000"): "success", ("arbiter", "10000"): "success"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("ml"), party_ids=(9999, 10000)).start()
    for conf in ("upload_guest.json", "upload_host.json", "upload_homo_guest.json", "upload_homo_host.json"):
        rc, answer = cli(server, "-f", "upload", "-c", f"examples/{conf}", "-drop", "1")
        assert rc == 0 and answer["retcode"] == 0, answer
    yield server
    server.stop()


def submit(server, conf, dsl, answer_too=False):
    rc, answer = cli(server, "-f", "submit_job", "-c", str(conf), "-d", str(dsl))
    assert rc == 0 and answer["retcode"] == 0, answer
    return (answer["jobId"], answer) if answer_too else answer["jobId"]


def evaluation(server, job_id, component="hetero_lr_0", role="guest", party=9999):
    rc, answer = cli(server, "-f", "component_metric_all", "-j", job_id, "-r", role, "-p", str(party),
                     "-cpn", "evaluation_0")
    assert rc == 0 and answer["retcode"] == 0, answer
    return dict(answer["data"]["train"][component]["data"])


def guest_scores(server, job_id, component):
    rows = server.post("/v1/tracking/component/output/data", json={
        "job_id": job_id, "component_name": component, "role": "guest", "party_id": 9999}).json()
    header = rows["meta"]["header"][0]
    score = header.index("predict_score")
    return {row[0]: float(row[score]) for row in rows["data"][0]}


@pytest.mark.parametrize("conf, dsl", [("test_hetero_lr_job_conf.json", "test_hetero_lr_job_dsl.json"),
                                       ("test_hetero_lr_job_conf_v1.json", "test_hetero_lr_job_dsl_v1.json")])
def test_flagship_hetero_lr_job(server, conf, dsl):
    job_id = submit(server, EXAMPLES / conf, EXAMPLES / dsl)
    assert wait_for(server, job_id, timeout=300) == PARTIES
    metrics = evaluation(server, job_id)
    assert metrics["auc"] > 0.98, metrics
    rc, model = cli(server, "-f", "component_output_model", "-j", job_id, "-r", "host", "-p", "10000",
                    "-cpn", "hetero_lr_0")
    assert rc == 0 and model["retcode"] == 0 and model["data"]["weight"], model


def test_homo_lr_job(server):
    job_id = submit(server, EXAMPLES / "homo_lr_job_conf.json", EXAMPLES / "homo_lr_job_dsl.json")
    assert wait_for(server, job_id, timeout=300) == PARTIES
    assert evaluation(server, job_id, "homo_lr_0")["auc"] > 0.98
    assert evaluation(server, job_id, "homo_lr_0", role="host", party=10000)["auc"] > 0.98


def train_and_deploy(server) -> tuple[str, str, str]:
    """Run the flagship job and deploy the components it serves with: (training job id, model id, deployed
    model version)."""
    train_job, answer = submit(server, EXAMPLES / "test_hetero_lr_job_conf.json",
                               EXAMPLES / "test_hetero_lr_job_dsl.json", answer_too=True)
    assert wait_for(server, train_job, timeout=300) == PARTIES
    model_id = answer["data"]["model_info"]["model_id"]
    deployed = server.post("/v1/model/deploy", json={
        "model_id": model_id, "model_version": train_job,
        "cpn_list": ["reader_0", "dataio_0", "intersection_0", "hetero_feature_binning_0",
                     "hetero_feature_selection_0", "hetero_lr_0"]}).json()
    assert deployed["retcode"] == 0, deployed
    return train_job, model_id, deployed["data"]["model_version"]


def predict_job_files(server, model_id: str, version: str, directory) -> tuple:
    """The example predict conf for `version` and the model's own predict DSL, written to `directory` (FATE's
    CLI wants a DSL file for a v2 predict job, and the job runs the DSL it is given)."""
    conf = json.loads((EXAMPLES / "test_predict_conf.json").read_text())
    conf["job_parameters"]["common"]["model_version"] = version
    dsl = server.post("/v1/model/get/predict/dsl", json={"model_id": model_id, "model_version": version}).json()
    assert dsl["retcode"] == 0 and "hetero_lr_0" in dsl["data"]["components"], dsl
    conf_path, dsl_path = directory / "predict_conf.json", directory / "predict_dsl.json"
    conf_path.write_text(json.dumps(conf))
    dsl_path.write_text(json.dumps(dsl["data"]))
    return conf_path, dsl_path


def test_deploy_then_predict_scores_the_training_rows_identically(server, tmp_path):
    train_job, model_id, version = train_and_deploy(server)
    predict_job = submit(server, *predict_job_files(server, model_id, version, tmp_path))
    assert wait_for(server, predict_job, timeout=300) == PARTIES
    trained, predicted = guest_scores(server, train_job, "hetero_lr_0"), guest_scores(server, predict_job,
                                                                                     "hetero_lr_0")
    assert trained and trained == predicted


def test_ml_jobs_across_three_servers(tmp_path):
    """guest 9999, host 10000 and arbiter 10001 each on its own server, talking over gRPC: the flagship job
    in DSL v2 and v1 and the HomoLR job."""
    from fate_flow.client.http_client import FlowHttpClient
    from tests.federation.servers import make_federated_servers
    servers = make_federated_servers(tmp_path, {"guest": ["9999"], "host": ["10000"], "arbiter": ["10001"]})
    for s in servers.values():
        s.start()
    try:
        for role in ("guest", "host"):
            for kind in ("hetero", "homo"):
                answer = FlowHttpClient("127.0.0.1", servers[role].http_port).upload(
                    {"namespace": "experiment", "table_name": f"breast_{kind}_{role}", "head": 1, "partition": 4},
                    EXAMPLES / "data" / f"breast_{kind}_{role}.csv")
                assert answer["retcode"] == 0, answer
        for conf_name, dsl_name, model in (
                ("test_hetero_lr_job_conf.json", "test_hetero_lr_job_dsl.json", "hetero_lr_0"),
                ("test_hetero_lr_job_conf_v1.json", "test_hetero_lr_job_dsl_v1.json", "hetero_lr_0"),
                ("homo_lr_job_conf.json", "homo_lr_job_dsl.json", "homo_lr_0")):
            conf = json.loads((EXAMPLES / conf_name).read_text())
            conf["role"]["arbiter"] = [10001]
            path = tmp_path / conf_name
            path.write_text(json.dumps(conf))
            job_id = submit(servers["guest"], path, EXAMPLES / dsl_name)
            assert wait_for(servers["guest"], job_id, timeout=300) == {("guest", "9999"): "success"}
            assert wait_for(servers["host"], job_id, timeout=60) == {("host", "10000"): "success"}
            assert wait_for(servers["arbiter"], job_id, timeout=60) == {("arbiter", "10001"): "success"}
            assert evaluation(servers["guest"], job_id, model)["auc"] > 0.98
    finally:
        for s in servers.values():
            s.stop()


def test_default_credit_hetero_lr_is_as_good_as_scikit_learn(server):
    """30,000 rows, 10 epochs of batches of 10,000 with real 1024-bit Paillier: AUC within 0.01 of
    scikit-learn's LogisticRegression on the joined plaintext data with the same L2 and iteration budget."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    for role in ("guest", "host"):
        rc, answer = cli(server, "-f", "upload", "-c", f"examples/upload_default_credit_{role}.json", "-drop", "1")
        assert rc == 0 and answer["retcode"] == 0, answer
    job_id = submit(server, EXAMPLES / "hetero_lr_default_credit_conf.json", EXAMPLES / "hetero_lr_simple_dsl.json")
    assert wait_for(server, job_id, timeout=600) == PARTIES
    auc = evaluation(server, job_id)["auc"]
    guest = np.genfromtxt(EXAMPLES / "data" / "default_credit_hetero_guest.csv", delimiter=",", skip_header=1)
    host = np.genfromtxt(EXAMPLES / "data" / "default_credit_hetero_host.csv", delimiter=",", skip_header=1)
    guest, host = guest[np.argsort(guest[:, 0])], host[np.argsort(host[:, 0])]
    assert (guest[:, 0] == host[:, 0]).all()
    x, y = np.hstack([guest[:, 2:], host[:, 1:]]), guest[:, 1]
    reference = roc_auc_score(y, LogisticRegression(C=1.0 / (0.01 * len(y)), max_iter=10).fit(x, y)
                              .decision_function(x))
    print(f"default_credit hetero LR AUC {auc:.6f}, scikit-learn {reference:.6f}")
    assert auc >= reference - 0.01
