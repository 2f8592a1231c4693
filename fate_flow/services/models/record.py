"""The record of a model: its Pipeline written at the end of a training job on each party, and its row in
t_machine_learning_model_info (contract §5.6, §8.1, §8.2)."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from fate_flow.components.registry import ComponentRegistry
from fate_flow.db.base import write_transaction
from fate_flow.db.models import Job, MachineLearningModelInfo
from fate_flow.dsl.component_parameters import args_inputs, component_parameters, module_runs_on_role
from fate_flow.dsl.dag import SOURCE_ARGS, Component, InputRef
from fate_flow.dsl.dsl_parser import READER_MODULE, parse_dsl, parse_dsl_version
from fate_flow.dsl.predict_dsl import add_code_paths, derive_inference_dsl_v1
from fate_flow.dsl.runtime_conf import parse_runtime_conf
from fate_flow.entity.dsl_errors import DSLError
from fate_flow.entity.status import JobStatus
from fate_flow.model.pipeline import FATE_VERSION, build_pipeline, json_field
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.services.jobs.schedule_log import job_log
from fate_flow.services.models.local import party_model, proto_sources
from fate_flow.settings import Settings

LOG = logging.getLogger(__name__)


def code_paths(registry: ComponentRegistry, role: str) -> dict[str, str]:
    """module -> the `CodePath` a stored inference DSL gives it on `role` ("<module path>.py/<class>")."""
    paths = {}
    roles = registry.module_roles()
    for name, info in registry.modules.items():
        if module_runs_on_role(roles, name, role):
            package, _, cls = info.target.partition(":")
            paths[name] = f"{package.replace('.', '/')}.py/{cls}"
    return paths


def inference_dsl_for_role(registry: ComponentRegistry, predict_dsl: Mapping[str, Any], role: str) -> dict:
    """A predict DSL as a party of `role` stores it: each component with its CodePath (none for a module the
    role does not run)."""
    plain = without_code_paths(predict_dsl)
    return add_code_paths(plain, code_paths(registry, role)) if plain else {}


def without_code_paths(predict_dsl: Mapping[str, Any]) -> dict:
    """A stored inference DSL without its role's CodePath entries ({} stays {})."""
    if not predict_dsl:
        return {}
    return {"components": {name: {k: v for k, v in body.items() if k != "CodePath"}
                           for name, body in (predict_dsl.get("components") or {}).items()}}


def modules_of(dsl: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(body.get("module", "")) for name, body in (dsl.get("components") or {}).items()}


def record_train_model(settings: Settings, registry: ComponentRegistry, row: Job, status: JobStatus) -> None:
    """At the end of a training job on this party: on success the Pipeline record (v1: with its inference DSL
    derived, §3.8; v2: a parent with an empty one), and in every case the model info row."""
    params = row.f_runtime_conf_on_party.get("job_parameters") or {}
    model_id = str(params.get("model_id", ""))
    model_version = str(params.get("model_version") or row.f_job_id)
    model = party_model(settings, row.f_role, row.f_party_id, model_id, model_version)
    if status != JobStatus.SUCCESS:
        save_model_info(_unfinished_model_info(row, model_id, model_version, status))
        return
    pipeline = build_pipeline(
        inference_dsl=_train_inference_dsl(settings, registry, row), train_dsl=row.f_dsl, train_runtime_conf=row.f_runtime_conf,
        model_id=model_id, model_version=model_version, parent=True, roles=row.f_roles, work_mode=row.f_work_mode,
        initiator_role=row.f_initiator_role, initiator_party_id=row.f_initiator_party_id,
        runtime_conf_on_party=row.f_runtime_conf_on_party,
        train_input_table=train_input_table(row.f_dsl, row.f_runtime_conf, row.f_role, row.f_party_id))
    model.save_pipeline(pipeline, modules_of(row.f_dsl), proto_sources())
    values = pipeline_model_info(pipeline, row.f_role, row.f_party_id, model.size_kb(), status.value)
    values.update(f_job_id=row.f_job_id, f_runtime_conf=row.f_runtime_conf)
    save_model_info(values)


def _train_inference_dsl(settings: Settings, registry: ComponentRegistry, row: Job) -> dict:
    """v1: derived from the training DSL (every component deployed unless `need_deploy: false`); v2: {}."""
    if parse_dsl_version(row.f_runtime_conf.get("dsl_version")) != 1:
        return {}
    try:
        dag = parse_dsl(row.f_dsl, None, version=1, mode="train")
        return inference_dsl_for_role(registry, derive_inference_dsl_v1(dag), row.f_role)
    except DSLError as e:
        job_log(settings, row.f_job_id, f"{row.f_role} {row.f_party_id}: no inference DSL could be derived for "
                f"the model, it cannot predict: {e.message}", logging.WARNING)
        return {}


