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
from typing import Callable

import psutil
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
        self.process = spawn([sys.executable, "-m", "fate_flow.server", "--conf", str(self.conf_path)], self.env,
                             self.home / "server.console.log")
        wait_ready(self.process, self._answers, timeout, f"server on port {self.http_port}", self.log_tail, self.stop)
        return self

    def _answers(self) -> bool:
        try:
            return requests.post(self.base_url + "/v1/version/get", timeout=1).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a busy machine
            return False

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's console and gunicorn logs (a worker's boot failure is in the latter)."""
        return log_tails((self.home / "server.console.log", self.home / "logs" / "fate_flow" / "gunicorn.log"), lines)

    def stop(self, timeout: float = 15.0) -> None:
        stop_process_group(self.process, timeout)


def spawn(argv: list[str], env: dict, console_log: Path) -> subprocess.Popen:
    """Start `argv` in its own process group (stop_process_group ends it and its children), output to console_log."""
    with open(console_log, "ab") as log:
        return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(process: subprocess.Popen, ready: Callable[[], bool], timeout: float, what: str,
               log_tail: Callable[[], str], stop: Callable[[], None]) -> None:
    """Poll `ready` until it holds; raise with the log's tail when the process exits or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_tail()}")
        if ready():
            return
        time.sleep(0.1)
    stop()
    raise RuntimeError(f"{what} did not answer within {timeout}s:\n{log_tail()}")


def stop_process_group(process: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM to the process group, SIGKILL if it is still there after `timeout` seconds."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


def log_tails(paths, lines: int) -> str:
    tails = []
    for path in paths:
        if path.exists():
            tails.append(f"--- {path}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
    return "\n".join(tails)


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


def home_processes(home) -> list[psutil.Process]:
    """The live processes that carry `home` as FATE_FLOW_HOME in their environment: a server's and its tasks'."""
    found = []
    for proc in psutil.process_iter(["environ", "status"]):
        try:
            if (proc.info["environ"] or {}).get("FATE_FLOW_HOME") == str(home) \
                    and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            pass
    return found
