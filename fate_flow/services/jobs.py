"""Job and task records. Status changes go through `update_job_status`/`update_task_status` only:
they check the transition table and update with compare-and-set (UPDATE ... WHERE status = old)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from fate_flow.db.base import ms_to_datetime, now_ms, write_transaction
from fate_flow.db.models import Job, Task
from fate_flow.entity.home_paths import home_path
from fate_flow.entity.status import END_STATUSES, JobStatus, can_transition
from fate_flow.settings import Settings

LOCAL_ROLE = "local"
LOCAL_PARTY_ID = "0"
LOCAL_MODEL_ID = "local-0#model"


@dataclass(frozen=True)
class LocalJob:
    """A one-component job run by this server for itself (role `local`, party 0): upload, download..."""

    job_id: str
    component_name: str
    module: str
    parameters: dict

    @property
    def task_id(self) -> str:
        return f"{self.job_id}_{self.component_name}"

    def dsl(self) -> dict:
        return {"components": {self.component_name: {"module": self.module}}}

    def runtime_conf(self) -> dict:
        return {
            "dsl_version": 2,
            "initiator": {"role": LOCAL_ROLE, "party_id": int(LOCAL_PARTY_ID)},
            "role": {LOCAL_ROLE: [int(LOCAL_PARTY_ID)]},
            "job_parameters": {"common": {"job_type": "train"}},
            "component_parameters": {"role": {LOCAL_ROLE: {"0": {self.component_name: self.parameters}}}},
        }


def job_files(settings: Settings, job_id: str, initiator_role: str) -> dict[str, Path]:
    """Where a job's conf files live (contract §12.4); the submit-style responses print these paths."""
    base = home_path(settings.jobs_dir, job_id)
    return {
        "job_dsl_path": base / "job_dsl.json",
        "job_runtime_conf_path": base / "job_runtime_conf.json",
        "job_runtime_conf_on_party_path": home_path(base, initiator_role, "job_runtime_on_party_conf.json"),
        "train_runtime_conf_path": base / "train_runtime_conf.json",
        "pipeline_dsl_path": base / "pipeline_dsl.json",
    }


def board_url(settings: Settings, job_id: str, role: str, party_id: str) -> str:
    """The FATE-Board dashboard of a job as one party sees it (contract §10.4): on the external FATE-Board the
    fateboard conf section names, else on the board this server serves on its own HTTP port."""
    board = settings.fateboard
    if board is not None:
        host, port = board.host, board.port
    else:
        host, port = settings.fateflow.host, settings.fateflow.http_port
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # a wildcard bind
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/index.html#/dashboard?job_id={job_id}&role={role}&party_id={party_id}"


def submit_response(settings: Settings, job_id: str, role: str, party_id: str, model_id: str) -> dict:
    """The `data` of a job-creating response, with the keys FATE clients read or print."""
    return {
        "job_id": job_id,
        "model_info": {"model_id": model_id, "model_version": job_id},
        "logs_directory": str(home_path(settings.logs_dir, job_id)),
        "board_url": board_url(settings, job_id, role, party_id),
        **{k: str(v) for k, v in job_files(settings, job_id, role).items()},
    }


def create_local_job(settings: Settings, job: LocalJob, description: str = "") -> None:
    """Record a local job and its task as waiting, and write its conf files."""
    dsl, conf = job.dsl(), job.runtime_conf()
    files = job_files(settings, job.job_id, LOCAL_ROLE)
    contents = {"job_dsl_path": dsl, "job_runtime_conf_path": conf,
                "job_runtime_conf_on_party_path": conf["job_parameters"]["common"],
                "train_runtime_conf_path": {}, "pipeline_dsl_path": dsl}
    for key, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(contents[key], indent=4), encoding="utf-8")
    with write_transaction():
        Job.insert(
            f_job_id=job.job_id, f_role=LOCAL_ROLE, f_party_id=LOCAL_PARTY_ID, f_description=description,
            f_dsl=dsl, f_runtime_conf=conf, f_runtime_conf_on_party=conf, f_train_runtime_conf={},
            f_roles=conf["role"], f_initiator_role=LOCAL_ROLE, f_initiator_party_id=LOCAL_PARTY_ID,
            f_is_initiator=True, f_status=JobStatus.WAITING.value, f_progress=0, f_engine_type="computing",
            f_engine_name="STANDALONE", **Job.audit_values(),
        ).execute()
        Task.insert(
            f_job_id=job.job_id, f_component_name=job.component_name, f_task_id=job.task_id, f_task_version=0,
            f_initiator_role=LOCAL_ROLE, f_initiator_party_id=LOCAL_PARTY_ID, f_federated_mode="SINGLE",
            f_status=JobStatus.WAITING.value, f_party_status=JobStatus.WAITING.value, f_role=LOCAL_ROLE,
            f_party_id=LOCAL_PARTY_ID, f_run_on_this_party=True, **Task.audit_values(),
        ).execute()


