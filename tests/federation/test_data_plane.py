"""Data plane between real gRPC servers on 127.0.0.1: remote/get of values and tables, and its faults."""
import logging
import time

import grpc
import numpy as np
import pytest

from fate_flow.federation import (AuthenticationError, FederationError, GetTimeoutError, MessageTooLargeError,
                                  Pairs, PartyRef)
from fate_flow.federation import signing
from fate_flow.federation.framing import SMALL_VALUE_BYTES, ChunkDigest
from fate_flow.federation.sessions import SenderSessions
from fate_flow.federation.signing import key_fields
from fate_flow.federation.transport import PUSH_SMALL, SMALL_HEADER_KEY, SMALL_TRAILER_KEY
from fate_flow.proto import federation_pb2 as pb
from fate_flow.proto import federation_pb2_grpc as pb_grpc

GUEST, HOST, ARBITER = PartyRef("guest", "9999"), PartyRef("host", "10000"), PartyRef("arbiter", "10001")


@pytest.fixture
def two(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, chunk_bytes=64 << 10)
    return sites["g"].client.session("job1", GUEST), sites["h"].client.session("job1", HOST), sites


def stored_files(site):
    """Files of stored values, and of values being received; not the spare files of values that were read."""
    return sorted(p.name for p in (site.settings.store_dir / "values").iterdir() if p.suffix != ".spare")


def test_object_values_round_trip(two):
    guest, host, _ = two
    values = {"pubkey": {"n": 2 ** 62 + 1, "g": [1, 2]}, "vec": np.arange(10, dtype=np.float64), "t": (1, "a")}
    for name, value in values.items():
        guest.remote(value, name, "iter0", [HOST])
    assert host.get("pubkey", "iter0", [GUEST]) == [values["pubkey"]]
    np.testing.assert_array_equal(host.get("vec", "iter0", [GUEST])[0], values["vec"])
    assert host.get("t", "iter0", [GUEST]) == [(1, "a")]


@pytest.mark.parametrize("size, files", [(40_000, 0), (200_000, 0), (400_000, 1)])
def test_value_is_deleted_once_read(start_sites, size, files):
    # one message; several chunks, all kept in LMDB; beyond inline_value_bytes, the rest in a file
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, chunk_bytes=64 << 10, inline_value_bytes=300_000)
    guest, host = sites["g"].client.session("j", GUEST), sites["h"].client.session("j", HOST)
    guest.remote(b"x" * size, "blob", "0", [HOST])
    assert len(stored_files(sites["h"])) == files and sites["h"].handle.server.store.count() == 1
    assert host.get("blob", "0", [GUEST]) == [b"x" * size]
    assert stored_files(sites["h"]) == [] and sites["h"].handle.server.store.count() == 0
    with pytest.raises(GetTimeoutError):
        host.get("blob", "0", [GUEST], timeout=0.2)


