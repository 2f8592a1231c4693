"""Several processes writing one database at once: on SQLite (WAL + busy timeout + BEGIN IMMEDIATE) no writer
ever sees "database is locked"; on MySQL the pool serves them. Every row and every increment arrives."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fate_flow.db.base import now_ms
from fate_flow.db.models import Job
from fate_flow.entity.status import JobStatus
from tests.db.writer_process import COUNTER_JOB_ID

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
ROUNDS = 150
TIMEOUT = 120


def test_concurrent_writer_processes_all_succeed(db, db_url, tmp_path):
    Job.insert(f_job_id=COUNTER_JOB_ID, f_role="guest", f_party_id="0", f_initiator_role="guest",
               f_initiator_party_id="0", f_status=JobStatus.WAITING.value, f_progress=0, f_dsl={},
               f_runtime_conf={}, f_runtime_conf_on_party={}, f_roles={}, f_create_time=now_ms()).execute()
    if db_url.startswith("sqlite:"):
        journal = db.execute_sql("PRAGMA journal_mode").fetchone()[0]
        assert journal == "wal"
    db.close()

    go = tmp_path / "go"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs = [subprocess.Popen([sys.executable, "-m", "tests.db.writer_process", db_url, str(w), str(ROUNDS), str(go)],
                              cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(WORKERS)]
    results = []
    try:
        deadline = time.monotonic() + TIMEOUT
        while not all(Path(f"{go}.ready.{w}").exists() for w in range(WORKERS)):
            assert time.monotonic() < deadline, "writer processes did not get ready in time"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs if p.poll() is not None]
            time.sleep(0.05)
        go.touch()
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            results.append((p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)

    for rc, out, err in results:
        assert "database is locked" not in err
        assert rc == 0, err
    reports = [json.loads(out.strip().splitlines()[-1]) for _, out, _ in results]
    assert sorted(r["worker"] for r in reports) == list(range(WORKERS))
    assert all(r["inserted"] == ROUNDS and r["moved"] == ROUNDS for r in reports)

    db.connect(reuse_if_open=True)
    assert Job.select().where(Job.f_job_id != COUNTER_JOB_ID).count() == WORKERS * ROUNDS
    assert Job.select().where(Job.f_status == JobStatus.RUNNING.value).count() == WORKERS * ROUNDS
    assert Job.get(Job.f_job_id == COUNTER_JOB_ID).f_progress == WORKERS * ROUNDS
    assert Job.get(Job.f_job_id == "w3_7").f_dsl == {"i": 7}
