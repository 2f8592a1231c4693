"""The initiator's control of a job across its parties: ending it everywhere, stop, rerun, clean; and the
forwarding of stop/rerun from any party's server to the initiator.

Every command to a party goes over federation (even to a party hosted here); the initiator's copies of
remote parties' task rows ("shadow rows", run_on_this_party false) are updated here directly.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Mapping

from fate_flow.db.base import now_ms, write_transaction
from fate_flow.db.models import Job, Task, TrackingMetric, TrackingOutputDataInfo as Out
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import END_STATUSES, JobStatus
from fate_flow.federation import PartyRef
from fate_flow.services import jobs, party_commands as pc, tables
from fate_flow.services.job_create import plan_of
from fate_flow.services.job_log import job_log
from fate_flow.services.job_runtime import JobRuntime
from fate_flow.services.job_status import create_task_version, latest_tasks

LOG = logging.getLogger(__name__)

Results = dict[str, dict[str, dict[str, Any]]]


class JobNotFound(FateFlowError):
    retcode = RetCode.DATA_ERROR


class OperationRefused(FateFlowError):
    retcode = RetCode.OPERATING_ERROR


# ------------------------------------------------------------------------------------------ fan-out
def initiator_row(job_id: str) -> Job | None:
    return Job.get_or_none(Job.f_job_id == job_id, Job.f_is_initiator == True)  # noqa: E712


def initiator_of(row: Job) -> PartyRef:
    return PartyRef(row.f_initiator_role, row.f_initiator_party_id)


def fan_out(runtime: JobRuntime, row: Job, command: str, parties: Iterable[tuple[str, str]],
            body: Mapping[str, Any] | None = None, timeout: float | None = None,
            bodies: Mapping[tuple[str, str], Mapping[str, Any]] | None = None) -> Results:
    parties = list(parties)
    if not parties:
        return {}
    refs = [PartyRef(r, p) for r, p in parties]
    base = {"job_id": row.f_job_id, **(body or {})}
    per_party = {PartyRef(r, p): {**base, **b} for (r, p), b in (bodies or {}).items()}
    return runtime.client.fan_out(command, refs, base, timeout, src=initiator_of(row), job_id=row.f_job_id,
                                  bodies=per_party)


def failures(results: Results) -> dict[tuple[str, str], dict]:
    return {(role, pid): answer for role, by_pid in results.items() for pid, answer in by_pid.items()
            if answer.get("retcode") != 0}


def describe_failures(failed: Mapping[tuple[str, str], dict]) -> str:
    return "; ".join(f"{role} {pid}: {a.get('retmsg')}" for (role, pid), a in failed.items())


def job_parties(row: Job) -> list[tuple[str, str]]:
    return plan_of(row).all_parties()


def is_job_party(job_id: str, party_id: str, row: Job | None = None) -> bool:
    row = row or initiator_row(job_id)
    return row is not None and any(str(party_id) in {str(p) for p in ids} for ids in (row.f_roles or {}).values())


# ------------------------------------------------------------------------------------------ ending
def end_job(runtime: JobRuntime, row: Job, status: JobStatus, reason: str | None = None) -> Results:
    """End the job on every party (each kills what is left of it and returns its cores) and settle the
    initiator's copies of remote tasks. A party that does not answer is retried by the scheduler until it
    has seen the end (f_end_scheduling_updates stays 0 until then)."""
    job_log(runtime.settings, row.f_job_id, f"job ends {status.value}" + (f": {reason}" if reason else ""),
            logging.ERROR if status in (JobStatus.FAILED, JobStatus.TIMEOUT) else logging.INFO)
    body = {"status": status.value, "fail_reason": reason}
    if status == JobStatus.SUCCESS:
        body["progress"] = 100
    results = fan_out(runtime, row, pc.JOB_STATUS_UPDATE, job_parties(row), body)
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
        for column, current in ((jobs.PARTY, task.f_party_status), (jobs.FEDERATED, task.f_status)):
            if current == JobStatus.RUNNING.value:
                jobs.update_task_status(job_id, task.f_task_id, task.f_task_version, task.f_role, task.f_party_id,
                                        leftover, column=column)


# ------------------------------------------------------------------------------------------ stop
def stop_job(runtime: JobRuntime, job_id: str, status: JobStatus = JobStatus.CANCELED,
             reason: str = "stopped by request") -> dict:
    """On the initiator: stop the job on every party. An ended job is refused (retcode 103)."""
    row = initiator_row(job_id)
    if row is None:
        raise JobNotFound("can not found job")
    if status not in END_STATUSES - {JobStatus.SUCCESS}:
        raise FateFlowError(f"stop_status must be canceled, failed or timeout, got {status.value}")
    if JobStatus(row.f_status) in END_STATUSES:
        raise OperationRefused(f"job {job_id} has already ended ({row.f_status}); there is nothing to stop")
    if status == JobStatus.CANCELED:
        Job.update(f_cancel_signal=True, f_cancel_time=now_ms()).where(Job.f_job_id == job_id).execute()
    results = end_job(runtime, row, status, reason)
    failed = failures(results)
    runtime.notify()
    if failed:
        return {"retcode": int(RetCode.OPERATING_ERROR), "retmsg": "stop job failed:\n" + describe_failures(failed),
                "data": results}
    return {"retcode": 0, "retmsg": "success", "data": results}


def request_stop(runtime: JobRuntime, job_id: str, status: JobStatus) -> dict:
    """/v1/job/stop on any party's server: stop on the initiator (here, or asked over federation)."""
    return _at_initiator(runtime, job_id, pc.JOB_STOP, {"job_id": job_id, "stop_status": status.value},
                         lambda: stop_job(runtime, job_id, status))


