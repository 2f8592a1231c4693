"""/v1/model/homo/convert and /v1/model/homo/deploy (FATE-Flow 1.7 style): turn one party's HomoLR model into a
scikit-learn LogisticRegression saved with joblib, and serve it as a KServe InferenceService.

On disk, beside the component model's buffers:

    variables/data/<cpn>/<alias>/converted_model/sklearn.joblib            (convert, as FATE 1.7 names it)
    variables/data/<cpn>/<alias>/kfserving/<service_id>/model.joblib       (deploy: the file KServe's sklearn
    variables/data/<cpn>/<alias>/kfserving/<service_id>/inference_service.yaml   server loads, and the manifest)

Deploy creates the InferenceService through the Kubernetes API named by `deployment_parameters` (or the service
conf section `kfserving`; services/models/kubernetes.py): a kubeconfig (`config_file_content`, or `config_file` on
the server) or `api_url` with an optional bearer `token`. Without one, the answer says so
(retcode 103) and gives the manifest and the artifact directory for the user to apply. Tokens, keys and
passwords never appear in messages.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

from fate_flow.components.linear_model.lr_model import read_model
from fate_flow.entity import identifiers
from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.flags import parse_flag
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.atomic_files import replacing, write_atomically
from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.services.models.kubernetes import (CONF_SECTION, KSERVE_GROUP, KSERVE_VERSION, KubernetesApi,
                                                  kubernetes_api)
from fate_flow.services.models.local import party_model
from fate_flow.services.models.package import PartyModelRef
from fate_flow.settings import Settings

MODULE = "HomoLR"
HOMO_LR_PARAM = "HomoLogisticRegressionParam"
FRAMEWORK = "sklearn"
FRAMEWORK_NAMES = ("sklearn", "scikit-learn")
CONVERTED_DIR = "converted_model"
CONVERTED_FILE = "sklearn.joblib"
DEPLOY_TYPE = "kfserving"
DEPLOY_DIR = "kfserving"
KSERVE_MODEL_FILE = "model.joblib"          # the file name KServe's sklearn server loads from storageUri
MANIFEST_FILE = "inference_service.yaml"
# a Kubernetes object name for an InferenceService (DNS-1035 label)
SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
DEPLOY_PARAMETERS = ("namespace", "storage_uri", "protocol_version", "replace", "config_file", "config_file_content",
                     "context", "api_url", "token", "ca_file", "insecure_skip_tls_verify")


# ---------------------------------------------------------------------------------------------- convert
def convert(settings: Settings, ref: PartyModelRef, framework_name: str | None = None) -> list[dict]:
    """Convert every HomoLR component model of `ref`; one entry per converted model (FATE 1.7's answer, plus the
    framework and the feature order the estimator expects)."""
    _check_framework(framework_name)
    model = _existing_model(settings, ref)
    found = model.component_models()
    targets = [(cpn, alias) for cpn, aliases in found.items() for alias, buffers in aliases.items()
               if HOMO_LR_PARAM in buffers]
    if not targets:
        raise FateFlowError(f"No component in model {ref.party_model_id} {ref.model_version} can be converted: only "
                            f"{MODULE} models (buffer {HOMO_LR_PARAM}) can, and the model holds "
                            f"{_describe_components(model, found)}")
    detail = []
    for cpn, alias in targets:
        header, estimator = sklearn_estimator(model.read_buffers(cpn, alias), f"{cpn}.{alias}")
        path = model.data_dir / cpn / alias / CONVERTED_DIR / CONVERTED_FILE
        _dump_atomically(estimator, path)
        detail.append({"component_name": cpn, "model_alias": alias, "framework_name": FRAMEWORK,
                       "converted_model_path": str(path), "header": header})
    return detail


def sklearn_estimator(buffers: Mapping[str, Any], where: str) -> tuple[list[str], Any]:
    """(feature order, a fitted-looking LogisticRegression) whose predict_proba(x)[:, 1] is our
    sigmoid(x . w + b) for rows x with their columns in that order."""
    try:
        meta, param, coef = read_model(MODULE, dict(buffers))
    except (ValueError, KeyError) as e:
        raise FateFlowError(f"model {where} cannot be converted: {e}") from None
    LogisticRegression = _sklearn_logistic_regression()
    estimator = LogisticRegression(fit_intercept=meta.fit_intercept, tol=meta.tol or 1e-4,
                                   max_iter=int(meta.max_iter) or 100)
    estimator.classes_ = np.array([0, 1])
    estimator.coef_ = coef.reshape(1, -1)
    estimator.intercept_ = np.array([param.intercept], dtype=np.float64)
    estimator.n_features_in_ = len(coef)
    estimator.n_iter_ = np.array([param.iters], dtype=np.int32)
    return list(param.header), estimator


def _sklearn_logistic_regression():
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise FateFlowError("scikit-learn is not installed on this server; install scikit-learn and joblib "
                            "(pip install scikit-learn joblib) to convert homo models") from None
    return LogisticRegression


def _dump_atomically(estimator: Any, path: Path) -> None:
    import joblib  # comes with scikit-learn
    with replacing(path) as tmp:
        joblib.dump(estimator, tmp)


def _check_framework(framework_name: str | None) -> None:
    if framework_name not in (None, "") and framework_name not in FRAMEWORK_NAMES:
        raise ParameterError(f"parameter framework_name must be one of {list(FRAMEWORK_NAMES)} (the framework a "
                             f"{MODULE} model converts to), got {framework_name!r}")


def _existing_model(settings: Settings, ref: PartyModelRef) -> PipelinedModel:
    model = party_model(settings, ref.role, ref.party_id, ref.model_id, ref.model_version)
    if not model.has_pipeline():
        raise FateFlowError(f"Model {ref.party_model_id} {ref.model_version} does not exist (no pipelined model "
                            f"in {model.root}); check model_id, model_version, role and party_id")
    return model


def _describe_components(model: PipelinedModel, found: dict) -> str:
    modules = model.define_meta().get("component_define", {})
    parts = [f"{cpn} ({modules.get(cpn, {}).get('module_name', '?')}: "
             f"{', '.join(sorted({b for buffers in aliases.values() for b in buffers}))})"
             for cpn, aliases in found.items()]
    return "; ".join(parts) if parts else "no component model"


# ---------------------------------------------------------------------------------------------- deploy
@dataclass(frozen=True)
class HomoDeployRequest:
    ref: PartyModelRef
    component_name: str
    service_id: str
    deployment_type: str
    deployment_parameters: dict = field(default_factory=dict)
    framework_name: str | None = None


def parse_deploy_request(ref: PartyModelRef, component_name: str, service_id: str, deployment_type: str,
                         deployment_parameters: Any, framework_name: str | None) -> HomoDeployRequest:
    if deployment_type != DEPLOY_TYPE:
        raise ParameterError(f"parameter deployment_type {deployment_type!r} is not supported; the only deployment "
                             f"type is {DEPLOY_TYPE!r}")
    if not SERVICE_NAME.match(service_id):
        raise ParameterError(f"parameter service_id {service_id!r} must be a Kubernetes name: at most 63 lowercase "
                             f"letters, digits and '-', starting with a letter and ending with a letter or digit")
    if deployment_parameters is None:
        deployment_parameters = {}
    if not isinstance(deployment_parameters, dict):
        raise ParameterError(f"parameter deployment_parameters must be an object, got "
                             f"{type(deployment_parameters).__name__}")
    unknown = sorted(set(deployment_parameters) - set(DEPLOY_PARAMETERS))
    if unknown:
        raise ParameterError(f"parameter deployment_parameters has unknown keys {unknown}; known: "
                             f"{list(DEPLOY_PARAMETERS)}")
    protocol = deployment_parameters.get("protocol_version", "v1")
    if protocol not in ("v1", "v2"):
        raise ParameterError(f"parameter deployment_parameters.protocol_version must be v1 or v2, got {protocol!r}")
    identifiers.COMPONENT_NAME.check("component_name", component_name)
    _check_framework(framework_name)
    return HomoDeployRequest(ref, component_name, service_id, deployment_type, dict(deployment_parameters),
                             framework_name)


def deploy(settings: Settings, request: HomoDeployRequest) -> dict:
    ref, cpn = request.ref, request.component_name
    model = _existing_model(settings, ref)
    found = model.component_models()
    if cpn not in found:
        raise FateFlowError(f"Model {ref.party_model_id} {ref.model_version} does not contain component {cpn}; it "
                            f"holds {_describe_components(model, found)}")
    aliases = [alias for alias, buffers in found[cpn].items() if HOMO_LR_PARAM in buffers]
    if not aliases:
        raise FateFlowError(f"Component {cpn} of model {ref.party_model_id} {ref.model_version} is not a {MODULE} "
                            f"model and cannot be deployed: {_describe_components(model, {cpn: found[cpn]})}")
    alias = aliases[0]
    converted = model.data_dir / cpn / alias / CONVERTED_DIR / CONVERTED_FILE
    if not converted.is_file():
        raise FateFlowError(f"Component {cpn} in model {ref.party_model_id} {ref.model_version} isn't converted; "
                            f"convert it first with /v1/model/homo/convert")
    params = request.deployment_parameters
    conf = _conf_section(settings)
    artifact_dir = model.data_dir / cpn / alias / DEPLOY_DIR / request.service_id
    artifact_dir.mkdir(parents=True, exist_ok=True)
    with replacing(artifact_dir / KSERVE_MODEL_FILE) as tmp:
        shutil.copyfile(converted, tmp)
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fate_flow_kube_", dir=settings.temp_dir) as files_dir:
        api = kubernetes_api(settings, params, conf, Path(files_dir))
        return _deploy_artifact(request, alias, artifact_dir, api, conf)


def _deploy_artifact(request: HomoDeployRequest, alias: str, artifact_dir: Path, api: KubernetesApi | None,
                     conf: Mapping[str, Any]) -> dict:
    """Write the manifest beside the artifact and create the InferenceService when a Kubernetes API is known."""
    params, cpn = request.deployment_parameters, request.component_name
    namespace = str(params.get("namespace") or conf.get("namespace") or "")
    if not namespace:
        namespace = api.namespace if api is not None and api.namespace else "default"
    # KServe reads a file:// storageUri as the literal path after the prefix (no percent-decoding), and party
    # model ids hold '#': so no as_uri() here
    storage_uri = str(params.get("storage_uri") or conf.get("storage_uri") or f"file://{artifact_dir}")
    manifest = inference_service(request, namespace, storage_uri, str(params.get("protocol_version", "v1")))
    manifest_path = artifact_dir / MANIFEST_FILE
    write_atomically(manifest_path, yaml.safe_dump(manifest, sort_keys=False).encode("utf-8"))
    data = {"service_id": request.service_id, "namespace": namespace, "deployment_type": DEPLOY_TYPE,
            "framework_name": FRAMEWORK, "component_name": cpn, "model_alias": alias,
            "artifact_dir": str(artifact_dir), "model_file": str(artifact_dir / KSERVE_MODEL_FILE),
            "manifest_path": str(manifest_path), "storage_uri": storage_uri, "manifest": manifest}
    if api is None:
        raise FateFlowError(
            f"No Kubernetes API is configured (deployment_parameters config_file, config_file_content or api_url, or "
            f"the service conf section {CONF_SECTION}), so the InferenceService {request.service_id} was not created. "
            f"Its manifest is {manifest_path} and the model artifact directory {artifact_dir}: make the artifact "
            f"reachable at storageUri {storage_uri} and run kubectl apply -f {manifest_path}", data,
            RetCode.OPERATING_ERROR)
    created = api.apply(manifest, replace=parse_flag(params.get("replace", conf.get("replace", False)), "deployment_parameters.replace"))
    data["kubernetes_api"] = api.server
    data["created"] = {k: created.get("metadata", {}).get(k) for k in ("name", "namespace", "uid", "resourceVersion")}
    return data


def started_message(data: Mapping[str, Any]) -> str:
    """What a client is told of a deploy that created its InferenceService."""
    return (f"An online serving service {data['service_id']} is started in the {DEPLOY_TYPE} system "
            f"(namespace {data['namespace']}, Kubernetes API {data['kubernetes_api']}).")


def inference_service(request: HomoDeployRequest, namespace: str, storage_uri: str, protocol_version: str) -> dict:
    """The KServe v1beta1 InferenceService serving the converted model with the sklearn predictor."""
    sklearn: dict = {"storageUri": storage_uri}
    if protocol_version == "v2":
        sklearn["protocolVersion"] = "v2"
    ref = request.ref
    return {"apiVersion": f"{KSERVE_GROUP}/{KSERVE_VERSION}", "kind": "InferenceService",
            "metadata": {"name": request.service_id, "namespace": namespace,
                         "annotations": {"fate-flow/party-model-id": ref.party_model_id,
                                         "fate-flow/model-version": ref.model_version,
                                         "fate-flow/component-name": request.component_name}},
            "spec": {"predictor": {"sklearn": sklearn}}}


def _conf_section(settings: Settings) -> Mapping[str, Any]:
    section = settings.raw.get(CONF_SECTION) or {}
    if not isinstance(section, Mapping):
        raise FateFlowError(f"service conf section {CONF_SECTION} must be a mapping")
    return section
