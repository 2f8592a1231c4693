"""Start the bundled serving (`python -m fate_flow.serving`) as a subprocess beside a test flow server (same conf,
same FATE_FLOW_HOME), talk to it over gRPC and HTTP, and stop it. Every wait is bounded."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import grpc
import requests

from fate_flow.proto import model_service_pb2_grpc as pb_grpc
from fate_flow.serving.http_api import INFERENCE_PATH, STATUS_PATH
from tests.conftest import free_port
from tests.server_process import ServerProcess, log_tails, make_server, spawn, stop_process_group, wait_ready

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
        self.process = spawn([sys.executable, "-m", "fate_flow.serving", "--conf", str(self.conf_path)], self.env,
                             self.home / "serving.console.log")
        wait_ready(self.process, self._answers, timeout, f"serving on port {self.http_port}", self.log_tail, self.stop)
        return self

    def _answers(self) -> bool:
        try:
            return self.status().get("retcode") == 0
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 15.0) -> None:
        stop_process_group(self.process, timeout)

    def log_tail(self, lines: int = 30) -> str:
        return log_tails((self.home / "serving.console.log",
                          self.home / "logs" / "fate_flow_serving" / "serving.log"), lines)

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
