"""Ending a job on every party: each kills what is left of the job there and returns its cores; the
initiator's copies of remote parties' task rows ("shadow rows", run_on_this_party false) are settled here."""
from __future__ import annotations

import logging

from fate_flow.db.models import Job
from fate_flow.entity.status import JobStatus
from fate_flow.entity import messages as msg
from fate_flow.scheduler.fan_out import Results, describe_failures, failures, fan_out, job_parties
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.status_updates import FEDERATED, PARTY, update_task_status
from fate_flow.services.jobs.party_status import latest_tasks
from fate_flow.services.jobs.schedule_log import job_log


def end_job(runtime: Runtime, row: Job, status: JobStatus, reason: str | None = None) -> Results:
    """End the job on every party (each kills what is left of it and returns its cores) and settle the
    initiator's copies of remote tasks. A party that does not answer is retried by the scheduler until it
    has seen the end (f_end_scheduling_updates stays 0 until then)."""
    job_log(runtime.settings, row.f_job_id, f"job ends {status.value}" + (f": {reason}" if reason else ""),
            logging.ERROR if status in (JobStatus.FAILED, JobStatus.TIMEOUT) else logging.INFO)
    update = msg.JobStatusUpdate(row.f_job_id, status, progress=100 if status == JobStatus.SUCCESS else None,
                                 fail_reason=reason)
    results = fan_out(runtime, row, msg.JOB_STATUS_UPDATE, job_parties(runtime, row), update)
    _settle_shadow_tasks(row.f_job_id, status)
    failed = failures(results)
    if failed:
        job_log(runtime.settings, row.f_job_id, f"not every party saw the end yet: {describe_failures(failed)}",
                logging.WARNING)
    else:
        Job.update(f_end_scheduling_updates=1).where(Job.f_job_id == row.f_job_id,
                                                     Job.f_is_initiator == True).execute()  # noqa: E712
    return results


def _settle_shadow_tasks(job_id: str, status: JobStatus) -> None:
    leftover = JobStatus.CANCELED if status in (JobStatus.FAILED, JobStatus.SUCCESS) else status
    for task in latest_tasks(job_id, run_here=False):
        for column, current in ((PARTY, task.f_party_status), (FEDERATED, task.f_status)):
            if current == JobStatus.RUNNING.value:
                update_task_status(job_id, task.f_task_id, task.f_task_version, task.f_role, task.f_party_id,
                                        leftover, column=column)
