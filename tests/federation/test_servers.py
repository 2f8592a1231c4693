"""Real fate_flow servers (guest 9999, host 10000, arbiter 10001), each with its own conf and home."""
import pytest

from fate_flow.federation import FederationClient, Pairs, PartyRef
from fate_flow.federation.keys import KeyRing, load_or_create_private_key, load_public_key, public_key_path
from tests.federation.servers import PeakRss, client_for, make_federated_servers, worker_process

GUEST, HOST, ARBITER = PartyRef("guest", "9999"), PartyRef("host", "10000"), PartyRef("arbiter", "10001")
MB = 1 << 20


@pytest.fixture
def federated(tmp_path):
    started = []

    def start(layout, **kwargs):
        servers = make_federated_servers(tmp_path, layout, **kwargs)
        for server in servers.values():
            started.append(server.start())
        return servers

    yield start
    for server in started:
        server.stop()


def test_three_servers_authenticate_exchange_commands_and_values_and_refuse_a_forger(federated, tmp_path):
    servers = federated({"guest": ["9999"], "host": ["10000"], "arbiter": ["10001"]})
    for name, server in servers.items():
        body = server.post("/v1/version/parties").json()
        assert body["retcode"] == 0, body
        assert body["data"]["reachable"] == ["10000", "10001", "9999"], name

    clients = {name: client_for(server) for name, server in servers.items()}
    try:
        guest = clients["guest"].session("j1", GUEST)
        guest.remote({"n": 12345}, "pubkey", "0", [HOST, ARBITER])
        guest.remote(Pairs([(i, i * i) for i in range(1000)]), "ids", "0", [HOST])
        reply = clients["arbiter"].send_command(HOST, "ping", src=ARBITER)
        assert reply["retcode"] == 0 and reply["data"] == {**reply["data"], "party_id": "10000", "from": "10001"}

        # a forger with its own key, claiming to be guest 9999
        forged = load_or_create_private_key(tmp_path / "mallory" / "keys", "9999")
        host_key = load_public_key(str(public_key_path(servers["host"].home / "keys", "10000")), "10000")
        mallory = FederationClient(clients["guest"].fed, KeyRing({"9999": forged}, {"10000": host_key}))
        reply = mallory.send_command(HOST, "ping", src=GUEST)
        assert reply["retcode"] == 104 and "signature does not match party 9999" in reply["retmsg"]
        with pytest.raises(Exception, match="signature does not match party 9999"):
            mallory.session("j1", GUEST).remote("poison", "pubkey", "1", [HOST])
        mallory.close()
        log = (servers["host"].home / "logs" / "fate_flow" / "fate_flow_stat.log").read_text()
        assert "refused command 'ping' claiming to be from party 9999" in log

        # the receiver restarts between send and receive: nothing is lost
        servers["host"].stop()
        servers["host"].start()
        host = clients["host"].session("j1", HOST)
        assert host.get("pubkey", "0", [GUEST], timeout=10) == [{"n": 12345}]
        assert dict(host.get("ids", "0", [GUEST], timeout=10)[0]) == {i: i * i for i in range(1000)}
        assert clients["arbiter"].session("j1", ARBITER).get("pubkey", "0", [GUEST], timeout=10) == [{"n": 12345}]
        with pytest.raises(Exception, match="'pubkey' tag '1'.*nothing arrived from party 9999"):
            host.get("pubkey", "1", [GUEST], timeout=0.5)
    finally:
        for client in clients.values():
            client.close()


def test_health_reports_a_stopped_party_with_its_address(federated):
    servers = federated({"guest": ["9999"], "host": ["10000"]})
    servers["host"].stop()
    body = servers["guest"].post("/v1/version/parties", json={"timeout": 2}).json()
    assert body["retcode"] == 104
    assert body["data"]["reachable"] == ["9999"] and body["data"]["unreachable"] == ["10000"]
    assert f"party 10000 at 127.0.0.1:{servers['host'].grpc_port}" in body["retmsg"]


def test_standalone_server_hosting_two_parties_talks_to_itself_over_grpc(federated):
    servers = federated({"demo": ["9999", "10000"]})
    client = client_for(servers["demo"])
    try:
        assert client.send_command(HOST, "ping", src=GUEST)["data"]["party_id"] == "10000"
        client.session("j", GUEST).remote([1, 2, 3], "v", "0", [HOST])
        assert client.session("j", HOST).get("v", "0", [GUEST], timeout=5) == [[1, 2, 3]]
    finally:
        client.close()


def test_large_values_stream_through_the_receiving_server_with_bounded_memory(federated):
    servers = federated({"guest": ["9999"], "host": ["10000"]})
    guest_client, host_client = client_for(servers["guest"]), client_for(servers["host"])
    receiver = worker_process(servers["host"])
    try:
        guest = guest_client.session("big", GUEST)
        host = host_client.session("big", HOST)

        # a 200 MB table: 200,000 rows of 1 KB, generated and consumed lazily at both ends
        rows = 200_000
        table = Pairs((i, bytes([i % 251]) * 1024) for i in range(rows))
        with PeakRss(receiver) as push:
            guest.remote(table, "table", "0", [HOST], timeout=120)
        with PeakRss(receiver) as pull:
            [received] = host.get("table", "0", [GUEST], timeout=60)
            count = total = 0
            for key, value in received:
                count += 1
                total += len(value)
        assert (count, total) == (rows, rows * 1024)
        assert push.growth_mb < 64 and pull.growth_mb < 64, (push.growth_mb, pull.growth_mb)

        # a 1,000,000-element vector of 128-byte ciphertexts (128 MB)
        vector = [i.to_bytes(128, "big") for i in range(1_000_000)]
        with PeakRss(receiver) as push:
            guest.remote(vector, "ciphertexts", "0", [HOST], timeout=120)
        with PeakRss(receiver) as pull:
            [got] = host.get("ciphertexts", "0", [GUEST], timeout=60)
        assert len(got) == 1_000_000 and got[-1] == vector[-1] and got[123] == vector[123]
        assert push.growth_mb < 64 and pull.growth_mb < 64, (push.growth_mb, pull.growth_mb)
    finally:
        guest_client.close()
        host_client.close()
