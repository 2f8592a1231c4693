"""What the /v1/tracking API shows about a job's components on this party (contract §1.3)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from fate_flow.components.registry import ComponentRegistry, UnknownModuleError
from fate_flow.db.models import Job, Task
from fate_flow.dsl.component_parameters import component_parameters
from fate_flow.dsl.dsl_parser import parse_dsl, parse_dsl_version
from fate_flow.dsl.runtime_conf import parse_runtime_conf
from fate_flow.entity.errors import FateFlowError, NotFoundError, ParameterError
from fate_flow.model.pipelined_model import BUFFER_TYPES_FILE
from fate_flow.serde.protobuf_types import UnknownMessageType, parse_buffer
from fate_flow.serde.rows import render_header, render_row
from fate_flow.services.runtime import Runtime
from fate_flow.services.data import table_meta as tables
from fate_flow.services.models import paths as model_paths
from fate_flow.services.tracking import records as tracking

PREVIEW_ROWS = 100


@dataclass(frozen=True)
class ComponentAt:
    """A component of a job as one party ran it."""

    job_id: str
    component: str
    role: str
    party_id: str


def job_row(job_id: str, role: str | None = None, party_id: str | None = None) -> Job:
    query = Job.select().where(Job.f_job_id == job_id)
    if role is not None:
        query = query.where(Job.f_role == role)
    if party_id is not None:
        query = query.where(Job.f_party_id == str(party_id))
    row = query.order_by(Job.f_is_initiator.desc()).first()
    if row is None:
        where = f" as {role} {party_id}" if role is not None else ""
        raise NotFoundError(f"can not found this job: {job_id}{where}")
    return row


def locate(job_id: str, component: str, role: str | None, party_id: str | None) -> ComponentAt:
    """Fill role and party from the job's initiator when both are absent (as FATE does); check the job and
    that the component is in its DSL."""
    _check_role_and_party(role, party_id)
    row = job_row(job_id, role, party_id)
    components = (row.f_dsl or {}).get("components", {})
    if component not in components:
        raise NotFoundError(f"component {component} is not in job {job_id} (its components: "
                            f"{', '.join(components) or 'none'})")
    return ComponentAt(job_id, component, row.f_role, row.f_party_id)


def _check_role_and_party(role: str | None, party_id: str | None) -> None:
    if (role is None) != (party_id is None):
        raise ParameterError("parameters role and party_id go together: give both or neither")


def component_list(job_id: str) -> list[str]:
    row = Job.select().where(Job.f_job_id == job_id).first()
    if row is None:
        raise FateFlowError("No job matched, please make sure the job id is valid.")
    return list((row.f_dsl or {}).get("components", {}))


def parameters(registry: ComponentRegistry, at: ComponentAt) -> dict[str, Any]:
    row = job_row(at.job_id, at.role, at.party_id)
    conf = parse_runtime_conf(row.f_runtime_conf, require_work_mode=False)
    dag = parse_dsl(row.f_dsl, None, version=parse_dsl_version(row.f_runtime_conf.get("dsl_version")))
    module = dag.components[at.component].module
    params = component_parameters(dag, conf, at.component, at.role, at.party_id)
    try:
        params = registry.load(module).params_class.from_dict(params, at.component).to_dict()
    except (UnknownModuleError, FateFlowError):
        pass  # show what the conf says when the module or its check cannot make more of it
    return {"module": module, f"{module}Param": params}


def output_data(ctx: Runtime, at: ComponentAt, limit: int = PREVIEW_ROWS) -> tuple[list, dict]:
    """Rows, headers, totals and names of the component's output tables (read from the tables)."""
    rows_by_output, headers, totals, names = [], [], [], []
    for info in tracking.output_tables(at.job_id, at.component, at.role, at.party_id):
        meta = tables.get_meta(info.f_table_namespace, info.f_table_name)
        if meta is None:
            continue
        rows, sample = _rows(ctx, meta, limit)
        rows_by_output.append(rows)
        headers.append(render_header(meta.schema, sample, meta.id_delimiter) if rows else None)
        totals.append(meta.count or 0)
        names.append(info.f_data_name)
    return rows_by_output, {"header": headers, "total": totals, "names": names}


