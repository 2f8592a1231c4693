"""/v1/model/load (contract §1.5.1, §2.4 load/do, §8.5), /v1/model/bind (§1.5.2) and our /v1/model/unload and
/v1/model/unbind, against a real gRPC ModelService on 127.0.0.1 that records what it receives (it stands in
for FATE-Serving, an external Java product) and, like FATE-Serving, downloads the model from the filePath it
is given.

Load runs on two real servers that know each other only by their route tables: guest 9999 (servings from
`servings.hosts`) and host 10000 (servings from the bundled serving's `serving: {host, grpc_port}` section);
each party publishes to its own serving. Bind/unload/unbind are local and run on the app. One test runs the
real bundled serving (`python -m fate_flow.serving`) behind `serving:`."""
from __future__ import annotations

import base64
import contextlib
import importlib.util
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent import futures
from dataclasses import replace
from types import MappingProxyType

import grpc
import pytest
import requests
import yaml

from fate_flow.proto import model_service_pb2 as pb
from fate_flow.proto import model_service_pb2_grpc as pb_grpc
from fate_flow.proto.pipeline_pb2 import Pipeline
from tests.api.test_model_store import make_model, post
from tests.conftest import free_port, make_settings
from tests.federation.servers import make_federated_servers
from tests.server_process import make_server

MODEL_ID = "arbiter-10000#guest-9999#host-10000#model"
ROLES = {"guest": [9999], "host": [10000], "arbiter": [10000]}
STR_ROLES = {role: [str(p) for p in ids] for role, ids in ROLES.items()}
VERSION = "202103311200000123451"
NOT_DEPLOYED = ("Only deployed models could be used to execute process of loading. Please deploy model before "
                "loading.")


