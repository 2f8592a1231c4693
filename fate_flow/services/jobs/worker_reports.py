"""What a worker reports to its own server (/v1/worker/task/...): its status, output tables, metrics, model
buffers and summary. The server is the only writer of the database; a status change is passed on to the
job's initiator (a `task.report` command, or directly when the initiator is hosted here) and wakes the
scheduler."""
from __future__ import annotations

import base64
import json
import logging
import os
from typing import Any, Mapping

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, Task
from fate_flow.entity import messages as msg, worker_secret
from fate_flow.entity.messages import (TASK_REPORT, PartyTaskStatus, WorkerMetric, WorkerModel, WorkerModelGet,
                                      WorkerOutputTable, WorkerSummary, WorkerTask, WorkerTaskStatus)
from fate_flow.entity.errors import AuthenticationError, NotFoundError, ParameterError
from fate_flow.entity.status import JobStatus
from fate_flow.federation import PartyRef
from fate_flow.entity.atomic_files import write_atomically
from fate_flow.model.pipelined_model import BUFFER_TYPES_FILE
from fate_flow.services.data import table_meta as tables
from fate_flow.services.data.table_meta import TableMeta
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.status_updates import PARTY, update_task_status
from fate_flow.services.jobs.schedule_log import job_log
from fate_flow.services.models.paths import component_model_dir
from fate_flow.services.tracking import records as tracking

LOG = logging.getLogger(__name__)


def check_worker_secret(body: Mapping[str, Any], secret: str | None) -> None:
    """Only the worker launched for the task version a request names may report on it (or read its models):
    it proves that with the secret made at its launch. AuthenticationError otherwise, the same one whether the
    task exists or not."""
    if not secret:
        raise AuthenticationError("the worker channel answers only the workers this server launched: the "
                                  "request carries no worker secret")
    try:
        task = msg.decode(WorkerTask, body)
    except ParameterError as e:
        raise AuthenticationError(f"a worker request must name its task: {e.message}") from None
    row = Task.get_or_none(*_task_where(task))
    if row is None or not worker_secret.matches(secret, row.f_worker_secret_digest):
        raise AuthenticationError(f"not the worker this server launched for task {task.task_id} version "
                                  f"{task.task_version} of {task.role} party {task.party_id}")


def _task_where(task: WorkerTask) -> tuple:
    return (Task.f_job_id == task.job_id, Task.f_task_id == task.task_id, Task.f_task_version == task.task_version,
            Task.f_role == task.role, Task.f_party_id == task.party_id)


def reported_task(task: WorkerTask) -> Task:
    """The task a report is about; it must be one this server runs."""
    row = Task.get_or_none(*_task_where(task), Task.f_run_on_this_party == True)  # noqa: E712
    if row is None:
        raise NotFoundError(f"task {task.task_id} version {task.task_version} of {task.role} party {task.party_id} "
                            f"does not run on this server")
    return row


def report_status(runtime: Runtime, report: WorkerTaskStatus) -> dict:
    row = reported_task(report)
    status, reason = report.status, report.fail_reason or None
    changed = update_task_status(row.f_job_id, row.f_task_id, row.f_task_version, row.f_role, row.f_party_id,
                                 status, column=PARTY, fail_reason=reason)
    if changed:
        level = logging.ERROR if status == JobStatus.FAILED else logging.INFO
        job_log(runtime.settings, row.f_job_id, f"task {row.f_task_id} v{row.f_task_version} of {row.f_role} "
                f"{row.f_party_id}: {status.value}" + (f": {reason}" if reason else ""), level)
        push_party_status(runtime, row.f_job_id, row.f_task_id, row.f_task_version, row.f_role, row.f_party_id)
    return {"changed": changed}


def push_party_status(runtime: Runtime, job_id: str, task_id: str, task_version: int, role: str,
                      party_id: str) -> None:
    """Tell the initiator what this party's task did. When the initiator is hosted here its view is this
    very row; otherwise it gets a `task.report` (if that fails it pulls the status later)."""
    row = Task.get(Task.f_job_id == job_id, Task.f_task_id == task_id, Task.f_task_version == task_version,
                   Task.f_role == role, Task.f_party_id == str(party_id))
    if runtime.hosts(row.f_initiator_party_id):
        runtime.notify()
        return
    answer = runtime.client.send_command(
        PartyRef(row.f_initiator_role, row.f_initiator_party_id), TASK_REPORT, msg.encode(party_task_status(row)),
        src=PartyRef(role, party_id), job_id=job_id)
    if answer.get("retcode") != 0:
        LOG.warning("job %s: task %s report to the initiator failed (it will pull it): %s", job_id, task_id,
                    answer.get("retmsg"))


def party_task_status(row: Task) -> PartyTaskStatus:
    return PartyTaskStatus(row.f_job_id, row.f_task_id, row.f_task_version, row.f_role, row.f_party_id,
                           JobStatus(row.f_party_status), row.f_fail_reason, row.f_start_time, row.f_end_time,
                           row.f_elapsed)