def _at_initiator(runtime: JobRuntime, job_id: str, command: str, body: dict, here: Callable[[], dict]) -> dict:
    """`here()` when this server hosts the job's initiator, else `command` sent to the initiator's server."""
    row = Job.get_or_none(Job.f_job_id == job_id)
    if row is None:
        raise JobNotFound("can not found job")
    if runtime.hosts(row.f_initiator_party_id):
        return here()
    return runtime.client.send_command(initiator_of(row), command, body, src=PartyRef(row.f_role, row.f_party_id),
                                       job_id=job_id)


# ------------------------------------------------------------------------------------------ rerun
def rerun_job(runtime: JobRuntime, job_id: str, component_name: str) -> dict:
    """On the initiator: new versions of the chosen tasks on every party, then the job back to waiting.
    `pipeline` reruns every task that did not succeed; a component name reruns it and everything
    downstream of it, keeping the outputs of the tasks upstream."""
    row = initiator_row(job_id)
    if row is None:
        raise JobNotFound("can not found job")
    if JobStatus(row.f_status) not in END_STATUSES:
        raise OperationRefused(f"job {job_id} is {row.f_status}; only an ended job can be rerun (stop it first)")
    if not component_name:
        raise FateFlowError("required parameters are missing: component_name;")
    plan = plan_of(row)
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
        raise OperationRefused(f"job {job_id}: nothing to rerun (every task succeeded or has not run)")
    retries = int((row.f_runtime_conf_on_party.get("job_parameters") or {}).get("auto_retries") or 0)
    for component in chosen:
        version = 1 + max(t.f_task_version for (n, _, _), t in latest.items() if n == component)
        task_id = f"{job_id}_{component}"
        body = {"component_name": component, "task_id": task_id, "task_version": version, "auto_retries": retries}
        failed = failures(fan_out(runtime, row, pc.TASK_CREATE, plan.task_parties(component), body))
        if failed:
            return {"retcode": int(RetCode.OPERATING_ERROR), "retmsg": "rerun job failed:\n" + describe_failures(failed)}
        for role, party_id in plan.task_parties(component):
            if not runtime.hosts(party_id):
                create_task_version(job_id, component, task_id, version, role, party_id, retries, run_here=False)
    Job.update(f_rerun_signal=False, f_cancel_signal=False).where(Job.f_job_id == job_id).execute()
    results = fan_out(runtime, row, pc.JOB_STATUS_UPDATE, job_parties(row), {"status": "waiting", "rerun": True})
    failed = failures(results)
    job_log(runtime.settings, job_id, f"rerun of {', '.join(chosen)} requested")
    runtime.notify()
    if failed:
        return {"retcode": int(RetCode.OPERATING_ERROR), "retmsg": "rerun job failed:\n" + describe_failures(failed),
                "data": results}
    return {"retcode": 0, "retmsg": "rerun job success", "data": {"components": chosen}}


