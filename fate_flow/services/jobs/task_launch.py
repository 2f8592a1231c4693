"""`task.start` on a party: resolve the task's inputs from this party's database, write its task_spec.json
and start its worker. The task is marked running before the worker starts and gets the worker's pid and
start time right after, so the detector can always tell whether it still runs."""
from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, Task, TrackingOutputDataInfo
from fate_flow.dsl.component_parameters import args_inputs, component_parameters
from fate_flow.dsl.dag import SOURCE_ARGS, SOURCE_COMPONENT, SOURCE_PIPELINE
from fate_flow.entity import worker_secret
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.home_paths import home_path
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import JobStatus
from fate_flow.entity.task_spec import ModelRef, ServerAddress, TableRef, TaskSpec
from fate_flow.services.data import table_meta as tables
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.status_updates import PARTY, update_task_status
from fate_flow.services.jobs.plan import plan_of
from fate_flow.services.jobs.schedule_log import job_log
from fate_flow.settings import Settings

LOG = logging.getLogger(__name__)

READER_MODULE = "Reader"
# the input_data key under which a Reader gets the table its `table` parameter names
READER_INPUT_KEY = "table"


class InputError(FateFlowError):
    """An input of the task is missing on this party; the message names the party and the table."""

    retcode = RetCode.DATA_ERROR


def task_dir(settings: Settings, row: Task) -> Path:
    return home_path(settings.jobs_dir, row.f_job_id, row.f_role, row.f_party_id, row.f_component_name, row.f_task_id,
                     row.f_task_version)


def task_log_dir(settings: Settings, row: Task) -> Path:
    return home_path(settings.logs_dir, row.f_job_id, row.f_role, row.f_party_id, row.f_component_name)


def start_task(runtime: Runtime, job_id: str, task_id: str, task_version: int, role: str, party_id: str) -> dict:
    settings = runtime.settings
    where = (Task.f_job_id == job_id, Task.f_task_id == task_id, Task.f_task_version == task_version,
             Task.f_role == role, Task.f_party_id == str(party_id))
    row = Task.get_or_none(*where)
    if row is None:
        raise FateFlowError(f"task {task_id} version {task_version} does not exist on {role} party {party_id}",
                            retcode=RetCode.DATA_ERROR)
    if row.f_party_status != JobStatus.WAITING.value:
        return {"pid": row.f_run_pid, "already": row.f_party_status}
    try:
        spec = build_spec(runtime, row)
    except FateFlowError as e:
        _fail(row, e.message)
        job_log(settings, job_id, f"task {task_id} v{task_version} {role} {party_id} cannot start: {e.message}",
                logging.ERROR)
        raise
    directory = task_dir(settings, row)
    directory.mkdir(parents=True, exist_ok=True)
    spec_path = directory / "task_spec.json"
    spec_path.write_text(json.dumps(spec.to_dict(), indent=2), encoding="utf-8")
    secret = worker_secret.new_secret()  # the worker's proof on /v1/worker/*: handed over at launch only
    if not update_task_status(job_id, task_id, task_version, role, party_id, JobStatus.RUNNING,
                              column=PARTY, extra={"f_run_ip": spec.server.host,
                                                   "f_worker_secret_digest": worker_secret.digest(secret)}):
        return {"pid": None, "already": Task.get(*where).f_party_status}
    try:
        handle = runtime.launcher.launch(spec_path, Path(spec.log_dir) / "std.log", directory, secret)
    except OSError as e:
        message = f"cannot start the worker of task {task_id} on {role} party {party_id}: {e}"
        _fail(row, message)
        raise FateFlowError(message) from e
    with write_transaction():
        Task.update(f_run_pid=handle.pid, f_run_start_time=handle.start_time,
                    **Task.audit_values(create=False)).where(*where).execute()
    (directory / "pid").write_text(str(handle.pid), encoding="utf-8")
    job_log(settings, job_id, f"started task {task_id} v{task_version} of {role} {party_id}: worker pid {handle.pid}")
    return {"pid": handle.pid}


def _fail(row: Task, reason: str) -> None:
    for status in (JobStatus.RUNNING, JobStatus.FAILED):
        update_task_status(row.f_job_id, row.f_task_id, row.f_task_version, row.f_role, row.f_party_id, status,
                           column=PARTY, fail_reason=reason if status == JobStatus.FAILED else None)


