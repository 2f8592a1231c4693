"""Data-plane keys are identifiers too: a value pushed in a genuine session (signed handshake, valid MAC) whose key
names a job id, role or party id that is not one is refused before anything is stored, and the refusal is
written to the audit log."""
from __future__ import annotations

import json
import logging

import grpc
import pytest

from fate_flow.federation import PartyRef
from fate_flow.proto import federation_pb2 as pb
from tests.federation.test_data_plane import GUEST, HOST, data_stub, mac_trailer, open_session, stored_files


@pytest.mark.parametrize("change, field", [({"job_id": "../../../x"}, "job_id"), ({"tag": "a/b"}, "tag"),
                                            ({"name": "x\x00y"}, "name"), ({"job_id": "j" * 26}, "job_id")])
def test_a_value_whose_key_is_not_made_of_identifiers_is_refused_and_not_stored(start_sites, caplog, change, field):
    sites = start_sites({"g": ["9999"], "h": ["10000"]})
    session = open_session(sites["g"], sites["h"])
    key = pb.ValueKey(**{"job_id": "j", "name": "v", "tag": "0", **change}, src=GUEST.to_pb(), dst=HOST.to_pb())
    header = pb.ValueHeader(key=key, kind=pb.OBJECT, session_id=session.session_id, counter=session.next_counter())
    frames = [pb.ValueFrame(header=header), pb.ValueFrame(chunk=b"value"),
              pb.ValueFrame(trailer=mac_trailer(session, header, b"value"))]
    with caplog.at_level(logging.WARNING, logger="fate_flow.audit"), pytest.raises(grpc.RpcError) as error:
        data_stub(sites["h"]).Push(iter(frames), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details().startswith(f"data-plane key: parameter {field} must be"), error.value.details()
    assert stored_files(sites["h"]) == [] and sites["h"].handle.server.store.count() == 0
    [record] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "fate_flow.audit"]
    assert record["route"] == "DataPlane/Push" and record["field"] == field
    assert record["client"].startswith("party 9999 at ")


def test_a_read_of_a_key_with_a_traversal_role_is_refused(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"]})
    reader = sites["h"].client.session("j", HOST)
    with pytest.raises(Exception, match="data-plane key: parameter src.role must be a role"):
        reader.get("v", "0", [PartyRef("../guest", "9999")], timeout=2)