class RecordingServing(pb_grpc.ModelServiceServicer):
    """A ModelService that records every request; publishLoad fetches the model from `filePath` as FATE-Serving
    does (the answer is kept in `transfers`); `fail_with` makes publish calls answer that status."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.requests: list[tuple[str, object]] = []
        self.transfers: list[dict] = []
        self.fail_with: tuple[int, str, str] | None = None
        self.lock = threading.Lock()
        self.server = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "RecordingServing":
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pb_grpc.add_ModelServiceServicer_to_server(self, self.server)
        self.server.add_insecure_port(self.address)
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(0).wait(5)
            self.server = None

    def take(self) -> list[tuple[str, object]]:
        """The requests received since the last take, oldest first."""
        with self.lock:
            taken, self.requests = self.requests, []
        return taken

    def _record(self, method: str, request) -> None:
        with self.lock:
            self.requests.append((method, request))

    def _published(self) -> pb.PublishResponse:
        if self.fail_with:
            status, message, error = self.fail_with
            return pb.PublishResponse(statusCode=status, message=message, error=error)
        return pb.PublishResponse(statusCode=0, message="success")

    def publishLoad(self, request, context):
        self._record("publishLoad", request)
        model = request.model[request.local.role].roleModelInfo[request.local.partyId]
        answer = requests.post(request.filePath, json={"namespace": model.namespace, "name": model.tableName},
                               timeout=30).json()
        with self.lock:
            self.transfers.append(answer)
        return self._published()

    def publishBind(self, request, context):
        self._record("publishBind", request)
        return self._published()

    def unload(self, request, context):
        self._record("unload", request)
        return pb.UnloadResponse(statusCode="0", message="success")

    def unbind(self, request, context):
        self._record("unbind", request)
        return pb.UnbindResponse(statusCode="0", message="success")


def expected_load_request(local_role: str, local_party: str, version: str, http_port: int) -> pb.PublishRequest:
    """§8.5 publishLoad, written out field by field."""
    request = pb.PublishRequest()
    request.local.role, request.local.partyId = local_role, local_party
    for role, parties in STR_ROLES.items():
        request.role[role].partyId.extend(parties)
        for party in parties:
            request.model[role].roleModelInfo[party].tableName = version
            request.model[role].roleModelInfo[party].namespace = f"{role}#{party}#{MODEL_ID}"
    request.loadType = "FATEFLOW"
    request.filePath = f"http://127.0.0.1:{http_port}/v1/model/transfer"
    return request


def load_body(version: str) -> dict:
    return {"initiator": {"party_id": "9999", "role": "guest"}, "role": STR_ROLES,
            "job_parameters": {"work_mode": 1, "model_id": MODEL_ID, "model_version": version}}


def db_rows(server, sql: str, *args) -> list[tuple]:
    db = sqlite3.connect(server.home / "fate_flow.db")
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def set_conf(server, **sections) -> None:
    conf = yaml.safe_load(server.conf_path.read_text())
    conf.update(sections)
    server.conf_path.write_text(yaml.safe_dump(conf))



# ---------------------------------------------------------------------------------------------- load (two servers)
@pytest.fixture(scope="module")
def parties(tmp_path_factory):
    """guest 9999 and host 10000 on two servers, each with its own recording serving (the guest's server has a
    second one, guest2), and a model trained on
    both (written as a training job leaves it) then deployed through /v1/model/deploy: (servers, servings,
    child version)."""
    base = tmp_path_factory.mktemp("load")
    servers = make_federated_servers(base, {"guest": ["9999"], "host": ["10000"]})
    servings = {"guest": RecordingServing().start(), "host": RecordingServing().start(),
                "guest2": RecordingServing().start()}
    set_conf(servers["guest"], servings={"hosts": [servings["guest"].address, servings["guest2"].address],
                                         "timeout": 3})
    set_conf(servers["host"], serving={"host": "0.0.0.0", "grpc_port": servings["host"].port})
    for name, role, party in (("guest", "guest", "9999"), ("host", "host", "10000"), ("host", "arbiter", "10000")):
        settings = make_settings(servers[name].home, servers[name].conf_path)
        make_model(settings, role, party, model_id=MODEL_ID, roles=ROLES, weights=f"w-{role}".encode())
    try:
        for server in servers.values():
            server.start()
        deployed = servers["guest"].post("/v1/model/deploy", json={"model_id": MODEL_ID,
                                                                   "model_version": VERSION}).json()
        assert deployed["retcode"] == 0, deployed
        yield servers, servings, deployed["data"]["model_version"]
    finally:
        for server in servers.values():
            server.stop()
        for serving in servings.values():
            serving.stop()


@pytest.mark.slow
def test_load_publishes_each_partys_model_to_its_own_serving_with_the_exact_payload(parties):
    servers, servings, child = parties
    for serving in servings.values():
        serving.take()
    answer = servers["guest"].post("/v1/model/load", json=load_body(child)).json()
    assert answer["retcode"] == 0 and answer["retmsg"] == "success" and answer["jobId"].isdigit(), answer
    assert answer["data"] == {"guest": {"9999": 0}, "host": {"10000": 0},
                              "detail": {"guest": {"9999": {"retcode": 0, "retmsg": "success"}},
                                         "host": {"10000": {"retcode": 0, "retmsg": "success"}}}}
    # the arbiter is not loaded; each party calls its own serving with its own transfer URL
    for name, role, party in (("guest", "guest", "9999"), ("host", "host", "10000")):
        [(method, request)] = servings[name].take()
        assert method == "publishLoad"
        assert request == expected_load_request(role, party, child, servers[name].http_port), request
    # each serving downloaded its party's buffers from that URL
    for name, role in (("guest", "guest"), ("host", "host")):
        transfer = servings[name].transfers[-1]
        assert transfer["retcode"] == 0, transfer
        pipeline = Pipeline.FromString(base64.b64decode(transfer["data"]["pipeline.pipeline:Pipeline"]))
        assert (pipeline.model_version, pipeline.parent) == (child, False)
        assert set(transfer["data"]) == {"pipeline.pipeline:Pipeline", "trainer_0.model:TestModelParam",
                                         "trainer_0.model:TestModelWeights"}
    # counted, backed up and logged on each party
    for name, role, party in (("guest", "guest", "9999"), ("host", "host", "10000")):
        server = servers[name]
        assert db_rows(server, "select f_loaded_times from t_machine_learning_model_info where f_role=? and "
                               "f_party_id=? and f_model_version=?", role, party, child) == [(1,)]
        backup = server.home / "loaded_model_backup" / f"{role}#{party}#{MODEL_ID}" / child
        assert (backup / "pipeline.pb").is_file()
        assert db_rows(server, "select f_operation_status, f_initiator_role, f_initiator_party_id from "
                               "t_model_operation_log where f_operation_type='load' and f_model_version=?",
                       child) == [("success", "guest", "9999")]


@pytest.mark.slow
def test_load_calls_the_servings_the_request_names_among_the_configured_ones(parties):
    servers, servings, child = parties
    for serving in servings.values():
        serving.take()
    chosen = servings["guest2"].address
    answer = servers["guest"].post("/v1/model/load", json={**load_body(child), "servings": [f"http://{chosen}"]})
    assert answer.json()["retcode"] == 0, answer.json()
    # the guest's server calls only the named one of its servings; the host's server its own configured one
    assert [m for m, _ in servings["guest2"].take()] == ["publishLoad"] and servings["guest"].take() == []
    [(_, request)] = servings["host"].take()
    assert request == expected_load_request("host", "10000", child, servers["host"].http_port)

    down = f"127.0.0.1:{free_port()}"
    for address in (servings["host"].address, down):  # listening or not: the same answer, no call
        answer = servers["guest"].post("/v1/model/load", json={**load_body(child), "servings": [chosen, address]})
        assert answer.json() == {"retcode": 101, "retmsg": f"parameter servings: {address!r} is not one of the "
                                 f"servings this server is configured with (servings or serving: in its service "
                                 f"conf)"}, answer.json()
    assert all(s.take() == [] for s in servings.values())
    audit_log = (servers["guest"].home / "logs" / "fate_flow" / "fate_flow_audit.log").read_text()
    assert audit_log.count('"route": "/v1/model/load"') == 2 and down in audit_log


@pytest.mark.slow
def test_form_b_loads_the_model_of_a_version_and_an_unknown_version_is_named(parties):
    servers, servings, child = parties
    answer = servers["guest"].post("/v1/model/load", json={"job_id": child}).json()
    assert answer["retcode"] == 0 and answer["data"]["host"] == {"10000": 0}, answer
    [(_, request)] = servings["host"].take()
    assert request == expected_load_request("host", "10000", child, servers["host"].http_port)
    servings["guest"].take()

    answer = servers["guest"].post("/v1/model/load", json={"job_id": "20200101000000000000"}).json()
    assert (answer["retcode"], answer["retmsg"]) == (
        101, "model with version 20200101000000000000 can not be found in database. Please check if the model "
             "version is valid."), answer


@pytest.mark.slow
def test_a_trained_model_that_was_not_deployed_is_refused_on_every_party(parties):
    servers, servings, _ = parties
    answer = servers["guest"].post("/v1/model/load", json=load_body(VERSION)).json()
    assert (answer["retcode"], answer["retmsg"]) == (101, "failed"), answer
    assert answer["data"]["guest"] == {"9999": 100} and answer["data"]["host"] == {"10000": 100}
    for role, party in (("guest", "9999"), ("host", "10000")):
        assert answer["data"]["detail"][role][party] == {"retcode": 100, "retmsg": NOT_DEPLOYED}
    assert servings["guest"].take() == [] and servings["host"].take() == []


@pytest.mark.slow
def test_a_serving_that_is_down_fails_its_party_by_name_and_the_others_are_still_reported(parties):
    servers, servings, child = parties
    host_serving = servings["host"]
    host_serving.stop()  # its port is now free, nothing listens there
    try:
        started = time.monotonic()
        answer = servers["guest"].post("/v1/model/load", json=load_body(child)).json()
        elapsed = time.monotonic() - started
    finally:
        servings["host"] = RecordingServing(host_serving.port).start()
    assert elapsed < 20, elapsed
    assert (answer["retcode"], answer["retmsg"]) == (101, "failed"), answer
    assert answer["data"]["guest"] == {"9999": 0} and answer["data"]["host"] == {"10000": 100}, answer
    assert answer["data"]["detail"]["guest"]["9999"] == {"retcode": 0, "retmsg": "success"}
    detail = answer["data"]["detail"]["host"]["10000"]
    assert detail["retcode"] == 100
    for words in ("host party 10000", f"127.0.0.1:{host_serving.port}", "unreachable", f"host#10000#{MODEL_ID}"):
        assert words in detail["retmsg"], detail
    # the failed load is not counted but is logged
    assert db_rows(servers["host"], "select f_operation_status from t_model_operation_log where "
                                    "f_operation_type='load' and f_model_version=? order by rowid desc limit 1",
                   child) == [("failed",)]


@pytest.mark.slow
def test_a_party_whose_server_is_not_routed_is_100_and_the_others_are_reported(parties):
    servers, servings, child = parties
    body = load_body(child)
    body["role"] = {**STR_ROLES, "host": ["10000", "10001"]}
    answer = servers["guest"].post("/v1/model/load", json=body).json()
    assert answer["retcode"] == 101 and answer["data"]["guest"] == {"9999": 0}, answer
    assert answer["data"]["host"] == {"10000": 0, "10001": 100}
    assert "10001" in answer["data"]["detail"]["host"]["10001"]["retmsg"]
    servings["guest"].take()
    servings["host"].take()


@pytest.mark.slow
def test_load_requests_missing_fields_are_named(parties):
    servers, _, child = parties
    cases = [({}, "initiator"), ({**load_body(child), "job_parameters": {"model_id": MODEL_ID}},
                                 "job_parameters.model_version"),
             ({**load_body(child), "role": {"guest": "9999"}}, "role.guest"),
             ({**load_body(child), "initiator": {"role": "guest", "party_id": "10000"}}, "not hosted by this server")]
    for body, words in cases:
        answer = servers["guest"].post("/v1/model/load", json=body).json()
        assert answer["retcode"] == 100 and words in answer["retmsg"], (body, answer)


# ---------------------------------------------------------------------------------------------- bind, unload, unbind
@pytest.fixture
def serving():
    recorder = RecordingServing().start()
    yield recorder
    recorder.stop()


@pytest.fixture
def settings(settings, serving):
    """The app's conf names `serving` as its only serving (the bundled serving's section)."""
    raw = {k: v for k, v in settings.raw.items() if k not in ("servings", "serving")}
    return replace(settings, raw=MappingProxyType({**raw, "serving": {"host": "127.0.0.1",
                                                                      "grpc_port": serving.port}}))


def bind_body(**changes) -> dict:
    return {"service_id": "lr-service", "initiator": {"party_id": "9999", "role": "guest"}, "role": STR_ROLES,
            "job_parameters": {"work_mode": 1, "model_id": MODEL_ID, "model_version": VERSION}, **changes}


def expected_bind_request(service_id: str = "lr-service") -> pb.PublishRequest:
    request = pb.PublishRequest(serviceId=service_id)
    for role, parties in STR_ROLES.items():
        request.role[role].partyId.extend(parties)
    request.model["guest"].roleModelInfo["9999"].tableName = VERSION
    request.model["guest"].roleModelInfo["9999"].namespace = f"guest#9999#{MODEL_ID}"
    request.local.role, request.local.partyId = "guest", "9999"
    return request


@pytest.mark.parametrize("conf, servings", [
    ({"servings": {"hosts": ["10.0.0.1:8000", "10.0.0.2:8000"]}, "serving": {"grpc_port": 1}},
     ["10.0.0.1:8000", "10.0.0.2:8000"]),
    ({"servings": ["10.0.0.3:8000"]}, ["10.0.0.3:8000"]),
    ({"serving": {"host": "0.0.0.0", "grpc_port": 8100}}, ["127.0.0.1:8100"]),
    ({"serving": {"host": "10.0.0.4"}}, ["10.0.0.4:8000"]),
    ({"servings": {"hosts": []}}, []),
    ({}, []),
])
def test_servings_resolution_from_the_service_conf(settings, conf, servings):
    from fate_flow.services.models.serving_client import configured_servings
    raw = {k: v for k, v in settings.raw.items() if k not in ("servings", "serving")}
    assert configured_servings(replace(settings, raw=MappingProxyType({**raw, **conf}))) == servings


def test_bind_publishes_the_initiators_model_under_the_service_id(client, serving):
    answer = post(client, "/v1/model/bind", bind_body())
    assert answer["retcode"] == 0 and answer["retmsg"] == "service id is lr-service", answer
    assert serving.take() == [("publishBind", expected_bind_request())]


@contextlib.contextmanager
def client_with_servings(settings, hosts: list[str]):
    """A test client of an app whose conf lists `hosts` as its servings."""
    from tests.conftest import make_app
    from fate_flow.db.base import DB
    raw = {k: v for k, v in settings.raw.items() if k not in ("servings", "serving")}
    app = make_app(replace(settings, raw=MappingProxyType({**raw, "servings": {"hosts": hosts, "timeout": 3}})))
    try:
        yield app.test_client()
    finally:
        DB.obj.close()


def test_bind_uses_the_servings_of_the_request_when_given(settings, serving):
    other = RecordingServing().start()
    try:
        with client_with_servings(settings, [serving.address, other.address]) as client:
            answer = post(client, "/v1/model/bind", bind_body(servings=[f"http://{other.address}"]))
        assert answer["retcode"] == 0, answer
        assert other.take() == [("publishBind", expected_bind_request())] and serving.take() == []
    finally:
        other.stop()


def test_a_serving_the_conf_does_not_name_is_never_called(client, serving, caplog):
    """Servings are not a proxy: the answer is the same whether something listens at the address or not."""
    listening = RecordingServing().start()
    closed = f"127.0.0.1:{free_port()}"
    try:
        answers = {}
        for address in (listening.address, closed):
            servings = [serving.address, address]
            ref = {"model_id": MODEL_ID, "model_version": VERSION, "role": "host", "party_id": "10000",
                   "service_id": "lr-service", "servings": servings}
            for path, body in (("/v1/model/bind", bind_body(servings=servings)), ("/v1/model/unload", ref),
                               ("/v1/model/unbind", ref)):
                answers[address, path] = post(client, path, body)
        for (address, path), answer in answers.items():
            assert answer == {"retcode": 101, "retmsg": f"parameter servings: {address!r} is not one of the servings "
                              f"this server is configured with (servings or serving: in its service conf)"}, path
        assert listening.take() == [] and serving.take() == []
    finally:
        listening.stop()
    refused = [r.getMessage() for r in caplog.records if r.name == "fate_flow.audit"]
    assert len(refused) == 6 and all('"route": "/v1/model/' in r and "is not one of the servings" in r
                                     for r in refused)


def test_bind_form_b_fills_the_request_from_the_guest_model(client, settings, serving):
    make_model(settings, "guest", "9999", model_id=MODEL_ID, roles=ROLES)
    answer = post(client, "/v1/model/bind", {"job_id": VERSION, "service_id": "lr-service"})
    assert answer["retcode"] == 0, answer
    assert serving.take() == [("publishBind", expected_bind_request())]


def test_bind_without_service_id_or_servings(client, settings, serving):
    answer = post(client, "/v1/model/bind", bind_body(service_id=None))
    assert (answer["retcode"], answer["retmsg"]) == (101, "no service id"), answer
    answer = post(client, "/v1/model/bind", bind_body(service_id=""))
    assert (answer["retcode"], answer["retmsg"]) == (101, "no service id"), answer
    assert serving.take() == []


def test_bind_with_no_servings_configured(settings):
    from tests.conftest import make_app
    from fate_flow.db.base import DB
    bare = replace(settings, raw=MappingProxyType({k: v for k, v in settings.raw.items() if k != "serving"}))
    try:
        answer = make_app(bare).test_client().post("/v1/model/bind", json=bind_body()).get_json()
    finally:
        DB.obj.close()
    assert (answer["retcode"], answer["retmsg"]) == (100, "Please configure servings address"), answer


def test_a_serving_refusal_is_answered_with_its_status_and_message(client, serving):
    serving.fail_with = (104, "model not loaded", "detail")
    answer = post(client, "/v1/model/bind", bind_body())
    assert (answer["retcode"], answer["retmsg"]) == (104, "model not loaded"), answer


def test_bind_to_a_serving_that_is_down_names_the_address(settings):
    down = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with client_with_servings(settings, [down]) as client:
        answer = post(client, "/v1/model/bind", bind_body())
    assert time.monotonic() - started < 10
    assert answer["retcode"] == 100 and down in answer["retmsg"] and "unreachable" in answer["retmsg"], answer


@pytest.mark.parametrize("servings, retcode, words", [
    (["no-port"], 101, "'no-port' is not one of the servings"), ("x:y", 101, "'x:y' is not one of"),
    ({"a": 1}, 100, "parameter servings must be a list")])
def test_bad_servings_are_named(client, servings, retcode, words):
    answer = post(client, "/v1/model/bind", bind_body(servings=servings))
    assert answer["retcode"] == retcode and words in answer["retmsg"], answer


def test_unload_and_unbind_call_the_serving_for_one_party_model(client, serving):
    ref = {"model_id": MODEL_ID, "model_version": VERSION, "role": "host", "party_id": "10000"}
    answer = post(client, "/v1/model/unload", ref)
    assert answer["retcode"] == 0, answer
    answer = post(client, "/v1/model/unbind", {**ref, "service_id": "lr-service"})
    assert answer["retcode"] == 0, answer
    namespace = f"host#10000#{MODEL_ID}"
    assert serving.take() == [("unload", pb.UnloadRequest(tableName=VERSION, namespace=namespace)),
                              ("unbind", pb.UnbindRequest(serviceId="lr-service", tableName=VERSION,
                                                          namespace=namespace))]
    answer = post(client, "/v1/model/unbind", ref)
    assert (answer["retcode"], answer["retmsg"]) == (101, "no service id"), answer
    answer = post(client, "/v1/model/unload", {**ref, "party_id": None})
    assert answer["retcode"] == 100 and "party_id" in answer["retmsg"], answer


# ---------------------------------------------------------------------------------------------- the bundled serving
def distinct_free_ports(count: int) -> list[int]:
    """`count` free loopback ports, all different (held open together while they are picked)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_load_bind_unload_against_the_bundled_serving_process(tmp_path):
    """The real `python -m fate_flow.serving` behind `serving:`: load reaches it, it downloads the model through
    /v1/model/transfer and answers for itself (this test model's component is not one it runs online, so its
    refusal names it); bind of a model it does not hold and unload are its own answers too."""
    if importlib.util.find_spec("fate_flow.serving.server") is None:
        pytest.skip("the bundled serving (fate_flow/serving/server.py) does not exist yet")
    grpc_port, http_port, flow_http, flow_grpc = distinct_free_ports(4)
    server = make_server(tmp_path / "s", party_ids=[9999, 10000], http_port=flow_http, grpc_port=flow_grpc,
                         extra_conf={"route_table": {}, "serving": {"host": "127.0.0.1", "grpc_port": grpc_port,
                                                                     "http_port": http_port}})
    for role, party in (("guest", "9999"), ("host", "10000"), ("arbiter", "10000")):
        make_model(make_settings(server.home, server.conf_path), role, party, model_id=MODEL_ID, roles=ROLES)
    serving = None
    try:
        server.start()  # makes the party keys the serving signs with
        log = open(tmp_path / "serving.log", "wb")
        serving = subprocess.Popen([sys.executable, "-m", "fate_flow.serving", "--conf", str(server.conf_path)],
                                   env=server.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        ready = grpc.channel_ready_future(grpc.insecure_channel(f"127.0.0.1:{grpc_port}"))
        deadline = time.monotonic() + 30
        while not ready.done() and serving.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not ready.done():
            ready.cancel()
            pytest.fail(f"the serving did not listen within 30 s: {(tmp_path / 'serving.log').read_text()[-2000:]}")
        child = server.post("/v1/model/deploy", json={"model_id": MODEL_ID, "model_version": VERSION}).json()
        child = child["data"]["model_version"]

        answer = server.post("/v1/model/load", json=load_body(child)).json()
        assert (answer["retcode"], answer["retmsg"]) == (101, "failed"), answer
        for role, party in (("guest", "9999"), ("host", "10000")):
            detail = answer["data"]["detail"][role][party]
            assert detail["retcode"] not in (0, 100), detail  # the serving's own status, not "unreachable"
            assert "TestModelTrainer" in detail["retmsg"] and "cannot run in the bundled serving" in detail["retmsg"]

        answer = server.post("/v1/model/bind", json=bind_body(job_parameters={"model_id": MODEL_ID,
                                                                              "model_version": child})).json()
        assert answer["retcode"] != 0 and answer["retmsg"], answer
        answer = server.post("/v1/model/unload", json={"model_id": MODEL_ID, "model_version": child,
                                                        "role": "guest", "party_id": "9999"}).json()
        assert answer["retcode"] != 0 and f"guest#9999#{MODEL_ID}" in answer["retmsg"], answer
    finally:
        if serving is not None:
            serving.terminate()
            try:
                serving.wait(10)
            except subprocess.TimeoutExpired:
                serving.kill()
                serving.wait(10)
        server.stop()
