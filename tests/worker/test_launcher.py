"""The worker launcher on real processes: pid + start time identify a worker, kill takes its whole process
group (children included), and both start methods run a task to success."""
from __future__ import annotations

import subprocess
import sys
import time

import psutil

from fate_flow.worker.launcher import WorkerLauncher, describe_exit, is_alive, process_start_time
from tests.scheduler.flow import dsl_conf


def test_kill_takes_the_process_group_and_a_reused_pid_is_not_the_worker():
    # a "worker" that starts a grandchild in its own process group, as components with pools would
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not psutil.Process(proc.pid).children() and time.monotonic() < deadline:
            time.sleep(0.02)
        [grandchild] = psutil.Process(proc.pid).children()
        started = process_start_time(proc.pid)
        assert is_alive(proc.pid, started)
        assert not is_alive(proc.pid, started - 100)  # same pid, another start time: not our worker
        launcher = WorkerLauncher("spawn", kill_grace=1)
        assert launcher.kill(proc.pid, started - 100) is False and proc.poll() is None
        assert launcher.kill(proc.pid, started) is True
        assert proc.wait(5) == -15
        gone, alive = psutil.wait_procs([grandchild], timeout=5)
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert describe_exit(-9) == "killed by signal 9 (SIGKILL)" and describe_exit(3) == "exit code 3"


def test_spawned_workers_run_a_job_to_success(flow_factory):
    flow = flow_factory(worker={"start_method": "spawn"})
    dsl, conf = dsl_conf({"source_0": {"module": "TestSource", "output": {"data": ["data"]}}})
    job_id = flow.submit(dsl, conf)["jobId"]
    flow.run_until(lambda: flow.job_status(job_id) == "success", timeout=60)
    assert {t.f_party_status for t in flow.tasks(job_id)} == {"success"}
