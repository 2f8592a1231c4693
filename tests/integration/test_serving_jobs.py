"""Online serving end to end: after the flagship hetero LR job, deploy, a predict job, then load + bind to the
bundled serving through the flow server's /v1/model/load and /v1/model/bind, and online inference whose
probabilities equal the predict job's for the same rows (to 1e-6). One flow server hosts guest 9999 and host
10000; the serving runs beside it as its own process (`python -m fate_flow.serving`) and the guest's serving asks
the host's for its partial score over signed gRPC (the same process here, as both parties share the conf). As on a
fresh demo, the conf names no feature table for host 10000: its serving looks features up in the table the host's
model was trained on."""
import csv

import pytest
import requests

from fate_flow.settings import PROJECT_ROOT
from tests.integration.test_example_jobs import cli, wait_for
from tests.integration.test_ml_jobs import guest_scores, predict_job_files, submit, train_and_deploy
from tests.serving.serving_process import ServingProcess, make_server_with_serving, serving_conf

pytestmark = pytest.mark.slow

EXAMPLES = PROJECT_ROOT / "examples"
PARTIES = {("guest", "9999"): "success", ("host", "10000"): "success", ("arbiter", "10000"): "success"}
ROLES = {"guest": ["9999"], "host": ["10000"], "arbiter": ["10000"]}
INITIATOR = {"role": "guest", "party_id": "9999"}
SERVICE_ID = "breast-hetero-lr"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """Flow server + serving; the flagship job trained, deployed and its deployed model run in a predict job."""
    base = tmp_path_factory.mktemp("serving_jobs")
    serving = serving_conf(feature_tables={})
    server = make_server_with_serving(base, serving=serving).start()
    proc = ServingProcess.beside(server, serving)
    try:
        proc.start()
        for conf in ("upload_guest.json", "upload_host.json"):
            rc, answer = cli(server, "-f", "upload", "-c", f"examples/{conf}", "-drop", "1")
            assert rc == 0 and answer["retcode"] == 0, answer
        _, model_id, version = train_and_deploy(server)
        predict_job = submit(server, *predict_job_files(server, model_id, version, base))
        assert wait_for(server, predict_job, timeout=300) == PARTIES
        yield {"server": server, "serving": proc, "model_id": model_id, "version": version,
               "predicted": guest_scores(server, predict_job, "hetero_lr_0")}
    finally:
        proc.stop()
        server.stop()


def guest_rows(limit: int) -> list[tuple[str, dict]]:
    """(id, {feature: value}) of the first guest rows, label left out, values as JSON numbers."""
    with open(EXAMPLES / "data" / "breast_hetero_guest.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = []
        for row in reader:
            rows.append((row[0], {name: float(v) for name, v in zip(header[2:], row[2:])}))
            if len(rows) == limit:
                return rows
    return rows


@pytest.fixture(scope="module")
def bound(deployment):
    """The deployed model loaded on guest and host (/v1/model/load) and bound to SERVICE_ID (/v1/model/bind)."""
    server, serving = deployment["server"], deployment["serving"]
    job_parameters = {"work_mode": 0, "model_id": deployment["model_id"], "model_version": deployment["version"]}
    loaded = server.post("/v1/model/load", json={"initiator": INITIATOR, "role": ROLES,
                                                 "job_parameters": job_parameters}).json()
    assert loaded["retcode"] == 0, loaded
    assert loaded["data"]["guest"] == {"9999": 0} and loaded["data"]["host"] == {"10000": 0}, loaded
    bound = server.post("/v1/model/bind", json={"service_id": SERVICE_ID, "initiator": INITIATOR, "role": ROLES,
                                                "job_parameters": job_parameters}).json()
    assert bound["retcode"] == 0 and SERVICE_ID in bound["retmsg"], bound
    status = serving.status()["data"]["models"]
    assert {(m["role"], m["partyId"]) for m in status} == {("guest", "9999"), ("host", "10000")}, status
    assert [m["serviceIds"] for m in status if m["role"] == "guest"] == [[SERVICE_ID]]
    return deployment


def test_load_bind_then_online_inference_equals_the_predict_job(bound):
    deployment, serving = bound, bound["serving"]
    predicted = deployment["predicted"]
    rows = [row for row in guest_rows(1000) if row[0] in predicted][:20]  # the output preview holds some rows
    assert len(rows) == 20
    with requests.Session() as session:
        for sample_id, features in rows:
            answer = serving.infer(SERVICE_ID, features, {"id": sample_id}, session=session)
            assert answer["retcode"] == 0, answer
            assert answer["flag"] == 0
            assert answer["data"]["modelVersion"] == deployment["version"]
            assert answer["data"]["modelId"] == f"guest#9999#{deployment['model_id']}"
            assert abs(answer["data"]["score"] - predicted[sample_id]) < 1e-6, (sample_id, answer, predicted[sample_id])
    log = (serving.home / "logs" / "fate_flow_serving" / "serving.log").read_text()
    assert ("party 10000 has no serving.feature_tables entry: it looks host features up in "
            "experiment.breast_hetero_host, the table its model was trained on") in log


def test_inference_errors_name_the_party(bound):
    serving = bound["serving"]
    sample_id, features = guest_rows(1)[0]
    unknown = serving.infer("no-such-service", features, {"id": sample_id})
    assert unknown["retcode"] == 101 and "no-such-service" in unknown["retmsg"], unknown
    partial = dict(features)
    partial.pop("x3")
    missing = serving.infer(SERVICE_ID, partial, {"id": sample_id})
    assert missing["retcode"] == 102 and "guest party 9999" in missing["retmsg"] and "x3" in missing["retmsg"], missing
    stranger = serving.infer(SERVICE_ID, features, {"id": "no-such-id"})
    assert stranger["retcode"] == 102 and "host party 10000" in stranger["retmsg"], stranger
    assert "no-such-id" in stranger["retmsg"] and "experiment.breast_hetero_host" in stranger["retmsg"], stranger
