"""A submitted job as every party sees it: the parsed DSL and conf, the components each party runs, the
party's effective job parameters and how many cores it needs. Pure functions over the job's stored conf."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from fate_flow.components.registry import ComponentRegistry
from fate_flow.computing.spark_driver import spark_unavailable_reason
from fate_flow.db.models import Job
from fate_flow.dsl.component_parameters import component_parties
from fate_flow.dsl.dag import Dag
from fate_flow.dsl.dsl_parser import parse_dsl
from fate_flow.dsl.job_parameters import common_job_parameters, derive_computing_engine, party_job_parameters
from fate_flow.dsl.predict_job import merge_predict_conf
from fate_flow.dsl.runtime_conf import RuntimeConf, parse_runtime_conf
from fate_flow.entity.dsl_errors import RuntimeConfError
from fate_flow.entity.engines import SPARK, spark_conf
from fate_flow.settings import Settings, spark_settings


@dataclass(frozen=True)
class JobPlan:
    dag: Dag
    conf: RuntimeConf
    # component -> role -> party ids running a task for it
    parties: Mapping[str, Mapping[str, list[int]]]

    def components_of(self, role: str, party_id: Any) -> list[str]:
        """Components (DAG order) with a task on this party."""
        return [name for name, by_role in self.parties.items() if int(party_id) in by_role.get(role, [])]

    def task_parties(self, component: str) -> list[tuple[str, str]]:
        return [(role, str(p)) for role, ids in self.parties[component].items() for p in dict.fromkeys(ids)]

    def all_parties(self) -> list[tuple[str, str]]:
        """Every (role, party id) of the job, initiator last (so it is created after the others)."""
        parties = [(role, str(p)) for role, ids in self.conf.roles.items() for p in dict.fromkeys(ids)]
        initiator = (self.conf.initiator_role, str(self.conf.initiator_party_id))
        return [p for p in parties if p != initiator] + [initiator]


def job_parameter_defaults(settings: Settings) -> dict[str, Any]:
    d = settings.job_default
    # computing_engine and storage_engine are derived per party (party_parameters), never defaulted here:
    # a default would hide a party's `backend: 1`
    return {"job_type": "train", "work_mode": 0, "federation_engine": "FATE_FLOW",
            "federated_mode": "MULTIPLE", "federated_status_collect_type": "PUSH",
            "task_cores": d.task_cores, "task_parallelism": d.task_parallelism, "timeout": d.timeout,
            "auto_retries": d.auto_retries, "auto_retry_delay": d.auto_retry_delay}


def plan_job(components: ComponentRegistry, dsl: Mapping[str, Any], runtime_conf: Mapping[str, Any], *, require_work_mode: bool = False,
             train_runtime_conf: Mapping[str, Any] | None = None) -> JobPlan:
    """Parse and validate; raises DSLError/RuntimeConfError (retcode 100) naming the component and field.

    A predict job runs with its model's training conf deep-merged under the submitted conf (contract §3.9).
    """
    conf = parse_runtime_conf(runtime_conf, require_work_mode=require_work_mode)
    if conf.job_type == "predict" and train_runtime_conf:
        conf = parse_runtime_conf(merge_predict_conf(train_runtime_conf, runtime_conf), require_work_mode=False)
    return plan_parsed(components, dsl, conf)


def plan_parsed(components: ComponentRegistry, dsl: Mapping[str, Any], conf: RuntimeConf) -> JobPlan:
    """The plan of a DSL over a runtime conf already parsed (and merged, for a predict job)."""
    mode = "predict" if conf.job_type == "predict" else "train"
    return plan_of_dag(components, parse_dsl(dsl, components.module_names(), version=conf.version, mode=mode), conf)


def plan_of_dag(components: ComponentRegistry, dag: Dag, conf: RuntimeConf) -> JobPlan:
    return JobPlan(dag=dag, conf=conf, parties=component_parties(dag, conf, components.module_roles()))


def common_parameters(plan: JobPlan, settings: Settings) -> dict[str, Any]:
    """The initiator's common parameters; the engine is checked here but derived per party (a role section
    may pick another engine than the common one)."""
    params = common_job_parameters(plan.conf, job_parameter_defaults(settings))
    params.setdefault("computing_partitions", params["task_cores"])
    derive_computing_engine(params, settings.storage.engine, "the job")
    spark_conf(params.get("spark_run"), "the job")
    return params


def party_parameters(plan: JobPlan, settings: Settings, role: str, party_id: Any) -> dict[str, Any]:
    """One party's effective job parameters, with its computing engine derived (`computing_engine`, else
    `backend` 1/2 -> SPARK, else the server's storage engine) and checked against what this server can run."""
    params = party_job_parameters(plan.conf, role, party_id, job_parameter_defaults(settings))
    params.setdefault("computing_partitions", params["task_cores"])
    where = f"{role} {party_id}"
    engine = derive_computing_engine(params, settings.storage.engine, where)
    if engine == SPARK:
        spark_conf(params.get("spark_run"), where)
        missing = spark_unavailable_reason(spark_settings(settings).java_home)
        if missing:
            raise RuntimeConfError(f"job_parameters.computing_engine SPARK for {where}: this party cannot run "
                                   f"Spark tasks ({missing})", field="computing_engine")
    # tables a task writes live in its computing engine's storage (Spark: Parquet under fate_on_spark.storage_root)
    params.update(computing_engine=engine, storage_engine=engine)
    params.setdefault("spark_run", {})
    return params


def cores_needed(plan: JobPlan, job_parameters: Mapping[str, Any], role: str, party_id: Any) -> int:
    """task_cores x task_parallelism for a party that runs any task of the job; 0 for one that runs none."""
    if not plan.components_of(role, party_id):
        return 0
    return int(job_parameters.get("task_cores") or 0) * max(1, int(job_parameters.get("task_parallelism") or 1))


def with_common_parameters(runtime_conf: Mapping[str, Any], version: int, common: Mapping[str, Any]) -> dict:
    """The submitted conf with the initiator's computed common job parameters stored back into it."""
    conf = dict(runtime_conf)
    job_parameters = dict(conf.get("job_parameters") or {})
    if version == 2:
        job_parameters["common"] = dict(common)
    else:
        job_parameters = dict(common)
    conf["job_parameters"] = job_parameters
    return conf


def plan_of(components: ComponentRegistry, row: Job) -> JobPlan:
    """The plan of a stored job (its DSL and conf were validated at submit; a predict job's conf is merged
    over its model's training conf)."""
    return plan_job(components, row.f_dsl, row.f_runtime_conf, train_runtime_conf=row.f_train_runtime_conf)
