"""/v1/model/homo/convert and /v1/model/homo/deploy on the app over SQLite, with a HomoLR model really trained on
breast_homo (guest, host and arbiter over real gRPC sites) and written into a party's model directory as a job
leaves it. The converted scikit-learn model must score every breast_homo row as our model did; deploy answers
the KServe manifest and artifact, and creates the InferenceService through a Kubernetes API when one is named
(here a local HTTP server standing in for the Kubernetes API server, which does not run on this machine)."""
from __future__ import annotations

import base64
import csv
import json
import subprocess
import sys
import threading
from pathlib import Path

import joblib
import numpy as np
import pytest
import requests
import yaml
from flask import Flask, jsonify, request
from google.protobuf.struct_pb2 import Struct
from werkzeug.serving import make_server

from fate_flow.components.predict_result import SCORE
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.model.pipeline import build_pipeline
from fate_flow.model.pipelined_model import BUFFER_TYPES_FILE, PipelinedModel
from fate_flow.services.models.local import proto_sources
from fate_flow.services.models.paths import model_dir
from fate_flow.settings import PROJECT_ROOT
from tests.components.harness import feature_table, run_parties, spec
from tests.conftest import free_port, make_settings
from tests.default_install import default_install_site
from tests.server_process import make_server as make_flow_server
from tests.server_process import spawn, stop_process_group, wait_ready

DATA = Path("/work/shared/data")
CSVS = {("guest", 9999): DATA / "breast_homo_guest.csv", ("host", 10000): DATA / "breast_homo_host.csv"}
ROLES = {"guest": [9999], "host": [10000], "arbiter": [10000]}
MODEL_ID = "arbiter-10000#guest-9999#host-10000#model"
VERSION = "202201011200000000001"
CPN = "homo_lr_0"
PARAMS = {"penalty": "L2", "alpha": 0.01, "optimizer": "sgd", "learning_rate": 0.5, "max_iter": 10,
          "batch_size": -1, "early_stop": "diff", "tol": 1e-7, "init_param": {"init_method": "zeros"},
          "encrypt_param": {"method": None}, "aggregate_iters": 1}
REF = {"model_id": MODEL_ID, "model_version": VERSION, "role": "guest", "party_id": "9999"}
PARTY_MODEL_ID = f"guest#9999#{MODEL_ID}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The HomoLR outputs of every party: (role, pid) -> ComponentOutput, trained once for this module."""
    base = tmp_path_factory.mktemp("homo_lr_train")
    sessions, refs = {}, {}
    for key, path in CSVS.items():
        sessions[key] = StandaloneSession(StandaloneStore(base / f"{key[0]}_{key[1]}"))
        refs[key] = feature_table(sessions[key], path, with_label=True)
    tasks = [spec("HomoLR", role=role, party_id=pid, parameters=PARAMS, roles=ROLES, job_id="job_homo_convert",
                  input_data={"train_data": [refs[(role, pid)]]} if (role, pid) in refs else {}, name=CPN)
             for role, pids in ROLES.items() for pid in pids]
    results = run_parties(base, tasks, sessions=sessions, timeout=120)
    outputs = {key: output for key, (output, _) in results.items()}
    scores = {key: {sid: row[SCORE] for sid, row in outputs[key].data["data"].collect()} for key in CSVS}
    yield outputs, scores
    for session in sessions.values():
        session.stop()


