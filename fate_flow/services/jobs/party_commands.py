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
from typing import Any, Callable, Mapping, TypeVar

from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.entity import messages as msg
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import JobStatus
from fate_flow.federation import IncomingCommand
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs import (create as job_create, party_status as job_status, resources, task_launch,
                                     worker_reports as task_reports)
from fate_flow.services.jobs.status_updates import update_job_progress

M = TypeVar("M")

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


def message(cls: type[M], cmd: IncomingCommand) -> M:
    """The command's body as its message; the job id may come as the command's own."""
    return msg.decode(cls, {"job_id": cmd.job_id, **cmd.body} if cmd.job_id and not cmd.body.get("job_id")
                      else cmd.body)


def job_row(cmd: IncomingCommand, job_id: str) -> Job:
    """The job's row of the party a command is for."""
    row = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == cmd.dst.role, Job.f_party_id == cmd.dst.party_id)
    if row is None:
        raise FateFlowError(f"job {job_id} does not exist on {cmd.dst}", retcode=RetCode.DATA_ERROR)
    return row


def _initiator_job(cmd: IncomingCommand, job_id: str) -> Job:
    """The job, when the command comes from its initiator (else refused)."""
    row = job_row(cmd, job_id)
    if cmd.src.party_id != str(row.f_initiator_party_id):
        raise FateFlowError(f"{cmd.command} for job {row.f_job_id} may come only from its initiator party "
                            f"{row.f_initiator_party_id}, not from {cmd.src}", retcode=RetCode.OPERATING_ERROR)
    return row


# ------------------------------------------------------------------------------------ initiator -> party
@with_db
def create(runtime: Runtime, cmd: IncomingCommand) -> dict:
    job = message(msg.JobCreate, cmd)
    initiator = job.runtime_conf.get("initiator") or {}
    if cmd.src.party_id != str(initiator.get("party_id")):
        raise FateFlowError(f"job.create may come only from the job's initiator party {initiator.get('party_id')}, "
                            f"not from {cmd.src}", retcode=RetCode.OPERATING_ERROR)
    return ok(job_create.create_party_job(runtime.settings, runtime.components, job, cmd.dst.role, cmd.dst.party_id))


@with_db
def resource_apply(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _initiator_job(cmd, message(msg.JobRef, cmd).job_id)
    return ok(resources.apply(runtime.settings, row.f_job_id, row.f_role, row.f_party_id))


@with_db
def resource_return(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = _initiator_job(cmd, message(msg.JobRef, cmd).job_id)
    return ok({"returned": resources.release(row.f_job_id, row.f_role, row.f_party_id)})


@with_db
def status_update(runtime: Runtime, cmd: IncomingCommand) -> dict:
    update = message(msg.JobStatusUpdate, cmd)
    row = _initiator_job(cmd, update.job_id)
    if update.progress is not None:
        update_job_progress(row.f_job_id, row.f_role, row.f_party_id, update.progress)
    answer = job_status.apply_job_status(runtime, row.f_job_id, row.f_role, row.f_party_id, update.status,
                                         fail_reason=update.fail_reason, rerun=update.rerun)
    if update.tag == "submit_failed":
        Job.update(f_tag="submit_failed").where(Job.f_job_id == row.f_job_id, Job.f_role == row.f_role,
                                                Job.f_party_id == row.f_party_id).execute()
    return ok(answer)


@with_db
def task_create(runtime: Runtime, cmd: IncomingCommand) -> dict:
    task = message(msg.TaskCreate, cmd)
    row = _initiator_job(cmd, task.job_id)
    created = job_status.create_task_version(row.f_job_id, task.component_name, task.task_id, task.task_version,
                                             row.f_role, row.f_party_id, task.auto_retries)
    return ok({"created": created})


@with_db
def task_start(runtime: Runtime, cmd: IncomingCommand) -> dict:
    task = message(msg.TaskRef, cmd)
    _initiator_job(cmd, task.job_id)
    return ok(task_launch.start_task(runtime, task.job_id, task.task_id, task.task_version, cmd.dst.role,
                                     cmd.dst.party_id))


@with_db
def task_stop(runtime: Runtime, cmd: IncomingCommand) -> dict:
    stop = message(msg.TaskStop, cmd)
    _initiator_job(cmd, stop.job_id)
    return ok(job_status.stop_task(runtime, stop.job_id, stop.task_id, stop.task_version, cmd.dst.role,
                                   cmd.dst.party_id, stop.status, stop.reason or "stopped"))


@with_db
def task_status_update(runtime: Runtime, cmd: IncomingCommand) -> dict:
    update = message(msg.TaskStatusUpdate, cmd)
    _initiator_job(cmd, update.job_id)
    return ok(job_status.apply_task_status(update.job_id, update.task_id, update.task_version, cmd.dst.role,
                                           cmd.dst.party_id, update.status))


@with_db
def task_status(runtime: Runtime, cmd: IncomingCommand) -> dict:
    task = message(msg.TaskRef, cmd)
    row = Task.get_or_none(Task.f_job_id == task.job_id, Task.f_task_id == task.task_id,
                           Task.f_task_version == task.task_version, Task.f_role == cmd.dst.role,
                           Task.f_party_id == cmd.dst.party_id)
    if row is None:
        raise FateFlowError(f"task {task.task_id} version {task.task_version} does not exist on {cmd.dst}",
                            retcode=RetCode.DATA_ERROR)
    return ok(msg.encode(task_reports.party_task_status(row)))


# ------------------------------------------------------------------------------------ party -> initiator
@with_db
def task_report(runtime: Runtime, cmd: IncomingCommand) -> dict:
    report = message(msg.PartyTaskStatus, cmd)
    if report.party_id != cmd.src.party_id:
        raise FateFlowError(f"{cmd.src} may report only its own tasks, not party {report.party_id}",
                            retcode=RetCode.OPERATING_ERROR)
    changed = task_reports.apply_party_report(report)
    runtime.notify()
    return ok({"changed": changed})


@with_db
def job_status_query(runtime: Runtime, cmd: IncomingCommand) -> dict:
    row = job_row(cmd, message(msg.JobRef, cmd).job_id)
    return ok(msg.encode(msg.JobStatusAnswer(JobStatus(row.f_status), row.f_fail_reason, row.f_progress)))
