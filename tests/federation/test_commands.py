"""Control plane between real gRPC servers on 127.0.0.1: commands, fan-out, faults."""
import time
from dataclasses import replace

import pytest

from fate_flow.federation import PartyRef
from fate_flow.federation.registry import IncomingCommand
from tests.conftest import free_port
from tests.federation.sites import client_of
from tests.federation.tls_certs import make_tls_files

GUEST, HOST, ARBITER = PartyRef("guest", "9999"), PartyRef("host", "10000"), PartyRef("arbiter", "10001")


def echo(cmd: IncomingCommand) -> dict:
    return {"retcode": 0, "retmsg": "success", "data": {
        "body": cmd.body, "src": [cmd.src.role, cmd.src.party_id], "dst": [cmd.dst.role, cmd.dst.party_id],
        "job_id": cmd.job_id, "verb": cmd.verb}}


def test_command_is_dispatched_in_process_with_authenticated_source(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    sites["b"].registry.register("echo", echo)
    reply = sites["a"].client.send_command(HOST, "echo", {"x": [1, "two"]}, src=GUEST, job_id="j1")
    assert reply == {"retcode": 0, "retmsg": "success", "data": {
        "body": {"x": [1, "two"]}, "src": ["guest", "9999"], "dst": ["host", "10000"], "job_id": "j1",
        "verb": "POST"}}


def test_parties_on_one_server_still_talk_through_grpc(start_sites):
    sites = start_sites({"demo": ["9999", "10000"]})
    sites["demo"].registry.register("echo", echo)
    reply = sites["demo"].client.send_command(HOST, "echo", {}, src=GUEST)
    assert reply["data"]["src"] == ["guest", "9999"] and reply["data"]["dst"] == ["host", "10000"]


def test_fan_out_answers_per_role_and_party(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"], "a": ["10001"]})
    for site in sites.values():
        site.registry.register("echo", echo)
    parties = [GUEST, HOST, ARBITER, PartyRef("host", "4242")]
    results = sites["g"].client.fan_out("echo", parties, {"k": 1}, src=GUEST, job_id="j",
                                        bodies={ARBITER: {"k": 2}})
    assert results["guest"]["9999"]["data"]["body"] == {"k": 1}
    assert results["host"]["10000"]["data"]["dst"] == ["host", "10000"]
    assert results["arbiter"]["10001"]["data"]["body"] == {"k": 2}
    assert results["host"]["4242"]["retcode"] == 104 and "no route to party 4242" in results["host"]["4242"]["retmsg"]


def test_handler_errors_and_unknown_commands_come_back_as_envelopes(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})

    def broken(cmd):
        raise KeyError("job_id")

    sites["b"].registry.register("broken", broken)
    client = sites["a"].client
    assert client.send_command(HOST, "broken") == {"retcode": 100, "retmsg": "KeyError: 'job_id'"}
    reply = client.send_command(HOST, "nope")
    assert reply["retcode"] == 100 and "unknown command 'nope'" in reply["retmsg"] and "ping" in reply["retmsg"]


def test_unknown_destination_party(start_sites):
    sites = start_sites({"a": ["9999"]})
    reply = sites["a"].client.send_command(PartyRef("host", "777"), "ping")
    assert reply["retcode"] == 104
    assert "no route to party 777" in reply["retmsg"] and "test routes of a" in reply["retmsg"]


def test_party_routed_to_a_server_that_does_not_host_it_is_refused(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    a = sites["a"]
    # route 10000 at a's own server: the message arrives, but a does not host 10000
    client = client_of(a, {"10000": replace(a.settings.routes["10000"], grpc_port=a.settings.grpc_port)})
    reply = client.send_command(HOST, "ping")
    assert reply["retcode"] == 104 and "party 10000 is not hosted by this server (it hosts 9999)" in reply["retmsg"]


def test_unreachable_party_fails_within_the_timeout_naming_party_and_address(start_sites):
    dead_port = free_port()  # nothing listens there
    sites = start_sites({"a": ["9999"], "b": ["10000"]}, retries=2)
    client = client_of(sites["a"], {"10000": replace(sites["a"].settings.routes["10000"],
                                                                 grpc_port=dead_port)})
    started = time.monotonic()
    reply = client.send_command(HOST, "ping", timeout=3)
    elapsed = time.monotonic() - started
    assert reply["retcode"] == 104
    assert f"party 10000 at 127.0.0.1:{dead_port} is unreachable" in reply["retmsg"]
    assert elapsed < 3.5


def test_blackholed_party_does_not_hang_past_the_timeout(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]})
    # a non-routable address: connection attempts hang instead of being refused
    client = client_of(sites["a"], {"10000": replace(sites["a"].settings.routes["10000"],
                                                                 host="10.255.255.1", grpc_port=9360)})
    started = time.monotonic()
    reply = client.send_command(HOST, "ping", timeout=1.5)
    assert time.monotonic() - started < 3
    assert reply["retcode"] == 104 and "10.255.255.1:9360" in reply["retmsg"]


def test_oversize_command_is_refused_before_sending(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"]}, max_command_bytes=1000)
    reply = sites["a"].client.send_command(HOST, "ping", {"blob": "x" * 2000})
    assert reply["retcode"] == 104 and "exceeds max_command_bytes (1000)" in reply["retmsg"]


def test_ping_and_reachability_report(start_sites):
    sites = start_sites({"a": ["9999"], "b": ["10000"], "c": ["10001"]})
    sites["c"].stop()
    report = sites["a"].client.reachability(timeout=2)
    assert report["9999"]["reachable"] and report["10000"]["reachable"]
    assert report["10000"]["latency_ms"] > 0
    down = report["10001"]
    assert not down["reachable"] and down["address"] == sites["c"].settings.routes["10001"].address
    assert "unreachable" in down["retmsg"]


@pytest.mark.parametrize("client_auth", [False, True])
def test_tls_channel(start_sites, tmp_path, client_auth):
    tls = make_tls_files(tmp_path / "tls", client_auth=client_auth)
    sites = start_sites({"a": ["9999"], "b": ["10000"]}, tls=tls)
    assert sites["a"].client.send_command(HOST, "ping")["retcode"] == 0
    plain = client_of(sites["a"], tls=replace(tls, enabled=False))
    reply = plain.send_command(HOST, "ping", timeout=2)
    plain.close()
    assert reply["retcode"] == 104
