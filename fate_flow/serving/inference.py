"""Online inference across parties, FATE-Serving's single inference:

    guest:  POST /federation/v1/inference {"head": {"serviceId"}, "body": {"featureData", "sendToRemoteFeatureData"}}
            -> its own partial score (intercept included) from featureData
            -> each host's partial score: command `serving.partial_score` over signed federation, carrying
               sendToRemoteFeatureData and the host's model (namespace, version) from the load request
            -> probability = sigmoid(sum), answered as {"retcode": 0, "retmsg": "", "data": {"score", "modelId",
               "modelVersion", "timestamp"}, "flag": 0}
    host:   looks the row up by id (feature adapter) and answers its partial score; its features never leave it.
    A HeteroSecureBoost host answers instead which way each of its split nodes sends the row ({"decisions"}), and
    the guest walks the trees with them; a multi-class model's answer also carries the predicted "label".

Errors answer a non-zero FATE retcode and a message naming the party (and, for federation failures, its address).
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Mapping

from fate_flow.entity.errors import DataError, FateFlowError, ParameterError
from fate_flow.entity.retcode import RetCode
from fate_flow.federation.client import FederationClient
from fate_flow.federation.errors import FederationError
from fate_flow.federation.parties import PartyRef
from fate_flow.federation.registry import IncomingCommand
from fate_flow.serving.feature_adapter import TableFeatureAdapter, trained_on
from fate_flow.serving.loaded_models import LoadedModel, ModelKey, ModelRegistry
from fate_flow.serving.online_model import probability

LOG = logging.getLogger("fate_flow.serving")

PARTIAL_SCORE = "serving.partial_score"
GUEST, HOST = "guest", "host"


class InferenceService:
    def __init__(self, registry: ModelRegistry, client: FederationClient, adapter: TableFeatureAdapter,
                 id_field: str, remote_timeout: float):
        self.registry = registry
        self.client = client
        self.adapter = adapter
        self.id_field = id_field
        self.remote_timeout = remote_timeout

    # ------------------------------------------------------------------ guest
    def infer(self, request: Any) -> dict[str, Any]:
        """FATE-Serving's inference answer for one request; never raises."""
        try:
            return self._infer(request)
        except FateFlowError as e:
            LOG.info("inference refused: %s", e.message)
            return {"retcode": int(e.retcode), "retmsg": e.message, "data": {}, "flag": 0}
        except Exception as e:
            LOG.exception("inference failed")
            return {"retcode": int(RetCode.EXCEPTION_ERROR), "retmsg": f"{type(e).__name__}: {e}", "data": {},
                    "flag": 0}

    def _infer(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, Mapping):
            raise ParameterError("the request body must be a JSON object {head, body}")
        head, body = request.get("head"), request.get("body")
        if not isinstance(head, Mapping) or not head.get("serviceId"):
            raise ParameterError("required parameter head.serviceId is missing")
        if not isinstance(body, Mapping):
            raise ParameterError("required parameter body {featureData, sendToRemoteFeatureData} is missing")
        service_id = str(head["serviceId"])
        features = body.get("featureData")
        if not isinstance(features, Mapping):
            raise ParameterError("body.featureData must be an object {feature name: value}")
        remote = body.get("sendToRemoteFeatureData") or {}
        if not isinstance(remote, Mapping):
            raise ParameterError("body.sendToRemoteFeatureData must be an object, e.g. {\"id\": \"123\"}")
        model = self.registry.resolve(service_id)
        if model.role != GUEST:
            raise ParameterError(f"service id {service_id!r} is bound to the {model.role} model {model.key}; "
                                 f"inference starts at the guest's model")
        trees = model.online.trees
        try:
            total = 0.0 if trees else model.online.partial_score(features, with_intercept=True)
        except DataError as e:
            raise DataError(f"guest party {model.party_id}: {e.message}") from None
        hosts: list[str] = []
        parts: list[dict] = []
        if model.online.federated:
            hosts = [str(p) for p in model.roles.get(HOST, [])]
            if not hosts:
                raise DataError(f"model {model.key} is a {model.online.scorer.module} model but its load request "
                                f"named no host party")
            if not remote:
                raise ParameterError(f"body.sendToRemoteFeatureData is required: host part(ies) {', '.join(hosts)} "
                                     f"look their features up by it (e.g. {{\"{self.id_field}\": \"123\"}})")
            parts = self._host_scores(model, service_id, hosts, dict(remote))
        data: dict[str, Any] = {}
        if trees:
            answers = [part.get("decisions") for part in parts]
            try:
                score, label = model.online.tree_score(features, answers)
            except DataError as e:
                raise DataError(f"guest party {model.party_id}: {e.message}") from None
            data["score"] = score
            if label is not None:
                data["label"] = label
        else:
            data["score"] = probability(total + sum(_partial(h, part) for h, part in zip(hosts, parts)))
        data.update(modelId=model.key.namespace, modelVersion=model.key.version, timestamp=model.loaded_at_ms)
        return {"retcode": 0, "retmsg": "", "flag": 0, "data": data}

    def _host_scores(self, model: LoadedModel, service_id: str, hosts: list[str], remote: dict) -> list[dict]:
        """Every host's answer (its "data"), in the load request's host order; the first is asked in this thread."""
        calls = [(h, self._host_request(model, service_id, h, remote)) for h in hosts]
        futures: list[Future] = [self.client.executor.submit(self._ask_host, model, h, body) for h, body in calls[1:]]
        scores = [self._ask_host(model, *calls[0])]
        scores.extend(f.result() for f in futures)
        return scores

    def _host_request(self, model: LoadedModel, service_id: str, host: str, remote: dict) -> dict:
        key = model.party_models.get(HOST, {}).get(host)
        if key is None:
            raise DataError(f"model {model.key}: its load request gave no model for host party {host}")
        return {"serviceId": service_id, "namespace": key.namespace, "tableName": key.version,
                "sendToRemoteFeatureData": remote}

    def _ask_host(self, model: LoadedModel, host: str, body: dict) -> dict:
        try:
            answer = self.client.call(PartyRef(HOST, host), PARTIAL_SCORE, body, timeout=self.remote_timeout,
                                      src=PartyRef(GUEST, model.party_id))
        except FederationError as e:
            raise FateFlowError(f"host party {host} did not give its partial score: {e.message}",
                                retcode=RetCode.FEDERATED_ERROR) from None
        if answer.get("retcode") != 0:
            code = answer.get("retcode")
            raise FateFlowError(f"host party {host}: {answer.get('retmsg')}",
                                retcode=RetCode(code) if code in RetCode._value2member_map_ else RetCode.FEDERATED_ERROR)
        data = answer.get("data")
        if not isinstance(data, dict):
            raise FateFlowError(f"host party {host} answered no partial score: {answer!r}"[:500],
                                retcode=RetCode.FEDERATED_ERROR)
        return data

    # ------------------------------------------------------------------ host
    def partial_score(self, cmd: IncomingCommand) -> dict[str, Any]:
        """Command handler: this host party's partial score for the sample the guest names."""
        party = cmd.dst.party_id
        body = cmd.body
        key = ModelKey(str(body.get("namespace", "")), str(body.get("tableName", "")))
        model = self.registry.get(key)
        if model is None or model.party_id != party:
            raise FateFlowError(f"model {key} is not loaded at the serving of host party {party}; load it there "
                                f"(/v1/model/load)", retcode=RetCode.PARAMETER_ERROR)
        remote = body.get("sendToRemoteFeatureData")
        if not isinstance(remote, Mapping) or remote.get(self.id_field) in (None, ""):
            raise ParameterError(f"sendToRemoteFeatureData has no {self.id_field!r} for host party {party} to look "
                                 f"its features up by")
        features = self.adapter.features(party, remote[self.id_field], trained_on(model.online.pipeline))
        try:
            part = model.online.host_part(features)
        except DataError as e:
            raise DataError(f"host party {party}, id {remote[self.id_field]!r}: {e.message}") from None
        return {"retcode": 0, "retmsg": "success", "data": part}


def _partial(host: str, part: dict) -> float:
    try:
        return float(part["score"])
    except (KeyError, TypeError, ValueError):
        raise FateFlowError(f"host party {host} answered no partial score: {part!r}"[:500],
                            retcode=RetCode.FEDERATED_ERROR) from None
