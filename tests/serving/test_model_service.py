"""The bundled serving as its own process beside a real flow server: FATE-Serving's ModelService over gRPC
(publishLoad, publishBind, queryModel, unbind, unload) and HTTP inference, on a model written by hand into the
flow server's model cache (guest: DataIO -> FeatureScale -> HeteroLR on x0..x9; host: DataIO -> HeteroLR on
x0..x19), so each score is checked against the plain formula sigmoid(w_g . scale(x_g) + b + w_h . x_h).

Party 10001 is routed to a port nobody listens on, for the "host unreachable" answer."""
import csv
import json

import numpy as np
import pytest

from fate_flow.model.pipeline import build_pipeline
from fate_flow.model.pipelined_model import BUFFER_TYPES_FILE, PipelinedModel
from fate_flow.proto import model_service_pb2 as pb
from fate_flow.proto.data_transform_pb2 import DataTransformMeta, DataTransformParam
from fate_flow.proto.feature_scale_pb2 import ScaleMeta, ScaleParam
from fate_flow.proto.lr_model_pb2 import LRModelMeta, LRModelParam
from fate_flow.settings import PROJECT_ROOT
from tests.conftest import free_port
from tests.serving.serving_process import ServingProcess, make_server_with_serving, serving_conf

pytestmark = pytest.mark.slow

DATA = PROJECT_ROOT / "examples" / "data"
MODEL_ID = "arbiter-10000#guest-9999#host-10000#model"
VERSION, VERSION_LOST_HOST = "202401010000000000001", "202401010000000000002"
GUEST_FEATURES = [f"x{i}" for i in range(10)]
HOST_FEATURES = [f"x{i}" for i in range(20)]
RNG = np.random.default_rng(7)
GUEST_W, HOST_W, INTERCEPT = RNG.normal(size=10), RNG.normal(size=20), 0.37
SCALE_LOW, SCALE_HIGH = -1.0, 2.0   # min-max scaling of x0 and x1 on the guest, clipped to this range


def namespace(role, party):
    return f"{role}#{party}#{MODEL_ID}"


def write_model(home, role, party, version, features, weights, intercept, scale: bool):
    root = home / "model_local_cache" / namespace(role, party) / version
    components = {"dataio_0": ("DataIO", "dataio", {
        "DataIOMeta": DataTransformMeta(input_format="dense", delimitor=",", data_type="float64"),
        "DataIOParam": DataTransformParam(header=features, sid_name="id")})}
    if scale:
        param = ScaleParam(header=features)
        for name in ("x0", "x1"):
            param.col_scale_param[name].column_lower = SCALE_LOW
            param.col_scale_param[name].column_upper = SCALE_HIGH
        components["feature_scale_0"] = ("FeatureScale", "scale", {
            "ScaleMeta": ScaleMeta(method="min_max_scale", mode="normal", scale_column=["x0", "x1"]),
            "ScaleParam": param})
    lr = LRModelParam(header=features, intercept=intercept)
    lr.weight.update({n: float(w) for n, w in zip(features, weights)})
    components["hetero_lr_0"] = ("HeteroLR", "hetero_lr", {
        "HeteroLogisticRegressionMeta": LRModelMeta(threshold=0.5, module="HeteroLR"),
        "HeteroLogisticRegressionParam": lr})
    dsl, previous = {"reader_0": {"module": "Reader"}}, "reader_0"
    for name, (module, alias, buffers) in components.items():
        directory = root / "variables" / "data" / name / alias
        directory.mkdir(parents=True)
        for buffer, message in buffers.items():
            (directory / buffer).write_bytes(message.SerializeToString())
        (directory / BUFFER_TYPES_FILE).write_text(json.dumps(
            {b: m.DESCRIPTOR.full_name for b, m in buffers.items()}))
        dsl[name] = {"module": module, "input": {"data": {"data": [f"{previous}.data"]},
                                                   "model": [f"pipeline.{name}.{alias}"]}}
        previous = name
    roles = {"guest": [9999], "host": [10000], "arbiter": [10000]}
    pipeline = build_pipeline(inference_dsl={"components": dsl}, train_dsl={"components": dsl},
                              train_runtime_conf={"dsl_version": 2}, model_id=MODEL_ID, model_version=version,
                              parent=False, roles=roles, work_mode=0, initiator_role="guest",
                              initiator_party_id=9999, runtime_conf_on_party={})
    PipelinedModel(root).save_pipeline(pipeline, {n: m for n, (m, _, _) in components.items()})


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("serving")
    home = base / "home"
    serving = serving_conf(route_table={"10001": {"host": "127.0.0.1", "grpc_port": free_port(),
                                                  "public_key": str(home / "keys" / "10000.pub.pem")}})
    server = make_server_with_serving(base, serving=serving).start()
    proc = ServingProcess.beside(server, serving)
    try:
        from fate_flow.client.http_client import FlowHttpClient
        answer = FlowHttpClient("127.0.0.1", server.http_port).upload(
            {"namespace": "experiment", "table_name": "breast_hetero_host", "head": 1, "partition": 4},
            DATA / "breast_hetero_host.csv")
        assert answer["retcode"] == 0, answer
        for version in (VERSION, VERSION_LOST_HOST):
            write_model(server.home, "guest", 9999, version, GUEST_FEATURES, GUEST_W, INTERCEPT, scale=True)
        write_model(server.home, "host", 10000, VERSION, HOST_FEATURES, HOST_W, 0.0, scale=False)
        proc.start()
        channel, stub = proc.stub()
        yield {"server": server, "serving": proc, "stub": stub,
               "transfer": f"http://127.0.0.1:{server.http_port}/v1/model/transfer"}
        channel.close()
    finally:
        proc.stop()
        server.stop()


