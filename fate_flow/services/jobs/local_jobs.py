"""Local jobs: one-component jobs this server runs for itself (role `local`, party 0), such as upload and
download, recorded like any job so that FATE's clients can query them."""
from __future__ import annotations

import json
from dataclasses import dataclass

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, Task
from fate_flow.entity.status import JobStatus
from fate_flow.services.jobs.job_locations import job_files
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
