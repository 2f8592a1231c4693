"""Status changes go through update_job_status/update_task_status: the transition table is enforced and the
update is a compare-and-set, so of several concurrent changers exactly one wins."""
from __future__ import annotations

import multiprocessing
import threading

from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.entity.status import JobStatus
from fate_flow.services.jobs.local_jobs import LOCAL_PARTY_ID, LOCAL_ROLE, LocalJob, create_local_job
from fate_flow.services.jobs.status_updates import update_job_status, update_task_status
from tests.db.writer_process import cas_racer

THREADS = 8
PROCESSES = 4
PROCESS_ROUNDS = 40
JOIN_TIMEOUT = 60


def new_job(settings, job_id: str) -> LocalJob:
    job = LocalJob(job_id=job_id, component_name="upload_0", module="Upload", parameters={"file": "x.csv"})
    create_local_job(settings, job)
    return job


def job_row(job_id: str) -> Job:
    return Job.get(Job.f_job_id == job_id, Job.f_role == LOCAL_ROLE, Job.f_party_id == LOCAL_PARTY_ID)


def test_create_local_job_records_waiting_job_and_task(db, settings):
    job = new_job(settings, "202601010000000000001")
    row = job_row(job.job_id)
    assert row.f_status == "waiting" and row.f_is_initiator and row.f_progress == 0
    assert row.f_dsl == {"components": {"upload_0": {"module": "Upload"}}}
    task = Task.get(Task.f_job_id == job.job_id)
    assert (task.f_task_id, task.f_status, task.f_party_status) == (job.task_id, "waiting", "waiting")
    assert (settings.jobs_dir / job.job_id / "job_dsl.json").is_file()


def test_legal_path_stamps_times_and_illegal_transitions_are_refused(db, settings):
    job_id = new_job(settings, "202601010000000000002").job_id
    assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.SUCCESS) is False  # waiting -/-> success
    row = job_row(job_id)
    assert row.f_status == "waiting" and row.f_end_time is None

    assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.RUNNING, progress=5) is True
    row = job_row(job_id)
    assert row.f_status == "running" and row.f_start_time is not None and row.f_progress == 5
    assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.RUNNING) is False  # no self-transition
    assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.WAITING) is False  # no way back

    assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.SUCCESS) is True
    row = job_row(job_id)
    assert row.f_status == "success" and row.f_end_time >= row.f_start_time and row.f_elapsed is not None
    for later in (JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.WAITING):
        assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, later) is False  # end statuses are final
    assert job_row(job_id).f_status == "success"


def test_status_change_of_a_missing_job_or_other_party_changes_nothing(db, settings):
    job_id = new_job(settings, "202601010000000000003").job_id
    assert update_job_status("no_such_job", LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.RUNNING) is False
    assert update_job_status(job_id, "guest", "9999", JobStatus.RUNNING) is False
    assert job_row(job_id).f_status == "waiting"
    assert Job.select().count() == 1


def test_task_status_follows_the_same_rules(db, settings):
    job = new_job(settings, "202601010000000000004")
    args = (job.job_id, job.task_id, 0, LOCAL_ROLE, LOCAL_PARTY_ID)
    assert update_task_status(*args, JobStatus.SUCCESS) is False
    assert update_task_status(*args, JobStatus.RUNNING) is True
    assert update_task_status(*args, JobStatus.FAILED) is True
    assert update_task_status(*args, JobStatus.RUNNING) is False
    task = Task.get(Task.f_task_id == job.task_id)
    assert (task.f_status, task.f_party_status) == ("failed", "failed")
    assert task.f_end_time is not None


def _race_threads(job_id: str, targets: list[JobStatus]) -> list[bool | None]:
    """Each thread tries one target from the same starting status at the same moment."""
    barrier = threading.Barrier(len(targets), timeout=JOIN_TIMEOUT)
    results: list[bool | None] = [None] * len(targets)
    errors: list[BaseException] = []

    def run(i: int, target: JobStatus) -> None:
        try:
            barrier.wait()
            results[i] = update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, target)
        except BaseException as e:  # reported by the test, not lost in the thread
            errors.append(e)
        finally:
            DB.obj.close()  # give the thread's connection back (the MySQL pool would keep it otherwise)

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a status updater thread hung"
    assert not errors, errors
    return results


# from running, every one of these is legal and final: of concurrent changers exactly one can win
END_TARGETS = [JobStatus.SUCCESS, JobStatus.CANCELED, JobStatus.FAILED, JobStatus.TIMEOUT]


def new_running_job(settings, job_id: str) -> str:
    new_job(settings, job_id)
    assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.RUNNING)
    return job_id


def test_concurrent_threads_compare_and_set_has_exactly_one_winner(db, settings):
    job_id = new_running_job(settings, "202601010000000000100")
    targets = END_TARGETS * (THREADS // 4)
    results = _race_threads(job_id, targets)
    winners = [t for t, won in zip(targets, results) if won]
    assert len(winners) == 1, results
    assert job_row(job_id).f_status == winners[0].value


def test_concurrent_same_transition_is_applied_once(db, settings):
    job_id = new_job(settings, "202601010000000000200").job_id
    assert update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.RUNNING)
    results = _race_threads(job_id, [JobStatus.SUCCESS] * THREADS)
    assert results.count(True) == 1 and results.count(False) == THREADS - 1
    assert job_row(job_id).f_status == "success"


def test_concurrent_processes_compare_and_set_has_exactly_one_winner(db, db_url, settings):
    """Separate processes (as gunicorn threads, the scheduler and workers' reports are), released together
    by a barrier for each job: every job has exactly one winner and ends in the winner's status."""
    job_ids = [new_running_job(settings, f"2026010100000000{i:05d}") for i in range(PROCESS_ROUNDS)]
    db.close()
    targets = END_TARGETS[:PROCESSES]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(targets), timeout=JOIN_TIMEOUT)
    queue = ctx.Queue()
    procs = [ctx.Process(target=cas_racer, args=(db_url, job_ids, t.value, barrier, queue)) for t in targets]
    for p in procs:
        p.start()
    try:
        outcomes = [queue.get(timeout=JOIN_TIMEOUT) for _ in range(len(job_ids) * len(targets))]
        for p in procs:
            p.join(JOIN_TIMEOUT)
            assert p.exitcode == 0
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(10)
    db.connect(reuse_if_open=True)
    for job_id in job_ids:
        winners = [target for jid, target, won in outcomes if jid == job_id and won]
        assert len(winners) == 1, (job_id, [o for o in outcomes if o[0] == job_id])
        assert job_row(job_id).f_status == winners[0]
