"""The job commands parties send each other over federation, and their handlers.

Initiator -> party: job.create, job.resource.apply, job.resource.return, job.status.update, task.create,
task.start, task.stop, task.status.update, task.status (pull).
Party -> initiator: task.report (push), job.status (pull); job.stop and job.rerun are the scheduler's
(scheduler/commands.py).

Handlers run in gRPC server threads: each opens its own database connection. `cmd.dst` is the hosted party
the command is for; commands only the initiator may send are refused from anyone else.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import JobStatus
from fate_flow.federation import IncomingCommand
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs import (create as job_create, party_status as job_status, resources, task_launch,
                                     worker_reports as task_reports)
from fate_flow.services.jobs.status_updates import update_job_progress

JOB_CREATE = "job.create"
JOB_RESOURCE_APPLY = "job.resource.apply"
JOB_RESOURCE_RETURN = "job.resource.return"
JOB_STATUS_UPDATE = "job.status.update"
TASK_CREATE = "task.create"
TASK_START = "task.start"
TASK_STOP = "task.stop"
TASK_STATUS_UPDATE = "task.status.update"
TASK_STATUS = "task.status"
TASK_REPORT = task_reports.TASK_REPORT
JOB_STOP = "job.stop"
JOB_RERUN = "job.rerun"
JOB_STATUS = "job.status"

Handler = Callable[[Runtime, IncomingCommand], Mapping[str, Any]]


def with_db(handler: Handler) -> Callable[[Runtime], Callable[[IncomingCommand], Mapping[str, Any]]]:
    """Bind a handler to the runtime and give each call its own database connection."""
    def bind(runtime: Runtime):
        @functools.wraps(handler)
        def run(cmd: IncomingCommand) -> Mapping[str, Any]:
            with DB.obj.connection_context():
                return handler(runtime, cmd)
        return run
    return bind


def ok(data: Any = None) -> dict:
    body: dict = {"retcode": 0, "retmsg": "success"}
    if data is not None:
        body["data"] = data
    return body


def _job_row(cmd: IncomingCommand) -> Job:
    job_id = str(cmd.body.get("job_id") or cmd.job_id)
    row = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == cmd.dst.role, Job.f_party_id == cmd.dst.party_id)
    if row is None:
        raise FateFlowError(f"job {job_id} does not exist on {cmd.dst}", retcode=RetCode.DATA_ERROR)
    return row


def _from_initiator(cmd: IncomingCommand, row: Job) -> None:
    if cmd.src.party_id != str(row.f_initiator_party_id):
        raise FateFlowError(f"{cmd.command} for job {row.f_job_id} may come only from its initiator party "
                            f"{row.f_initiator_party_id}, not from {cmd.src}", retcode=RetCode.OPERATING_ERROR)


def _status(body: Mapping[str, Any], key: str = "status") -> JobStatus:
    try:
        return JobStatus(body.get(key))
    except ValueError:
        raise FateFlowError(f"{key} {body.get(key)!r} is not a job status") from None


def _task_key(cmd: IncomingCommand) -> tuple[str, str, int, str, str]:
    b = cmd.body
    return str(b["job_id"]), str(b["task_id"]), int(b["task_version"]), cmd.dst.role, cmd.dst.party_id


# ------------------------------------------------------------------------------------ initiator -> party
@with_db
def create(runtime: Runtime, cmd: IncomingCommand) -> dict:
    initiator = (cmd.body.get("runtime_conf") or {}).get("initiator") or {}
    if cmd.src.party_id != str(initiator.get("party_id")):
        raise FateFlowError(f"job.create may come only from the job's initiator party {initiator.get('party_id')}, "
                            f"not from {cmd.src}", retcode=RetCode.OPERATING_ERROR)
    return ok(job_create.create_party_job(runtime.settings, cmd.body, cmd.dst.role, cmd.dst.party_id))


@with_db
def resource_apply(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    _from_initiator(cmd, row)
    return ok(resources.apply(runtime.settings, row.f_job_id, row.f_role, row.f_party_id))


@with_db
def resource_return(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    _from_initiator(cmd, row)
    return ok({"returned": resources.release(row.f_job_id, row.f_role, row.f_party_id)})


@with_db
def status_update(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    _from_initiator(cmd, row)
    progress = cmd.body.get("progress")
    if progress is not None:
        update_job_progress(row.f_job_id, row.f_role, row.f_party_id, int(progress))
    answer = job_status.apply_job_status(runtime, row.f_job_id, row.f_role, row.f_party_id, _status(cmd.body),
                                         fail_reason=cmd.body.get("fail_reason"), rerun=bool(cmd.body.get("rerun")))
    if cmd.body.get("tag") == "submit_failed":
        Job.update(f_tag="submit_failed").where(Job.f_job_id == row.f_job_id, Job.f_role == row.f_role,
                                                Job.f_party_id == row.f_party_id).execute()
    return answer


@with_db
def task_create(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    _from_initiator(cmd, row)
    b = cmd.body
    created = job_status.create_task_version(row.f_job_id, str(b["component_name"]), str(b["task_id"]),
                                             int(b["task_version"]), row.f_role, row.f_party_id,
                                             int(b.get("auto_retries") or 0))
    return ok({"created": created})


@with_db
def task_start(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    _from_initiator(cmd, row)
    return ok(task_launch.start_task(runtime, *_task_key(cmd)))


@with_db
def task_stop(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    _from_initiator(cmd, row)
    return job_status.stop_task(runtime, *_task_key(cmd), _status(cmd.body), str(cmd.body.get("reason") or "stopped"))


@with_db
def task_status_update(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    _from_initiator(cmd, row)
    return job_status.apply_task_status(*_task_key(cmd), _status(cmd.body))


@with_db
def task_status(runtime: Runtime, cmd: IncomingCommand) -> dict:
    job_id, task_id, version, role, party_id = _task_key(cmd)
    row = Task.get_or_none(Task.f_job_id == job_id, Task.f_task_id == task_id, Task.f_task_version == version,
                           Task.f_role == role, Task.f_party_id == party_id)
    if row is None:
        raise FateFlowError(f"task {task_id} version {version} does not exist on {cmd.dst}", retcode=RetCode.DATA_ERROR)
    return ok(task_reports.party_status_body(row))


# ------------------------------------------------------------------------------------ party -> initiator
@with_db
def task_report(runtime: Runtime, cmd: IncomingCommand) -> dict:
    body = cmd.body
    if str(body.get("party_id")) != cmd.src.party_id:
        raise FateFlowError(f"{cmd.src} may report only its own tasks, not party {body.get('party_id')}",
                            retcode=RetCode.OPERATING_ERROR)
    changed = task_reports.apply_party_report(body)
    runtime.notify()
    return ok({"changed": changed})


@with_db
def job_status_query(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _job_row(cmd)
    return ok({"status": row.f_status, "fail_reason": row.f_fail_reason, "progress": row.f_progress})
