"""Site authentication between real gRPC servers: forged senders, bad or missing signatures, replays."""
import hashlib
import json
import logging
import time

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from fate_flow.federation import AuthenticationError, FederationClient, PartyRef
from fate_flow.federation import signing
from fate_flow.federation.keys import KeyRing, load_or_create_private_key, load_public_key, public_key_path
from fate_flow.federation.signing import SiteAuthenticator
from fate_flow.proto import federation_pb2 as pb
from fate_flow.proto import federation_pb2_grpc as pb_grpc
from tests.federation.sites import Site

GUEST, HOST = PartyRef("guest", "9999"), PartyRef("host", "10000")


def signed_ping(auth: SiteAuthenticator, src=GUEST, dst=HOST, body=b"{}") -> pb.CommandRequest:
    stamp = auth.stamp(src.party_id, signing.COMMAND, "ping", "POST", src.role, src.party_id, dst.role, dst.party_id,
                       "", hashlib.sha256(body).digest())
    return pb.CommandRequest(command="ping", verb="POST", src=src.to_pb(), dst=dst.to_pb(), body=body, auth=stamp)


def stub_of(site: Site) -> pb_grpc.ControlPlaneStub:
    return pb_grpc.ControlPlaneStub(grpc.insecure_channel(f"127.0.0.1:{site.settings.grpc_port}"))


def test_forged_sender_is_refused_and_logged(start_sites, tmp_path, caplog):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    b = sites["b"]
    # a third site has its own key and claims to be guest 9999
    forged_key = load_or_create_private_key(tmp_path / "mallory" / "keys", "9999")
    b_public = load_public_key(str(public_key_path(b.settings.keys_dir, "10000")), "10000")
    mallory = FederationClient(sites["a"].settings, KeyRing({"9999": forged_key}, {"10000": b_public}))
    try:
        with caplog.at_level(logging.WARNING, logger="fate_flow.federation"):
            reply = mallory.send_command(HOST, "ping", src=GUEST)
    finally:
        mallory.close()
    assert reply["retcode"] == 104
    assert "refused the message: signature does not match party 9999" in reply["retmsg"]
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused command")]
    assert refusals and "claiming to be from party 9999" in refusals[0] and "127.0.0.1" in refusals[0]
    # the real guest still gets through
    assert sites["a"].client.send_command(HOST, "ping", src=GUEST)["retcode"] == 0


def test_sender_without_a_configured_public_key_is_refused(start_sites, tmp_path):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    stranger = load_or_create_private_key(tmp_path / "stranger" / "keys", "4242")
    auth = SiteAuthenticator(KeyRing({"4242": stranger}, {}))
    with pytest.raises(grpc.RpcError) as e:
        stub_of(sites["b"]).Call(signed_ping(auth, src=PartyRef("host", "4242")), timeout=5)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "no public key is configured for party 4242" in e.value.details()


