"""The initiator's control of a job across its parties: stop, rerun, clean the queue; and the forwarding of
stop/rerun from any party's server to the initiator."""
from __future__ import annotations

import logging
from typing import Any, Callable

from fate_flow.db.base import now_ms
from fate_flow.db.models import Job
from fate_flow.entity.errors import FateFlowError, JobNotFoundError, OperationRefusedError
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import END_STATUSES, JobStatus
from fate_flow.entity import messages as msg
from fate_flow.federation import PartyRef
from fate_flow.scheduler.fan_out import describe_failures, failures, fan_out, initiator_of, initiator_row, job_parties
from fate_flow.scheduler.job_end import end_job
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.party_status import create_task_version, latest_tasks
from fate_flow.services.jobs.plan import plan_of
from fate_flow.services.jobs.schedule_log import job_log

LOG = logging.getLogger(__name__)


class PartiesNotReachedError(FateFlowError):
    """The stop or rerun was done here, but some parties did not confirm it (their answers are the data)."""

    retcode = RetCode.OPERATING_ERROR


def stop_job(runtime: Runtime, job_id: str, status: JobStatus = JobStatus.CANCELED,
             reason: str = "stopped by request") -> dict:
    """On the initiator: stop the job on every party; each party's answer. An ended job is refused
    (OperationRefusedError, 103); PartiesNotReachedError (103) when a party did not confirm the stop."""
    row = initiator_row(job_id)
    if row is None:
        raise JobNotFoundError("can not found job")
    if status not in END_STATUSES - {JobStatus.SUCCESS}:
        raise FateFlowError(f"stop_status must be canceled, failed or timeout, got {status.value}")
    if JobStatus(row.f_status) in END_STATUSES:
        raise OperationRefusedError(f"job {job_id} has already ended ({row.f_status}); there is nothing to stop")
    if status == JobStatus.CANCELED:
        Job.update(f_cancel_signal=True, f_cancel_time=now_ms()).where(Job.f_job_id == job_id).execute()
    results = end_job(runtime, row, status, reason)
    failed = failures(results)
    runtime.notify()
    if failed:
        raise PartiesNotReachedError("stop job failed:\n" + describe_failures(failed), data=results)
    return results


def request_stop(runtime: Runtime, job_id: str, status: JobStatus) -> dict:
    """/v1/job/stop on any party's server: stop on the initiator (here, or asked over federation)."""
    return _at_initiator(runtime, job_id, msg.JOB_STOP, msg.JobStop(job_id, status),
                         lambda: stop_job(runtime, job_id, status))


def _at_initiator(runtime: Runtime, job_id: str, command: str, message: Any, here: Callable[[], dict]) -> dict:
    """`here()` when this server hosts the job's initiator, else `command` sent to the initiator's server (its
    refusal raised as a FateFlowError with the initiator's retcode and message)."""
    row = Job.get_or_none(Job.f_job_id == job_id)
    if row is None:
        raise JobNotFoundError("can not found job")
    if runtime.hosts(row.f_initiator_party_id):
        return here()
    answer = runtime.client.send_command(initiator_of(row), command, msg.encode(message),
                                         src=PartyRef(row.f_role, row.f_party_id), job_id=job_id)
    if answer.get("retcode") != 0:
        raise FateFlowError(str(answer.get("retmsg") or f"{command} failed at the initiator"), data=answer.get("data"),
                            retcode=answer.get("retcode", RetCode.OPERATING_ERROR))
    return answer.get("data")


