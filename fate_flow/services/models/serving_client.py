"""The FATE-Serving side of load/bind/unload/unbind (contract §2.8, §8.5): which serving addresses a party
uses, the exact ModelService requests FATE-Flow sends, and one call per address with a bounded deadline.

Servings come from the service conf, FATE style: `servings: {hosts: ["ip:port", ...]}` or `servings: [...]`;
else the bundled serving's section `serving: {host, grpc_port}` (its defaults when a key is absent).
Load/bind/unload/unbind may name some of them. `servings.timeout` (seconds, default PUBLISH_TIMEOUT) bounds each call."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import grpc

from fate_flow.dsl.model_id import gen_party_model_id
from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.retcode import RetCode
from fate_flow.proto import model_service_pb2 as pb
from fate_flow.proto import model_service_pb2_grpc as pb_grpc
from fate_flow.serving.settings import DEFAULT_GRPC_PORT
from fate_flow.settings import Settings

LOG = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 10.0
DEFAULT_LOAD_TYPE = "FATEFLOW"
# the status a call that got no answer is given (FATE-Flow answers 100 for exceptions)
UNREACHABLE = int(RetCode.EXCEPTION_ERROR)


@dataclass(frozen=True)
class ServingAnswer:
    """One serving's answer: status 0 = done. `answered` is false when the serving gave no answer (down, timed
    out); then `message` says so and names the address, else it is the serving's own message."""
    address: str
    status: int
    message: str
    answered: bool = True


def configured_servings(settings: Settings) -> list[str]:
    """This party's serving addresses from its service conf (empty when none is configured)."""
    servings = settings.raw.get("servings")
    hosts = servings.get("hosts") if isinstance(servings, Mapping) else servings
    hosts = [serving_address(h) for h in hosts if str(h).strip()] if isinstance(hosts, (list, tuple)) else []
    if hosts:
        return hosts
    serving = settings.raw.get("serving")
    if isinstance(serving, Mapping):
        host = str(serving.get("host") or "127.0.0.1")
        port = serving.get("grpc_port") or DEFAULT_GRPC_PORT
        return [serving_address(f"{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}")]
    return []


def serving_timeout(settings: Settings) -> float:
    servings = settings.raw.get("servings")
    value = servings.get("timeout") if isinstance(servings, Mapping) else None
    if value in (None, ""):
        return PUBLISH_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds <= 0:
        raise ParameterError(f"service conf key servings.timeout must be a positive number of seconds, got {value!r}")
    return seconds


def requested_servings(value: Any) -> list[str]:
    """`servings` of a request: a list of "host:port" (or "http://host:port"); blank entries (FATE's example conf
    has `[""]`) are skipped, and none at all means the configured servings."""
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ParameterError(f"parameter servings must be a list of \"host:port\", got {type(value).__name__}")
    return [str(a).strip() for a in value if str(a).strip()]


class ServingNotConfiguredError(FateFlowError):
    """A request named a serving this server is not configured with: it is never called."""

    retcode = RetCode.PARAMETER_ERROR


def serving_address(address: str) -> str:
    """The gRPC address of a serving as written in a conf or a request: "host:port", "http://host:port" and
    "HOST:port/" are one address."""
    text = str(address).strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.rstrip("/").lower()


def checked_servings(settings: Settings, requested: list[str]) -> list[str]:
    """The servings to call: the requested ones, each of which must be one of the configured servings (this
    server opens no connection to an address a client names), or all configured ones when none is requested."""
    configured = configured_servings(settings)
    if not requested:
        return configured
    for address in requested:
        if serving_address(address) not in configured:
            raise ServingNotConfiguredError(f"parameter servings: {address[:200]!r} is not one of the servings this "
                                            f"server is configured with (servings or serving: in its service conf)")
    return [serving_address(a) for a in requested]