def _with_downstream(dag, component: str) -> list[str]:
    seen = {component}
    stack = [component]
    while stack:
        for child in dag.downstream.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return [c for c in dag.order if c in seen]


def request_rerun(runtime: JobRuntime, job_id: str, component_name: str) -> dict:
    """/v1/job/rerun on any party's server: rerun on the initiator (here, or asked over federation)."""
    return _at_initiator(runtime, job_id, pc.JOB_RERUN, {"job_id": job_id, "component_name": component_name},
                         lambda: rerun_job(runtime, job_id, component_name))


# ------------------------------------------------------------------------------------------ clean
def clean_tasks(runtime: JobRuntime, filters: Mapping[str, Any]) -> dict:
    """/v1/job/clean: destroy the output tables and metrics of the matching tasks of ended jobs here. Every
    filter is optional (seed 001): without job_id, the matching tasks of every ended job are cleaned and those
    of jobs still going are left alone; a job named by job_id must have ended."""
    query = Task.select().where(Task.f_run_on_this_party == True)  # noqa: E712
    for key in ("job_id", "role", "party_id", "component_name"):
        if filters.get(key) not in (None, ""):
            query = query.where(getattr(Task, f"f_{key}") == str(filters[key]))
    rows = list(query)
    if not rows:
        raise FateFlowError("no found task")
    named = filters.get("job_id") not in (None, "")
    cleaned = []
    for task in rows:
        job = Job.get_or_none(Job.f_job_id == task.f_job_id, Job.f_role == task.f_role,
                              Job.f_party_id == task.f_party_id)
        if job is not None and JobStatus(job.f_status) not in END_STATUSES:
            if not named:
                continue
            raise OperationRefused(f"job {task.f_job_id} is {job.f_status}; clean its tasks after it ends")
        outputs = list(Out.select().where(Out.f_job_id == task.f_job_id, Out.f_task_id == task.f_task_id,
                                          Out.f_task_version == task.f_task_version, Out.f_role == task.f_role,
                                          Out.f_party_id == task.f_party_id))
        for out in outputs:
            meta = tables.get_meta(out.f_table_namespace, out.f_table_name)
            with write_transaction():
                tables.delete_meta(out.f_table_namespace, out.f_table_name)
            if meta is not None:
                tables.destroy_owned_data(meta)
        TrackingMetric.delete().where(TrackingMetric.f_job_id == task.f_job_id,
                                      TrackingMetric.f_task_id == task.f_task_id,
                                      TrackingMetric.f_task_version == task.f_task_version,
                                      TrackingMetric.f_role == task.f_role,
                                      TrackingMetric.f_party_id == task.f_party_id).execute()
        cleaned.append({"task_id": task.f_task_id, "task_version": task.f_task_version, "role": task.f_role,
                        "party_id": task.f_party_id, "tables": len(outputs)})
    return {"cleaned": cleaned}


def clean_queue(runtime: JobRuntime) -> dict[str, int]:
    """/v1/job/clean/queue: cancel every waiting job this server initiated; job id -> 0 success, 2 failed."""
    codes = {}
    waiting = Job.select(Job.f_job_id).where(Job.f_is_initiator == True,  # noqa: E712
                                             Job.f_status == JobStatus.WAITING.value).order_by(Job.f_create_time)
    for row in waiting:
        try:
            answer = stop_job(runtime, row.f_job_id, JobStatus.CANCELED, "canceled by clean/queue")
            codes[row.f_job_id] = 0 if answer["retcode"] == 0 else 1
        except FateFlowError as e:
            LOG.warning("clean/queue: job %s: %s", row.f_job_id, e.message)
            codes[row.f_job_id] = 2
    return codes
