"""A real server keeps its federation (and its health check) while a flood of idle gRPC streams is open."""
import time

import grpc
import pytest

from tests.federation.test_idle_streams import CALL, IdleStreams
from tests.server_process import make_server

pytestmark = pytest.mark.slow


def test_health_check_answers_during_a_flood_of_idle_streams(tmp_path):
    server = make_server(tmp_path / "s", party_ids=(9999, 10000)).start()
    floods = []
    try:
        floods.append(IdleStreams(server.grpc_port, 80, channels=8))
        floods.append(IdleStreams(server.grpc_port, 20, method=CALL, channels=4))
        time.sleep(1.0)
        for _ in range(3):
            started = time.monotonic()
            answer = server.post("/v1/version/parties", json={"timeout": 5}, timeout=30).json()
            assert answer["retcode"] == 0 and answer["data"]["reachable"] == ["10000", "9999"], answer
            assert time.monotonic() - started < 5
        audit = (server.home / "logs" / "fate_flow" / "fate_flow_audit.log").read_text()
        assert "DataPlane/Push" in audit
    finally:
        for flood in floods:
            flood.close()
        server.stop()


def test_the_serving_keeps_its_model_service_during_a_flood_of_idle_partial_score_calls(tmp_path):
    """The serving's signed control plane (partners' partial scores) is awaited under the same admission limits:
    idle calls beyond the per-address cap are refused at once, so FATE-Flow's ModelService calls still answer."""
    from fate_flow.proto import model_service_pb2 as ms
    from tests.serving.serving_process import ServingProcess, make_server_with_serving, serving_conf

    serving = serving_conf()
    server = make_server_with_serving(tmp_path / "s", serving=serving)
    proc = ServingProcess.beside(server, serving).start()
    flood = None
    channel = None
    try:
        flood = IdleStreams(proc.grpc_port, 60, method=CALL, channels=6)
        time.sleep(1.0)
        channel, stub = proc.stub()
        started = time.monotonic()
        answer = stub.queryModel(ms.QueryModelRequest(), timeout=10)
        assert time.monotonic() - started < 5
        assert answer.retcode == "0", answer
        deadline = time.monotonic() + 10
        while len(flood.ended()) < 40 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert flood.ended().count(grpc.StatusCode.UNAVAILABLE) >= 40, "idle calls over the cap are refused at once"
    finally:
        if channel is not None:
            channel.close()
        if flood is not None:
            flood.close()
        proc.stop()