def write_model(settings, role: str, party_id: str, components: dict) -> Path:
    """A party's model directory as a training job leaves it. components: name -> (module, {buffer: message})."""
    root = model_dir(settings, role, party_id, MODEL_ID, VERSION)
    for name, (_, buffers) in components.items():
        directory = root / "variables" / "data" / name / "model"
        directory.mkdir(parents=True)
        for buffer, message in buffers.items():
            (directory / buffer).write_bytes(message.SerializeToString())
        (directory / BUFFER_TYPES_FILE).write_text(
            json.dumps({buffer: message.DESCRIPTOR.full_name for buffer, message in buffers.items()}))
    dsl = {"components": {name: {"module": module, "output": {"model": ["model"]}}
                          for name, (module, _) in components.items()}}
    common = {"work_mode": 0, "model_id": MODEL_ID, "model_version": VERSION}
    conf = {"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}, "role": ROLES,
            "job_parameters": {"common": common}}
    pipeline = build_pipeline(inference_dsl={}, train_dsl=dsl, train_runtime_conf=conf, model_id=MODEL_ID,
                              model_version=VERSION, parent=True, roles=ROLES, work_mode=0, initiator_role="guest",
                              initiator_party_id=9999, runtime_conf_on_party=conf)
    PipelinedModel(root).save_pipeline(pipeline, {name: module for name, (module, _) in components.items()},
                                       proto_sources())
    return root


@pytest.fixture
def homo_model(settings, trained) -> Path:
    outputs, _ = trained
    return write_model(settings, "guest", "9999", {CPN: ("HomoLR", outputs[("guest", 9999)].model["model"])})


def rows_of(path: Path, header: list[str]) -> tuple[list[str], np.ndarray]:
    """Ids and the feature matrix of a breast_homo CSV, columns in `header` order (by name)."""
    with open(path) as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    return [r["id"] for r in rows], np.array([[float(r[name]) for name in header] for r in rows])


def post(client, path: str, body: dict) -> dict:
    return client.post(path, json=body).get_json()


def deploy_body(**changes) -> dict:
    return {**REF, "component_name": CPN, "service_id": "breast-homo-lr", "deployment_type": "kfserving",
            "deployment_parameters": {}, **changes}


def test_converted_model_scores_every_breast_homo_row_as_our_model(client, homo_model, trained):
    outputs, scores = trained
    answer = post(client, "/v1/model/homo/convert", REF)
    path = homo_model / "variables/data" / CPN / "model/converted_model/sklearn.joblib"
    header = list(outputs[("guest", 9999)].model["model"]["HomoLogisticRegressionParam"].header)
    assert answer == {"retcode": 0, "retmsg": f"Conversion of homogeneous federated learning component(s) in model "
                                              f"{PARTY_MODEL_ID} {VERSION} completed. Use export or homo/deploy to "
                                              f"download or deploy the converted model.",
                      "data": [{"component_name": CPN, "model_alias": "model", "framework_name": "sklearn",
                                "converted_model_path": str(path), "header": header}]}
    estimator = joblib.load(path)
    assert type(estimator).__name__ == "LogisticRegression" and list(estimator.classes_) == [0, 1]
    worst = 0.0
    for key, csv_path in CSVS.items():  # the host holds the same aggregated model, so its rows score alike
        ids, x = rows_of(csv_path, header)
        ours = np.array([scores[key][sid] for sid in ids])
        theirs = estimator.predict_proba(x)[:, 1]
        worst = max(worst, float(np.max(np.abs(theirs - ours))))
    print(f"max |predict_proba - our score| over 455 rows: {worst:.3e}")
    assert worst <= 1e-9
    # the model still loads and lists only its buffers
    assert PipelinedModel(homo_model).component_models()[CPN]["model"].keys() == {
        "HomoLogisticRegressionMeta", "HomoLogisticRegressionParam"}


def test_a_model_without_homo_lr_is_refused_naming_what_it_holds(client, settings):
    param = Struct()
    param.update({"weights": [0.5]})
    write_model(settings, "guest", "9999", {"trainer_0": ("TestModelTrainer", {"TestModelParam": param})})
    assert post(client, "/v1/model/homo/convert", REF) == {
        "retcode": 100, "retmsg": f"No component in model {PARTY_MODEL_ID} {VERSION} can be converted: only HomoLR "
                                  f"models (buffer HomoLogisticRegressionParam) can, and the model holds trainer_0 "
                                  f"(TestModelTrainer: TestModelParam)"}
    answer = post(client, "/v1/model/homo/deploy", deploy_body(component_name="trainer_0"))
    assert answer["retcode"] == 100 and "trainer_0" in answer["retmsg"] and "is not a HomoLR model" in answer["retmsg"]


