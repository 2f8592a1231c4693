"""What a server does for its own local jobs when it starts: a server killed mid-upload (even with kill -9)
leaves a job that will never finish and, perhaps, a half-written table directory that no meta points at."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, StorageTableMeta, Task
from fate_flow.entity.status import JobStatus
from fate_flow.services.jobs.local_jobs import LOCAL_PARTY_ID, LOCAL_ROLE
from fate_flow.services.jobs.status_updates import update_job_status, update_task_status
from fate_flow.settings import Settings
from fate_flow.worker.launcher import SESSIONS_DIR, session_id

LOG = logging.getLogger(__name__)

ONGOING = (JobStatus.WAITING.value, JobStatus.RUNNING.value)


def recover_local_jobs(settings: Settings) -> list[str]:
    """Fail the local jobs (upload/download) left waiting or running by a previous run of this server, then
    remove table directories that no table meta refers to and upload bodies spooled to disk. Returns the
    failed job ids."""
    failed = []
    stale = Job.select(Job.f_job_id).where(Job.f_role == LOCAL_ROLE, Job.f_status.in_(ONGOING))
    for row in stale:
        with write_transaction():
            for task in Task.select().where(Task.f_job_id == row.f_job_id, Task.f_status.in_(ONGOING)):
                update_task_status(row.f_job_id, task.f_task_id, task.f_task_version, task.f_role,
                                   task.f_party_id, JobStatus.FAILED)
            if update_job_status(row.f_job_id, LOCAL_ROLE, LOCAL_PARTY_ID, JobStatus.FAILED):
                failed.append(row.f_job_id)
        LOG.warning("job %s was still running when the server stopped; marked failed", row.f_job_id)
    # ended local jobs recorded by earlier versions as still waiting for other parties to hear of their end
    with write_transaction():
        Job.update(f_end_scheduling_updates=1).where(Job.f_role == LOCAL_ROLE, Job.f_status.not_in(ONGOING),
                                                     Job.f_end_scheduling_updates == 0).execute()
    _remove_unreferenced_tables(settings)
    _remove_spooled_uploads(settings)
    return failed


def _remove_spooled_uploads(settings: Settings) -> None:
    spool = settings.upload_spool_dir
    if spool.is_dir():
        for leftover in spool.iterdir():
            LOG.warning("removing %s, an upload body spooled by a previous run of the server", leftover)
            leftover.unlink(missing_ok=True)


def _remove_unreferenced_tables(settings: Settings) -> None:
    """Table directories no meta refers to are leftovers of interrupted writes. Task workers keep their
    tables under sessions/<session id>/: those of tasks still waiting or running (a worker may have
    outlived the server) are left alone, since their outputs are reported once the server is back."""
    root = settings.storage.root
    if not root.is_dir():
        return
    referenced = {str((meta.f_address or {}).get("path")) for meta in StorageTableMeta.select(StorageTableMeta.f_address)}
    for directory in root.iterdir():
        if directory.name == SESSIONS_DIR and directory.is_dir():
            _remove_unreferenced_session_tables(directory, referenced)
        elif directory.is_dir() and str(directory) not in referenced:
            LOG.warning("removing table data %s: no table refers to it (left by an interrupted write)", directory)
            shutil.rmtree(directory, ignore_errors=True)


def _remove_unreferenced_session_tables(sessions: Path, referenced: set[str]) -> None:
    live = {session_id(t.f_task_id, t.f_task_version, t.f_role, t.f_party_id)
            for t in Task.select(Task.f_task_id, Task.f_task_version, Task.f_role, Task.f_party_id).where(
                Task.f_run_on_this_party == True, Task.f_party_status.in_(ONGOING))}  # noqa: E712
    for session in sessions.iterdir():
        if not session.is_dir() or session.name in live:
            continue
        for directory in session.iterdir():
            if directory.is_dir() and str(directory) not in referenced:
                LOG.warning("removing table data %s: left by task session %s, no table refers to it", directory,
                            session.name)
                shutil.rmtree(directory, ignore_errors=True)
        if not any(session.iterdir()):
            session.rmdir()