def publish(local_role, local_party, version=VERSION, hosts=("10000",), file_path="", service_id=""):
    request = pb.PublishRequest(serviceId=service_id, filePath=file_path, loadType="FATEFLOW")
    request.local.role, request.local.partyId = local_role, str(local_party)
    for role, parties in (("guest", ["9999"]), ("host", list(hosts)), ("arbiter", ["10000"])):
        request.role[role].partyId.extend(parties)
        if role != "arbiter":
            for p in parties:
                info = request.model[role].roleModelInfo[p]
                info.namespace, info.tableName = namespace(role, p), version
    return request


def rows(limit):
    with open(DATA / "breast_hetero_guest.csv", newline="") as g, open(DATA / "breast_hetero_host.csv", newline="") as h:
        host = {r[0]: [float(v) for v in r[1:]] for r in list(csv.reader(h))[1:]}
        out = []
        for r in list(csv.reader(g))[1:limit + 1]:
            out.append((r[0], [float(v) for v in r[2:]], host[r[0]]))
    return out


def reference(guest_x, host_x):
    x = np.asarray(guest_x, dtype=float)
    x[:2] = (np.clip(x[:2], SCALE_LOW, SCALE_HIGH) - SCALE_LOW) / (SCALE_HIGH - SCALE_LOW)
    return 1.0 / (1.0 + np.exp(-(x @ GUEST_W + INTERCEPT + np.asarray(host_x) @ HOST_W)))


def load_and_bind(env, service_id="lr-svc"):
    stub = env["stub"]
    for role, party in (("guest", 9999), ("host", 10000)):
        answer = stub.publishLoad(publish(role, party, file_path=env["transfer"]), timeout=30)
        assert answer.statusCode == 0, answer
    answer = stub.publishBind(publish("guest", 9999, service_id=service_id), timeout=30)
    assert (answer.statusCode, answer.message) == (0, f"service id is {service_id}")


def test_load_query_bind_and_infer_against_the_plain_formula(env):
    load_and_bind(env)
    listed = env["stub"].queryModel(pb.QueryModelRequest(), timeout=10)
    assert listed.retcode == "0"
    assert {(m.namespace, m.tableName, m.serviceId) for m in listed.modelInfos} == {
        (namespace("guest", 9999), VERSION, "lr-svc"), (namespace("host", 10000), VERSION, "")}
    guest_only = env["stub"].queryModel(pb.QueryModelRequest(serviceId="lr-svc"), timeout=10)
    assert [m.namespace for m in guest_only.modelInfos] == [namespace("guest", 9999)]
    assert json.loads(guest_only.modelInfos[0].content)["components"] == [
        "reader_0", "dataio_0", "feature_scale_0", "hetero_lr_0"]
    for sample_id, guest_x, host_x in rows(15):
        answer = env["serving"].infer("lr-svc", dict(zip(GUEST_FEATURES, guest_x)), {"id": sample_id})
        assert answer["retcode"] == 0, answer
        assert answer["data"]["score"] == pytest.approx(reference(guest_x, host_x), abs=1e-12)
        assert (answer["data"]["modelId"], answer["data"]["modelVersion"]) == (namespace("guest", 9999), VERSION)


def test_publish_load_refusals_name_what_is_wrong(env):
    stub = env["stub"]
    stranger = stub.publishLoad(publish("guest", 12345, file_path=env["transfer"]), timeout=30)
    assert stranger.statusCode != 0 and "party 12345 is not served here" in stranger.message
    unknown = stub.publishLoad(publish("guest", 9999, version="1999", file_path=env["transfer"]), timeout=30)
    assert unknown.statusCode != 0 and "1999" in unknown.message, unknown
    bad_path = stub.publishLoad(publish("guest", 9999, file_path="ftp://somewhere/model"), timeout=30)
    assert bad_path.statusCode != 0 and "filePath" in bad_path.message, bad_path
    no_service = stub.publishBind(publish("guest", 9999), timeout=30)
    assert no_service.statusCode != 0 and "no service id" in no_service.message
    not_loaded = stub.publishBind(publish("guest", 9999, version="1999", service_id="x"), timeout=30)
    assert not_loaded.statusCode == 101 and "not loaded" in not_loaded.message


