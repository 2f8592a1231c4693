"""Reading jobs, tasks and their output-data records for the /v1/job read endpoints (contract §1.2.4-§1.2.11,
§1.2.15). Rows are returned as raw `f_` column dicts, as FATE's clients and FATE-Board read them."""
from __future__ import annotations

from typing import Any, Mapping

from peewee import fn

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, Task, TrackingOutputDataInfo
from fate_flow.dsl.model_id import gen_model_id
from fate_flow.entity.errors import NotFoundError
from fate_flow.services.jobs.job_locations import board_url
from fate_flow.services.jobs.row_filters import filter_conditions
from fate_flow.settings import Settings


def query_jobs(filters: Mapping[str, Any]) -> list[dict]:
    """Job rows matching the column filters, newest first; no usable filter matches nothing (as in FATE)."""
    conditions = filter_conditions(Job, filters)
    if not conditions:
        return []
    query = Job.select().where(*conditions).order_by(Job.f_create_time.desc(), Job.f_job_id.desc())
    return [row.to_dict() for row in query]


def list_jobs(limit: int) -> list[dict]:
    """The newest `limit` job rows (all when limit <= 0)."""
    query = Job.select().order_by(Job.f_create_time.desc(), Job.f_job_id.desc())
    if limit > 0:
        query = query.limit(limit)
    return [row.to_dict() for row in query]


def update_job_notes(job_id: str, role: str, party_id: str, notes: str) -> None:
    """FATE-Board's "notes": the job's f_description (not its status, which only status_updates.py changes)."""
    where = (Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == party_id)
    with write_transaction():
        updated = Job.update(f_description=notes, **Job.audit_values(create=False)).where(*where).execute()
    if not updated:
        raise NotFoundError("find job failed")


def job_config(filters: Mapping[str, Any]) -> dict:
    """The DSL, confs and model info of the first job matching `filters` (§1.2.7)."""
    rows = query_jobs(filters)
    if not rows:
        raise NotFoundError("find job failed")
    job = rows[0]
    return {"job_id": job["f_job_id"], "dsl": job["f_dsl"], "runtime_conf": job["f_runtime_conf"],
            "train_runtime_conf": job["f_train_runtime_conf"], "model_info": _model_info(job)}


def _model_info(job: Mapping[str, Any]) -> dict:
    """model_id/model_version from the conf's common job parameters, where the initiator put them; a job
    recorded without them gets what the initiator would have computed (roles, and the job id as version)."""
    conf = job["f_runtime_conf"] or {}
    parameters = conf.get("job_parameters") or {}
    if isinstance(parameters.get("common"), Mapping):
        parameters = parameters["common"]
    model_id = parameters.get("model_id")
    if not model_id and job["f_roles"]:
        model_id = gen_model_id(job["f_roles"])
    return {"model_id": model_id, "model_version": parameters.get("model_version") or job["f_job_id"]}


def board_urls(settings: Settings, job_id: str, role: str, party_id: str) -> list[str]:
    """FATE-Board dashboard URLs of the matching job rows (§1.2.15)."""
    rows = Job.select(Job.f_job_id, Job.f_role, Job.f_party_id).where(
        Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == party_id)
    urls = [board_url(settings, row.f_job_id, row.f_role, row.f_party_id) for row in rows]
    if not urls:
        raise NotFoundError("no found job")
    return urls


def query_tasks(filters: Mapping[str, Any]) -> list[dict]:
    """Task rows matching the filters, only the highest matching task_version of each (task, role, party);
    an empty filter set means every task (§1.2.9)."""
    conditions = filter_conditions(Task, filters)
    key = (Task.f_job_id, Task.f_task_id, Task.f_role, Task.f_party_id)
    latest = Task.select(*key, fn.MAX(Task.f_task_version).alias("version")).group_by(*key)
    if conditions:
        latest = latest.where(*conditions)
    latest = latest.alias("latest")
    on = ((Task.f_job_id == latest.c.f_job_id) & (Task.f_task_id == latest.c.f_task_id)
          & (Task.f_role == latest.c.f_role) & (Task.f_party_id == latest.c.f_party_id)
          & (Task.f_task_version == latest.c.version))
    query = (Task.select().join(latest, on=on)
             .order_by(Task.f_create_time, Task.f_job_id, Task.f_task_id, Task.f_role, Task.f_party_id))
    return [row.to_dict() for row in query]


def list_tasks(limit: int) -> list[dict]:
    """The newest `limit` task rows, every version (all when limit <= 0)."""
    query = Task.select().order_by(Task.f_create_time.desc(), Task.f_task_id.desc(), Task.f_task_version.desc())
    if limit > 0:
        query = query.limit(limit)
    return [row.to_dict() for row in query]


def query_data_views(filters: Mapping[str, Any]) -> list[dict]:
    """Output-data records matching the filters, only the highest task_version of each (task, role, party,
    data name). FATE groups by (task, data name) alone, which drops one party's records when a server hosts
    several parties of a job; grouping by party too gives the same answer wherever FATE's is right."""
    info = TrackingOutputDataInfo
    conditions = filter_conditions(info, filters)
    key = (info.f_job_id, info.f_task_id, info.f_role, info.f_party_id, info.f_data_name)
    latest = info.select(*key, fn.MAX(info.f_task_version).alias("version")).group_by(*key)
    if conditions:
        latest = latest.where(*conditions)
    latest = latest.alias("latest")
    on = ((info.f_job_id == latest.c.f_job_id) & (info.f_task_id == latest.c.f_task_id)
          & (info.f_role == latest.c.f_role) & (info.f_party_id == latest.c.f_party_id)
          & (info.f_data_name == latest.c.f_data_name) & (info.f_task_version == latest.c.version))
    query = info.select().join(latest, on=on).order_by(info.f_create_time, info.f_task_id, info.f_data_name)
    return [row.to_dict() for row in query]
