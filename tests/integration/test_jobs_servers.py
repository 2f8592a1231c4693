"""Jobs on real servers (gunicorn + gRPC subprocesses): across two servers that know each other only by
their route tables, and on one server killed with SIGKILL mid-job and restarted."""
from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.federation.servers import make_federated_servers
from tests.scheduler.flow import PLUGIN, dsl_conf
from tests.server_process import make_server

pytestmark = pytest.mark.slow

JOB_CONF = {"worker": {"component_plugins": [PLUGIN]}, "scheduler": {"interval": 0.2, "detect_interval": 0.5},
            "job_default": {"task_cores": 2, "auto_retry_delay": 0}}


def with_plugins(server):
    server.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), server.env.get("PYTHONPATH")]))
    import yaml
    conf = yaml.safe_load(server.conf_path.read_text())
    conf.update(JOB_CONF)
    conf.setdefault("route_table", {})  # a lone server routes only to the parties it hosts
    server.conf_path.write_text(yaml.safe_dump(conf))
    return server


def wait_status(server, job_id: str, statuses: set[str], timeout: float = 90, role: str | None = None) -> list[dict]:
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        body = {"job_id": job_id, **({"role": role} if role else {})}
        rows = server.post("/v1/job/query", json=body).json().get("data") or []
        if rows and all(r["f_status"] in statuses for r in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {statuses} within {timeout}s: "
                         f"{[(r['f_role'], r['f_status']) for r in rows]}")


def task_pids(server, job_id: str) -> list[int]:
    import sqlite3
    db = sqlite3.connect(server.home / "fate_flow.db")
    try:
        return [r[0] for r in db.execute("select f_run_pid from t_task where f_job_id=? and f_run_pid is not null",
                                         (job_id,))]
    finally:
        db.close()


def test_two_servers_run_secure_add_and_a_stop_from_the_host_side_ends_both(tmp_path):
    servers = make_federated_servers(tmp_path, {"guest": ["9999"], "host": ["10000"]})
    guest, host = (with_plugins(servers[n]) for n in ("guest", "host"))
    for s in (guest, host):
        s.start()
    try:
        dsl, conf = dsl_conf({"secure_add_0": {"module": "SecureAddExample"}},
                             params={"secure_add_0": {"data_num": 100, "partition": 2}})
        answer = guest.post("/v1/job/submit", json={"job_dsl": dsl, "job_runtime_conf": conf}).json()
        assert answer["retcode"] == 0, answer
        job_id = answer["jobId"]
        wait_status(guest, job_id, {"success"})
        [host_row] = wait_status(host, job_id, {"success"})
        assert host_row["f_role"] == "host" and host_row["f_progress"] == 100

        dsl, conf = dsl_conf({"sleep_0": {"module": "TestSleep"}}, params={"sleep_0": {"seconds": 120}})
        job_id = guest.post("/v1/job/submit", json={"job_dsl": dsl, "job_runtime_conf": conf}).json()["jobId"]
        wait_status(host, job_id, {"running"})
        deadline = time.monotonic() + 30
        while len(task_pids(host, job_id)) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = task_pids(host, job_id) + task_pids(guest, job_id)
        stop = host.post("/v1/job/stop", json={"job_id": job_id}).json()  # the host asks the initiator
        assert stop["retcode"] == 0, stop
        wait_status(guest, job_id, {"canceled"}, timeout=20)
        wait_status(host, job_id, {"canceled"}, timeout=20)
        _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=10)
        assert not alive
    finally:
        for s in (guest, host):
            s.stop()


def test_server_killed_mid_job_resumes_it_after_restart(tmp_path):
    server = with_plugins(make_server(tmp_path / "s", party_ids=[9999, 10000]))
    server.start()
    try:
        dsl, conf = dsl_conf({"sleep_0": {"module": "TestSleep"}, "source_0": {"module": "TestSource"}},
                             params={"sleep_0": {"seconds": 4}})
        answer = server.post("/v1/job/submit", json={"job_dsl": dsl, "job_runtime_conf": conf}).json()
        job_id = answer["jobId"]
        deadline = time.monotonic() + 30
        while len(task_pids(server, job_id)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = task_pids(server, job_id)
        assert len(pids) == 2
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        assert all(psutil.pid_exists(p) for p in pids), "workers must outlive their server"
        server.start()
        rows = wait_status(server, job_id, {"success", "failed"}, timeout=60)
        assert {r["f_status"] for r in rows} == {"success"}, rows
        assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    finally:
        server.stop()
