"""Idle and flooding gRPC clients cannot take a party's federation down: a stream that sends nothing is
closed after a short deadline, a flood of idle streams leaves signed commands (and values) working, and
streams per party are capped. Real gRPC servers on 127.0.0.1."""
import queue
import threading
import time

import grpc
import pytest

from fate_flow.federation import PartyRef
from fate_flow.federation.transport import PUSH, method_path

GUEST, HOST = PartyRef("guest", "9999"), PartyRef("host", "10000")
CALL = method_path("ControlPlane", "Call")


class IdleStreams:
    """`count` RPCs on `method` that open and never send a message, each on a channel of its own."""

    def __init__(self, port: int, count: int, method: str = PUSH, channels: int = 1):
        self._queues: list[queue.Queue] = []
        self.futures = []
        self._channels = [grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)])
                          for _ in range(channels)]
        for i in range(count):
            q = queue.Queue()
            self._queues.append(q)
            call = self._channels[i % channels].stream_unary(method, request_serializer=None,
                                                             response_deserializer=None)
            self.futures.append(call.future(iter(q.get, None), timeout=120))

    def ended(self) -> list[grpc.StatusCode]:
        return [f.exception().code() if f.exception() else grpc.StatusCode.OK for f in self.futures if f.done()]

    def close(self) -> None:
        for q in self._queues:
            q.put(None)
        for f in self.futures:
            f.cancel()
        for c in self._channels:
            c.close()


@pytest.fixture
def flood():
    floods = []

    def make(*args, **kwargs):
        floods.append(IdleStreams(*args, **kwargs))
        return floods[-1]

    yield make
    for f in floods:
        f.close()


def _ping(site, timeout=10):
    started = time.monotonic()
    reply = site.client.send_command(HOST, "ping", {}, src=GUEST, timeout=timeout)
    return reply, time.monotonic() - started


def test_a_flood_of_idle_push_streams_leaves_signed_commands_working(start_sites, flood):
    sites = start_sites({"g": ["9999"], "h": ["10000"]})
    idle = flood(sites["h"].settings.grpc_port, 80, channels=8)
    time.sleep(1.0)  # every idle stream has reached the server
    for _ in range(5):
        reply, took = _ping(sites["g"])
        assert reply["retcode"] == 0 and reply["data"]["party_id"] == "10000", reply
        assert took < 5  # without the guard: the 10 s command timeout, then 104
    assert idle.ended(), "the idle streams beyond the cap are refused or cut at once"


def test_idle_calls_do_not_hold_the_command_threads(start_sites, flood):
    sites = start_sites({"g": ["9999"], "h": ["10000"]})
    flood(sites["h"].settings.grpc_port, 80, method=CALL, channels=8)
    time.sleep(1.0)
    reply, took = _ping(sites["g"])
    assert reply["retcode"] == 0 and took < 5, reply


def test_a_stream_that_sends_nothing_is_closed_after_the_deadline(start_sites, flood):
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, first_message_timeout=1.0)
    idle = flood(sites["h"].settings.grpc_port, 3)
    deadline = time.monotonic() + 10
    while len(idle.ended()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert idle.ended() == [grpc.StatusCode.CANCELLED] * 3


def test_values_still_flow_during_a_flood(start_sites, flood):
    sites = start_sites({"g": ["9999"], "h": ["10000"]})
    flood(sites["h"].settings.grpc_port, 80, channels=8)
    time.sleep(1.0)
    sender = sites["g"].client.session("job", GUEST)
    receiver = sites["h"].client.session("job", HOST)
    sender.remote({"w": [1.0, 2.0]}, "weights", "0", [HOST], timeout=10)
    assert receiver.get("weights", "0", [GUEST], timeout=10) == [{"w": [1.0, 2.0]}]


def test_streams_of_one_party_are_capped(start_sites):
    sites = start_sites({"g": ["9999"], "h": ["10000"]}, max_streams_per_party=2)
    receiver = sites["h"].client.session("job", HOST)
    results = []

    def get(i):
        try:
            results.append(receiver.get(f"v{i}", "0", [GUEST], timeout=3))
        except Exception as e:  # noqa: BLE001 - the test looks at what each get ended with
            results.append(e)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    messages = [getattr(r, "message", str(r)) for r in results]
    assert sum("streams at once" in m for m in messages) >= 2, messages