def build_spec(runtime: Runtime, row: Task) -> TaskSpec:
    settings = runtime.settings
    job = Job.get_or_none(Job.f_job_id == row.f_job_id, Job.f_role == row.f_role, Job.f_party_id == row.f_party_id)
    if job is None:
        raise FateFlowError(f"job {row.f_job_id} does not exist on {row.f_role} party {row.f_party_id}")
    plan = plan_of(runtime.components, job)
    component = plan.dag.component(row.f_component_name)
    params = component_parameters(plan.dag, plan.conf, component.name, row.f_role, row.f_party_id)
    where = f"{row.f_role} party {row.f_party_id}"
    input_data: dict[str, list[TableRef]] = {}
    if component.module == READER_MODULE:
        input_data[READER_INPUT_KEY] = [_reader_table(params, component.name, where)]
    for key, refs in component.data_inputs.items():
        for ref in refs:
            if ref.source == SOURCE_COMPONENT:
                if not _runs_here(plan, ref.component, row):
                    continue  # e.g. the arbiter of HeteroLR: its upstream Intersection runs on guest/host only
                table = _upstream_table(row, ref.component, ref.output, where)
                if table is not None:
                    input_data.setdefault(key, []).append(dataclasses.replace(table, source=ref.component))
            elif ref.source == SOURCE_ARGS:
                named = args_inputs(plan.conf).get(row.f_role, {}).get(int(row.f_party_id), {}).get(ref.output)
                if not named:
                    raise InputError(f"{component.name}: args.{ref.output} names no table for {where}")
                input_data.setdefault(key, []).append(_table_ref(named.get("namespace"), named.get("name"), where))
    input_model = {kind: [ModelRef(r.component, r.output)
                          for r in component.model_inputs(kind)
                          if r.source == SOURCE_PIPELINE or (r.is_edge and _runs_here(plan, r.component, row))]
                   for kind in ("model", "isometric_model")}
    input_model = {kind: refs for kind, refs in input_model.items() if refs}
    host = settings.fateflow.host
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    return TaskSpec(
        job_id=row.f_job_id, component_name=component.name, module=component.module, task_id=row.f_task_id,
        task_version=int(row.f_task_version), role=row.f_role, party_id=str(row.f_party_id), parameters=params,
        job_parameters=dict(job.f_runtime_conf_on_party.get("job_parameters") or {}),
        roles={r: list(ids) for r, ids in plan.conf.roles.items()}, input_data=input_data, input_model=input_model,
        output_data=list(component.output_data), output_model=list(component.output_model),
        output_namespace=f"output_data_{row.f_task_id}_{row.f_task_version}",
        server=ServerAddress(host, settings.fateflow.http_port), conf_path=str(settings.conf_path),
        home=str(settings.home), log_dir=str(task_log_dir(settings, row)))


def _runs_here(plan, component: str, row: Task) -> bool:
    """Whether `component` has a task on this task's party (its module runs on the party's role)."""
    return int(row.f_party_id) in plan.parties.get(component, {}).get(row.f_role, [])


def _reader_table(params: dict, component: str, where: str) -> TableRef:
    table = params.get("table")
    if not isinstance(table, dict):
        # the first key of the parameter object, as FATE's Reader takes it
        table = next((v for v in params.values() if isinstance(v, dict)), None)
    if not isinstance(table, dict) or not table.get("name") or not table.get("namespace"):
        raise InputError(f"{component}: parameter table {{name, namespace}} is missing for {where}")
    return _table_ref(table["namespace"], table["name"], where, component)


def _table_ref(namespace: Any, name: Any, where: str, component: str = "") -> TableRef:
    meta = tables.get_meta(str(namespace), str(name))
    if meta is None:
        prefix = f"{component}: " if component else ""
        raise InputError(f"{prefix}table {namespace}.{name} does not exist at {where} "
                         f"(can not found table name: {name} namespace: {namespace})")
    return TableRef(namespace=meta.namespace, name=meta.name, engine=meta.engine, address=dict(meta.address),
                    partitions=int(meta.partitions or 1), schema=dict(meta.schema or {}), count=meta.count,
                    id_delimiter=meta.id_delimiter, have_head=meta.have_head, in_serialized=meta.in_serialized)


def _upstream_table(row: Task, component: str, data_name: str, where: str) -> TableRef | None:
    info = (TrackingOutputDataInfo.select()
            .where(TrackingOutputDataInfo.f_job_id == row.f_job_id,
                   TrackingOutputDataInfo.f_component_name == component,
                   TrackingOutputDataInfo.f_role == row.f_role,
                   TrackingOutputDataInfo.f_party_id == row.f_party_id)
            .order_by(TrackingOutputDataInfo.f_task_version.desc(), TrackingOutputDataInfo.f_create_time.desc()))
    rows = list(info)
    if not rows:
        return None  # the upstream finished here without output data (e.g. a HeteroLR host): no input
    latest = rows[0].f_task_version
    chosen = [r for r in rows if r.f_task_version == latest]
    match = next((r for r in chosen if r.f_data_name == data_name), None)
    if match is None:
        # FATE names a single output after the DSL's output name; components may name it differently
        match = chosen[0] if len(chosen) == 1 else None
    if match is None:
        raise InputError(f"{row.f_component_name}: upstream component {component} has no output data "
                         f"{data_name!r} at {where} (it has {', '.join(r.f_data_name for r in chosen)})")
    return _table_ref(match.f_table_namespace, match.f_table_name, where)