def _answers(base_url: str) -> bool:
    try:
        return requests.post(base_url + "/v1/version/get", timeout=1).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def test_convert_runs_on_a_default_install(trained, tmp_path):
    """A real server whose Python sees only what `pip install -e .` (bin/install.sh) installs converts the model."""
    outputs, scores = trained
    server = make_flow_server(tmp_path / "server")
    env = dict(server.env, PYTHONPATH=f"{default_install_site(tmp_path)}:{PROJECT_ROOT}")
    python = [sys.executable, "-S"]  # no site-packages: only the linked distributions and the checkout
    probe = subprocess.run(python + ["-c", "import pytest"], env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "No module named 'pytest'" in probe.stderr, "the test extra must not be there"
    root = write_model(make_settings(server.home, server.conf_path), "guest", "9999",
                       {CPN: ("HomoLR", outputs[("guest", 9999)].model["model"])})
    process = spawn(python + ["-m", "fate_flow.server", "--conf", str(server.conf_path)], env,
                    server.home / "server.console.log")
    try:
        wait_ready(process, lambda: _answers(server.base_url), 60, "server on a default install", server.log_tail,
                   lambda: stop_process_group(process, 15))
        answer = requests.post(server.base_url + "/v1/model/homo/convert", json=REF, timeout=60).json()
    finally:
        stop_process_group(process, 15)
    assert answer["retcode"] == 0, answer
    estimator = joblib.load(root / "variables/data" / CPN / "model/converted_model/sklearn.joblib")
    ids, x = rows_of(CSVS[("guest", 9999)], answer["data"][0]["header"])
    assert np.allclose(estimator.predict_proba(x)[:, 1], [scores[("guest", 9999)][i] for i in ids], atol=1e-9)


def test_missing_model_and_unknown_framework_are_refused(client, settings):
    answer = post(client, "/v1/model/homo/convert", REF)
    assert answer["retcode"] == 100 and answer["retmsg"].startswith(
        f"Model {PARTY_MODEL_ID} {VERSION} does not exist"), answer
    answer = post(client, "/v1/model/homo/convert", {**REF, "framework_name": "pytorch"})
    assert answer["retcode"] == 100 and "framework_name" in answer["retmsg"] and "pytorch" in answer["retmsg"]


def test_deploy_without_kubernetes_answers_the_manifest_and_artifact(client, homo_model):
    answer = post(client, "/v1/model/homo/deploy", deploy_body())
    assert answer["retcode"] == 100 and "isn't converted" in answer["retmsg"]  # convert comes first
    assert post(client, "/v1/model/homo/convert", REF)["retcode"] == 0

    answer = post(client, "/v1/model/homo/deploy", deploy_body())
    artifact = homo_model / "variables/data" / CPN / "model/kfserving/breast-homo-lr"
    assert answer["retcode"] == 103, answer
    assert answer["retmsg"].startswith("No Kubernetes API is configured") and str(artifact) in answer["retmsg"]
    data = answer["data"]
    manifest = data["manifest"]
    assert manifest == {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "breast-homo-lr", "namespace": "default",
                     "annotations": {"fate-flow/party-model-id": PARTY_MODEL_ID, "fate-flow/model-version": VERSION,
                                     "fate-flow/component-name": CPN}},
        "spec": {"predictor": {"sklearn": {"storageUri": f"file://{artifact}"}}}}
    assert data["artifact_dir"] == str(artifact) and Path(data["model_file"]) == artifact / "model.joblib"
    assert yaml.safe_load(Path(data["manifest_path"]).read_text()) == manifest
    served = joblib.load(Path(manifest["spec"]["predictor"]["sklearn"]["storageUri"][len("file://"):]) /
                         "model.joblib")
    _, x = rows_of(CSVS[("guest", 9999)], answer_header(client))
    converted = joblib.load(homo_model / "variables/data" / CPN / "model/converted_model/sklearn.joblib")
    assert np.array_equal(served.predict_proba(x), converted.predict_proba(x))

    custom = post(client, "/v1/model/homo/deploy", deploy_body(
        deployment_parameters={"namespace": "fate", "storage_uri": "s3://models/breast", "protocol_version": "v2"}))
    assert custom["retcode"] == 103
    assert custom["data"]["manifest"]["metadata"]["namespace"] == "fate"
    assert custom["data"]["manifest"]["spec"] == {
        "predictor": {"sklearn": {"storageUri": "s3://models/breast", "protocolVersion": "v2"}}}


