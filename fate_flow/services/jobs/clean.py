"""/v1/job/clean: the output tables and metrics of tasks of ended jobs on this server, destroyed."""
from __future__ import annotations

from typing import Any, Mapping

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, Task, TrackingMetric, TrackingOutputDataInfo as Out
from fate_flow.entity.errors import FateFlowError, OperationRefusedError
from fate_flow.entity.status import END_STATUSES, JobStatus
from fate_flow.services.data import table_meta as tables


def clean_tasks(filters: Mapping[str, Any]) -> dict:
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
            raise OperationRefusedError(f"job {task.f_job_id} is {job.f_status}; clean its tasks after it ends")
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