def rerun_job(runtime: Runtime, job_id: str, component_name: str) -> dict:
    """On the initiator: new versions of the chosen tasks on every party, then the job back to waiting; the
    components rerun. `pipeline` reruns every task that did not succeed; a component name reruns it and
    everything downstream of it, keeping the outputs of the tasks upstream. PartiesNotReachedError when a party
    did not take the new versions or the new status."""
    row = initiator_row(job_id)
    if row is None:
        raise JobNotFoundError("can not found job")
    if JobStatus(row.f_status) not in END_STATUSES:
        raise OperationRefusedError(f"job {job_id} is {row.f_status}; only an ended job can be rerun (stop it first)")
    if not component_name:
        raise FateFlowError("required parameters are missing: component_name;")
    plan = plan_of(runtime.components, row)
    latest = {(t.f_component_name, t.f_role, t.f_party_id): t for t in latest_tasks(job_id)}
    if component_name == "pipeline":
        chosen = [c for c in plan.dag.order
                  if any(t.f_status != JobStatus.SUCCESS.value for (n, _, _), t in latest.items() if n == c)]
    else:
        if component_name not in plan.dag.components:
            raise FateFlowError(f"component {component_name} is not in job {job_id} "
                                f"(components: {', '.join(plan.dag.order)})")
        chosen = _with_downstream(plan.dag, component_name)
    chosen = [c for c in chosen
              if any(t.f_status != JobStatus.WAITING.value for (n, _, _), t in latest.items() if n == c)]
    if not chosen:
        raise OperationRefusedError(f"job {job_id}: nothing to rerun (every task succeeded or has not run)")
    retries = int((row.f_runtime_conf_on_party.get("job_parameters") or {}).get("auto_retries") or 0)
    for component in chosen:
        version = 1 + max(t.f_task_version for (n, _, _), t in latest.items() if n == component)
        task_id = f"{job_id}_{component}"
        create = msg.TaskCreate(job_id, component, task_id, version, retries)
        failed = failures(fan_out(runtime, row, msg.TASK_CREATE, plan.task_parties(component), create))
        if failed:
            raise PartiesNotReachedError("rerun job failed:\n" + describe_failures(failed))
        for role, party_id in plan.task_parties(component):
            if not runtime.hosts(party_id):
                create_task_version(job_id, component, task_id, version, role, party_id, retries, run_here=False)
    Job.update(f_rerun_signal=False, f_cancel_signal=False).where(Job.f_job_id == job_id).execute()
    results = fan_out(runtime, row, msg.JOB_STATUS_UPDATE, job_parties(runtime, row),
                      msg.JobStatusUpdate(job_id, JobStatus.WAITING, rerun=True))
    failed = failures(results)
    job_log(runtime.settings, job_id, f"rerun of {', '.join(chosen)} requested")
    runtime.notify()
    if failed:
        raise PartiesNotReachedError("rerun job failed:\n" + describe_failures(failed), data=results)
    return {"components": chosen}


def _with_downstream(dag, component: str) -> list[str]:
    seen = {component}
    stack = [component]
    while stack:
        for child in dag.downstream.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return [c for c in dag.order if c in seen]


def request_rerun(runtime: Runtime, job_id: str, component_name: str) -> dict:
    """/v1/job/rerun on any party's server: rerun on the initiator (here, or asked over federation)."""
    return _at_initiator(runtime, job_id, msg.JOB_RERUN, msg.JobRerun(job_id, component_name),
                         lambda: rerun_job(runtime, job_id, component_name))

def clean_queue(runtime: Runtime) -> dict[str, int]:
    """/v1/job/clean/queue: cancel every waiting job this server initiated; job id -> 0 canceled on every party,
    1 canceled but not confirmed by every party, 2 refused (e.g. it ended meanwhile)."""
    codes = {}
    waiting = Job.select(Job.f_job_id).where(Job.f_is_initiator == True,  # noqa: E712
                                             Job.f_status == JobStatus.WAITING.value).order_by(Job.f_create_time)
    for row in waiting:
        try:
            stop_job(runtime, row.f_job_id, JobStatus.CANCELED, "canceled by clean/queue")
            codes[row.f_job_id] = 0
        except PartiesNotReachedError as e:
            LOG.warning("clean/queue: job %s: %s", row.f_job_id, e.message)
            codes[row.f_job_id] = 1
        except FateFlowError as e:
            LOG.warning("clean/queue: job %s: %s", row.f_job_id, e.message)
            codes[row.f_job_id] = 2
    return codes