def answer_header(client) -> list[str]:
    return post(client, "/v1/model/homo/convert", REF)["data"][0]["header"]


@pytest.mark.parametrize("changes, field", [
    ({"deployment_type": "seldon"}, "deployment_type 'seldon' is not supported; the only deployment type is "
                                    "'kfserving'"),
    ({"service_id": "Breast_LR"}, "service_id 'Breast_LR' must be a Kubernetes name"),
    ({"deployment_parameters": {"replicas": 2}}, "deployment_parameters has unknown keys ['replicas']"),
    ({"component_name": "nope_0"}, "does not contain component nope_0; it holds homo_lr_0 (HomoLR: "),
])
def test_bad_deploy_requests_are_refused_naming_the_field(client, homo_model, changes, field):
    assert post(client, "/v1/model/homo/convert", REF)["retcode"] == 0
    answer = post(client, "/v1/model/homo/deploy", deploy_body(**changes))
    assert answer["retcode"] == 100 and field in answer["retmsg"], answer


def test_missing_deploy_fields_are_named(client):
    answer = post(client, "/v1/model/homo/deploy", {"model_id": MODEL_ID})
    assert answer == {"retcode": 100, "retmsg": "required parameters are missing: service_id,model_version,role,"
                                                "party_id,component_name,deployment_type;"}


class KubernetesApiStandIn:
    """A local HTTP server answering the InferenceService calls of the Kubernetes API, keeping what it got."""

    def __init__(self):
        self.calls: list[tuple[str, str, str, dict | None]] = []
        self.objects: dict[str, dict] = {}
        app = Flask("kube")
        base = "/apis/serving.kserve.io/v1beta1/namespaces/<ns>/inferenceservices"

        @app.post(base)
        def create(ns):
            body = request.get_json()
            self.calls.append(("POST", request.path, request.headers.get("Authorization", ""), body))
            name = body["metadata"]["name"]
            if name in self.objects:
                return jsonify({"kind": "Status", "message": f"inferenceservices {name!r} already exists",
                                "code": 409}), 409
            self.objects[name] = {**body, "metadata": {**body["metadata"], "uid": "uid-1", "resourceVersion": "1"}}
            return jsonify(self.objects[name]), 201

        @app.route(base + "/<name>", methods=["GET", "PUT"])
        def item(ns, name):
            body = request.get_json(silent=True)
            self.calls.append((request.method, request.path, request.headers.get("Authorization", ""), body))
            if request.method == "PUT":
                self.objects[name] = {**body, "metadata": {**body["metadata"], "uid": "uid-1", "resourceVersion": "2"}}
            return jsonify(self.objects[name])

        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(10)


def kubeconfig(port: int) -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fate",
        "clusters": [{"name": "local", "cluster": {
            "server": f"http://127.0.0.1:{port}", "certificate-authority-data": base64.b64encode(b"unused").decode()}}],
        "users": [{"name": "deployer", "user": {"token": "kube-TOKEN-42"}}],
        "contexts": [{"name": "fate", "context": {"cluster": "local", "user": "deployer", "namespace": "serving"}}]})


