"""`job.create` on a party: its t_job row, the t_task rows of the components its role runs (version 0,
waiting), the conf files of jobs/<job_id>/ and the model directory. On the initiator's server it also makes
the initiator's copies ("shadow rows") of the tasks of parties hosted elsewhere, so it can follow them."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, Task
from fate_flow.entity.atomic_files import write_atomically
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.messages import JobCreate
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import JobStatus
from fate_flow.services.jobs.job_locations import job_files
from fate_flow.components.registry import ComponentRegistry
from fate_flow.services.jobs.plan import cores_needed, party_parameters, plan_job
from fate_flow.services.models import local as model_local, paths as model_paths
from fate_flow.settings import Settings


class ResourceError(FateFlowError):
    """The job can never fit the cores a party has (a submit error: retcode 100, as FATE answers them)."""

    retcode = RetCode.EXCEPTION_ERROR


def check_cores(settings: Settings, job_id: str, party_id: Any, needs: Mapping[str, int]) -> None:
    """Refuse a job that asks more cores of a party than it has at all (it could never start)."""
    total = sum(needs.values())
    capacity = settings.resources.cores_of(party_id)
    if total > capacity:
        detail = ", ".join(f"{role} {n}" for role, n in needs.items() if n)
        raise ResourceError(f"job asks for {total} cores on party {party_id} ({detail}; task_cores x "
                            f"task_parallelism per role), but party {party_id} has only {capacity} cores "
                            f"(resources.cores_per_party); lower task_cores or task_parallelism")


def create_party_job(settings: Settings, components: ComponentRegistry, job: JobCreate, role: str,
                     party_id: str) -> dict:
    """Create the job on one hosted party; idempotent (a repeated create answers success)."""
    job_id = job.job_id
    if Job.get_or_none(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id)) is not None:
        return {"created": False}
    train_conf = job.train_runtime_conf
    plan = plan_job(components, job.dsl, job.runtime_conf, train_runtime_conf=train_conf)
    if role not in plan.conf.roles or int(party_id) not in plan.conf.roles[role]:
        raise FateFlowError(f"job {job_id} has no {role} party {party_id}")
    params = party_parameters(plan, settings, role, party_id)
    needs = {r: cores_needed(plan, party_parameters(plan, settings, r, party_id), r, party_id)
             for r, ids in plan.conf.roles.items() if int(party_id) in ids}
    check_cores(settings, job_id, party_id, needs)
    initiator = (plan.conf.initiator_role, str(plan.conf.initiator_party_id))
    is_initiator = (role, str(party_id)) == initiator
    model_id, model_version = job.model_id, job.model_version
    params.update(model_id=model_id, model_version=model_version)
    on_party = dict(plan.conf.to_dict(), job_parameters=params)

    _write_conf_files(settings, job, role, on_party)
    if plan.conf.job_type == "predict":
        _check_predict_model(settings, role, str(party_id), model_id, model_version)
    else:
        model_dir = model_paths.model_dir(settings, role, str(party_id), model_id, model_version)
        model_dir.mkdir(parents=True, exist_ok=True)

    task_common = dict(f_job_id=job_id, f_initiator_role=initiator[0], f_initiator_party_id=initiator[1],
                       f_federated_mode="MULTIPLE", f_federated_status_collect_type="PUSH",
                       f_status=JobStatus.WAITING.value, f_party_status=JobStatus.WAITING.value, f_task_version=0,
                       f_auto_retries=int(params.get("auto_retries") or 0), **Task.audit_values())
    rows = [dict(task_common, f_component_name=c, f_task_id=f"{job_id}_{c}", f_role=role, f_party_id=str(party_id),
                 f_run_on_this_party=True) for c in plan.components_of(role, party_id)]
    if is_initiator:
        hosted = {str(p) for p in settings.fateflow.party_ids}
        for component in plan.dag.order:
            for r, p in plan.task_parties(component):
                if p not in hosted:
                    rows.append(dict(task_common, f_component_name=component, f_task_id=f"{job_id}_{component}",
                                     f_role=r, f_party_id=p, f_run_on_this_party=False))
    with write_transaction():
        Job.insert(
            f_job_id=job_id, f_role=role, f_party_id=str(party_id), f_dsl=job.dsl,
            f_runtime_conf=job.runtime_conf, f_runtime_conf_on_party=on_party, f_train_runtime_conf=train_conf,
            f_roles=plan.conf.to_dict()["role"], f_work_mode=int(params.get("work_mode") or 0),
            f_initiator_role=initiator[0], f_initiator_party_id=initiator[1], f_is_initiator=is_initiator,
            f_status=JobStatus.WAITING.value, f_progress=0, f_cores=needs.get(role, 0), f_remaining_cores=0,
            f_engine_type="computing", f_engine_name=params["computing_engine"],
            f_description=job.description,
            **Job.audit_values()).on_conflict_ignore().execute()
        if rows:
            Task.insert_many(rows).on_conflict_ignore().execute()
    return {"created": True}


def _write_conf_files(settings: Settings, job: JobCreate, role: str, on_party: dict) -> None:
    files = job_files(settings, job.job_id, role)
    contents = {"job_dsl_path": job.dsl, "job_runtime_conf_path": job.runtime_conf,
                "job_runtime_conf_on_party_path": on_party, "train_runtime_conf_path": job.train_runtime_conf,
                "pipeline_dsl_path": job.dsl}
    for key, path in files.items():
        _write_json(path, contents[key])


def _write_json(path: Path, data: Any) -> None:
    write_atomically(path, json.dumps(data, indent=4).encode("utf-8"))


def _check_predict_model(settings: Settings, role: str, party_id: str, model_id: str, model_version: str) -> None:
    """Each party of a predict job reads its own copy of the model: it must be there (deployed to it)."""
    if not model_local.party_model(settings, role, party_id, model_id, model_version).has_pipeline():
        raise FateFlowError(f"Model {model_id} {model_version} does not exist at {role} party {party_id}; "
                            f"deploy it to every party of the model first")
