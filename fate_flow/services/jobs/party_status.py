"""What a party does when the initiator tells it a job's or task's status: record it (transition table +
compare-and-set), and when the job ends kill whatever of it still runs here, return its cores and record the
model. These run in federation command handlers, on the party's own rows."""
from __future__ import annotations

import logging

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, Task
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import END_STATUSES, JobStatus
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs import resources
from fate_flow.services.jobs.local_jobs import LOCAL_ROLE
from fate_flow.services.jobs.status_updates import FEDERATED, PARTY, update_job_status, update_task_status
from fate_flow.services.jobs.schedule_log import job_log
from fate_flow.services.models import record as model_record

LOG = logging.getLogger(__name__)


def latest_tasks(job_id: str, role: str | None = None, party_id: str | None = None,
                 run_here: bool | None = None) -> list[Task]:
    """The newest version of each task of the job (per role and party)."""
    query = Task.select().where(Task.f_job_id == job_id)
    if role is not None:
        query = query.where(Task.f_role == role, Task.f_party_id == str(party_id))
    if run_here is not None:
        query = query.where(Task.f_run_on_this_party == run_here)
    newest: dict[tuple, Task] = {}
    for row in query.order_by(Task.f_task_version):
        newest[(row.f_task_id, row.f_role, row.f_party_id)] = row
    return list(newest.values())


def apply_job_status(runtime: Runtime, job_id: str, role: str, party_id: str, status: JobStatus,
                     fail_reason: str | None = None, rerun: bool = False) -> dict:
    """The initiator's verdict for this party's job row. Ending kills this party's running tasks of the job
    and returns its cores; it is repeatable (a resent end finds nothing left to do)."""
    row = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id))
    if row is None:
        raise FateFlowError(f"job {job_id} does not exist on {role} party {party_id}", retcode=RetCode.DATA_ERROR)
    early_model = status == JobStatus.SUCCESS and JobStatus(row.f_status) not in END_STATUSES
    if early_model:
        # the model is complete before anyone can see the job succeed (a client may deploy it at once)
        _record_model(runtime, job_id, role, party_id, JobStatus.SUCCESS)
    changed = update_job_status(job_id, role, party_id, status, fail_reason=fail_reason, rerun=rerun)
    killed = []
    if status in END_STATUSES:
        killed = stop_party_tasks(runtime, job_id, role, party_id, status)
        resources.release(job_id, role, party_id)
        if not early_model:
            _record_model(runtime, job_id, role, party_id)
    current = Job.get(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id)).f_status
    if changed:
        job_log(runtime.settings, job_id, f"{role} {party_id}: job {current}" + (f" ({fail_reason})" if fail_reason else ""))
    return {"status": current, "changed": changed, "killed": killed}


def stop_party_tasks(runtime: Runtime, job_id: str, role: str, party_id: str, status: JobStatus) -> list[str]:
    """Kill the workers of the job's unfinished tasks on this party; their statuses become the job's end
    status (canceled for the leftovers of a failed or successful job)."""
    leftover = JobStatus.CANCELED if status in (JobStatus.FAILED, JobStatus.SUCCESS) else status
    killed = []
    for task in latest_tasks(job_id, role, party_id, run_here=True):
        if task.f_party_status == JobStatus.RUNNING.value:
            if runtime.launcher.kill(task.f_run_pid, task.f_run_start_time):
                killed.append(task.f_task_id)
            update_task_status(job_id, task.f_task_id, task.f_task_version, role, party_id, leftover,
                               column=PARTY, fail_reason=f"stopped: job {status.value}")
        if task.f_status == JobStatus.RUNNING.value:
            update_task_status(job_id, task.f_task_id, task.f_task_version, role, party_id, leftover,
                               column=FEDERATED)
    return killed


def stop_hosted_tasks(runtime: Runtime, reason: str) -> list[str]:
    """Kill every task worker this server runs (it shuts down) and fail their tasks with `reason`, so the
    initiator retries them (it learns it from this party's report or, once this server is back, by asking)."""
    running = list(Task.select().where(Task.f_run_on_this_party == True,  # noqa: E712
                                       Task.f_party_status == JobStatus.RUNNING.value))
    runtime.launcher.kill_all([(t.f_run_pid, t.f_run_start_time) for t in running if t.f_run_pid])
    for t in running:
        if update_task_status(t.f_job_id, t.f_task_id, t.f_task_version, t.f_role, t.f_party_id,
                              JobStatus.FAILED, column=PARTY, fail_reason=reason):
            job_log(runtime.settings, t.f_job_id, f"task {t.f_task_id} v{t.f_task_version} of {t.f_role} "
                    f"{t.f_party_id}: {reason}", logging.WARNING)
    return [t.f_task_id for t in running]


def stop_task(runtime: Runtime, job_id: str, task_id: str, task_version: int, role: str, party_id: str,
              status: JobStatus, reason: str) -> dict:
    """Kill one task's worker here (e.g. a host still waiting on a guest that failed)."""
    task = Task.get_or_none(Task.f_job_id == job_id, Task.f_task_id == task_id, Task.f_task_version == task_version,
                            Task.f_role == role, Task.f_party_id == str(party_id))
    if task is None:
        raise FateFlowError(f"task {task_id} version {task_version} does not exist on {role} party {party_id}",
                            retcode=RetCode.DATA_ERROR)
    killed = False
    if task.f_party_status in (JobStatus.RUNNING.value, JobStatus.WAITING.value):
        killed = runtime.launcher.kill(task.f_run_pid, task.f_run_start_time)
        update_task_status(job_id, task_id, task_version, role, party_id, status, column=PARTY,
                           fail_reason=reason)
    return {"killed": killed}


def apply_task_status(job_id: str, task_id: str, task_version: int, role: str, party_id: str,
                      status: JobStatus) -> dict:
    """The initiator's federated status of a task, on this party's row."""
    changed = update_task_status(job_id, task_id, task_version, role, party_id, status, column=FEDERATED)
    return {"changed": changed}


def create_task_version(job_id: str, component: str, task_id: str, task_version: int, role: str, party_id: str,
                        auto_retries: int, run_here: bool = True) -> bool:
    """A new version of a task (retry or rerun), waiting; False when it exists already."""
    job = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id))
    initiator = (job.f_initiator_role, job.f_initiator_party_id) if job else ("", "-1")
    with write_transaction():
        return Task.insert(
            f_job_id=job_id, f_component_name=component, f_task_id=task_id, f_task_version=task_version,
            f_initiator_role=initiator[0], f_initiator_party_id=initiator[1], f_federated_mode="MULTIPLE",
            f_federated_status_collect_type="PUSH", f_status=JobStatus.WAITING.value,
            f_party_status=JobStatus.WAITING.value, f_role=role, f_party_id=str(party_id),
            f_run_on_this_party=run_here, f_auto_retries=max(0, auto_retries), **Task.audit_values(),
        ).on_conflict_ignore().execute() > 0


def _record_model(runtime: Runtime, job_id: str, role: str, party_id: str, status: JobStatus | None = None) -> None:
    """The model of a train job at its end, once per party: its Pipeline record on success (contract §8.1)
    and its t_machine_learning_model_info row (§5.6). Local and predict jobs make no model. Without `status`
    the row's own status counts (an end command the transition table refused changes nothing)."""
    row = Job.get(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id))
    params = row.f_runtime_conf_on_party.get("job_parameters") or {}
    status = status or JobStatus(row.f_status)
    if role == LOCAL_ROLE or params.get("job_type") == "predict" or status not in END_STATUSES:
        return
    model_record.record_train_model(runtime.settings, runtime.components, row, status)
