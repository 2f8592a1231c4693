"""One of several concurrent writer processes for tests/db/test_concurrent_writers.py.

    python -m tests.db.writer_process URL WORKER N GO_FILE

Opens URL with init_db, writes GO_FILE.ready.WORKER, waits (bounded) for GO_FILE so all workers start together, then N times:
  1. in one write_transaction: read (count own rows), insert a t_job row, read-modify-write a shared counter
     (the pattern that fails with "database is locked" on SQLite when a deferred read has to upgrade);
  2. moves its own job waiting -> running through update_job_status (compare-and-set);
  3. reads outside any transaction.
Prints one JSON line with what it did; any exception ends it with a traceback and exit 1.
"""
from __future__ import annotations

import json
import os
import sys
import time

COUNTER_JOB_ID = "counter"


def main(argv: list[str]) -> int:
    url, worker, n, go_file = argv[0], int(argv[1]), int(argv[2]), argv[3]
    from fate_flow.db.base import init_db, write_transaction
    from fate_flow.db.models import Job
    from fate_flow.entity.status import JobStatus
    from fate_flow.services.jobs.status_updates import update_job_status

    db = init_db(url, max_connections=4, busy_timeout_ms=30000)
    mysql = not url.startswith("sqlite:")
    with open(f"{go_file}.ready.{worker}", "w"):
        pass
    deadline = time.monotonic() + 30
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            raise SystemExit(f"worker {worker}: {go_file} did not appear within 30s")
        time.sleep(0.01)

    moved = 0
    for i in range(n):
        job_id = f"w{worker}_{i}"
        with write_transaction():
            mine = Job.select().where(Job.f_job_id.startswith(f"w{worker}_")).count()
            assert mine == i, f"worker {worker} sees {mine} of its own rows before insert {i}"
            Job.insert(f_job_id=job_id, f_role="guest", f_party_id="9999", f_initiator_role="guest",
                       f_initiator_party_id="9999", f_status=JobStatus.WAITING.value, f_dsl={"i": i},
                       f_runtime_conf={"worker": worker}, f_runtime_conf_on_party={}, f_roles={"guest": [9999]},
                       **Job.audit_values()).execute()
            query = Job.select(Job.f_progress).where(Job.f_job_id == COUNTER_JOB_ID)
            if mysql:  # InnoDB snapshot reads do not lock; SQLite's BEGIN IMMEDIATE already serializes writers
                query = query.for_update()
            value = query.scalar()
            Job.update(f_progress=value + 1).where(Job.f_job_id == COUNTER_JOB_ID).execute()
        if update_job_status(job_id, "guest", "9999", JobStatus.RUNNING):
            moved += 1
        Job.select().where(Job.f_status == JobStatus.RUNNING.value).count()
    db.close()
    print(json.dumps({"worker": worker, "inserted": n, "moved": moved}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def cas_racer(url: str, job_ids: list[str], target: str, barrier, results) -> None:
    """multiprocessing target (spawn): for each job, wait at the shared barrier, then try one status change
    with update_job_status; put (job_id, target, won) on `results`."""
    from fate_flow.db.base import init_db
    from fate_flow.entity.status import JobStatus
    from fate_flow.services.jobs.local_jobs import LOCAL_PARTY_ID, LOCAL_ROLE
    from fate_flow.services.jobs.status_updates import update_job_status

    db = init_db(url, max_connections=2, busy_timeout_ms=30000)
    for job_id in job_ids:
        barrier.wait()
        won = update_job_status(job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus(target))
        results.put((job_id, target, won))
    db.close()
