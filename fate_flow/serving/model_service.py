"""FATE-Serving's ModelService over gRPC (contract §2.8, §8.5), as FATE-Flow's load and bind call it:

    publishLoad   fetch this party's model through the request's filePath (/v1/model/transfer) and hold it
    publishBind   bind serviceId to the initiator's (guest's) loaded model; publishOnline does the same
    unbind        forget a service id; unload drops a model and the service ids bound to it
    queryModel    the loaded models (filtered by serviceId / namespace / tableName), with their service ids

Failures answer a non-zero status code (FATE retcode) and a message naming the field, party or model.
"""
from __future__ import annotations

import json
import logging
from typing import Callable

import grpc

from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.retcode import RetCode
from fate_flow.proto import model_service_pb2 as pb
from fate_flow.proto import model_service_pb2_grpc as pb_grpc
from fate_flow.serving.loaded_models import LoadedModel, ModelKey, ModelRegistry
from fate_flow.serving.online_model import build_online_model

LOG = logging.getLogger("fate_flow.serving")

Fetch = Callable[[str, str, str], dict]   # (filePath, namespace, version) -> transfer buffers


class ModelService(pb_grpc.ModelServiceServicer):
    def __init__(self, registry: ModelRegistry, hosted_parties: tuple[str, ...], fetch: Fetch):
        self.registry = registry
        self.hosted = hosted_parties
        self.fetch = fetch

    # ------------------------------------------------------------------ load / bind
    def publishLoad(self, request: pb.PublishRequest, context: grpc.ServicerContext) -> pb.PublishResponse:
        try:
            role, party = self._local(request)
            key = _model_of(request, role, party)
            buffers = self.fetch(request.filePath, key.namespace, key.version)
            model = LoadedModel(
                key=key, role=role, party_id=party,
                roles={r: [str(p) for p in parties.partyId] for r, parties in request.role.items()},
                party_models={r: {str(p): ModelKey(m.namespace, m.tableName) for p, m in info.roleModelInfo.items()}
                              for r, info in request.model.items()},
                online=build_online_model(buffers, role))
            replaced = self.registry.load(model)
        except FateFlowError as e:
            LOG.warning("publishLoad refused: %s", e.message)
            return pb.PublishResponse(statusCode=int(e.retcode), message=e.message)
        except Exception as e:
            LOG.exception("publishLoad of %s failed", request.local)
            return pb.PublishResponse(statusCode=int(RetCode.EXCEPTION_ERROR), message=f"publishLoad failed: "
                                      f"{type(e).__name__}: {e}")
        LOG.info("%s %s for %s party %s (%s)", "reloaded" if replaced else "loaded", key, role, party,
                 ", ".join(model.online.components))
        return pb.PublishResponse(statusCode=0, message="success", data=json.dumps(model.summary()).encode())

    def publishBind(self, request: pb.PublishRequest, context: grpc.ServicerContext) -> pb.PublishResponse:
        try:
            if not request.serviceId:
                raise ParameterError("no service id: publishBind needs serviceId")
            key = _bound_model(request)
            self.registry.bind(request.serviceId, key)
        except FateFlowError as e:
            LOG.warning("publishBind refused: %s", e.message)
            return pb.PublishResponse(statusCode=int(e.retcode), message=e.message)
        LOG.info("service id %s bound to %s", request.serviceId, key)
        return pb.PublishResponse(statusCode=0, message=f"service id is {request.serviceId}")

    def publishOnline(self, request: pb.PublishRequest, context: grpc.ServicerContext) -> pb.PublishResponse:
        """FATE-Serving's older name for bind."""
        return self.publishBind(request, context)

    # ------------------------------------------------------------------ unbind / unload
    def unbind(self, request: pb.UnbindRequest, context: grpc.ServicerContext) -> pb.UnbindResponse:
        try:
            if not request.serviceId:
                raise ParameterError("no service id: unbind needs serviceId")
            key = ModelKey(request.namespace, request.tableName) if request.namespace or request.tableName else None
            bound = self.registry.unbind(request.serviceId, key)
        except FateFlowError as e:
            return pb.UnbindResponse(statusCode=str(int(e.retcode)), message=e.message)
        LOG.info("service id %s unbound from %s", request.serviceId, bound)
        return pb.UnbindResponse(statusCode="0", message=f"service id {request.serviceId} unbound from {bound}")

    def unload(self, request: pb.UnloadRequest, context: grpc.ServicerContext) -> pb.UnloadResponse:
        try:
            if not request.namespace or not request.tableName:
                raise ParameterError("unload needs namespace (party model id) and tableName (model version)")
            key = ModelKey(request.namespace, request.tableName)
            services = self.registry.unload(key)
        except FateFlowError as e:
            return pb.UnloadResponse(statusCode=str(int(e.retcode)), message=e.message)
        LOG.info("unloaded %s (unbound service ids: %s)", key, ", ".join(services) or "none")
        return pb.UnloadResponse(statusCode="0", message=f"unloaded {key}" + (
            f"; unbound service id(s) {', '.join(services)}" if services else ""))

    # ------------------------------------------------------------------ query
    def queryModel(self, request: pb.QueryModelRequest, context: grpc.ServicerContext) -> pb.QueryModelResponse:
        found = []
        for model, services in self.registry.listing():
            if request.namespace and model.key.namespace != request.namespace:
                continue
            if request.tableName and model.key.version != request.tableName:
                continue
            if request.serviceId and request.serviceId not in services:
                continue
            found.append((model, services))
        if request.endIndex > 0 or request.beginIndex > 0:
            found = found[request.beginIndex:request.endIndex if request.endIndex > 0 else None]
        infos = [pb.ModelInfoEx(tableName=m.key.version, namespace=m.key.namespace, serviceId=",".join(services),
                                content=json.dumps(m.summary()), index=i)
                 for i, (m, services) in enumerate(found, start=max(request.beginIndex, 0))]
        return pb.QueryModelResponse(retcode="0", message="success", modelInfos=infos)

    # ------------------------------------------------------------------ helpers
    def _local(self, request: pb.PublishRequest) -> tuple[str, str]:
        role, party = request.local.role, request.local.partyId
        if not role or not party:
            raise ParameterError("publishLoad needs local.role and local.partyId (the party this serving loads for)")
        if party not in self.hosted:
            raise ParameterError(f"party {party} is not served here: this serving serves the parties of its "
                                 f"fateflow.party_ids ({', '.join(self.hosted) or 'none'})")
        return role, party


def _model_of(request: pb.PublishRequest, role: str, party: str) -> ModelKey:
    if role not in request.model or party not in request.model[role].roleModelInfo:
        raise ParameterError(f"the request's model map has no model for {role} party {party} "
                             f"(model[{role}].roleModelInfo[{party}])")
    info = request.model[role].roleModelInfo[party]
    if not info.namespace or not info.tableName:
        raise ParameterError(f"model[{role}].roleModelInfo[{party}] needs namespace (party model id) and tableName "
                             f"(model version)")
    return ModelKey(info.namespace, info.tableName)


def _bound_model(request: pb.PublishRequest) -> ModelKey:
    """The initiator's model: the entry of `local` in the model map, or the map's only entry."""
    role, party = request.local.role, request.local.partyId
    if role in request.model and party in request.model[role].roleModelInfo:
        return _model_of(request, role, party)
    entries = [(r, p) for r, info in request.model.items() for p in info.roleModelInfo]
    if len(entries) != 1:
        raise FateFlowError(f"publishBind needs the initiator's model: local = {{role, partyId}} and its entry "
                            f"model[role].roleModelInfo[partyId] (got {len(entries)} model entries)",
                            retcode=RetCode.PARAMETER_ERROR)
    return _model_of(request, *entries[0])
