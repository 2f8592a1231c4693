"""Start real fate_flow servers (gunicorn, the `fate_flow_server` entry point) as subprocesses on loopback,
each with its own conf and FATE_FLOW_HOME, and stop them. Every wait is bounded."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from tests.conftest import free_port

START_TIMEOUT = 30.0


@dataclass
class ServerProcess:
    home: Path
    conf_path: Path
    http_port: int
    grpc_port: int
    process: subprocess.Popen | None = None
    env: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.base_url + path, timeout=kwargs.pop("timeout", 60), **kwargs)

    def start(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        log = open(self.home / "server.console.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fate_flow.server", "--conf", str(self.conf_path)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.post(self.base_url + "/v1/version/get", timeout=1).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a busy machine
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server on port {self.http_port} did not answer within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's console and gunicorn logs (a worker's boot failure is in the latter)."""
        tails = []
        for path in (self.home / "server.console.log", self.home / "logs" / "fate_flow" / "gunicorn.log"):
            if path.exists():
                tails.append(f"--- {path}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(tails)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


def make_server(base: Path, party_ids=(9999,), extra_conf: dict | None = None, database_url: str | None = None,
                http_port: int | None = None, grpc_port: int | None = None) -> ServerProcess:
    """Write a service conf for a new server under `base` (its FATE_FLOW_HOME is base/home)."""
    base.mkdir(parents=True, exist_ok=True)
    home = base / "home"
    home.mkdir(exist_ok=True)
    http_port = http_port or free_port()
    grpc_port = grpc_port or free_port()
    conf = {
        "fateflow": {"host": "127.0.0.1", "http_port": http_port, "grpc_port": grpc_port,
                     "party_ids": list(party_ids)},
        "database": {"url": database_url or "sqlite:///${FATE_FLOW_HOME}/fate_flow.db"},
        "http": {"threads": 8},
    }
    for key, value in (extra_conf or {}).items():
        conf[key] = value
    conf_path = base / "service_conf.yaml"
    conf_path.write_text(yaml.safe_dump(conf), encoding="utf-8")
    env = dict(os.environ, FATE_FLOW_HOME=str(home), FATE_FLOW_CONF=str(conf_path))
    return ServerProcess(home=home, conf_path=conf_path, http_port=http_port, grpc_port=grpc_port, env=env)
