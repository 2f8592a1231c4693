"""Start the bundled serving (`python -m fate_flow.serving`) as a subprocess beside a test flow server (same conf,
same FATE_FLOW_HOME), talk to it over gRPC and HTTP, and stop it. Every wait is bounded."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
import requests

from fate_flow.proto import model_service_pb2_grpc as pb_grpc
from fate_flow.serving.http_api import INFERENCE_PATH, STATUS_PATH
from tests.conftest import free_port
from tests.server_process import ServerProcess, make_server

START_TIMEOUT = 30.0


def serving_conf(grpc_port: int | None = None, http_port: int | None = None, **extra) -> dict:
    """A `serving:` section on free loopback ports; host 10000 looks its features up in breast_hetero_host."""
    return {"host": "127.0.0.1", "grpc_port": grpc_port or free_port(), "http_port": http_port or free_port(),
            "feature_tables": {"10000": {"namespace": "experiment", "name": "breast_hetero_host"}},
            "remote_timeout": 3, **extra}


def make_server_with_serving(base: Path, party_ids=(9999, 10000), serving: dict | None = None,
                             extra_conf: dict | None = None) -> ServerProcess:
    return make_server(base, party_ids=party_ids, extra_conf={"serving": serving or serving_conf(),
                                                              **(extra_conf or {})})


@dataclass
class ServingProcess:
    conf_path: Path
    home: Path
    env: dict
    grpc_port: int
    http_port: int
    process: subprocess.Popen | None = None

    @classmethod
    def beside(cls, server: ServerProcess, serving: dict) -> "ServingProcess":
        return cls(server.conf_path, server.home, server.env, int(serving["grpc_port"]), int(serving["http_port"]))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self, timeout: float = START_TIMEOUT) -> "ServingProcess":
        log = open(self.home / "serving.console.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "fate_flow.serving", "--conf", str(self.conf_path)],
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serving exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.status().get("retcode") == 0:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"serving on port {self.http_port} did not answer within {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for path in (self.home / "serving.console.log", self.home / "logs" / "fate_flow_serving" / "serving.log"):
            if path.exists():
                tails.append(f"--- {path}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(tails)

    # ------------------------------------------------------------------ HTTP
    def status(self) -> dict:
        return requests.post(self.base_url + STATUS_PATH, json={}, timeout=5).json()

    def infer(self, service_id: str, features: dict, remote: dict | None = None, session=None) -> dict:
        body = {"head": {"serviceId": service_id},
                "body": {"featureData": features, "sendToRemoteFeatureData": remote or {}}}
        return (session or requests).post(self.base_url + INFERENCE_PATH, json=body, timeout=30).json()

    # ------------------------------------------------------------------ gRPC
    def stub(self) -> tuple[grpc.Channel, pb_grpc.ModelServiceStub]:
        channel = grpc.insecure_channel(self.grpc_address)
        return channel, pb_grpc.ModelServiceStub(channel)