# ---------------------------------------------------------------------------------------------- payloads (§8.5)
def _fill_roles(request: pb.PublishRequest, roles: Mapping[str, Iterable[Any]]) -> None:
    for role, party_ids in roles.items():
        request.role[role].partyId.extend(str(p) for p in party_ids)


def load_request(local_role: str, local_party_id: str, roles: Mapping[str, Iterable[Any]], model_id: str,
                 model_version: str, load_type: str, file_path: str) -> pb.PublishRequest:
    """publishLoad: every role's parties, every party's model, this party as `local`."""
    request = pb.PublishRequest(local=pb.LocalInfo(role=local_role, partyId=str(local_party_id)),
                                loadType=load_type, filePath=file_path)
    _fill_roles(request, roles)
    for role, party_ids in roles.items():
        for party_id in party_ids:
            info = request.model[role].roleModelInfo[str(party_id)]
            info.tableName = model_version
            info.namespace = gen_party_model_id(model_id, role, party_id)
    return request


def bind_request(service_id: str, initiator_role: str, initiator_party_id: str,
                 roles: Mapping[str, Iterable[Any]], model_id: str, model_version: str) -> pb.PublishRequest:
    """publishBind: every role's parties, only the initiator's model, the initiator as `local`."""
    request = pb.PublishRequest(serviceId=service_id,
                                local=pb.LocalInfo(role=initiator_role, partyId=str(initiator_party_id)))
    _fill_roles(request, roles)
    info = request.model[initiator_role].roleModelInfo[str(initiator_party_id)]
    info.tableName = model_version
    info.namespace = gen_party_model_id(model_id, initiator_role, initiator_party_id)
    return request


# ---------------------------------------------------------------------------------------------- calls
def publish_load(address: str, request: pb.PublishRequest, timeout: float) -> ServingAnswer:
    return _call(address, "publishLoad", lambda stub: stub.publishLoad(request, timeout=timeout), _publish_answer)


def publish_bind(address: str, request: pb.PublishRequest, timeout: float) -> ServingAnswer:
    return _call(address, "publishBind", lambda stub: stub.publishBind(request, timeout=timeout),
                 lambda a, r: ServingAnswer(a, r.statusCode, r.message))


def unload(address: str, request: pb.UnloadRequest, timeout: float) -> ServingAnswer:
    return _call(address, "unload", lambda stub: stub.unload(request, timeout=timeout), _string_status_answer)


def unbind(address: str, request: pb.UnbindRequest, timeout: float) -> ServingAnswer:
    return _call(address, "unbind", lambda stub: stub.unbind(request, timeout=timeout), _string_status_answer)


def _publish_answer(address: str, response: pb.PublishResponse) -> ServingAnswer:
    return ServingAnswer(address, response.statusCode, f"{response.message} {response.error}".strip())


def _string_status_answer(address: str, response: Any) -> ServingAnswer:
    """unload/unbind answer their status code as a string."""
    text = str(response.statusCode or "0").strip()
    status = int(text) if text.lstrip("-").isdigit() else UNREACHABLE
    return ServingAnswer(address, status, response.message)


def _call(address: str, method: str, invoke: Callable[[pb_grpc.ModelServiceStub], Any],
          answer: Callable[[str, Any], ServingAnswer]) -> ServingAnswer:
    try:
        with grpc.insecure_channel(address) as channel:
            return answer(address, invoke(pb_grpc.ModelServiceStub(channel)))
    except grpc.RpcError as e:
        code = e.code() if hasattr(e, "code") else None
        details = e.details() if hasattr(e, "details") else str(e)
        reason = "is unreachable" if code == grpc.StatusCode.UNAVAILABLE else (
            "did not answer in time" if code == grpc.StatusCode.DEADLINE_EXCEEDED else "failed")
        message = f"serving {address} {reason} ({method}: {code.name if code else 'error'}: {details})"
        LOG.warning("%s", message)
        return ServingAnswer(address, UNREACHABLE, message, answered=False)