# an ended job goes back to waiting only when it is rerun (never by a status report)
RERUN_FROM = frozenset({JobStatus.FAILED, JobStatus.CANCELED, JobStatus.TIMEOUT, JobStatus.SUCCESS})


def update_job_status(job_id: str, role: str, party_id: str, new: JobStatus, progress: int | None = None, *,
                      fail_reason: str | None = None, rerun: bool = False) -> bool:
    """Compare-and-set the job's status; False when the row is gone or the transition is not allowed.
    `rerun` allows the one extra move, an ended job back to waiting, and clears its end."""
    row = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id))
    if row is None or row.f_status == new.value:
        return False
    if rerun:
        if new != JobStatus.WAITING or JobStatus(row.f_status) not in RERUN_FROM:
            return False
        values: dict[str, Any] = dict(f_end_time=None, f_end_date=None, f_elapsed=None, f_fail_reason=None,
                                      f_progress=0, f_tag="", f_cancel_signal=False, f_end_scheduling_updates=0)
    elif not can_transition(row.f_status, new):
        return False
    else:
        values = _status_times(row.f_start_time, new)
        if new in END_STATUSES:
            values["f_tag"] = "job_end"
            if role == LOCAL_ROLE:  # no other party has to hear of its end: it is settled when it ends
                values["f_end_scheduling_updates"] = 1
    values.update(f_status=new.value, **Job.audit_values(create=False))
    if progress is not None:
        values["f_progress"] = progress
    if fail_reason is not None:
        values["f_fail_reason"] = fail_reason
    updated = Job.update(values).where(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id),
                                       Job.f_status == row.f_status).execute()
    return updated == 1


# which status column of a task a change is about
BOTH, PARTY, FEDERATED = "both", "party", "federated"


def update_task_status(job_id: str, task_id: str, task_version: int, role: str, party_id: str,
                       new: JobStatus, *, column: str = BOTH, fail_reason: str | None = None,
                       extra: Mapping[str, Any] | None = None) -> bool:
    """Compare-and-set a task's status. `column`: PARTY (what this party's worker did), FEDERATED (the
    initiator's verdict over all parties) or BOTH (a local job, where they are one). Times follow the
    party status; `extra` sets other columns (pid, run ip...) in the same update."""
    where = (Task.f_job_id == job_id, Task.f_task_id == task_id, Task.f_task_version == task_version,
             Task.f_role == role, Task.f_party_id == str(party_id))
    row = Task.get_or_none(*where)
    if row is None:
        return False
    field = Task.f_party_status if column == PARTY else Task.f_status
    old = row.f_party_status if column == PARTY else row.f_status
    if old == new.value or not can_transition(old, new):
        return False
    values: dict[str, Any] = {} if column == FEDERATED else _status_times(row.f_start_time, new)
    if column in (BOTH, FEDERATED):
        values["f_status"] = new.value
    if column in (BOTH, PARTY):
        values["f_party_status"] = new.value
    if fail_reason is not None:
        values["f_fail_reason"] = fail_reason
    values.update(extra or {})
    values.update(Task.audit_values(create=False))
    return Task.update(values).where(*where, field == old).execute() == 1


def update_job_progress(job_id: str, role: str, party_id: str, progress: int) -> None:
    """Progress only moves forward, and only while the job runs."""
    Job.update(f_progress=progress, **Job.audit_values(create=False)).where(
        Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id),
        Job.f_status == JobStatus.RUNNING.value, (Job.f_progress.is_null()) | (Job.f_progress < progress)).execute()


def _status_times(start_time: int | None, new: JobStatus) -> dict[str, Any]:
    now = now_ms()
    if new == JobStatus.RUNNING:
        return {"f_start_time": now, "f_start_date": ms_to_datetime(now)}
    if new in END_STATUSES:
        elapsed = now - start_time if start_time else None
        return {"f_end_time": now, "f_end_date": ms_to_datetime(now), "f_elapsed": elapsed}
    return {}


def job_exists(job_id: str) -> bool:
    return Job.select().where(Job.f_job_id == job_id).exists()