def apply_party_report(report: PartyTaskStatus) -> bool:
    """On the initiator: a remote party's task status, into the initiator's copy of that party's row."""
    where = (Task.f_job_id == report.job_id, Task.f_task_id == report.task_id,
             Task.f_task_version == report.task_version, Task.f_role == report.role,
             Task.f_party_id == report.party_id, Task.f_run_on_this_party == False)  # noqa: E712
    row = Task.get_or_none(*where)
    if row is None:
        return False
    new = report.party_status
    changed = False
    # the copy may have missed steps (e.g. running): walk the legal path to the reported status
    for step in ([JobStatus.RUNNING] if new != JobStatus.RUNNING and row.f_party_status == "waiting" else []) + [new]:
        changed |= update_task_status(row.f_job_id, row.f_task_id, row.f_task_version, row.f_role,
                                      row.f_party_id, step, column=PARTY,
                                      fail_reason=report.fail_reason if step == new else None)
    times = {k: getattr(report, k[2:]) for k in ("f_start_time", "f_end_time", "f_elapsed")
             if getattr(report, k[2:]) is not None}
    if times:
        Task.update(**times).where(*where).execute()
    return changed


# ---------------------------------------------------------------------------------------------- outputs
def _task_ref(row: Task) -> tracking.TaskRef:
    return tracking.TaskRef(row.f_job_id, row.f_component_name, row.f_task_id, row.f_task_version, row.f_role,
                            row.f_party_id)


def report_output_table(report: WorkerOutputTable) -> dict:
    row = reported_task(report)
    meta = TableMeta(namespace=report.namespace, name=report.name, engine=report.engine, address=report.address,
                     partitions=report.partitions or 1, schema=report.schema, count=report.count,
                     part_of_data=report.part_of_data, storage_type=str(report.address.get("storage_type", "")),
                     description=f"output {report.data_name} of {row.f_task_id} v{row.f_task_version}")
    with write_transaction():
        tables.insert_meta(meta)
        tracking.save_output_table(_task_ref(row), report.data_name[:30], meta.namespace, meta.name)
    return {"namespace": meta.namespace, "name": meta.name}


def report_metric(report: WorkerMetric) -> dict:
    row = reported_task(report)
    if report.type not in (msg.METRIC_META, msg.METRIC_DATA):
        raise ParameterError(f"type must be 0 (meta) or 1 (data), got {report.type}")
    namespace, name = report.metric_namespace, report.metric_name
    with write_transaction():
        if report.type == msg.METRIC_META:
            tracking.save_metric_meta(_task_ref(row), namespace, name, report.values or {})
            return {"count": 1}
        points = [(k, v) for k, v in (report.values or [])]
        tracking.save_metric_data(_task_ref(row), namespace, name, points)
    return {"count": len(points)}


def report_summary(report: WorkerSummary) -> dict:
    row = reported_task(report)
    with write_transaction():
        tracking.save_summary(_task_ref(row), report.summary)
    return {}


# ---------------------------------------------------------------------------------------------- models
def _job_model(row: Task) -> tuple[str, str]:
    job = Job.get(Job.f_job_id == row.f_job_id, Job.f_role == row.f_role, Job.f_party_id == row.f_party_id)
    params = job.f_runtime_conf_on_party.get("job_parameters") or {}
    return str(params.get("model_id", "")), str(params.get("model_version", row.f_job_id))


def _safe_name(name: Any, what: str) -> str:
    text = str(name or "")
    if not text or "/" in text or text in (".", "..") or "\x00" in text:
        raise ParameterError(f"{what} {text!r} is not a valid file name")
    return text


def report_model(runtime: Runtime, report: WorkerModel) -> dict:
    row = reported_task(report)
    alias = _safe_name(report.model_alias, "model_alias")
    buffers = report.buffers
    if not buffers:
        raise ParameterError("buffers must be an object of buffer name -> {type, b64}")
    model_id, version = _job_model(row)
    directory = component_model_dir(runtime.settings, row.f_role, row.f_party_id, model_id, version,
                                    row.f_component_name, alias)
    directory.mkdir(parents=True, exist_ok=True)
    types = {}
    for name, buffer in buffers.items():
        name = _safe_name(name, "buffer name")
        try:
            data = base64.b64decode(buffer["b64"], validate=True)
        except (KeyError, TypeError, ValueError) as e:
            raise ParameterError(f"buffer {name}: b64 is missing or not base64 ({e})") from None
        write_atomically(directory / name, data)
        types[name] = str(buffer.get("type", ""))
    write_atomically(directory / BUFFER_TYPES_FILE, _json_bytes(types))
    return {"path": str(directory)}


def get_model(runtime: Runtime, ask: WorkerModelGet) -> dict:
    """Buffers of a component's model of this job (a worker reading an upstream model)."""
    row = reported_task(ask)
    component = _safe_name(ask.model_component or row.f_component_name, "model_component")
    alias = _safe_name(ask.model_alias, "model_alias")
    model_id, version = _job_model(row)
    model_id = ask.model_id or model_id
    version = ask.model_version or version
    directory = component_model_dir(runtime.settings, row.f_role, row.f_party_id, model_id, version, component, alias)
    if not directory.is_dir():
        raise NotFoundError(f"model {component}.{alias} of {model_id} {version} does not exist at {row.f_role} "
                            f"party {row.f_party_id}")
    types_file = directory / BUFFER_TYPES_FILE
    types = json.loads(types_file.read_text()) if types_file.exists() else {}
    return {name: {"type": types.get(name, ""), "b64": base64.b64encode((directory / name).read_bytes()).decode()}
            for name in sorted(os.listdir(directory)) if not name.startswith(".")}


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True).encode()
