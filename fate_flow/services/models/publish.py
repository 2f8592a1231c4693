"""Publishing models to FATE-Serving: /v1/model/load (federated, contract §1.5.1, §2.4 load/do), /v1/model/bind
(local, §1.5.2), and our /v1/model/unload and /v1/model/unbind (FATE-Flow 1.6 has neither; the serving's
ModelService defines both).

load: the receiving server sends `model.load` to every non-arbiter party of the request over federation; each
party checks that its model version is deployed, calls publishLoad on each of ITS OWN configured servings
(filePath = its own /v1/model/transfer URL, from which the serving downloads the buffers), and on success
counts the load (f_loaded_times), keeps a copy under loaded_model_backup/ and logs the operation. `servings`
named in the request are servings of the receiving server: they choose among its configured ones for the
parties it hosts; a partner's server uses its own.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from fate_flow.db.base import write_transaction
from fate_flow.db.models import MachineLearningModelInfo
from fate_flow.dsl.model_id import gen_party_model_id
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import FateFlowError, MissingParametersError, NotFoundError, ParameterError, PartiesFailedError
from fate_flow.entity.home_paths import home_path
from fate_flow.entity.messages import MODEL_LOAD, ModelLoad, decode, encode
from fate_flow.entity.retcode import RetCode
from fate_flow.federation import IncomingCommand, PartyRef
from fate_flow.model.pipeline import is_deployed, json_field
from fate_flow.proto import model_service_pb2 as pb
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.party_commands import with_db
from fate_flow.services.models import serving_client
from fate_flow.services.models.local import find_local_models, party_model
from fate_flow.services.models.package import log_model_operation
from fate_flow.settings import Settings

LOG = logging.getLogger(__name__)

NOT_DEPLOYED = ("Only deployed models could be used to execute process of loading. Please deploy model before "
                "loading.")
NO_SERVINGS = "Please configure servings address"
NO_SERVICE_ID = "no service id"


@dataclass(frozen=True)
class PublishRequest:
    """What load and bind need, from form A (initiator, role, job_parameters) or form B (job_id)."""
    initiator: PartyRef
    roles: dict[str, list[str]]
    job_parameters: dict[str, Any]

    @property
    def model_id(self) -> str:
        return str(self.job_parameters["model_id"])

    @property
    def model_version(self) -> str:
        return str(self.job_parameters["model_version"])

    def command(self, servings: list[str] | None = None) -> ModelLoad:
        """The `model.load` each party gets."""
        return ModelLoad({"role": self.initiator.role, "party_id": self.initiator.party_id}, self.roles,
                         self.job_parameters, servings or None)


def parse_publish_request(settings: Settings, body: Mapping[str, Any]) -> PublishRequest:
    """Form B (`job_id` = model version) fills initiator, role and job_parameters from the guest's local model;
    form A names them; either way the fields a publish needs are checked and named."""
    if body.get("job_id") not in (None, ""):
        return _from_model_version(settings, identifiers.MODEL_VERSION.check("job_id", body["job_id"]))
    missing = [n for n in ("initiator", "role", "job_parameters") if body.get(n) in (None, "", {})]
    if missing:
        raise MissingParametersError(missing)
    return _checked_request(body["initiator"], body["role"], body["job_parameters"])


def _checked_request(initiator: Any, roles: Any, job_parameters: Any) -> PublishRequest:
    """Form A's fields (or a `model.load`'s) checked, each bad one named."""
    if not isinstance(initiator, Mapping) or initiator.get("role") in (None, "") or \
            initiator.get("party_id") in (None, ""):
        raise ParameterError("parameter initiator must be {\"role\": ..., \"party_id\": ...}")
    if not isinstance(job_parameters, Mapping):
        raise ParameterError(f"parameter job_parameters must be an object, got {type(job_parameters).__name__}")
    missing = [f"job_parameters.{n}" for n in ("model_id", "model_version") if job_parameters.get(n) in (None, "")]
    if missing:
        raise MissingParametersError(missing)
    identifiers.MODEL_ID.check("job_parameters.model_id", job_parameters["model_id"])
    identifiers.MODEL_VERSION.check("job_parameters.model_version", job_parameters["model_version"])
    initiator_ref = PartyRef(identifiers.ROLE.check("initiator.role", initiator["role"]),
                             identifiers.check_party_id("initiator.party_id", initiator["party_id"]))
    return PublishRequest(initiator_ref, _roles(roles), dict(job_parameters))


def _roles(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, Mapping) or not value:
        raise ParameterError("parameter role must be {\"<role>\": [<party id>, ...]}")
    roles = {}
    for role, party_ids in value.items():
        identifiers.ROLE.check("role", role)
        if not isinstance(party_ids, list) or any(isinstance(p, bool) or not str(p).strip().isdigit()
                                                  for p in party_ids):
            raise ParameterError(f"parameter role.{role} must be a list of party ids, got "
                                 f"{identifiers.shown(party_ids)}")
        roles[str(role)] = [identifiers.check_party_id(f"role.{role}", p) for p in party_ids]
    return roles


def _from_model_version(settings: Settings, version: str) -> PublishRequest:
    found = find_local_models(settings, model_version=version, role="guest")
    if not found:
        raise NotFoundError(f"model with version {version} can not be found in database. Please check if the "
                            f"model version is valid.")
    pipeline = found[0].model.read_pipeline()
    conf = json_field(pipeline, "train_runtime_conf")
    job_parameters = conf.get("job_parameters") or {}
    if isinstance(job_parameters.get("common"), Mapping):
        job_parameters = job_parameters["common"]
    job_parameters = {**job_parameters, "model_id": pipeline.model_id, "model_version": pipeline.model_version}
    return PublishRequest(PartyRef(pipeline.initiator_role, str(pipeline.initiator_party_id)),
                          _roles(conf.get("role") or json_field(pipeline, "roles")), job_parameters)


# ---------------------------------------------------------------------------------------------- load
def load(runtime: Runtime, request: PublishRequest, job_id: str, servings: list[str] | None = None) -> dict:
    """Fan `model.load` out to every non-arbiter party; per-party retcodes and messages, as FATE answers
    (PartiesFailedError with them when a party failed). `servings` (already checked against this server's) are
    used by the parties hosted here."""
    local = runtime.client.fed.local_parties
    if request.initiator.party_id not in local:
        raise ParameterError(f"initiator {request.initiator} is not hosted by this server (it hosts parties "
                             f"{', '.join(local) or 'none'}); send load to the initiator's server")
    parties = [PartyRef(role, p) for role, party_ids in request.roles.items() if role != "arbiter"
               for p in dict.fromkeys(party_ids)]
    answers = runtime.client.fan_out(MODEL_LOAD, parties, encode(request.command(servings)), src=request.initiator)
    data: dict[str, Any] = {"detail": {}}
    ok = True
    for party in parties:
        answer = answers[party.role][party.party_id]
        retcode = answer.get("retcode")
        if retcode == RetCode.FEDERATED_ERROR:  # the party's server was not reached (FATE answers 100 here)
            retcode = int(RetCode.EXCEPTION_ERROR)
        ok = ok and retcode == 0
        data.setdefault(party.role, {})[party.party_id] = retcode
        data["detail"].setdefault(party.role, {})[party.party_id] = {"retcode": answer.get("retcode"),
                                                                     "retmsg": answer.get("retmsg")}
    if not ok:
        raise PartiesFailedError(data, job_id)
    return data


def transfer_url(settings: Settings) -> str:
    """Where this server's serving downloads models from (PublishRequest.filePath)."""
    return f"http://{settings.fateflow.host}:{settings.fateflow.http_port}{api_paths.MODEL_TRANSFER.path}"


def load_party(settings: Settings, request: PublishRequest, party: PartyRef,
               servings: list[str] | None = None) -> None:
    """One party's load (contract §2.4 load/do): its deployed model published to each of its own servings
    (`servings`, some of them, else all). A FateFlowError with the retcode FATE answers when it fails."""
    model_id, version = request.model_id, request.model_version
    name = f"{gen_party_model_id(model_id, party.role, party.party_id)} {version}"
    if party.party_id not in request.roles.get(party.role, []):
        raise FateFlowError(f"load model {name} refused: {party} is not in the request's role {request.roles}",
                            retcode=RetCode.PARAMETER_ERROR)
    model = party_model(settings, party.role, party.party_id, model_id, version)
    if not model.has_pipeline():
        raise FateFlowError(f"load model {name} failed: it does not exist on {party}")
    if not is_deployed(model.read_pipeline()):
        raise FateFlowError(NOT_DEPLOYED)
    servings = servings or serving_client.configured_servings(settings)
    if not servings:
        raise FateFlowError(NO_SERVINGS)
    publish = serving_client.load_request(
        party.role, party.party_id, request.roles, model_id, version,
        str(request.job_parameters.get("load_type") or serving_client.DEFAULT_LOAD_TYPE), transfer_url(settings))
    timeout = serving_client.serving_timeout(settings)
    failed = _first_failure(serving_client.publish_load(s, publish, timeout) for s in servings)
    if failed is not None:
        LOG.warning("load of model %s on %s failed at serving %s: %s", name, party, failed.address, failed.message)
        if failed.answered:  # the serving's own words, as FATE-Flow passes them on
            raise FateFlowError(failed.message, retcode=failed.status)
        raise FateFlowError(f"load model {name} on {party} failed: {failed.message}", retcode=failed.status)
    _count_load(settings, party, model_id, version)


def _count_load(settings: Settings, party: PartyRef, model_id: str, version: str) -> None:
    M = MachineLearningModelInfo
    with write_transaction():
        M.update(f_loaded_times=M.f_loaded_times + 1).where(
            M.f_role == party.role, M.f_party_id == party.party_id, M.f_model_id == model_id,
            M.f_model_version == version).execute()
    source = party_model(settings, party.role, party.party_id, model_id, version).root
    backup = home_path(settings.home / "loaded_model_backup", gen_party_model_id(model_id, party.role, party.party_id),
                       version)
    if not backup.exists():
        shutil.copytree(source, backup, ignore=shutil.ignore_patterns(".*.tmp"), dirs_exist_ok=True)


@with_db
def load_command(runtime: Runtime, cmd: IncomingCommand) -> dict:
    """`model.load` on a hosted party (FATE's /v1/model/load/do); `cmd.dst` is the party, the sender the
    initiator."""
    message = decode(ModelLoad, cmd.body)
    request = _checked_request(message.initiator, message.role, message.job_parameters)
    # servings a client named are its server's: only the parties that server hosts use them
    named = serving_client.requested_servings(message.servings) if runtime.hosts(cmd.src.party_id) else []
    servings = serving_client.checked_servings(runtime.settings, named)
    with _logged("load", cmd.src.role, cmd.src.party_id, request.model_id, request.model_version, ""):
        load_party(runtime.settings, request, cmd.dst, servings)
    return {"retcode": 0, "retmsg": "success"}


@contextlib.contextmanager
def _logged(operation: str, role: str, party_id: str, model_id: str, model_version: str, request_ip: str):
    """Record the operation in the model operation log, as done or failed (the error goes on)."""
    try:
        yield
    except FateFlowError:
        log_model_operation(operation, role, party_id, model_id, model_version, request_ip, False)
        raise
    log_model_operation(operation, role, party_id, model_id, model_version, request_ip, True)


# ---------------------------------------------------------------------------------------------- bind
def bind(settings: Settings, request: PublishRequest, service_id: str | None, servings: list[str],
         request_ip: str = "") -> str:
    """publishBind of the initiator's model under `service_id` on each serving (the request's, else ours); what
    the client is told of it."""
    servings = servings or serving_client.configured_servings(settings)
    if not service_id:
        raise FateFlowError(NO_SERVICE_ID, retcode=RetCode.PARAMETER_ERROR)
    if not servings:
        raise FateFlowError(NO_SERVINGS)
    publish = serving_client.bind_request(service_id, request.initiator.role, request.initiator.party_id,
                                          request.roles, request.model_id, request.model_version)
    with _logged("bind", request.initiator.role, request.initiator.party_id, request.model_id,
                 request.model_version, request_ip):
        return _call_each(settings, servings, serving_client.publish_bind, publish, f"service id is {service_id}")


def _first_failure(answers: Iterable[serving_client.ServingAnswer]) -> serving_client.ServingAnswer | None:
    """Call the servings in order and stop at the first that fails, as FATE-Flow does."""
    return next((a for a in answers if a.status != 0), None)


def _call_each(settings: Settings, servings: list[str], call: Callable[..., serving_client.ServingAnswer],
               message: Any, success: str) -> str:
    """`call(serving, message, timeout)` on each serving until one fails (a FateFlowError with its answer);
    `success` when none did."""
    timeout = serving_client.serving_timeout(settings)
    failed = _first_failure(call(s, message, timeout) for s in servings)
    if failed is not None:
        raise FateFlowError(failed.message, retcode=failed.status)
    return success


# ---------------------------------------------------------------------------------------------- unload / unbind
@dataclass(frozen=True)
class ServedModel:
    """Ours (not in FATE-Flow 1.6): {model_id, model_version, role, party_id, [service_id], [servings]}."""
    model_id: str
    model_version: str
    role: str
    party_id: str

    @property
    def namespace(self) -> str:
        return gen_party_model_id(self.model_id, self.role, self.party_id)


def unload(settings: Settings, model: ServedModel, servings: list[str], request_ip: str = "") -> str:
    """The serving's `unload` of one party's model version on each serving (the request's, else ours)."""
    servings = servings or serving_client.configured_servings(settings)
    if not servings:
        raise FateFlowError(NO_SERVINGS)
    request = pb.UnloadRequest(tableName=model.model_version, namespace=model.namespace)
    with _logged("unload", model.role, model.party_id, model.model_id, model.model_version, request_ip):
        return _call_each(settings, servings, serving_client.unload, request,
                          f"model {model.namespace} {model.model_version} unloaded")


def unbind(settings: Settings, model: ServedModel, service_id: str | None, servings: list[str],
           request_ip: str = "") -> str:
    """The serving's `unbind` of `service_id` from one party's model version on each serving."""
    servings = servings or serving_client.configured_servings(settings)
    if not service_id:
        raise FateFlowError(NO_SERVICE_ID, retcode=RetCode.PARAMETER_ERROR)
    if not servings:
        raise FateFlowError(NO_SERVINGS)
    request = pb.UnbindRequest(serviceId=service_id, tableName=model.model_version, namespace=model.namespace)
    with _logged("unbind", model.role, model.party_id, model.model_id, model.model_version, request_ip):
        return _call_each(settings, servings, serving_client.unbind, request, f"service id {service_id} unbound")
