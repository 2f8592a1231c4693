"""What tasks record about themselves (contract §7): metrics, output tables, summaries.

Metrics are rows of t_tracking_metric: meta rows (f_type 0, merged on read, later rows win) and data points
(f_type 1), keys and values stored as JSON. One module writes and reads them so both ends agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from fate_flow.db.models import ComponentSummary, TrackingMetric, TrackingOutputDataInfo

META_ROW, DATA_ROW, JOB_VIEW_ROW = 0, 1, 2
META_KEY = "meta"


@dataclass(frozen=True)
class TaskRef:
    job_id: str
    component_name: str
    task_id: str
    task_version: int
    role: str
    party_id: str


def _row(task: TaskRef, namespace: str, name: str) -> dict[str, Any]:
    return dict(f_job_id=task.job_id, f_component_name=task.component_name, f_task_id=task.task_id,
                f_task_version=task.task_version, f_role=task.role, f_party_id=str(task.party_id),
                f_metric_namespace=namespace, f_metric_name=name, **TrackingMetric.audit_values())


def save_metric_meta(task: TaskRef, namespace: str, name: str, meta: dict) -> None:
    TrackingMetric.insert(**_row(task, namespace, name), f_key=META_KEY, f_value=meta, f_type=META_ROW).execute()


def save_metric_data(task: TaskRef, namespace: str, name: str, points: Iterable[tuple[Any, Any]]) -> None:
    common = _row(task, namespace, name)
    rows = [dict(common, f_key=k, f_value=v, f_type=DATA_ROW) for k, v in points]
    for start in range(0, len(rows), 500):
        TrackingMetric.insert_many(rows[start:start + 500]).execute()


def _metric_rows(job_id: str, component: str, role: str, party_id: str):
    """The columns the readers use, as plain named tuples (a 5,000-point curve reads ~5x faster than as models)."""
    m = TrackingMetric
    return m.select(m.f_metric_namespace, m.f_metric_name, m.f_type, m.f_key, m.f_value).where(
        m.f_job_id == job_id, m.f_component_name == component, m.f_role == role, m.f_party_id == str(party_id),
        m.f_type.in_((META_ROW, DATA_ROW))).order_by(m.f_id).namedtuples()


def metric_names(job_id: str, component: str, role: str, party_id: str) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for row in _metric_rows(job_id, component, role, party_id):
        listed = names.setdefault(row.f_metric_namespace, [])
        if row.f_metric_name not in listed:
            listed.append(row.f_metric_name)
    return names


def all_metrics(job_id: str, component: str, role: str, party_id: str) -> dict[str, dict[str, dict]]:
    """{namespace: {name: {"data": [[key, value], ...] sorted by key, "meta": {...}}}}"""
    metrics: dict[str, dict[str, dict]] = {}
    for row in _metric_rows(job_id, component, role, party_id):
        entry = metrics.setdefault(row.f_metric_namespace, {}).setdefault(row.f_metric_name, {"data": [], "meta": {}})
        if row.f_type == META_ROW:
            entry["meta"].update(row.f_value or {})
        else:
            entry["data"].append([row.f_key, row.f_value])
    for by_name in metrics.values():
        for entry in by_name.values():
            entry["data"].sort(key=_sort_key)
    return metrics


def metric_data(job_id: str, component: str, role: str, party_id: str, namespace: str, name: str) \
        -> tuple[list, dict]:
    entry = all_metrics(job_id, component, role, party_id).get(namespace, {}).get(name)
    return (entry["data"], entry["meta"]) if entry else ([], {})


def delete_metrics(job_id: str, role: str | None = None, party_id: str | None = None,
                   component: str | None = None) -> int:
    query = TrackingMetric.delete().where(TrackingMetric.f_job_id == job_id)
    for column, value in ((TrackingMetric.f_role, role), (TrackingMetric.f_party_id, party_id),
                          (TrackingMetric.f_component_name, component)):
        if value is not None:
            query = query.where(column == str(value))
    return query.execute()


def _sort_key(point: list) -> tuple:
    key = point[0]
    return (0, key, "") if isinstance(key, (int, float)) and not isinstance(key, bool) else (1, 0, str(key))


def save_output_table(task: TaskRef, data_name: str, namespace: str, name: str) -> None:
    TrackingOutputDataInfo.insert(
        f_job_id=task.job_id, f_component_name=task.component_name, f_task_id=task.task_id,
        f_task_version=task.task_version, f_data_name=data_name, f_role=task.role, f_party_id=str(task.party_id),
        f_table_name=name, f_table_namespace=namespace, **TrackingOutputDataInfo.audit_values()) \
        .on_conflict_replace().execute()


def output_tables(job_id: str, component: str, role: str, party_id: str) -> list[TrackingOutputDataInfo]:
    """The component's output tables of its latest task version, in the order they were recorded."""
    rows = list(TrackingOutputDataInfo.select().where(
        TrackingOutputDataInfo.f_job_id == job_id, TrackingOutputDataInfo.f_component_name == component,
        TrackingOutputDataInfo.f_role == role, TrackingOutputDataInfo.f_party_id == str(party_id))
        .order_by(TrackingOutputDataInfo.f_create_time))
    if not rows:
        return []
    latest = max(r.f_task_version for r in rows)
    return [r for r in rows if r.f_task_version == latest]


def save_summary(task: TaskRef, summary: dict) -> None:
    where = (ComponentSummary.f_job_id == task.job_id, ComponentSummary.f_component_name == task.component_name,
             ComponentSummary.f_role == task.role, ComponentSummary.f_party_id == str(task.party_id),
             ComponentSummary.f_task_id == task.task_id, ComponentSummary.f_task_version == str(task.task_version))
    updated = ComponentSummary.update(f_summary=summary, **ComponentSummary.audit_values(create=False)) \
        .where(*where).execute()
    if not updated:
        ComponentSummary.insert(f_job_id=task.job_id, f_component_name=task.component_name, f_role=task.role,
                                f_party_id=str(task.party_id), f_task_id=task.task_id,
                                f_task_version=str(task.task_version), f_summary=summary,
                                **ComponentSummary.audit_values()).execute()


def get_summary(job_id: str, component: str, role: str, party_id: str) -> dict | None:
    row = ComponentSummary.select().where(
        ComponentSummary.f_job_id == job_id, ComponentSummary.f_component_name == component,
        ComponentSummary.f_role == role, ComponentSummary.f_party_id == str(party_id)) \
        .order_by(ComponentSummary.f_update_time.desc()).first()
    return None if row is None else row.f_summary
