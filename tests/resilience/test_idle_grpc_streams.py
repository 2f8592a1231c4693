"""A real server keeps its federation (and its health check) while a flood of idle gRPC streams is open."""
import time

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