def test_missing_signature_is_refused(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    unsigned = SiteAuthenticator(sites["a"].client.auth.keys, enabled=False)
    with pytest.raises(grpc.RpcError) as e:
        stub_of(sites["b"]).Call(signed_ping(unsigned), timeout=5)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "claiming to be from party 9999 is not signed" in e.value.details()


def test_message_altered_after_signing_is_refused(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    request = signed_ping(sites["a"].client.auth)
    request.body = json.dumps({"injected": True}).encode()
    with pytest.raises(grpc.RpcError) as e:
        stub_of(sites["b"]).Call(request, timeout=5)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "signature does not match party 9999" in e.value.details()


def test_replayed_message_is_refused_even_after_a_restart(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    request = signed_ping(sites["a"].client.auth)
    reply = stub_of(sites["b"]).Call(request, timeout=5)
    assert json.loads(reply.envelope)["retcode"] == 0
    with pytest.raises(grpc.RpcError) as e:
        stub_of(sites["b"]).Call(request, timeout=5)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and "replayed message from party 9999" in e.value.details()
    sites["b"].stop()
    sites["b"].start()
    with pytest.raises(grpc.RpcError) as e:
        stub_of(sites["b"]).Call(request, timeout=5)
    assert "replayed message" in e.value.details()


def test_stale_timestamp_is_refused(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    late = SiteAuthenticator(sites["a"].client.auth.keys, clock=lambda: time.time() - 3600)
    with pytest.raises(grpc.RpcError) as e:
        stub_of(sites["b"]).Call(signed_ping(late), timeout=5)
    assert "stale message from party 9999" in e.value.details() and "max_clock_skew 300 s" in e.value.details()


def test_site_auth_off_works_and_warns(start_sites, caplog):
    with caplog.at_level(logging.WARNING, logger="fate_flow.federation"):
        sites = start_sites({"a": ["9999"], "b": ["10000"]}, site_auth=False)
    assert any("site_auth is OFF" in r.getMessage() for r in caplog.records)
    assert sites["a"].client.send_command(HOST, "ping")["retcode"] == 0


def test_receiver_with_site_auth_refuses_a_sender_without(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    sites["a"].client.auth.enabled = False
    reply = sites["a"].client.send_command(HOST, "ping")
    assert reply["retcode"] == 104 and "is not signed" in reply["retmsg"]


def handshake_request(auth: SiteAuthenticator, src=GUEST, dst=HOST, signer=None) -> pb.HandshakeRequest:
    public = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    stamp = auth.stamp(signer or src.party_id, signing.HANDSHAKE, src.party_id, dst.party_id, public)
    return pb.HandshakeRequest(src=src.to_pb(), dst=dst.to_pb(), public_key=public, auth=stamp)


def test_a_handshake_claiming_another_party_is_refused_and_logged(start_sites, caplog):
    # site a hosts 9999 and 9998; 9998 signs a handshake that claims to come from 9999
    sites = start_sites({"a": ["9999", "9998"], "b": ["10000"]})
    stub = pb_grpc.DataPlaneStub(grpc.insecure_channel(f"127.0.0.1:{sites['b'].settings.grpc_port}"))
    with caplog.at_level(logging.WARNING, logger="fate_flow.federation"):
        with pytest.raises(grpc.RpcError) as e:
            stub.Handshake(handshake_request(sites["a"].client.auth, signer="9998"), timeout=5)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "signature does not match party 9999" in e.value.details()
    assert any(r.getMessage().startswith("refused handshake claiming to be from party 9999") for r in caplog.records)
    assert len(sites["b"].handle.server.data_plane.sessions) == 0


def test_a_replayed_handshake_is_refused(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    stub = pb_grpc.DataPlaneStub(grpc.insecure_channel(f"127.0.0.1:{sites['b'].settings.grpc_port}"))
    request = handshake_request(sites["a"].client.auth)
    reply = stub.Handshake(request, timeout=5)
    assert len(reply.session_id) == 16 and len(reply.public_key) == 32 and reply.lifetime_ms == 3600_000
    with pytest.raises(grpc.RpcError) as e:
        stub.Handshake(request, timeout=5)
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and "replayed message from party 9999" in e.value.details()
    assert len(sites["b"].handle.server.data_plane.sessions) == 1


def test_a_forged_handshake_answer_is_refused_by_the_sender(start_sites, tmp_path):
    # the sender only trusts an answer signed by the destination party's key
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    wrong = load_or_create_private_key(tmp_path / "mallory" / "keys", "10000").public_key()
    a_key = load_or_create_private_key(sites["a"].settings.keys_dir, "9999")
    client = FederationClient(sites["a"].settings, KeyRing({"9999": a_key}, {"9999": a_key.public_key(), "10000": wrong}))
    try:
        with pytest.raises(AuthenticationError, match="signature does not match party 10000"):
            client.session("j", GUEST).remote("v", "x", "0", [HOST])
    finally:
        client.close()
