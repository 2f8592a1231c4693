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
from fate_flow.entity.messages import TASK_REPORT, PartyTaskStatus, WorkerTaskStatus
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


def _task_key(body: Mapping[str, Any]) -> tuple[str, str, int, str, str]:
    try:
        return (str(body["job_id"]), str(body["task_id"]), int(body["task_version"]), str(body["role"]),
                str(body["party_id"]))
    except KeyError as e:
        raise ParameterError(f"required parameters are missing: {e.args[0]}") from None
    except (TypeError, ValueError):
        raise ParameterError(f"task_version must be an integer, got {body.get('task_version')!r}") from None


def check_worker_secret(body: Mapping[str, Any], secret: str | None) -> None:
    """Only the worker launched for the task version a request names may report on it (or read its models):
    it proves that with the secret made at its launch. AuthenticationError otherwise, the same one whether the
    task exists or not."""
    if not secret:
        raise AuthenticationError("the worker channel answers only the workers this server launched: the "
                                  "request carries no worker secret")
    try:
        key = _task_key(body)
    except ParameterError as e:
        raise AuthenticationError(f"a worker request must name its task: {e.message}") from None
    row = Task.get_or_none(Task.f_job_id == key[0], Task.f_task_id == key[1], Task.f_task_version == key[2],
                           Task.f_role == key[3], Task.f_party_id == key[4])
    if row is None or not worker_secret.matches(secret, row.f_worker_secret_digest):
        raise AuthenticationError(f"not the worker this server launched for task {key[1]} version {key[2]} of "
                                  f"{key[3]} party {key[4]}")


def reported_task(body: Mapping[str, Any]) -> Task:
    """The task a report is about; it must be one this server runs."""
    key = _task_key(body)
    row = Task.get_or_none(Task.f_job_id == key[0], Task.f_task_id == key[1], Task.f_task_version == key[2],
                           Task.f_role == key[3], Task.f_party_id == key[4], Task.f_run_on_this_party == True)  # noqa
    if row is None:
        raise NotFoundError(f"task {key[1]} version {key[2]} of {key[3]} party {key[4]} does not run on this server")
    return row


def report_status(runtime: Runtime, body: Mapping[str, Any]) -> dict:
    row = reported_task(body)
    report = msg.decode(WorkerTaskStatus, body)
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


def report_output_table(body: Mapping[str, Any]) -> dict:
    row = reported_task(body)
    for key in ("data_name", "namespace", "name", "address"):
        if not body.get(key):
            raise ParameterError(f"required parameters are missing: {key}")
    meta = TableMeta(namespace=str(body["namespace"]), name=str(body["name"]), engine=str(body.get("engine") or ""),
                     address=dict(body["address"]), partitions=int(body.get("partitions") or 1),
                     schema=dict(body.get("schema") or {}), count=body.get("count"),
                     part_of_data=list(body.get("part_of_data") or []), storage_type=str(body["address"].get("storage_type", "")),
                     description=f"output {body['data_name']} of {row.f_task_id} v{row.f_task_version}")
    with write_transaction():
        tables.insert_meta(meta)
        tracking.save_output_table(_task_ref(row), str(body["data_name"])[:30], meta.namespace, meta.name)
    return {"namespace": meta.namespace, "name": meta.name}


def report_metric(body: Mapping[str, Any]) -> dict:
    row = reported_task(body)
    kind = int(body.get("type", 1))
    if kind not in (0, 1):
        raise ParameterError(f"type must be 0 (meta) or 1 (data), got {kind}")
    namespace, name = str(body.get("metric_namespace", "")), str(body.get("metric_name", ""))
    values = body.get("values")
    with write_transaction():
        if kind == 0:
            tracking.save_metric_meta(_task_ref(row), namespace, name, values or {})
            return {"count": 1}
        points = [(k, v) for k, v in (values or [])]
        tracking.save_metric_data(_task_ref(row), namespace, name, points)
    return {"count": len(points)}


def report_summary(body: Mapping[str, Any]) -> dict:
    row = reported_task(body)
    summary = body.get("summary") or {}
    if not isinstance(summary, dict):
        raise ParameterError("summary must be an object")
    with write_transaction():
        tracking.save_summary(_task_ref(row), summary)
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


def report_model(runtime: Runtime, body: Mapping[str, Any]) -> dict:
    row = reported_task(body)
    alias = _safe_name(body.get("model_alias"), "model_alias")
    buffers = body.get("buffers") or {}
    if not isinstance(buffers, dict) or not buffers:
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


def get_model(runtime: Runtime, body: Mapping[str, Any]) -> dict:
    """Buffers of a component's model of this job (a worker reading an upstream model)."""
    row = reported_task(body)
    component = _safe_name(body.get("model_component") or row.f_component_name, "model_component")
    alias = _safe_name(body.get("model_alias"), "model_alias")
    model_id, version = _job_model(row)
    model_id = str(body.get("model_id") or model_id)
    version = str(body.get("model_version") or version)
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