def _rows(ctx: Runtime, meta: tables.TableMeta, limit: int | None) -> tuple[list, Any]:
    pairs = list(_iter_rows(ctx, meta, limit))
    return [row for row, _ in pairs], (pairs[0][1] if pairs else None)


def write_output_data(ctx: Runtime, at: ComponentAt, limit: int | None, head: bool, directory: Path) -> int:
    """Write <output name>.csv (header line first when `head`) and <output name>.meta for each output table
    that has rows into `directory`, row by row; returns how many outputs were written."""
    written = 0
    for info in tracking.output_tables(at.job_id, at.component, at.role, at.party_id):
        meta = tables.get_meta(info.f_table_namespace, info.f_table_name)
        if meta is None:
            continue
        rows = _iter_rows(ctx, meta, limit)
        first = next(rows, None)
        if first is None:
            continue
        header = render_header(meta.schema, first[1], meta.id_delimiter)
        with open(directory / f"{info.f_data_name}.csv", "w", encoding="utf-8") as f:
            if head:
                f.write(",".join(map(str, header)) + "\n")
            f.write(_csv_line(first[0]))
            f.writelines(_csv_line(row) for row, _ in rows)
        (directory / f"{info.f_data_name}.meta").write_text(json.dumps({"header": header}), encoding="utf-8")
        written += 1
    return written


def _iter_rows(ctx: Runtime, meta: tables.TableMeta, limit: int | None):
    """(rendered row, decoded value) pairs of a table, in stored order."""
    if meta.engine != "STANDALONE":
        yield from ((list(r), None) for r in meta.part_of_data[:limit])
        return
    loads = ctx.codec.loads
    stored = ctx.store.open(meta.address, meta.partitions)
    for k, v in islice(stored.ordered_items(), limit):
        value = loads(v)
        yield render_row(loads(k), value, meta.id_delimiter), value


def _csv_line(row: list) -> str:
    return ",".join(json.dumps(v) if isinstance(v, (dict, list)) else str(v) for v in row) + "\n"


def data_view(job_id: str, role: str, party_id: str) -> dict[str, Any]:
    """Partners, datasets, roles and a real model summary (the components' summaries on this party)."""
    row = job_row(job_id, role, party_id)
    roles = row.f_roles or {}
    me = int(party_id)
    partner = {r: [p for p in ps if not (r == role and int(p) == me)] for r, ps in roles.items()}
    partner = {r: ps for r, ps in partner.items() if ps}
    visible = roles if row.f_is_initiator else {role: [me]}
    dataset = _datasets(row, visible)
    summaries = {}
    for component in (row.f_dsl or {}).get("components", {}):
        summary = tracking.get_summary(job_id, component, role, party_id)
        if summary:
            summaries[component] = summary
    return {"partner": partner, "dataset": dataset, "roles": visible, "model_summary": summaries}


def _datasets(row: Job, visible: dict) -> dict:
    conf = row.f_runtime_conf or {}
    try:
        version = parse_dsl_version(conf.get("dsl_version"))
        parsed_conf = parse_runtime_conf(conf, require_work_mode=False)
        dag = parse_dsl(row.f_dsl, None, version=version)
    except FateFlowError:
        return {}
    dataset: dict = {}
    for role, parties in visible.items():
        for p in parties:
            tables_of_party = {}
            if version == 2:
                for name, c in dag.components.items():
                    if c.module == "Reader":
                        table = component_parameters(dag, parsed_conf, name, role, p).get("table") or {}
                        if table.get("name"):
                            tables_of_party[name] = f"{table.get('namespace')}.{table.get('name')}"
            else:
                index = parsed_conf.party_index(role, p)
                for key, table in (conf.get("role_parameters", {}).get(role, {}).get("args", {})
                                   .get("data", {}) or {}).items():
                    entry = table[index] if isinstance(table, list) and index < len(table) else table
                    if isinstance(entry, dict) and entry.get("name"):
                        tables_of_party[key] = f"{entry.get('namespace')}.{entry.get('name')}"
            if tables_of_party:
                dataset.setdefault(role, {})[str(p)] = tables_of_party
    return dataset


