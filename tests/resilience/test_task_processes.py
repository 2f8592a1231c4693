"""Every process a task starts ends with the task. Each case counts the processes that carry the server's
FATE_FLOW_HOME in their environment (the server, its fork server, task workers and all they start: here a
crypto pool's two workers and multiprocessing's resource tracker) before and after: kill -9 of a worker
alone, a stop, a timeout, a retry across two servers, `bin/service.sh stop`, and a server killed with
SIGKILL then restarted or stopped with service.sh."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import psutil
import pytest
import yaml

from fate_flow.settings import PROJECT_ROOT
from tests.conftest import free_port
from tests.federation.servers import make_federated_servers
from tests.integration.test_jobs_servers import wait_status
from tests.scheduler.flow import PLUGIN, dsl_conf
from tests.server_process import home_processes, make_server

pytestmark = pytest.mark.slow

PLUGINS = [PLUGIN, "tests.resilience.components"]
CONF = {"worker": {"component_plugins": PLUGINS, "kill_grace": 1},
        "scheduler": {"interval": 0.2, "detect_interval": 0.5},
        "job_default": {"task_cores": 2, "auto_retries": 0, "auto_retry_delay": 0}}
SERVICE_SH = PROJECT_ROOT / "bin" / "service.sh"


def wait_count(home, count: int, timeout: float = 20) -> list[psutil.Process]:
    """The processes of `home` once there are `count` of them (or what there is after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        procs = home_processes(home)
        if len(procs) == count or time.monotonic() >= deadline:
            return procs
        time.sleep(0.2)


def describe(procs: list[psutil.Process]) -> list[str]:
    out = []
    for p in procs:
        try:
            out.append(f"{p.pid} ppid {p.ppid()} {' '.join(p.cmdline())[:120]}")
        except psutil.Error:
            pass
    return out


def with_plugins(server, conf: dict | None = None):
    server.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), server.env.get("PYTHONPATH")]))
    data = yaml.safe_load(server.conf_path.read_text())
    for key, value in {**CONF, **(conf or {})}.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    data.setdefault("route_table", {})
    server.conf_path.write_text(yaml.safe_dump(data))
    return server


def submit(server, seconds: float = 120, job_parameters: dict | None = None, **params) -> str:
    dsl, conf = dsl_conf({"pool_0": {"module": "TestPoolSleep"}},
                         params={"pool_0": {"seconds": seconds, **params}}, job_parameters=job_parameters)
    answer = server.post("/v1/job/submit", json={"job_dsl": dsl, "job_runtime_conf": conf}).json()
    assert answer["retcode"] == 0, answer
    return answer["jobId"]


def running_workers(server, job_id: str, count: int = 2, timeout: float = 60) -> list[psutil.Process]:
    """The job's task workers on this server once each runs its pool (three children: two pool workers and
    the resource tracker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = server.post("/v1/job/task/query", json={"job_id": job_id}).json().get("data") or []
        pids = {t["f_run_pid"] for t in tasks if t.get("f_run_pid") and t["f_party_status"] == "running"}
        workers = []
        for pid in pids:
            try:
                if len(psutil.Process(pid).children(recursive=True)) >= 3:
                    workers.append(psutil.Process(pid))
            except psutil.Error:
                pass
        if len(workers) >= count:
            return workers
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get {count} workers with pools within {timeout}s")


def tree(workers: list[psutil.Process]) -> list[psutil.Process]:
    return [p for w in workers for p in [w, *w.children(recursive=True)]]


def still_running(procs: list[psutil.Process], timeout: float = 15) -> list[str]:
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return describe([p for p in alive if p.status() != psutil.STATUS_ZOMBIE])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = with_plugins(make_server(tmp_path_factory.mktemp("procs"), party_ids=(9999, 10000))).start()
    job_id = submit(server, seconds=0)  # warms the fork server up: the baseline includes it
    wait_status(server, job_id, {"success"})
    server.baseline = len(wait_count(server.home, 3))
    yield server
    server.stop()


def test_kill_9_of_a_worker_takes_its_children_along(server):
    job_id = submit(server)
    workers = running_workers(server, job_id)
    procs = tree(workers)
    victim = workers[0]
    children = victim.children(recursive=True)
    victim.kill()
    assert still_running(children) == []
    wait_status(server, job_id, {"failed"})
    assert still_running(procs) == []
    left = wait_count(server.home, server.baseline)
    assert len(left) == server.baseline, describe(left)


def test_a_stopped_job_leaves_no_process(server):
    job_id = submit(server)
    workers = running_workers(server, job_id)
    procs = tree(workers)
    assert server.post("/v1/job/stop", json={"job_id": job_id}).json()["retcode"] == 0
    wait_status(server, job_id, {"canceled"})
    assert still_running(procs) == []
    assert len(wait_count(server.home, server.baseline)) == server.baseline


def test_a_job_that_times_out_leaves_no_process(server):
    job_id = submit(server, job_parameters={"timeout": 4})
    procs = tree(running_workers(server, job_id))
    wait_status(server, job_id, {"timeout"}, timeout=60)
    assert still_running(procs) == []
    assert len(wait_count(server.home, server.baseline)) == server.baseline


def test_a_retry_stops_the_previous_version_on_the_partner_first(tmp_path):
    servers = make_federated_servers(tmp_path, {"guest": ["9999"], "host": ["10000"]})
    guest, host = (with_plugins(servers[n], {"job_default": {"auto_retries": 1}}) for n in ("guest", "host"))
    for s in (guest, host):
        s.start()
    try:
        baseline = len(home_processes(host.home))
        # the guest's first version fails after 3 s; the host's would sleep 120 s
        job_id = submit(guest, seconds=120, retry_seconds=0, fail_role="guest", fail_after=3)
        [old_host] = running_workers(host, job_id, count=1)
        old = tree([old_host])
        wait_status(guest, job_id, {"success"}, timeout=90)
        wait_status(host, job_id, {"success"}, timeout=30)
        assert still_running(old, timeout=5) == []
        versions = task_versions(host, job_id)
        assert versions[0][0] == "canceled" and versions[1][0] == "success", versions
        assert versions[0][1] <= versions[1][2], "the new version started before the old one was stopped"
        assert len(wait_count(host.home, baseline + 1)) <= baseline + 1  # + the fork server
    finally:
        for s in (guest, host):
            s.stop()


def task_versions(server, job_id: str) -> dict[int, tuple[str, int, int]]:
    """task version -> (party status, end time, start time) of the job's task on this server."""
    db = sqlite3.connect(server.home / "fate_flow.db")
    try:
        return {r[0]: r[1:] for r in db.execute(
            "select f_task_version, f_party_status, f_end_time, f_start_time from t_task where f_job_id=?", (job_id,))}
    finally:
        db.close()


