"""Job and task status records. Status changes go through `update_job_status`/`update_task_status` only:
they check the transition table (entity.status) and update with compare-and-set (UPDATE ... WHERE status = old)."""
from __future__ import annotations

from typing import Any, Mapping

from fate_flow.db.base import ms_to_datetime, now_ms
from fate_flow.db.models import Job, Task
from fate_flow.entity.status import END_STATUSES, JobStatus, can_transition
from fate_flow.services.jobs.local_jobs import LOCAL_ROLE


# an ended job goes back to waiting only when it is rerun (never by a status report)
RERUN_FROM = frozenset({JobStatus.FAILED, JobStatus.CANCELED, JobStatus.TIMEOUT, JobStatus.SUCCESS})


def update_job_status(job_id: str, role: str, party_id: str, new: JobStatus, progress: int | None = None, *,
                      fail_reason: str | None = None, rerun: bool = False) -> bool:
    """Compare-and-set the job's status; False when the row is gone or the transition is not allowed.
    `rerun` allows the one extra move, an ended job back to waiting, and clears its end."""
    row = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id))
    if row is None or row.f_status == new.value:
        return False
    if rerun:
        if new != JobStatus.WAITING or JobStatus(row.f_status) not in RERUN_FROM:
            return False
        values: dict[str, Any] = dict(f_end_time=None, f_end_date=None, f_elapsed=None, f_fail_reason=None,
                                      f_progress=0, f_tag="", f_cancel_signal=False, f_end_scheduling_updates=0)
    elif not can_transition(row.f_status, new):
        return False
    else:
        values = _status_times(row.f_start_time, new)
        if new in END_STATUSES:
            values["f_tag"] = "job_end"
            if role == LOCAL_ROLE:  # no other party has to hear of its end: it is settled when it ends
                values["f_end_scheduling_updates"] = 1
    values.update(f_status=new.value, **Job.audit_values(create=False))
    if progress is not None:
        values["f_progress"] = progress
    if fail_reason is not None:
        values["f_fail_reason"] = fail_reason
    updated = Job.update(values).where(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id),
                                       Job.f_status == row.f_status).execute()
    return updated == 1


# which status column of a task a change is about
BOTH, PARTY, FEDERATED = "both", "party", "federated"


def update_task_status(job_id: str, task_id: str, task_version: int, role: str, party_id: str,
                       new: JobStatus, *, column: str = BOTH, fail_reason: str | None = None,
                       extra: Mapping[str, Any] | None = None) -> bool:
    """Compare-and-set a task's status. `column`: PARTY (what this party's worker did), FEDERATED (the
    initiator's verdict over all parties) or BOTH (a local job, where they are one). Times follow the
    party status; `extra` sets other columns (pid, run ip...) in the same update."""
    where = (Task.f_job_id == job_id, Task.f_task_id == task_id, Task.f_task_version == task_version,
             Task.f_role == role, Task.f_party_id == str(party_id))
    row = Task.get_or_none(*where)
    if row is None:
        return False
    field = Task.f_party_status if column == PARTY else Task.f_status
    old = row.f_party_status if column == PARTY else row.f_status
    if old == new.value or not can_transition(old, new):
        return False
    values: dict[str, Any] = {} if column == FEDERATED else _status_times(row.f_start_time, new)
    if column in (BOTH, FEDERATED):
        values["f_status"] = new.value
    if column in (BOTH, PARTY):
        values["f_party_status"] = new.value
    if fail_reason is not None:
        values["f_fail_reason"] = fail_reason
    values.update(extra or {})
    values.update(Task.audit_values(create=False))
    return Task.update(values).where(*where, field == old).execute() == 1


def update_job_progress(job_id: str, role: str, party_id: str, progress: int) -> None:
    """Progress only moves forward, and only while the job runs."""
    Job.update(f_progress=progress, **Job.audit_values(create=False)).where(
        Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id),
        Job.f_status == JobStatus.RUNNING.value, (Job.f_progress.is_null()) | (Job.f_progress < progress)).execute()


def _status_times(start_time: int | None, new: JobStatus) -> dict[str, Any]:
    now = now_ms()
    if new == JobStatus.RUNNING:
        return {"f_start_time": now, "f_start_date": ms_to_datetime(now)}
    if new in END_STATUSES:
        elapsed = now - start_time if start_time else None
        return {"f_end_time": now, "f_end_date": ms_to_datetime(now), "f_elapsed": elapsed}
    return {}


def job_exists(job_id: str) -> bool:
    return Job.select().where(Job.f_job_id == job_id).exists()