# which data input of a component its training rows come through, in order of preference
TRAIN_DATA_KEYS = ("train_data", "data", "eval_data", "test_data", "validate_data")


def train_input_table(train_dsl: Mapping[str, Any], train_conf: Mapping[str, Any], role: str,
                      party_id: Any) -> dict:
    """{"namespace", "name"} of the table one party's training data was read from: the input of the first
    component that trains a model, followed upstream along training data to a Reader (v2) or an `args` input (v1).
    {} when the party read none (an arbiter) or the DSL does not say."""
    try:
        conf = parse_runtime_conf(train_conf, require_work_mode=False)
        dag = parse_dsl(train_dsl, None, version=conf.version, mode="train")
        trainers = [c for c in dag.topological_components() if c.output_model]
        ref = _training_input(trainers[0]) if trainers else None
        while ref is not None and ref.is_edge:
            upstream = dag.components[ref.component]
            if upstream.module == READER_MODULE:
                table = component_parameters(dag, conf, upstream.name, role, party_id).get("table")
                return _table_name(table)
            ref = _training_input(upstream)
        if ref is not None and ref.source == SOURCE_ARGS:
            tables = args_inputs(conf).get(role, {}).get(int(party_id), {})
            return _table_name(tables.get(ref.output))
    except (DSLError, ValueError, KeyError, TypeError):
        pass
    return {}


def _training_input(component: Component) -> InputRef | None:
    data = component.data_inputs
    for key in TRAIN_DATA_KEYS:
        if data.get(key):
            return data[key][0]
    return None


def _table_name(table: Any) -> dict:
    if isinstance(table, Mapping) and table.get("namespace") and table.get("name"):
        return {"namespace": str(table["namespace"]), "name": str(table["name"])}
    return {}


def pipeline_model_info(pipeline: Pipeline, role: str, party_id: str, size_kb: int,
                        job_status: str | None = None) -> dict:
    """A t_machine_learning_model_info row of one party's model, from its Pipeline record."""
    train_conf = json_field(pipeline, "train_runtime_conf")
    return dict(
        f_role=role, f_party_id=str(party_id), f_roles=json_field(pipeline, "roles"), f_job_id=pipeline.model_version,
        f_model_id=pipeline.model_id, f_model_version=pipeline.model_version, f_size=size_kb,
        f_initiator_role=pipeline.initiator_role, f_initiator_party_id=str(pipeline.initiator_party_id),
        f_runtime_conf=train_conf, f_work_mode=pipeline.work_mode, f_train_dsl=json_field(pipeline, "train_dsl"),
        f_train_runtime_conf=train_conf, f_job_status=job_status,
        f_runtime_conf_on_party=json_field(pipeline, "runtime_conf_on_party"),
        f_fate_version=pipeline.fate_version, f_parent=pipeline.parent,
        f_parent_info=json_field(pipeline, "parent_info"), f_inference_dsl=json_field(pipeline, "inference_dsl"),
        f_description="")


def _unfinished_model_info(row: Job, model_id: str, model_version: str, status: JobStatus) -> dict:
    """The row of a training job that ended without success: no Pipeline, so no model to use."""
    return dict(
        f_role=row.f_role, f_party_id=str(row.f_party_id), f_roles=row.f_roles, f_job_id=row.f_job_id,
        f_model_id=model_id, f_model_version=model_version, f_initiator_role=row.f_initiator_role,
        f_initiator_party_id=row.f_initiator_party_id, f_runtime_conf=row.f_runtime_conf, f_work_mode=row.f_work_mode,
        f_train_dsl=row.f_dsl, f_train_runtime_conf=row.f_runtime_conf, f_job_status=status.value,
        f_runtime_conf_on_party=row.f_runtime_conf_on_party, f_fate_version=FATE_VERSION, f_parent=True,
        f_parent_info={}, f_inference_dsl={}, f_description="")


def save_model_info(values: Mapping[str, Any]) -> None:
    """Insert or refresh the row of (role, party, model id, version); its creation time is kept."""
    M = MachineLearningModelInfo
    key = (M.f_role == values["f_role"], M.f_party_id == values["f_party_id"], M.f_model_id == values["f_model_id"],
           M.f_model_version == values["f_model_version"])
    with write_transaction():
        if not M.update(**values, **M.audit_values(create=False)).where(*key).execute():
            M.insert(**values, **M.audit_values()).execute()
