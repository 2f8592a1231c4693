"""/v1/model/deploy (contract §1.5.9, §8.4): a trained (parent) model becomes a deployed child version with
an inference DSL, on every party of the model.

The server that receives the request finds the model of the training initiator among its local models,
checks that the requested inference DSL can be made from the training DSL, picks the child version (a fresh
job id) and sends `model.deploy` to every party over federation. Each party copies its parent model
directory to the child version and writes the child's Pipeline: parent = false, parent_info, the model
version replaced in its confs, and the inference DSL for its role (with CodePath).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from fate_flow.components.registry import ComponentRegistry
from fate_flow.db.base import write_transaction
from fate_flow.db.models import ModelOperationLog
from fate_flow.dsl.dag import SOURCE_PIPELINE, Dag
from fate_flow.dsl.dsl_parser import parse_dsl
from fate_flow.dsl.json_text import load_json_object
from fate_flow.dsl.model_id import gen_party_model_id
from fate_flow.dsl.predict_dsl import generate_predict_dsl, parse_cpn_list
from fate_flow.entity.dsl_errors import DeployError, DSLError
from fate_flow.entity.messages import MODEL_DEPLOY, ModelDeploy, decode, encode
from fate_flow.entity.errors import FateFlowError, ParameterError, PartiesFailedError
from fate_flow.entity.retcode import RetCode
from fate_flow.federation import IncomingCommand, PartyRef
from fate_flow.model.pipeline import dsl_version, json_bytes, json_field
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.party_commands import with_db
from fate_flow.services.models.local import find_local_models, party_model, proto_sources
from fate_flow.services.models.record import (inference_dsl_for_role, modules_of, pipeline_model_info, save_model_info,
                                              train_input_table, without_code_paths)
from fate_flow.settings import Settings

LOG = logging.getLogger(__name__)

DEPLOY_ROLES = ("guest", "host", "arbiter")


@dataclass(frozen=True)
class DeployRequest:
    model_id: str
    model_version: str
    # a predict DSL (object or JSON text) given by the caller; else cpn_list; else every training component
    predict_dsl: Any = None
    cpn_list: Any = None

    def command(self, child_version: str, initiator: PartyRef) -> ModelDeploy:
        """The `model.deploy` each party gets."""
        return ModelDeploy(self.model_id, self.model_version, child_version,
                           {"role": initiator.role, "party_id": initiator.party_id}, self.predict_dsl, self.cpn_list)


def deploy(runtime: Runtime, request: DeployRequest, request_ip: str = "") -> dict:
    """On the server that hosts the model's training initiator: deploy on every party of the model. Each
    party's retcode and message; PartiesFailedError with them when a party failed."""
    settings = runtime.settings
    found = find_local_models(settings, request.model_version, request.model_id)
    if not found:
        raise FateFlowError(f"Deploy model failed, no model {request.model_id} {request.model_version} found.")
    recorded = found[0].model.read_pipeline()
    initiator = PartyRef(recorded.initiator_role, recorded.initiator_party_id)
    own = next((m for m in found if (m.role, m.party_id) == (initiator.role, initiator.party_id)), None)
    if own is None:
        raise FateFlowError("Deploy model failed, can not found model of initiator role or the fate version of "
                            "model is older than 1.5.0")
    pipeline = own.model.read_pipeline()
    try:
        choose_inference_dsl(pipeline, request)
    except DSLError as e:
        raise DeployError(f"Deploy model failed, {e.message}", component=e.component, field=e.field) from None

    child_version = runtime.job_ids.next_id()
    roles = json_field(pipeline, "roles")
    parties = [PartyRef(role, p) for role in DEPLOY_ROLES for p in dict.fromkeys(roles.get(role) or [])]
    answers = runtime.client.fan_out(MODEL_DEPLOY, parties, encode(request.command(child_version, initiator)),
                                     src=initiator)
    data: dict[str, Any] = {"detail": {}}
    for role, by_party in answers.items():
        for party_id, answer in by_party.items():
            data.setdefault(role, {})[party_id] = answer.get("retcode")
            data["detail"].setdefault(role, {})[party_id] = {"retcode": answer.get("retcode"),
                                                             "retmsg": answer.get("retmsg")}
    data.update(model_id=request.model_id, model_version=child_version)
    ok = all(answer.get("retcode") == 0 for by_party in answers.values() for answer in by_party.values())
    _log_operation(initiator, request, request_ip, ok)
    if not ok:
        raise PartiesFailedError(data)
    return data


def choose_inference_dsl(pipeline: Pipeline, request: DeployRequest | ModelDeploy) -> dict:
    """The inference DSL (without CodePath) of the child: v1 keeps the parent's; v2 takes the caller's predict
    DSL (checked against the training DSL), else derives one from cpn_list, else from every component."""
    if dsl_version(pipeline) == 1:
        return without_code_paths(json_field(pipeline, "inference_dsl"))
    train_dag = parse_dsl(json_field(pipeline, "train_dsl"), None, version=2)
    if request.predict_dsl not in (None, "", {}):
        return _checked_predict_dsl(request.predict_dsl, train_dag)
    if request.cpn_list not in (None, "", []):
        try:
            components = parse_cpn_list(request.cpn_list)
        except DeployError as e:
            raise DeployError(f"cpn_list: {e.message}", field="cpn_list") from None
        return generate_predict_dsl(train_dag, components)
    return generate_predict_dsl(train_dag, train_dag.order)


