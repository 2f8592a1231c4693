"""Effective job parameters per party (contract §3.6): defaults < common (v1: the flat `job_parameters`) <
`job_parameters.role.<role>.<index key>` (v2), keeping only the keys FATE-Flow 1.6 accepts.

The computing engine (`computing_engine`, or `backend`) and the Spark settings of `spark_run` are checked and
derived here; which engines a party can actually run is the job service's check, on top of this.
"""
from typing import Any, Mapping

from fate_flow.entity.dsl_errors import RuntimeConfError
from fate_flow.entity.engines import COMPUTING_ENGINES, SPARK, SPARK_BACKENDS
from fate_flow.dsl.frozen import deep_merge, thaw
from fate_flow.dsl.runtime_conf import RuntimeConf, parse_index_key

ACCEPTED_JOB_PARAMETERS = frozenset({
    "job_type", "work_mode", "backend", "computing_engine", "federation_engine", "storage_engine",
    "federated_mode", "engines_address", "federation_info", "task_cores", "task_parallelism",
    "computing_partitions", "federated_status_collect_type", "federated_data_exchange_type", "model_id",
    "model_version", "dsl_version", "timeout", "eggroll_run", "spark_run", "rabbitmq_run", "pulsar_run",
    "adaptation_parameters", "assistant_role", "map_table_name", "map_namespace",
})
PROCESSORS_PER_NODE = "processors_per_node"
EGGROLL_PROCESSORS = "eggroll.session.processors.per.node"


def _accepted(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict:
    """Unknown keys are dropped silently, as FATE does; keys the caller has defaults for are kept."""
    return {k: v for k, v in params.items() if k in ACCEPTED_JOB_PARAMETERS or k in defaults}


def common_job_parameters(conf: RuntimeConf, defaults: Mapping[str, Any] | None = None) -> dict:
    """The job's common parameters: the initiator's baseline before per-party adaptation."""
    defaults = defaults or {}
    submitted = thaw(conf.common_job_parameters)
    if conf.version == 1 and PROCESSORS_PER_NODE in submitted:
        # v1 spelling of the eggroll processors; it overrides any eggroll_run value for that key
        eggroll_run = submitted.get("eggroll_run") or {}
        submitted["eggroll_run"] = {**eggroll_run, EGGROLL_PROCESSORS: submitted.pop(PROCESSORS_PER_NODE)}
    return _accepted(deep_merge(thaw(defaults), submitted), defaults)


def party_job_parameters(conf: RuntimeConf, role: str, party_id: int | str,
                         defaults: Mapping[str, Any] | None = None) -> dict:
    """Common parameters with the v2 role sections that name this party's index merged over them."""
    index = conf.party_index(role, party_id)
    return _party(conf, role, index, common_job_parameters(conf, defaults), defaults or {})


def resolve_job_parameters(conf: RuntimeConf, defaults: Mapping[str, Any] | None = None
                           ) -> dict[str, dict[int, dict]]:
    """role -> party id -> effective job parameters, for every party of the job."""
    common = common_job_parameters(conf, defaults)
    resolved: dict[str, dict[int, dict]] = {}
    for role, parties in conf.roles.items():
        resolved[role] = {}
        for index, party_id in enumerate(parties):
            resolved[role].setdefault(party_id, _party(conf, role, index, common, defaults or {}))
    return resolved


def _party(conf: RuntimeConf, role: str, index: int, common: dict, defaults: Mapping[str, Any]) -> dict:
    params = thaw(common)
    if conf.version != 2:
        return params
    by_index = (conf.data["job_parameters"].get("role") or {}).get(role) or {}
    for key, overrides in by_index.items():
        if index in parse_index_key(key, role, len(conf.roles[role]), f"job_parameters.role.{role}.{key}"):
            params = deep_merge(params, overrides)
    return _accepted(params, defaults)


def derive_computing_engine(params: Mapping[str, Any], default: str, where: str) -> str:
    """The party's computing engine: `computing_engine` when given, else SPARK for `backend` 1 or 2, else
    `default`. Raises RuntimeConfError (retcode 100) naming the field and the party (`where`)."""
    given = params.get("computing_engine")
    if given not in (None, ""):
        engine = str(given).upper()
        if engine not in COMPUTING_ENGINES:
            raise RuntimeConfError(f"job_parameters.computing_engine {given!r} for {where} is not supported; use "
                                   f"one of {', '.join(COMPUTING_ENGINES)}", field="computing_engine")
        return engine
    backend = params.get("backend", 0)
    try:
        backend = int(backend or 0)
    except (TypeError, ValueError):
        raise RuntimeConfError(f"job_parameters.backend for {where} must be 0 (standalone) or 1/2 (Spark), got "
                               f"{backend!r}", field="backend") from None
    if backend in SPARK_BACKENDS:
        return SPARK
    if backend != 0:
        raise RuntimeConfError(f"job_parameters.backend for {where} must be 0 (standalone) or 1/2 (Spark), got "
                               f"{backend}", field="backend")
    return default
