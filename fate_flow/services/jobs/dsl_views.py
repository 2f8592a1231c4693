"""DSL views that need no running job: a party's component dependency graph (/v1/pipeline/dag/dependency,
contract §1.4) and predict DSL generation (/v1/job/dsl/generate, §1.2.14)."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from fate_flow.components.registry import ComponentRegistry
from fate_flow.db.models import Job
from fate_flow.dsl.dag_dependency import dag_dependency
from fate_flow.dsl.dsl_parser import parse_dsl
from fate_flow.dsl.predict_dsl import dsl_generate
from fate_flow.dsl.predict_job import merge_predict_conf
from fate_flow.dsl.runtime_conf import parse_runtime_conf
from fate_flow.entity.errors import FateFlowError


def job_dependency(registry: ComponentRegistry, job_id: str, role: str, party_id: str) -> dict:
    """The dependency graph of a recorded job as seen by one of its parties on this server."""
    job = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == party_id)
    if job is None:
        raise FateFlowError(f"query job {job_id} failed: this server has no job {job_id} for role {role} "
                            f"and party id {party_id}")
    # validated at submit; the module check is skipped so that old jobs stay viewable
    return _dependency(registry, job.f_dsl, job.f_runtime_conf, job.f_train_runtime_conf, role, party_id,
                       check_modules=False)


def preview_dependency(registry: ComponentRegistry, dsl: Mapping[str, Any], runtime_conf: Mapping[str, Any],
                       train_runtime_conf: Mapping[str, Any] | None, role: str, party_id: str) -> dict:
    """The dependency graph of a DSL + conf that has not been submitted (the modules must be known here)."""
    return _dependency(registry, dsl, runtime_conf, train_runtime_conf, role, party_id, check_modules=True)


def _dependency(registry: ComponentRegistry, dsl: Mapping[str, Any], runtime_conf: Mapping[str, Any],
                train_runtime_conf: Mapping[str, Any] | None, role: str, party_id: str, check_modules: bool) -> dict:
    conf = parse_runtime_conf(runtime_conf, require_work_mode=False)
    mode = "train"
    if conf.job_type == "predict":
        mode = "predict"
        if train_runtime_conf:
            conf = parse_runtime_conf(merge_predict_conf(train_runtime_conf, runtime_conf), require_work_mode=False)
    dag = parse_dsl(dsl, registry.module_names() if check_modules else None, version=conf.version, mode=mode)
    return dag_dependency(dag, conf, role, party_id, module_roles=registry.module_roles())


def generate_predict_dsl(train_dsl: str | Mapping[str, Any], cpn_str: str | Sequence[str], version: Any) -> dict:
    """The predict DSL of the named components of a v2 training DSL (module names are not checked: the
    derivation needs only the DSL's structure)."""
    return dsl_generate(train_dsl, cpn_str, version, known_modules=None)