class Service:
    """The server as bin/service.sh runs it."""

    def __init__(self, base):
        self.home = base / "home"
        self.http_port = free_port()
        self.conf_path = base / "service_conf.yaml"
        conf = {"fateflow": {"host": "127.0.0.1", "http_port": self.http_port, "grpc_port": free_port(),
                             "party_ids": [9999, 10000]},
                "database": {"url": "sqlite:///${FATE_FLOW_HOME}/fate_flow.db"}, "http": {"threads": 4},
                "route_table": {}, **CONF}
        self.conf_path.write_text(yaml.safe_dump(conf))
        self.env = dict(os.environ, FATE_FLOW_HOME=str(self.home), FATE_FLOW_CONF=str(self.conf_path),
                        FATE_FLOW_START_TIMEOUT="60", FATE_FLOW_STOP_TIMEOUT="20",
                        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
        self.base_url = f"http://127.0.0.1:{self.http_port}"

    def run(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(SERVICE_SH), command], env=self.env, capture_output=True, text=True,
                              timeout=120)

    def post(self, path: str, **kwargs):
        import requests
        return requests.post(self.base_url + path, timeout=30, **kwargs)

    def pid(self) -> int:
        return int((self.home / "fate_flow.pid").read_text().strip())

    def cleanup(self) -> None:
        for proc in home_processes(self.home):
            proc.kill()


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path)
    yield svc
    svc.cleanup()


def test_service_sh_stop_ends_the_running_tasks(service):
    assert service.run("start").returncode == 0
    job_id = submit(service)
    procs = tree(running_workers(service, job_id))
    stop = service.run("stop")
    assert stop.returncode == 0, stop.stderr
    assert still_running(procs, timeout=5) == []
    assert describe(home_processes(service.home)) == []


def test_a_server_killed_with_sigkill_then_service_sh_stop_leaves_nothing(service):
    assert service.run("start").returncode == 0
    job_id = submit(service)
    procs = tree(running_workers(service, job_id))
    os.killpg(service.pid(), signal.SIGKILL)
    time.sleep(1)
    assert [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], \
        "the task workers outlive a server killed with SIGKILL (they report once it is back)"
    stop = service.run("stop")
    assert stop.returncode == 0 and "task worker processes left by an earlier run" in stop.stdout, stop.stdout
    assert still_running(procs, timeout=5) == []
    assert describe(home_processes(service.home)) == []


def test_a_server_killed_with_sigkill_and_restarted_finishes_the_job_and_leaves_nothing(service):
    assert service.run("start").returncode == 0
    job_id = submit(service, seconds=6)
    procs = tree(running_workers(service, job_id))
    os.killpg(service.pid(), signal.SIGKILL)
    time.sleep(1)
    assert service.run("start").returncode == 0
    wait_status(service, job_id, {"success"}, timeout=90)
    assert still_running(procs, timeout=10) == []
    stop = service.run("stop")
    assert stop.returncode == 0
    assert describe(home_processes(service.home)) == []
