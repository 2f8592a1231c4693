"""bin/service.sh start|stop|status|restart against a temp FATE_FLOW_HOME and conf on free loopback ports."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
import yaml

from tests.conftest import free_port
from tests.server_process import home_processes

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_SH = REPO_ROOT / "bin" / "service.sh"
TIMEOUT = 120


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Service:
    def __init__(self, base: Path, conf: dict | None = None):
        self.home = base / "home"
        self.http_port = free_port()
        self.conf_path = base / "service_conf.yaml"
        self.conf_path.write_text(yaml.safe_dump(conf or {
            "fateflow": {"host": "127.0.0.1", "http_port": self.http_port, "grpc_port": free_port(),
                         "party_ids": [9999]},
            "database": {"url": "sqlite:///${FATE_FLOW_HOME}/fate_flow.db"},
            "http": {"threads": 4},
        }), encoding="utf-8")
        self.env = dict(os.environ, FATE_FLOW_HOME=str(self.home), FATE_FLOW_CONF=str(self.conf_path),
                        FATE_FLOW_START_TIMEOUT="60", FATE_FLOW_STOP_TIMEOUT="20")
        self.pid_file = self.home / "fate_flow.pid"
        self.log_dir = self.home / "logs" / "fate_flow"

    def run(self, command: str, **env) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(SERVICE_SH), command], env={**self.env, **env}, capture_output=True,
                              text=True, timeout=TIMEOUT)

    def pid(self) -> int:
        return int(self.pid_file.read_text().strip())

    def version(self) -> dict:
        return requests.post(f"http://127.0.0.1:{self.http_port}/v1/version/get", timeout=10).json()

    def cleanup(self) -> None:
        """Whatever a failed test left running: stop it (bounded), then kill its process group."""
        if self.pid_file.exists():
            self.run("stop")
        for proc in home_processes(self.home):
            try:
                proc.kill()
            except psutil.Error:
                pass


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path)
    yield svc
    svc.cleanup()


def test_start_status_refuse_second_start_stop(service):
    r = service.run("status")
    assert (r.returncode, r.stdout.strip()) == (1, "stopped")

    r = service.run("start")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"http://127.0.0.1:{service.http_port}" in r.stdout
    pid = service.pid()
    assert alive(pid)
    assert service.version()["data"]["FATE"] == "1.6.1"
    assert (service.home / "fate_flow.db").is_file()
    for name in ("console.log", "gunicorn.log", "fate_flow_stat.log"):
        assert (service.log_dir / name).is_file(), name
    # the server runs in its own session, so it outlives the shell that started it
    assert os.getsid(pid) == pid

    r = service.run("status")
    assert r.returncode == 0 and r.stdout.strip() == f"running (pid {pid}) on http://127.0.0.1:{service.http_port}"

    r = service.run("start")
    assert r.returncode == 1
    assert f"already running (pid {pid}" in r.stderr
    assert service.pid() == pid and alive(pid)

    r = service.run("stop")
    assert r.returncode == 0 and f"stopped (pid {pid})" in r.stdout
    assert not alive(pid)
    assert not any(alive(p.pid) for p in psutil.process_iter() if _in_group(p, pid))
    assert not service.pid_file.exists()
    with pytest.raises(requests.ConnectionError):
        service.version()

    r = service.run("status")
    assert (r.returncode, r.stdout.strip()) == (1, "stopped")
    r = service.run("stop")
    assert r.returncode == 0 and "was not running" in r.stdout


def _in_group(proc: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(proc.pid) == pgid
    except (ProcessLookupError, PermissionError):
        return False


def test_restart_replaces_the_server_and_keeps_the_data(service):
    assert service.run("start").returncode == 0
    first = service.pid()
    r = service.run("restart")
    assert r.returncode == 0, r.stdout + r.stderr
    second = service.pid()
    assert second != first and not alive(first) and alive(second)
    assert service.version()["retcode"] == 0
    r = service.run("status")
    assert r.returncode == 0 and f"running (pid {second})" in r.stdout
    assert service.run("stop").returncode == 0
    assert not alive(second)
    # restart from stopped just starts
    r = service.run("restart")
    assert r.returncode == 0 and alive(service.pid())
    assert service.run("stop").returncode == 0


def test_a_stale_pid_file_is_ignored_and_removed(service):
    service.home.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(10)
    service.pid_file.write_text(f"{dead.pid}\n")
    r = service.run("status")
    assert (r.returncode, r.stdout.strip()) == (1, "stopped")
    r = service.run("stop")
    assert r.returncode == 0 and "stale pid file" in r.stdout
    assert not service.pid_file.exists()

    # a live process that is not a fate_flow server (the pid was reused) does not block start
    other = subprocess.Popen(["sleep", "60"])
    try:
        service.pid_file.write_text(f"{other.pid}\n")
        r = service.run("start")
        assert r.returncode == 0, r.stdout + r.stderr
        assert service.pid() != other.pid and other.poll() is None
        assert service.run("stop").returncode == 0
        assert other.poll() is None  # never signalled
    finally:
        other.kill()
        other.wait(10)


def test_stop_kills_a_server_that_ignores_term(service):
    service.home.mkdir(parents=True)
    # stands in for a hung server: ignores TERM, and its command line names fate_flow
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                               "open(__import__('sys').argv[1], 'w').close(); time.sleep(120)",
         str(service.home / "fate_flow_ready")],
        start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not (service.home / "fate_flow_ready").exists():
            assert time.monotonic() < deadline and stubborn.poll() is None
            time.sleep(0.05)
        service.pid_file.write_text(f"{stubborn.pid}\n")
        assert service.run("status").returncode == 0
        started = time.monotonic()
        r = service.run("stop", FATE_FLOW_STOP_TIMEOUT="1")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "sending KILL" in r.stdout
        assert stubborn.wait(10) == -signal.SIGKILL
        assert time.monotonic() - started < 15
        assert not service.pid_file.exists()
    finally:
        if stubborn.poll() is None:
            stubborn.kill()
            stubborn.wait(10)


def test_a_server_that_cannot_start_fails_clearly(tmp_path):
    svc = Service(tmp_path, conf={
        "fateflow": {"host": "127.0.0.1", "http_port": free_port(), "grpc_port": free_port()},
        "database": {"url": "postgres://nobody@127.0.0.1/none"},
    })
    try:
        r = svc.run("start")
        assert r.returncode == 1
        assert "server exited during start-up" in r.stderr
        assert "database.url scheme must be sqlite or mysql" in r.stderr  # the log tail shows the cause
        assert not svc.pid_file.exists()
        assert svc.run("status").returncode == 1
    finally:
        svc.cleanup()


def test_a_bad_conf_is_reported_before_anything_starts(tmp_path):
    svc = Service(tmp_path, conf={"fateflow": {"http_port": "not-a-port"}})
    r = svc.run("start")
    assert r.returncode == 2
    assert "fateflow.http_port must be an integer" in r.stderr
    assert not svc.home.exists() or not svc.pid_file.exists()


def test_usage(tmp_path):
    r = Service(tmp_path).run("bogus")
    assert r.returncode == 2 and "usage:" in r.stderr


def test_start_refuses_an_address_another_server_already_answers(service, tmp_path):
    assert service.run("start").returncode == 0
    (tmp_path / "other").mkdir()
    other = Service(tmp_path / "other")
    other.conf_path.write_text(service.conf_path.read_text(), encoding="utf-8")  # same ports, another home
    try:
        r = other.run("start")
        assert r.returncode == 1
        assert f"a fate_flow server already answers on http://127.0.0.1:{service.http_port}" in r.stderr
        assert not other.pid_file.exists()
        assert service.version()["retcode"] == 0, "the running server is untouched"
    finally:
        other.cleanup()


def test_start_and_status_see_a_server_that_wants_signatures_from_everyone(tmp_path):
    """With `http_auth.unsigned_from: []` the unsigned probe is refused (109): that still means it is up."""
    port = free_port()
    service = Service(tmp_path, conf={
        "fateflow": {"host": "127.0.0.1", "http_port": port, "grpc_port": free_port(), "party_ids": [9999]},
        "database": {"url": "sqlite:///${FATE_FLOW_HOME}/fate_flow.db"}, "http": {"threads": 4},
        "http_auth": {"clients": {"ops": "0123456789abcdef"}, "unsigned_from": []}})
    service.http_port = port
    try:
        r = service.run("start")
        assert r.returncode == 0, r.stdout + r.stderr
        assert service.version()["retcode"] == 109
        r = service.run("status")
        assert r.returncode == 0 and f"running (pid {service.pid()})" in r.stdout, r.stdout + r.stderr
        assert service.run("stop").returncode == 0
    finally:
        service.cleanup()