def test_three_parties_exchange_values(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"], "a": ["10001"]})
    guest = sites["g"].client.session("j", GUEST)
    host = sites["h"].client.session("j", HOST)
    arbiter = sites["a"].client.session("j", ARBITER)
    arbiter.remote("public key", "pubkey", "0", [GUEST, HOST])
    guest.remote([1.5, 2.5], "grad", "0", [ARBITER])
    host.remote([3.5], "grad", "0", [ARBITER])
    assert guest.get("pubkey", "0", [ARBITER]) == host.get("pubkey", "0", [ARBITER]) == ["public key"]
    assert arbiter.get("grad", "0", [HOST, GUEST]) == [[3.5], [1.5, 2.5]]


def test_tables_stream_as_pairs(two):
    guest, host, _ = two
    rows = [(f"id{i}", {"x": [i, i * 0.5], "y": i % 2}) for i in range(20_000)]
    guest.remote(Pairs(rows), "table", "0", [HOST])
    [received] = host.get("table", "0", [GUEST])
    assert list(received) == rows
    with pytest.raises(RuntimeError, match="iterated once"):
        list(received)


def test_encoded_pairs_travel_as_bytes(two):
    guest, host, _ = two
    codec = guest.client.codec
    rows = [(codec.dumps(i), codec.dumps(str(i))) for i in range(1000)]
    guest.remote(Pairs(iter(rows), encoded=True), "t", "0", [HOST])
    [received] = host.get("t", "0", [GUEST], decode_pairs=False)
    assert list(received) == rows


def test_get_times_out_naming_variable_and_party(two):
    _, host, _ = two
    started = time.monotonic()
    with pytest.raises(GetTimeoutError) as e:
        host.get("host_gradient", "iter_3", [GUEST], timeout=1)
    assert 0.9 < time.monotonic() - started < 4
    assert "'host_gradient' tag 'iter_3'" in e.value.message and "party 9999" in e.value.message
    assert e.value.retcode == 104


def test_get_waits_for_a_value_sent_later(two):
    guest, host, _ = two
    future = guest.client.executor.submit(host.get, "late", "0", [GUEST], 10)
    time.sleep(0.3)
    guest.remote(42, "late", "0", [HOST])
    assert future.result(timeout=10) == [42]


def test_value_survives_a_restart_of_the_receiver(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, chunk_bytes=64 << 10, inline_value_bytes=300_000)
    guest = sites["g"].client.session("j", GUEST)
    guest.remote(list(range(50_000)), "kept", "0", [HOST])  # in LMDB
    guest.remote(b"y" * 400_000, "kept_file", "0", [HOST])  # in a file
    guest.remote(Pairs([(1, "a"), (2, "b")]), "kept_table", "0", [HOST])
    sites["h"].stop()
    sites["h"].start()
    host = sites["h"].client.session("j", HOST)
    assert host.get("kept", "0", [GUEST]) == [list(range(50_000))]
    assert host.get("kept_file", "0", [GUEST]) == [b"y" * 400_000]
    assert list(host.get("kept_table", "0", [GUEST])[0]) == [(1, "a"), (2, "b")]
    assert stored_files(sites["h"]) == [] and sites["h"].handle.server.store.count() == 0


def test_same_value_sent_twice_is_stored_once_but_a_different_one_is_refused(two):
    guest, host, _ = two
    guest.remote("v1", "x", "0", [HOST])
    guest.remote("v1", "x", "0", [HOST])  # a retried send
    with pytest.raises(FederationError, match="a different value .* already waiting"):
        guest.remote("v2", "x", "0", [HOST])
    assert host.get("x", "0", [GUEST]) == ["v1"]


def test_oversize_value_is_refused_by_sender_and_receiver(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, chunk_bytes=4096, max_value_bytes=100_000)
    guest = sites["g"].client.session("j", GUEST)
    with pytest.raises(MessageTooLargeError, match="exceeds max_value_bytes"):
        guest.remote(b"x" * 200_000, "big", "0", [HOST])
    # a table's size is only known as it streams: the receiver stops it at its limit
    with pytest.raises(MessageTooLargeError, match="larger than max_value_bytes \\(100000 bytes\\)") as e:
        guest.remote(Pairs([(i, "y" * 100) for i in range(5000)]), "big_table", "0", [HOST])
    assert "party 10000" in e.value.message
    assert stored_files(sites["h"]) == []


def data_stub(site_to):
    return pb_grpc.DataPlaneStub(grpc.insecure_channel(f"127.0.0.1:{site_to.settings.grpc_port}"))


def open_session(site_from, site_to, src=GUEST, dst=HOST):
    """A genuine session of `src` (a party of `site_from`) with `dst`, opened by a signed handshake."""
    return SenderSessions(site_from.client.auth).get(data_stub(site_to), src.to_pb(), dst.to_pb(), 5)


def mac_trailer(session, header, data: bytes) -> pb.ValueTrailer:
    digest = ChunkDigest()
    digest.update(data)
    sums = (digest.total_bytes, digest.chunks, digest.digest())
    return pb.ValueTrailer(total_bytes=sums[0], chunks=sums[1], digest=sums[2], mac=session.value_mac(header, *sums))


def raw_push(site_from, site_to, frames_after_header, name="raw"):
    """Push hand-made frames to `site_to`, in a genuine session of guest 9999."""
    session = open_session(site_from, site_to)
    key = pb.ValueKey(job_id="j", name=name, tag="0", src=GUEST.to_pb(), dst=HOST.to_pb())
    header = pb.ValueHeader(key=key, kind=pb.OBJECT, session_id=session.session_id, counter=session.next_counter())

    def frames():
        yield pb.ValueFrame(header=header)
        yield from frames_after_header(header, session)

    return data_stub(site_to).Push(frames(), timeout=10)


def test_truncated_stream_is_refused_and_nothing_is_stored(two):
    _, host, sites = two
    with pytest.raises(grpc.RpcError) as e:
        raw_push(sites["g"], sites["h"], lambda header, session: [pb.ValueFrame(chunk=b"a" * 1000)] * 3)
    assert e.value.code() == grpc.StatusCode.DATA_LOSS
    assert "ended after 3 chunks (3000 bytes) without its trailer; nothing was stored" in e.value.details()
    assert stored_files(sites["h"]) == []
    with pytest.raises(GetTimeoutError):
        host.get("raw", "0", [GUEST], timeout=0.2)


def test_sender_dying_mid_stream_leaves_nothing(two):
    _, _, sites = two

    def dies(header, session):
        yield pb.ValueFrame(chunk=b"a" * 1000)
        raise RuntimeError("sender crashed")

    with pytest.raises(grpc.RpcError):
        raw_push(sites["g"], sites["h"], dies)
    deadline = time.monotonic() + 5
    while stored_files(sites["h"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored_files(sites["h"]) == [] and sites["h"].handle.server.store.count() == 0


def test_chunks_altered_in_transit_are_refused(two):
    _, _, sites = two

    def tampered(header, session):
        yield pb.ValueFrame(chunk=b"tampered")
        yield pb.ValueFrame(trailer=mac_trailer(session, header, b"original"))

    with pytest.raises(grpc.RpcError) as e:
        raw_push(sites["g"], sites["h"], tampered)
    assert e.value.code() == grpc.StatusCode.DATA_LOSS and "the digest differs" in e.value.details()


def test_only_the_destination_party_can_read_a_value(two):
    guest, _, sites = two
    guest.remote("secret", "s", "0", [HOST])
    # guest asks host's server for host's value, signing as itself
    nosy = sites["g"].client.session("job1", HOST)
    with pytest.raises(AuthenticationError, match="holds no private key for party 10000"):
        nosy.get("s", "0", [GUEST], timeout=1)
    # and a request made with guest's key but naming host as reader is refused by host's server
    key = pb.ValueKey(job_id="job1", name="s", tag="0", src=GUEST.to_pb(), dst=HOST.to_pb())
    stamp = sites["g"].client.auth.stamp("9999", signing.PULL, *key_fields(key), 0)
    stub = pb_grpc.DataPlaneStub(grpc.insecure_channel(f"127.0.0.1:{sites['h'].settings.grpc_port}"))
    with pytest.raises(grpc.RpcError) as e:
        list(stub.Pull(pb.PullRequest(key=key, wait_ms=0, auth=stamp), timeout=5))
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED


def small_push(site_to, data, header=None, trailer=None):
    """Call PushSmall on `site_to` by hand: `data` as the request, header and trailer as metadata."""
    channel = grpc.insecure_channel(f"127.0.0.1:{site_to.settings.grpc_port}",
                                    options=[("grpc.max_send_message_length", 64 << 20)])
    push_small = channel.unary_unary(PUSH_SMALL, request_serializer=None, response_deserializer=pb.PushAck.FromString)
    metadata = [(k, v.SerializeToString()) for k, v in ((SMALL_HEADER_KEY, header), (SMALL_TRAILER_KEY, trailer)) if v]
    return push_small(data, metadata=metadata, timeout=5)


def test_a_small_value_message_is_small(two):
    # its header is unsigned and its data kept in memory until the trailer checks out, so it is bounded
    _, _, sites = two
    key = pb.ValueKey(job_id="j", name="big", tag="0", src=GUEST.to_pb(), dst=HOST.to_pb())
    with pytest.raises(grpc.RpcError) as e:
        small_push(sites["h"], b"x" * (SMALL_VALUE_BYTES + 1), pb.ValueHeader(key=key), pb.ValueTrailer())
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "stream bigger ones" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        small_push(sites["h"], b"x", pb.ValueHeader(key=key))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "trailer in the call's metadata" in e.value.details()


def test_a_small_value_with_a_forged_mac_or_replayed_is_refused_and_nothing_is_stored(start_sites, caplog):
    # one chunk beyond inline_value_bytes: held in memory, never written before its MAC checked out
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, inline_value_bytes=1000)
    session = open_session(sites["g"], sites["h"])
    key = pb.ValueKey(job_id="j", name="s", tag="0", src=GUEST.to_pb(), dst=HOST.to_pb())
    data = b"v" * 5000
    header = pb.ValueHeader(key=key, kind=pb.BYTES, session_id=session.session_id, counter=session.next_counter())
    trailer = mac_trailer(session, header, data)
    forged = pb.ValueTrailer()
    forged.CopyFrom(trailer)
    forged.mac = bytes(32)
    with caplog.at_level(logging.WARNING, logger="fate_flow.federation"):
        with pytest.raises(grpc.RpcError) as e:
            small_push(sites["h"], data, header, forged)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "MAC does not match the session of party 9999" in e.value.details()
    assert any("refused value" in r.getMessage() and "from guest party 9999" in r.getMessage() and "MAC does not match"
               in r.getMessage() for r in caplog.records)
    assert stored_files(sites["h"]) == [] and sites["h"].handle.server.store.count() == 0
    ack = small_push(sites["h"], data, header, trailer)
    assert ack.total_bytes == 5000
    session.check_ack(ack, header.counter, trailer.digest, "test")  # the ack is MAC'd by the receiver
    # the same value again (same counter), e.g. captured and replayed
    with pytest.raises(grpc.RpcError) as e:
        small_push(sites["h"], data, header, trailer)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and "counter 1" in e.value.details()
    assert "replayed value from party 9999" in e.value.details()
    assert sites["h"].client.session("j", HOST).get("s", "0", [GUEST]) == [data]


def test_a_mac_made_with_another_sessions_key_is_refused(two):
    _, _, sites = two
    host = sites["h"].client.session("j", HOST)
    first, second = open_session(sites["g"], sites["h"]), open_session(sites["g"], sites["h"])
    assert first.session_id != second.session_id and first.key != second.key
    key = pb.ValueKey(job_id="j", name="s", tag="0", src=GUEST.to_pb(), dst=HOST.to_pb())
    header = pb.ValueHeader(key=key, kind=pb.BYTES, session_id=first.session_id, counter=first.next_counter())
    with pytest.raises(grpc.RpcError) as e:
        small_push(sites["h"], b"v", header, mac_trailer(second, header, b"v"))
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and "MAC does not match" in e.value.details()
    # nothing was stored, and the counter was not used up by the forgery: the genuine value still goes through
    with pytest.raises(GetTimeoutError):
        host.get("s", "0", [GUEST], timeout=0.2)
    small_push(sites["h"], b"v", header, mac_trailer(first, header, b"v"))
    assert host.get("s", "0", [GUEST]) == [b"v"]


def test_counters_are_accepted_once_in_any_order_within_the_window(two):
    _, _, sites = two
    host = sites["h"].client.session("j", HOST)
    session = open_session(sites["g"], sites["h"])
    key = pb.ValueKey(job_id="j", name="n", tag="0", src=GUEST.to_pb(), dst=HOST.to_pb())

    def push(counter: int, tag: str):
        key.tag = tag
        header = pb.ValueHeader(key=key, kind=pb.BYTES, session_id=session.session_id, counter=counter)
        return small_push(sites["h"], b"v", header, mac_trailer(session, header, b"v"))

    def refused(counter: int, why: str):
        with pytest.raises(grpc.RpcError) as e:
            push(counter, f"again{counter}")
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and f"counter {counter} " in e.value.details()
        assert why in e.value.details()

    push(5, "5")
    push(3, "3")  # out of order, as values sent from several threads arrive
    refused(3, "replayed value from party 9999")
    refused(5, "replayed value from party 9999")
    push(4000, "4000")
    refused(2000, "is too old")
    assert host.get("n", "4000", [GUEST]) == [b"v"]


def test_a_session_carries_only_its_own_parties_values(start_sites):
    # site g hosts two parties; a session opened as 9999 cannot carry a value claiming to be from 9998
    sites = start_sites({"g": ["9999", "9998"], "h": ["10000"]})
    session = open_session(sites["g"], sites["h"])
    key = pb.ValueKey(job_id="j", name="s", tag="0", src=PartyRef("guest", "9998").to_pb(), dst=HOST.to_pb())
    header = pb.ValueHeader(key=key, kind=pb.BYTES, session_id=session.session_id, counter=session.next_counter())
    with pytest.raises(grpc.RpcError) as e:
        small_push(sites["h"], b"v", header, mac_trailer(session, header, b"v"))
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "claiming to be from party 9998 to party 10000 came in the session of party 9999" in e.value.details()


def test_a_value_in_an_unknown_session_is_refused_as_such(two):
    _, _, sites = two
    key = pb.ValueKey(job_id="j", name="s", tag="0", src=GUEST.to_pb(), dst=HOST.to_pb())
    header = pb.ValueHeader(key=key, kind=pb.BYTES, session_id=b"x" * 16, counter=1)
    with pytest.raises(grpc.RpcError) as e:
        small_push(sites["h"], b"v", header, pb.ValueTrailer(total_bytes=1, chunks=1))
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and "unknown or expired session" in e.value.details()
    assert ("fate-error", "unknown-session") in e.value.trailing_metadata()


def test_receiver_restart_between_pushes_loses_nothing_and_the_sender_opens_a_new_session(two, caplog):
    guest, host, sites = two
    guest.remote("before", "r", "0", [HOST])
    guest.remote(b"b" * 300_000, "r", "streamed", [HOST])  # streamed (chunk_bytes 64 KiB)
    sites["h"].stop()
    sites["h"].start()
    host = sites["h"].client.session("job1", HOST)
    with caplog.at_level(logging.INFO, logger="fate_flow.federation"):
        guest.remote("after", "r", "1", [HOST])
        guest.remote(b"a" * 300_000, "r", "streamed1", [HOST])
    assert sum("no longer knows session" in r.getMessage() for r in caplog.records) == 1
    assert host.get("r", "0", [GUEST]) == ["before"] and host.get("r", "1", [GUEST]) == ["after"]
    assert host.get("r", "streamed", [GUEST]) == [b"b" * 300_000]
    assert host.get("r", "streamed1", [GUEST]) == [b"a" * 300_000]


def test_without_site_auth_values_flow_without_sessions(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, site_auth=False)
    guest, host = sites["g"].client.session("j", GUEST), sites["h"].client.session("j", HOST)
    guest.remote({"a": 1}, "x", "0", [HOST])
    guest.remote(b"z" * 200_000, "x", "1", [HOST])
    assert host.get("x", "0", [GUEST]) == [{"a": 1}] and host.get("x", "1", [GUEST]) == [b"z" * 200_000]
    assert len(sites["h"].handle.server.data_plane.sessions) == 0


@pytest.mark.parametrize("value", [b"", b"b" * 100, b"b" * (1 << 20), bytes(range(256)) * 20_000])
def test_bytes_values_arrive_as_bytes(two, value):
    guest, host, _ = two
    guest.remote(value, "blob", "0", [HOST])
    [received] = host.get("blob", "0", [GUEST])
    assert type(received) is bytes and received == value


def test_a_value_whose_name_is_too_long_for_metadata_is_streamed(two):
    guest, host, _ = two
    name, tag = "n" * 6000, "t" * 6000
    guest.remote({"small": 1}, name, tag, [HOST])
    assert host.get(name, tag, [GUEST]) == [{"small": 1}]
