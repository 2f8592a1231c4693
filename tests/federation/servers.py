"""Real fate_flow servers (gunicorn + gRPC subprocesses) that know each other: each has its own conf, home,
key pair and inline route table naming the others' addresses and public keys."""
from __future__ import annotations

import threading
from pathlib import Path

import psutil

from fate_flow.federation import FederationClient, federation_settings
from fate_flow.federation.keys import load_or_create_private_key, public_key_path
from fate_flow.settings import PROJECT_ROOT
from tests.conftest import free_port, make_settings
from tests.server_process import ServerProcess, make_server


def make_federated_servers(base: Path, layout: dict[str, list[str]], federation: dict | None = None,
                           permission_checks: bool = False) -> dict[str, ServerProcess]:
    """Servers that trust each other's site keys. Their partner permission checks are off unless asked for
    (tests of other features run jobs across them without grants); tests/integration/
    test_partner_permissions.py runs them on, as a real deployment does by default."""
    grpc_ports = {name: free_port() for name in layout}
    homes = {name: base / name / "home" for name in layout}
    for name, parties in layout.items():
        for party in parties:  # as an operator would with `openssl genpkey`, before exchanging public keys
            load_or_create_private_key(homes[name] / "keys", party)
    servers = {}
    for name, parties in layout.items():
        table = {}
        for other, other_parties in layout.items():
            for party in other_parties:
                entry = {"host": "127.0.0.1", "grpc_port": grpc_ports[other]}
                if other != name:
                    entry["public_key"] = str(public_key_path(homes[other] / "keys", party))
                table[party] = entry
        extra = {"route_table": table, "federation": {"command_timeout": 10, "get_timeout": 60,
                                                      **(federation or {})},
                 "permission": {"enabled": permission_checks}}
        servers[name] = make_server(base / name, party_ids=[int(p) for p in parties], extra_conf=extra,
                                    grpc_port=grpc_ports[name])
    return servers


def client_for(server: ServerProcess) -> FederationClient:
    """A client with the server's own keys and route table, as a task executor of that server would have."""
    settings = make_settings(server.home, server.conf_path)
    return FederationClient.from_settings(federation_settings(settings, PROJECT_ROOT))


def worker_process(server: ServerProcess) -> psutil.Process:
    """The gunicorn worker: it runs the app and the federation gRPC server."""
    children = psutil.Process(server.process.pid).children()
    assert len(children) == 1, children
    return children[0]


class PeakRss:
    """Samples a process's resident set size every 20 ms in a thread while the `with` block runs."""

    def __init__(self, process: psutil.Process):
        self.process = process
        self.before = process.memory_info().rss
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / (1 << 20)
