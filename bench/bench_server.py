"""A real fate_flow server for benchmarks: its own FATE_FLOW_HOME and conf on free ports, started as
`python -m fate_flow.server` (gunicorn, gRPC, scheduler thread, worker processes), and a job runner that
measures submit-to-success as a client sees it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import requests
import yaml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, base: Path):
        self.home = base / "home"
        self.home.mkdir(parents=True)
        self.port = free_port()
        conf = {"fateflow": {"host": "127.0.0.1", "http_port": self.port, "grpc_port": free_port(),
                             "party_ids": [9999, 10000]},
                "database": {"url": f"sqlite:///{self.home}/fate_flow.db"}, "route_table": {},
                "job_default": {"task_cores": 2, "auto_retries": 0}, "http": {"threads": 8},
                "log": {"level": "WARNING"}}
        self.conf = base / "service_conf.yaml"
        self.conf.write_text(yaml.safe_dump(conf))
        self.env = dict(os.environ, FATE_FLOW_HOME=str(self.home), FATE_FLOW_CONF=str(self.conf))
        self.proc = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def post(self, path: str, body: dict) -> dict:
        return requests.post(self.url(path), json=body, timeout=60).json()

    def start(self) -> None:
        log = open(self.home / "console.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "fate_flow.server", "--conf", str(self.conf)],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.post(self.url("/v1/version/get"), timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a busy machine
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)


def run_job(server: Server, job: tuple[dict, dict], timeout: float = 120.0) -> tuple[float, str]:
    """Submit (dsl, conf) and wait for success: (seconds from submit to success, job id)."""
    started = time.perf_counter()
    answer = server.post("/v1/job/submit", {"job_dsl": job[0], "job_runtime_conf": job[1]})
    if answer.get("retcode") != 0:
        raise RuntimeError(f"submit failed: {answer}")
    job_id = answer["jobId"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = server.post("/v1/job/query", {"job_id": job_id, "role": "guest"}).get("data") or []
        status = rows[0]["f_status"] if rows else None
        if status == "success":
            return time.perf_counter() - started, job_id
        if status in ("failed", "canceled", "timeout"):
            raise RuntimeError(f"job {job_id} ended {status}: {rows[0].get('f_fail_reason')}")
        time.sleep(0.01)
    raise RuntimeError(f"job {job_id} did not end within {timeout:g} s")


def _rss_anon(pid: int) -> int:
    """Anonymous resident memory (heap, stacks): RSS without file-backed pages such as LMDB's mmap."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


class PeakRss:
    """The highest resident memory of a process, sampled in a thread: `peak` (RSS) and `peak_anon` (its
    anonymous part); with tree=True both are summed over the process and all its descendants."""

    def __init__(self, pid: int, tree: bool = False, interval: float = 0.02):
        self.root = psutil.Process(pid)
        self.tree = tree
        self.interval = interval
        self.peak = 0
        self.peak_anon = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            procs = [self.root, *self.root.children(recursive=True)] if self.tree else [self.root]
            rss = anon = 0
            for proc in procs:
                try:
                    rss += proc.memory_info().rss
                    anon += _rss_anon(proc.pid)
                except psutil.Error:
                    continue
            self.peak = max(self.peak, rss)
            self.peak_anon = max(self.peak_anon, anon)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
