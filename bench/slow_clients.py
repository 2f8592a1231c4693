"""Ordinary requests while slow clients hold connections: a real server (default http settings: 16 threads,
5 s header timeout, 30 s body idle timeout) gets N slow connections, kept open for the whole run (a
connection the server closes is opened again at once), while one client asks `/v1/job/query` in a loop.

    .venv/bin/python bench/slow_clients.py                    # 0, 20 and 100 slow connections, 20 s each
    .venv/bin/python bench/slow_clients.py --counts 100 --seconds 60

The slow connections are of three kinds, in turn: a request head trickled one header line a second (never
finished), a small JSON body that stops after its first byte, and a multipart upload of a declared 100 MB
that stops after its first bytes. Printed per N: the slow connections open on average, the queries answered,
their p50 / p99 / max latency, and the queries that failed or took over 10 s.
"""
from __future__ import annotations

import argparse
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.server_process import make_server  # noqa: E402

KINDS = {
    "half head": (b"POST /v1/job/query HTTP/1.1\r\nHost: bench\r\n", b"X-Slow: 1\r\n"),
    "stalled body": (b"POST /v1/job/query HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 60\r\n\r\n{", None),
    "stalled upload": (b"POST /v1/data/upload?namespace=bench&table_name=slow HTTP/1.1\r\nHost: bench\r\n"
                       b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000000\r\n\r\n--b\r\n",
                       None),
}


class SlowClients:
    """Keeps `count` slow connections open to 127.0.0.1:port until stopped (one thread, non-blocking)."""

    def __init__(self, port: int, count: int):
        self.port = port
        self.count = count
        self.reopened = 0
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "SlowClients":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def _open(self, sel: selectors.BaseSelector, index: int) -> None:
        kind = list(KINDS)[index % len(KINDS)]
        first, trickle = KINDS[kind]
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(first)
            s.setblocking(False)
        except OSError:
            return
        sel.register(s, selectors.EVENT_READ, (index, trickle))

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        for i in range(self.count):
            self._open(sel, i)
        last_trickle = time.monotonic()
        while not self._stop.is_set():
            for key, _ in sel.select(0.2):
                index, _ = key.data
                try:
                    data = key.fileobj.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:  # the server closed it: open another one of the same kind
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    self.reopened += 1
                    self._open(sel, index)
            now = time.monotonic()
            if now - last_trickle >= 1.0:
                last_trickle = now
                for key in list(sel.get_map().values()):
                    if key.data[1]:
                        try:
                            key.fileobj.send(key.data[1])
                        except OSError:
                            pass
            self.samples.append(len(sel.get_map()))
            if self.count and len(sel.get_map()) < self.count:
                for i in range(self.count - len(sel.get_map())):
                    self._open(sel, i)
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


def measure(base_url: str, seconds: float) -> tuple[list[float], int]:
    latencies, failed = [], 0
    deadline = time.monotonic() + seconds
    with requests.Session() as session:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                answer = session.post(base_url + "/v1/job/query", json={"job_id": "bench"}, timeout=10)
                ok = answer.status_code == 200 and answer.json().get("retcode") in (0, 102)
            except (requests.RequestException, ValueError):
                ok = False
            if ok:
                latencies.append(time.monotonic() - started)
            else:
                failed += 1
            time.sleep(0.02)
    return latencies, failed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[0, 20, 100], help="slow connections held")
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring time per count")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fate_flow_bench_") as tmp:
        server = make_server(Path(tmp) / "server", extra_conf={"http": {"threads": 16}, "log": {"level": "WARNING"}})
        server.start()
        rows = []
        try:
            for count in args.counts:
                with SlowClients(server.http_port, count) as slow:
                    time.sleep(1.0 if count else 0)
                    latencies, failed = measure(server.base_url, args.seconds)
                held = statistics.mean(slow.samples) if slow.samples else 0
                rows.append((count, held, slow.reopened, len(latencies), percentile(latencies, 0.5) * 1000,
                             percentile(latencies, 0.99) * 1000, max(latencies, default=float("nan")) * 1000,
                             failed))
        finally:
            server.stop()
    print(f"{'slow conns':>10} {'held (avg)':>10} {'reopened':>9} {'queries':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'failed':>7}")
    for count, held, reopened, n, p50, p99, top, failed in rows:
        print(f"{count:>10} {held:>10.1f} {reopened:>9} {n:>8} {p50:>8.1f} {p99:>8.1f} {top:>8.1f} {failed:>7}")
    print("failed: an error answer, or no answer within 10 s; a slow connection the server closes is reopened")


if __name__ == "__main__":
    main()
