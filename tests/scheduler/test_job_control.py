"""Stop, timeout, retries after a killed worker, rerun, and the resource queue: driven by tick(now)."""
from __future__ import annotations

import time

import psutil

from tests.scheduler.flow import dsl_conf, worker_processes

SLEEP = {"module": "TestSleep"}


def submit_ok(flow, dsl, conf) -> str:
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 0, answer
    return answer["jobId"]


def running_workers(flow, job_id: str, count: int) -> list[psutil.Process]:
    def ready():
        tasks = [t for t in flow.tasks(job_id) if t.f_party_status == "running" and t.f_run_pid]
        return len(tasks) == count
    flow.run_until(ready, timeout=30)
    procs = worker_processes(flow)
    assert len(procs) == count
    return procs


def test_stop_kills_every_worker_and_cancels_the_job_on_every_party(flow):
    dsl, conf = dsl_conf({"sleep_0": SLEEP}, params={"sleep_0": {"seconds": 120}})
    job_id = submit_ok(flow, dsl, conf)
    procs = running_workers(flow, job_id, 2)

    answer = flow.post("/v1/job/stop", {"job_id": job_id})
    assert answer["retcode"] == 0, answer
    assert [j.f_status for j in flow.jobs(job_id)] == ["canceled", "canceled"]
    gone, alive = psutil.wait_procs(procs, timeout=10)
    assert not alive and not worker_processes(flow)
    assert {(t.f_status, t.f_party_status) for t in flow.tasks(job_id)} == {("canceled", "canceled")}
    assert all(not j.f_resource_in_use for j in flow.jobs(job_id))

    again = flow.post("/v1/job/stop", {"job_id": job_id})
    assert again["retcode"] == 103 and "already ended" in again["retmsg"], again
    assert flow.post("/v1/job/stop", {"job_id": "20990101000000000000"})["retcode"] == 102
    rerun = flow.post("/v1/job/rerun", {"job_id": "20990101000000000000", "component_name": "pipeline"})
    assert rerun["retcode"] == 102


def test_a_timed_out_job_ends_timeout_everywhere_and_its_workers_are_killed(flow):
    dsl, conf = dsl_conf({"sleep_0": SLEEP}, params={"sleep_0": {"seconds": 120}}, job_parameters={"timeout": 30})
    job_id = submit_ok(flow, dsl, conf)
    procs = running_workers(flow, job_id, 2)
    flow.tick(time.time() + 31)  # 31 s later, without waiting for them
    assert [j.f_status for j in flow.jobs(job_id)] == ["timeout", "timeout"]
    assert "timeout of 30s" in flow.job(job_id).f_fail_reason
    _, alive = psutil.wait_procs(procs, timeout=10)
    assert not alive


def test_a_worker_killed_by_sigkill_is_retried_then_the_job_succeeds(flow, tmp_path):
    marker = tmp_path / "first-attempt"
    dsl, conf = dsl_conf({"fail_0": {"module": "TestFail"}}, hosts=(),
                         params={"fail_0": {"how": "sigkill", "marker": str(marker)}},
                         job_parameters={"auto_retries": 1, "auto_retry_delay": 5})
    job_id = submit_ok(flow, dsl, conf)
    flow.run_until(lambda: any(t.f_party_status == "failed" for t in flow.tasks(job_id)), timeout=30)
    [first] = flow.tasks(job_id)
    assert "died (killed by signal 9 (SIGKILL))" in first.f_fail_reason
    assert flow.job_status(job_id) == "running"  # a retry is due, not a failure
    flow.tick(time.time())  # before the delay: no new version yet
    assert len(flow.tasks(job_id)) == 1
    flow.run_until(lambda: flow.job_status(job_id) == "success", timeout=30, clock=lambda: time.time() + 6)
    versions = [(t.f_task_version, t.f_party_status) for t in flow.tasks(job_id)]
    assert versions == [(0, "failed"), (1, "success")]


def test_retries_used_up_fail_the_job_with_the_reason(flow):
    dsl, conf = dsl_conf({"fail_0": {"module": "TestFail"}}, hosts=(),
                         params={"fail_0": {"how": "sigkill", "always": True}},
                         job_parameters={"auto_retries": 1, "auto_retry_delay": 0})
    job_id = submit_ok(flow, dsl, conf)
    flow.run_until(lambda: flow.job_status(job_id) == "failed", timeout=40)
    assert len(flow.tasks(job_id)) == 2
    assert "killed by signal 9" in flow.job(job_id).f_fail_reason