def test_deploy_creates_then_replaces_the_inference_service_through_the_kubernetes_api(client, homo_model):
    assert post(client, "/v1/model/homo/convert", REF)["retcode"] == 0
    with KubernetesApiStandIn() as kube:
        parameters = {"config_file_content": kubeconfig(kube.port)}
        answer = post(client, "/v1/model/homo/deploy", deploy_body(deployment_parameters=parameters))
        assert answer["retcode"] == 0, answer
        assert answer["retmsg"] == (f"An online serving service breast-homo-lr is started in the kfserving system "
                                    f"(namespace serving, Kubernetes API http://127.0.0.1:{kube.port}).")
        assert answer["data"]["created"] == {"name": "breast-homo-lr", "namespace": "serving", "uid": "uid-1",
                                             "resourceVersion": "1"}
        path = "/apis/serving.kserve.io/v1beta1/namespaces/serving/inferenceservices"
        assert kube.calls == [("POST", path, "Bearer kube-TOKEN-42", answer["data"]["manifest"])]

        again = post(client, "/v1/model/homo/deploy", deploy_body(deployment_parameters=parameters))
        assert again["retcode"] == 100 and "already exists" in again["retmsg"] and "replace" in again["retmsg"]
        assert "kube-TOKEN-42" not in json.dumps(again)

        replaced = post(client, "/v1/model/homo/deploy",
                        deploy_body(deployment_parameters={**parameters, "replace": True}))
        assert replaced["retcode"] == 0 and replaced["data"]["created"]["resourceVersion"] == "2", replaced
        assert [c[:2] for c in kube.calls[2:]] == [("POST", path), ("GET", f"{path}/breast-homo-lr"),
                                                   ("PUT", f"{path}/breast-homo-lr")]
        assert kube.calls[-1][3]["metadata"]["resourceVersion"] == "1"
        assert "kube-TOKEN-42" not in json.dumps(answer) + json.dumps(replaced)


def test_an_unreachable_kubernetes_api_is_named_without_its_token(client, homo_model):
    assert post(client, "/v1/model/homo/convert", REF)["retcode"] == 0
    url = f"http://127.0.0.1:{free_port()}"
    answer = post(client, "/v1/model/homo/deploy", deploy_body(
        deployment_parameters={"api_url": url, "token": "kube-TOKEN-42"}))
    assert answer["retcode"] == 105 and answer["retmsg"].startswith(f"cannot reach the Kubernetes API at {url}")
    assert "kube-TOKEN-42" not in json.dumps(answer)


def test_files_a_request_names_for_the_kubernetes_api_are_read_only_from_read_dirs(client, homo_model, settings,
                                                                                    tmp_path):
    """A kubeconfig's tokenFile is sent to the API server as a bearer token: pointed at the server's private key
    (or any of its state) it would carry the key off; such a file is refused and nothing is sent."""
    assert post(client, "/v1/model/homo/convert", REF)["retcode"] == 0
    key = settings.home / "keys" / "9999.pem"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nsecret\n")
    with KubernetesApiStandIn() as kube:
        config = yaml.safe_load(kubeconfig(kube.port))
        config["users"][0]["user"] = {"tokenFile": str(key)}
        answer = post(client, "/v1/model/homo/deploy", deploy_body(
            deployment_parameters={"config_file_content": yaml.safe_dump(config)}))
        assert answer["retcode"] == 100 and "part of the server's own state" in answer["retmsg"], answer
        answer = post(client, "/v1/model/homo/deploy", deploy_body(deployment_parameters={"config_file": str(key)}))
        assert answer["retcode"] == 100 and "part of the server's own state" in answer["retmsg"], answer
        assert kube.calls == [] and "secret" not in json.dumps(answer)

        token = tmp_path / "token"
        token.write_text("kube-TOKEN-7\n")
        config["users"][0]["user"] = {"tokenFile": "token"}  # relative to the kubeconfig's directory
        (tmp_path / "kubeconfig").write_text(yaml.safe_dump(config))
        answer = post(client, "/v1/model/homo/deploy", deploy_body(
            deployment_parameters={"config_file": str(tmp_path / "kubeconfig")}))
        assert answer["retcode"] == 0, answer
        assert kube.calls[0][2] == "Bearer kube-TOKEN-7"