def output_model(ctx: Runtime, at: ComponentAt) -> tuple[dict, dict]:
    """The component's model as JSON (contract §1.3.7): the buffer whose name ends in Param as data, the one
    ending in Meta as meta.meta_data. The first model alias the DSL declares is shown; a component that
    declares none has no model ({} and {})."""
    row = job_row(at.job_id, at.role, at.party_id)
    params = (row.f_runtime_conf_on_party or {}).get("job_parameters") or {}
    model_id, version = str(params.get("model_id", "")), str(params.get("model_version") or at.job_id)
    component = (row.f_dsl or {}).get("components", {}).get(at.component, {})
    aliases = (component.get("output") or {}).get("model")
    if not aliases:
        return {}, {}  # the component makes no model
    directory = model_paths.component_model_dir(ctx.settings, at.role, at.party_id, model_id, version, at.component,
                                                aliases[0])
    if not directory.is_dir():
        raise FateFlowError(f"Can not find model info by filters: job id: {at.job_id}, role: {at.role}, "
                            f"party id: {at.party_id}, component: {at.component}")
    types_file = directory / BUFFER_TYPES_FILE
    types = json.loads(types_file.read_text(encoding="utf-8")) if types_file.exists() else {}
    rendered = {name: _buffer_as_dict(directory / name, types.get(name, "")) for name in types}
    param = next((v for k, v in rendered.items() if k.endswith("Param")), None)
    meta = next((v for k, v in rendered.items() if k.endswith("Meta")), {})
    if param is None:
        return {}, {}
    return param, {"module_name": component.get("module", ""), "meta_data": meta}


def _buffer_as_dict(path: Path, type_name: str) -> dict:
    from google.protobuf import json_format
    try:
        message = parse_buffer(type_name, path.read_bytes())
    except UnknownMessageType:
        raise FateFlowError(f"model buffer {path.name} is of unknown type {type_name!r}") from None
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True,
                                     preserving_proto_field_name=True)


KEY_METRIC_TYPES = ("EVALUATION_SUMMARY", "CLUSTERING_EVALUATION_SUMMARY")


def job_summary(job_id: str, role: str | None = None, party_id: str | None = None) -> dict[str, Any]:
    """One call for a job at a glance (this server's view): status and progress per party, each component's
    status per party, its duration and runs, and the key metrics (evaluation summaries) it recorded."""
    _check_role_and_party(role, party_id)
    row = job_row(job_id, role, party_id)
    status: dict[str, dict[str, str]] = {}
    for party in Job.select(Job.f_role, Job.f_party_id, Job.f_status).where(Job.f_job_id == job_id):
        status.setdefault(party.f_role, {})[party.f_party_id] = party.f_status
    latest: dict[tuple, Task] = {}
    for task in Task.select().where(Task.f_job_id == job_id).order_by(Task.f_task_version):
        latest[(task.f_component_name, task.f_role, task.f_party_id)] = task
    components = []
    for name, spec in ((row.f_dsl or {}).get("components") or {}).items():
        tasks = [t for (c, _, _), t in latest.items() if c == name]
        elapsed = [t.f_elapsed for t in tasks if t.f_elapsed is not None]
        statuses: dict[str, dict[str, str]] = {}
        for t in tasks:
            statuses.setdefault(t.f_role, {})[t.f_party_id] = t.f_party_status or t.f_status
        components.append({
            "component": name, "module": spec.get("module"), "status": statuses,
            "runs": max((t.f_task_version for t in tasks), default=-1) + 1,
            "elapsed_ms": max(elapsed) if elapsed else None,
            "key_metrics": _key_metrics(job_id, name, row.f_role, row.f_party_id)})
    return {
        "job_id": job_id, "role": row.f_role, "party_id": row.f_party_id,
        "status": status, "progress": row.f_progress, "start_time": row.f_start_time, "end_time": row.f_end_time,
        "elapsed_ms": row.f_elapsed, "fail_reason": row.f_fail_reason or None,
        "components": components,
    }


def _key_metrics(job_id: str, component: str, role: str, party_id: str) -> dict:
    found = {}
    for namespace, by_name in tracking.all_metrics(job_id, component, role, party_id).items():
        for name, entry in by_name.items():
            if entry["meta"].get("metric_type") in KEY_METRIC_TYPES:
                found.setdefault(namespace, {})[name] = dict((str(k), v) for k, v in entry["data"])
    return found