def test_rerun_from_a_component_keeps_upstream_outputs(flow, tmp_path):
    marker = tmp_path / "fails-once"
    dsl, conf = dsl_conf({
        "source_0": {"module": "TestSource", "output": {"data": ["data"]}},
        "fail_0": {"module": "TestFail", "input": {"data": {"data": ["source_0.data"]}}},
    }, params={"fail_0": {"marker": str(marker)}})
    job_id = submit_ok(flow, dsl, conf)
    flow.run_until(lambda: flow.job_status(job_id) == "failed", timeout=40)
    assert "failed on purpose" in flow.job(job_id).f_fail_reason

    answer = flow.post("/v1/job/rerun", {"job_id": job_id, "component_name": "fail_0"})
    assert answer["retcode"] == 0, answer
    assert [j.f_status for j in flow.jobs(job_id)] == ["waiting", "waiting"]
    flow.run_until(lambda: flow.job_status(job_id) == "success", timeout=40)
    by_component = {}
    for t in flow.tasks(job_id):
        by_component.setdefault(t.f_component_name, set()).add(t.f_task_version)
    assert by_component == {"source_0": {0}, "fail_0": {0, 1}}
    assert flow.job(job_id).f_fail_reason is None and flow.job(job_id).f_progress == 100


def test_rerun_of_a_running_job_is_refused(flow):
    dsl, conf = dsl_conf({"sleep_0": SLEEP}, params={"sleep_0": {"seconds": 120}})
    job_id = submit_ok(flow, dsl, conf)
    running_workers(flow, job_id, 2)
    answer = flow.post("/v1/job/rerun", {"job_id": job_id, "component_name": "pipeline"})
    assert answer["retcode"] == 103 and "only an ended job can be rerun" in answer["retmsg"], answer
    assert flow.post("/v1/job/stop", {"job_id": job_id})["retcode"] == 0


def test_a_job_that_does_not_fit_does_not_block_a_later_one_that_does(flow_factory):
    flow = flow_factory(resources={"cores_per_party": 4})
    sleep = {"sleep_0": {"seconds": 120}}
    big_now = submit_ok(flow, *dsl_conf({"sleep_0": SLEEP}, hosts=(), params=sleep, job_parameters={"task_cores": 3}))
    flow.run_until(lambda: flow.job_status(big_now) == "running", timeout=30)
    blocked = submit_ok(flow, *dsl_conf({"sleep_0": SLEEP}, hosts=(), params=sleep, job_parameters={"task_cores": 4}))
    small = submit_ok(flow, *dsl_conf({"sleep_0": SLEEP}, hosts=(), params=sleep, job_parameters={"task_cores": 1}))
    flow.run_until(lambda: flow.job_status(small) == "running", timeout=30)
    assert flow.job_status(blocked) == "waiting"
    assert "waiting for resources" in (flow.settings.logs_dir / blocked / "fate_flow_schedule.log").read_text()

    for job_id in (big_now, small):
        assert flow.post("/v1/job/stop", {"job_id": job_id})["retcode"] == 0
    flow.run_until(lambda: flow.job_status(blocked) == "running", timeout=30)
    queue = flow.post("/v1/job/clean/queue")
    assert queue["retcode"] == 0 and queue["data"] == {}
    assert flow.post("/v1/job/stop", {"job_id": blocked})["retcode"] == 0


def test_a_job_waiting_for_cores_past_its_timeout_ends_timeout(flow_factory):
    flow = flow_factory(resources={"cores_per_party": 4})
    sleep = {"sleep_0": {"seconds": 120}}
    running = submit_ok(flow, *dsl_conf({"sleep_0": SLEEP}, hosts=(), params=sleep, job_parameters={"task_cores": 3}))
    flow.run_until(lambda: flow.job_status(running) == "running", timeout=30)
    waiting = submit_ok(flow, *dsl_conf({"sleep_0": SLEEP}, hosts=(), params=sleep,
                                        job_parameters={"task_cores": 4, "timeout": 60}))
    flow.tick(time.time() + 30)
    assert flow.job_status(waiting) == "waiting", "within its timeout it keeps waiting"
    flow.tick(time.time() + 61)
    assert flow.job_status(waiting) == "timeout"
    reason = flow.job(waiting).f_fail_reason
    assert "waited for cores longer than its timeout of 60s" in reason and "has 1 of 4 cores free" in reason
    assert flow.job_status(running) == "running", "the running job's own timeout is the default 3 days"
    assert flow.post("/v1/job/stop", {"job_id": running})["retcode"] == 0