def _checked_predict_dsl(predict_dsl: Any, train_dag: Dag) -> dict:
    if isinstance(predict_dsl, (str, bytes)):
        predict_dsl = load_json_object(predict_dsl, "predict_dsl")
    elif not isinstance(predict_dsl, Mapping):
        raise ParameterError(f"predict_dsl should be a DSL object or its JSON text, got {type(predict_dsl).__name__}")
    try:
        dag = parse_dsl(predict_dsl, None, version=2, mode="predict")
    except DSLError as e:
        raise DeployError(f"predict_dsl: {e.message}", component=e.component, field=e.field) from None
    for component in dag.topological_components():
        for kind in ("model", "isometric_model"):
            for ref in component.model_inputs(kind):
                trained = train_dag.components.get(ref.component)
                if ref.source == SOURCE_PIPELINE and (trained is None or ref.output not in trained.output_model):
                    raise DeployError(f"predict_dsl: Component {component.name}'s model input {ref.text} is not a "
                                      f"model of the training job", component=component.name, field=f"input.{kind}")
    return dict(predict_dsl)


def deploy_party(settings: Settings, components: ComponentRegistry, request: ModelDeploy, role: str, party_id: str,
                 sender: PartyRef) -> None:
    """One party's part (contract §8.4): its parent model copied to the child version with the child's record."""
    child_version = request.child_model_version
    if not child_version.isdigit():
        raise ParameterError(f"child_model_version must be a job id, got {child_version!r}")
    parent = party_model(settings, role, party_id, request.model_id, request.model_version)
    if not parent.exists():
        raise FateFlowError(f"Model {gen_party_model_id(request.model_id, role, party_id)} "
                            f"{request.model_version} is not exist.")
    pipeline = parent.read_pipeline()
    if sender.party_id != str(pipeline.initiator_party_id):
        raise FateFlowError(f"only the model's initiator party {pipeline.initiator_party_id} may deploy it, "
                            f"not {sender}")
    if not pipeline.parent:
        raise FateFlowError("Child model could not be deployed.")
    child_model = party_model(settings, role, party_id, request.model_id, child_version)
    if child_model.has_pipeline():
        return  # a repeated command: this party has deployed it already
    inference_dsl = inference_dsl_for_role(components, choose_inference_dsl(pipeline, request), role)
    child = child_pipeline(pipeline, child_version, inference_dsl)
    if not json_field(child, "train_input_table"):  # a model trained before the table was recorded
        child.train_input_table = json_bytes(train_input_table(
            json_field(pipeline, "train_dsl"), json_field(pipeline, "train_runtime_conf"), role, party_id))
    deployed = parent.deploy_to(child_model.root, child, modules_of(json_field(pipeline, "train_dsl")),
                                proto_sources())
    save_model_info(pipeline_model_info(child, role, party_id, deployed.size_kb(), "success"))


def child_pipeline(parent: Pipeline, child_version: str, inference_dsl: Mapping[str, Any]) -> Pipeline:
    """The parent's record as the child's: new version everywhere, parent = false, parent_info set."""
    child = Pipeline()
    child.CopyFrom(parent)
    train_conf = json_field(parent, "train_runtime_conf")
    job_parameters = train_conf.setdefault("job_parameters", {})
    if dsl_version(parent) == 2:
        job_parameters = job_parameters.setdefault("common", {})
    job_parameters["model_version"] = child_version
    on_party = json_field(parent, "runtime_conf_on_party")
    on_party.setdefault("job_parameters", {})["model_version"] = child_version
    child.model_version = child_version
    child.parent = False
    child.parent_info = json_bytes({"parent_model_id": parent.model_id, "parent_model_version": parent.model_version})
    child.inference_dsl = json_bytes(inference_dsl)
    child.train_runtime_conf = json_bytes(train_conf)
    child.runtime_conf_on_party = json_bytes(on_party)
    return child


@with_db
def deploy_command(runtime: Runtime, cmd: IncomingCommand) -> dict:
    """`model.deploy` on a hosted party; answers as FATE's deploy/do does."""
    role, party_id = cmd.dst.role, cmd.dst.party_id
    try:
        deploy_party(runtime.settings, runtime.components, decode(ModelDeploy, cmd.body), role, party_id, cmd.src)
    except FateFlowError as e:
        LOG.info("deploy of model %s %s on %s %s failed: %s", cmd.body.get("model_id"),
                 cmd.body.get("model_version"), role, party_id, e.message)
        return {"retcode": int(RetCode.EXCEPTION_ERROR),
                "retmsg": f"deploy model of role {role} {party_id} failed, details: {e.message}"}
    return {"retcode": 0, "retmsg": f"deploy model of role {role} {party_id} success"}


def _log_operation(initiator: PartyRef, request: DeployRequest, request_ip: str, ok: bool) -> None:
    with write_transaction():
        ModelOperationLog.insert(
            f_operation_type="deploy", f_operation_status="success" if ok else "failed",
            f_initiator_role=initiator.role, f_initiator_party_id=initiator.party_id, f_request_ip=request_ip or None,
            f_model_id=request.model_id, f_model_version=request.model_version,
            **ModelOperationLog.audit_values()).execute()