def test_inference_errors(env):
    load_and_bind(env)
    serving = env["serving"]
    sample_id, guest_x, _ = rows(1)[0]
    features = dict(zip(GUEST_FEATURES, guest_x))
    unknown = serving.infer("nobody", features, {"id": sample_id})
    assert unknown["retcode"] == 101 and "service id 'nobody' is not bound" in unknown["retmsg"], unknown
    missing = serving.infer("lr-svc", {k: v for k, v in features.items() if k not in ("x4", "x7")}, {"id": sample_id})
    assert missing["retcode"] == 102 and "guest party 9999: missing feature(s) x4, x7" in missing["retmsg"], missing
    no_id = serving.infer("lr-svc", features, {})
    assert no_id["retcode"] == 100 and "sendToRemoteFeatureData" in no_id["retmsg"], no_id
    not_number = serving.infer("lr-svc", {**features, "x2": "abc"}, {"id": sample_id})
    assert not_number["retcode"] == 102 and "x2" in not_number["retmsg"], not_number
    no_row = serving.infer("lr-svc", features, {"id": "nope"})
    assert no_row["retcode"] == 102 and "host party 10000" in no_row["retmsg"] and "'nope'" in no_row["retmsg"]
    import requests
    bad = requests.post(serving.base_url + "/federation/v1/inference", data=b"{not json", timeout=10).json()
    assert bad["retcode"] == 100 and "not JSON" in bad["retmsg"]
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", serving.http_port, timeout=10)
    try:
        connection.putrequest("POST", "/federation/v1/inference")
        connection.putheader("Content-Length", "-5")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400 and "bad Content-Length '-5'" in response.read().decode()
    finally:
        connection.close()

    # a guest model whose host (10001) is routed to a port nobody listens on
    stub = env["stub"]
    loaded = stub.publishLoad(publish("guest", 9999, version=VERSION_LOST_HOST, hosts=("10001",),
                                      file_path=env["transfer"]), timeout=30)
    assert loaded.statusCode == 0, loaded
    bind = publish("guest", 9999, version=VERSION_LOST_HOST, hosts=("10001",), service_id="lost-host")
    assert stub.publishBind(bind, timeout=30).statusCode == 0
    port = [r["grpc_port"] for p, r in serving_conf_routes(env).items() if p == "10001"][0]
    lost = serving.infer("lost-host", features, {"id": sample_id})
    assert lost["retcode"] == 104, lost
    assert "host party 10001" in lost["retmsg"] and f"127.0.0.1:{port}" in lost["retmsg"], lost


def serving_conf_routes(env):
    import yaml
    return yaml.safe_load(env["server"].conf_path.read_text())["serving"]["route_table"]


def test_unbind_and_unload(env):
    load_and_bind(env, "to-drop")
    stub, serving = env["stub"], env["serving"]
    sample_id, guest_x, _ = rows(1)[0]
    features = dict(zip(GUEST_FEATURES, guest_x))
    assert serving.infer("to-drop", features, {"id": sample_id})["retcode"] == 0
    wrong = stub.unbind(pb.UnbindRequest(serviceId="to-drop", namespace=namespace("host", 10000),
                                         tableName=VERSION), timeout=10)
    assert wrong.statusCode == "101" and "is bound to" in wrong.message
    assert stub.unbind(pb.UnbindRequest(serviceId="to-drop"), timeout=10).statusCode == "0"
    assert serving.infer("to-drop", features, {"id": sample_id})["retcode"] == 101
    again = stub.unbind(pb.UnbindRequest(serviceId="to-drop"), timeout=10)
    assert again.statusCode == "101" and "not bound" in again.message

    load_and_bind(env, "also-drop")
    guest = pb.UnloadRequest(namespace=namespace("guest", 9999), tableName=VERSION)
    unloaded = stub.unload(guest, timeout=10)
    assert unloaded.statusCode == "0" and "also-drop" in unloaded.message, unloaded
    assert serving.infer("also-drop", features, {"id": sample_id})["retcode"] == 101
    listed = stub.queryModel(pb.QueryModelRequest(namespace=namespace("guest", 9999), tableName=VERSION), timeout=10)
    assert list(listed.modelInfos) == []
    assert stub.unload(guest, timeout=10).statusCode == "101"
