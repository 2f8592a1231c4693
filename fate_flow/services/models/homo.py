"""/v1/model/homo/convert and /v1/model/homo/deploy (FATE-Flow 1.7 style): turn one party's HomoLR model into a
scikit-learn LogisticRegression saved with joblib, and serve it as a KServe InferenceService.

On disk, beside the component model's buffers:

    variables/data/<cpn>/<alias>/converted_model/sklearn.joblib            (convert, as FATE 1.7 names it)
    variables/data/<cpn>/<alias>/kfserving/<service_id>/model.joblib       (deploy: the file KServe's sklearn
    variables/data/<cpn>/<alias>/kfserving/<service_id>/inference_service.yaml   server loads, and the manifest)

Deploy creates the InferenceService through the Kubernetes API named by `deployment_parameters` (or the service
conf section `kfserving`): a kubeconfig (`config_file_content`, or `config_file` on the server) or `api_url`
with an optional bearer `token`. Plain HTTPS requests, no kubernetes package. Without one, the answer says so
(retcode 103) and gives the manifest and the artifact directory for the user to apply. Tokens, keys and
passwords never appear in messages.
"""
from __future__ import annotations

import base64
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import requests
import yaml

from fate_flow.components.linear_model.lr_model import read_model
from fate_flow.entity import identifiers
from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.flags import parse_flag
from fate_flow.entity.retcode import RetCode
from fate_flow.model.atomic_files import replacing, write_atomically
from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.services.files.file_access import FileAccess
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
KSERVE_GROUP, KSERVE_VERSION, KSERVE_PLURAL = "serving.kserve.io", "v1beta1", "inferenceservices"
CONF_SECTION = "kfserving"
KUBE_TIMEOUT = 30.0
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


# ---------------------------------------------------------------------------------------------- Kubernetes API
@dataclass(frozen=True)
class KubernetesApi:
    """Where and how to reach one Kubernetes API server."""

    server: str
    token: str | None = None
    basic_auth: tuple[str, str] | None = None
    verify: bool | str = True
    client_cert: tuple[str, str] | None = None
    namespace: str | None = None

    def apply(self, manifest: dict, replace: bool) -> dict:
        """Create the InferenceService; when it exists, replace it if asked to, else refuse."""
        meta = manifest["metadata"]
        collection = (f"{self.server.rstrip('/')}/apis/{KSERVE_GROUP}/{KSERVE_VERSION}/namespaces/"
                      f"{meta['namespace']}/{KSERVE_PLURAL}")
        response = self._request("POST", collection, manifest)
        if response.status_code == 409:
            if not replace:
                raise FateFlowError(f"InferenceService {meta['name']} already exists in namespace {meta['namespace']}"
                                    f" at {self.server}; set deployment_parameters.replace to true to replace it")
            item = f"{collection}/{meta['name']}"
            current = self._request("GET", item)
            self._check(current, "GET", item)
            version = current.json().get("metadata", {}).get("resourceVersion")
            response = self._request("PUT", item, {**manifest, "metadata": {**meta, "resourceVersion": version}})
            self._check(response, "PUT", item)
        else:
            self._check(response, "POST", collection)
        return response.json()

    def _request(self, method: str, url: str, body: dict | None = None) -> requests.Response:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            return requests.request(method, url, json=body, headers=headers, auth=self.basic_auth, verify=self.verify,
                                    cert=self.client_cert, timeout=KUBE_TIMEOUT)
        except requests.RequestException as e:
            raise FateFlowError(f"cannot reach the Kubernetes API at {self.server} ({method} {url}): "
                                f"{type(e).__name__}", retcode=RetCode.CONNECTION_ERROR) from None

    @staticmethod
    def _check(response: requests.Response, method: str, url: str) -> None:
        if response.status_code < 300:
            return
        try:
            message = response.json().get("message") or response.text[:500]
        except ValueError:
            message = response.text[:500]
        raise FateFlowError(f"the Kubernetes API answered {method} {url} with HTTP {response.status_code}: {message}")


def kubernetes_api(settings: Settings, params: Mapping[str, Any], conf: Mapping[str, Any],
                   files_dir: Path) -> KubernetesApi | None:
    """The Kubernetes API the request (first) or the service conf names; None when neither names one.
    files_dir: where certificates given inline in a kubeconfig, or read for the request, are written for the
    duration of the request. Files a request names (its kubeconfig and the files that names) are read only
    where file_access.read_dirs allows; the service conf's are the operator's own."""
    access = FileAccess.from_settings(settings)
    if params.get("config_file_content"):
        return _from_kubeconfig(str(params["config_file_content"]), "deployment_parameters.config_file_content",
                                params.get("context"), _RequestFiles(access, files_dir))
    if params.get("config_file"):
        path, text = access.read_text(str(params["config_file"]), "deployment_parameters.config_file")
        return _from_kubeconfig(text, "deployment_parameters.config_file", params.get("context"),
                                _RequestFiles(access, files_dir, base=path.parent))
    if params.get("api_url"):
        ca_file = params.get("ca_file")
        if ca_file:
            params = {**params, "ca_file": _RequestFiles(access, files_dir).copy(ca_file, "deployment_parameters.ca_file")}
        return _from_url(params, "deployment_parameters")
    if conf.get("config_file"):
        path = Path(str(conf["config_file"])).expanduser()
        if not path.is_file():
            raise FateFlowError(f"service conf {CONF_SECTION}.config_file: file {path} does not exist")
        return _from_kubeconfig(path.read_text(encoding="utf-8"), f"service conf {CONF_SECTION}.config_file",
                                params.get("context") or conf.get("context"), _ConfFiles(files_dir, path.parent))
    if conf.get("api_url"):
        token_file = conf.get("token_file")
        token = _read_token(token_file, f"service conf {CONF_SECTION}.token_file") if token_file else conf.get("token")
        return _from_url({**conf, "token": token}, f"service conf {CONF_SECTION}")
    return None


class _ConfFiles:
    """Files named by the operator's kubeconfig (service conf): used where they are."""

    def __init__(self, files_dir: Path, base: Path):
        self.files_dir = files_dir
        self.base = base

    def copy(self, name: Any, where: str) -> str:
        path = Path(str(name)).expanduser()
        return str(path if path.is_absolute() else self.base / path)

    def read_text(self, name: Any, where: str) -> str:
        return _read_token(self.copy(name, where), where)


class _RequestFiles:
    """Files named by a request's kubeconfig: read through file_access (read_dirs, never the server's state)
    and copied into the request's files_dir, so what the TLS library opens later is what was checked."""

    def __init__(self, access: FileAccess, files_dir: Path, base: Path | None = None):
        self.access = access
        self.files_dir = files_dir
        self.base = base

    def _value(self, name: Any) -> str:
        path = Path(str(name)).expanduser()
        return str(path if path.is_absolute() or self.base is None else self.base / path)

    def copy(self, name: Any, where: str) -> str:
        with self.access.reading(self._value(name), where) as checked:
            target = self.files_dir / f"file-{uuid.uuid4().hex}"
            with open(checked.open_path, "rb") as source, open(target, "xb") as sink:
                shutil.copyfileobj(source, sink)
        target.chmod(0o600)
        return str(target)

    def read_text(self, name: Any, where: str) -> str:
        return self.access.read_text(self._value(name), where)[1].strip()


def _from_url(values: Mapping[str, Any], where: str) -> KubernetesApi:
    url = str(values["api_url"])
    if not re.match(r"^https?://", url):
        raise ParameterError(f"parameter {where}.api_url must be an http(s) URL, got {url!r}")
    verify: bool | str = not parse_flag(values.get("insecure_skip_tls_verify", False), "deployment_parameters.insecure_skip_tls_verify")
    if verify and values.get("ca_file"):
        verify = str(values["ca_file"])
    return KubernetesApi(server=url, token=values.get("token") or None, verify=verify)


def _from_kubeconfig(text: str, where: str, context_name: Any, files: "_ConfFiles | _RequestFiles") -> KubernetesApi:
    """Cluster, user and namespace of a kubeconfig's current (or named) context. Exec and auth-provider
    plugins are not supported."""
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise ParameterError(f"{where} is not a valid kubeconfig: {e}") from None
    if not isinstance(config, dict):
        raise ParameterError(f"{where} is not a valid kubeconfig: not a mapping")
    name = context_name or config.get("current-context")
    context = _named(config, "contexts", "context", name, where)
    cluster = _named(config, "clusters", "cluster", context.get("cluster"), where)
    user = _named(config, "users", "user", context.get("user"), where) if context.get("user") else {}
    server = cluster.get("server")
    if not server:
        raise ParameterError(f"{where}: cluster {context.get('cluster')} has no server")

    def material(path_key: str, data_key: str, source: dict) -> str | None:
        if source.get(data_key):
            target = files.files_dir / f"{data_key}-{uuid.uuid4().hex}"
            target.write_bytes(base64.b64decode(source[data_key]))
            target.chmod(0o600)
            return str(target)
        if source.get(path_key):
            return files.copy(source[path_key], f"{where} {path_key}")
        return None

    if user.get("exec") or user.get("auth-provider"):
        raise ParameterError(f"{where}: user {context.get('user')} authenticates with an exec or auth-provider "
                             f"plugin, which is not supported; use a token or a client certificate")
    verify: bool | str = not bool(cluster.get("insecure-skip-tls-verify"))
    ca = material("certificate-authority", "certificate-authority-data", cluster)
    if verify and ca:
        verify = ca
    cert, key = (material("client-certificate", "client-certificate-data", user),
                 material("client-key", "client-key-data", user))
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = files.read_text(user["tokenFile"], f"{where}: user {context.get('user')} tokenFile")
    basic = (str(user["username"]), str(user.get("password", ""))) if user.get("username") else None
    return KubernetesApi(server=str(server), token=token or None, basic_auth=basic, verify=verify,
                         client_cert=(cert, key) if cert and key else None, namespace=context.get("namespace"))


def _read_token(path: Any, where: str) -> str:
    try:
        return Path(str(path)).expanduser().read_text(encoding="utf-8").strip()
    except OSError as e:
        raise FateFlowError(f"{where}: cannot read {path} ({e.strerror or type(e).__name__})") from None


def _named(config: dict, section: str, key: str, name: Any, where: str) -> dict:
    for entry in config.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry.get(key) or {}
    raise ParameterError(f"{where}: no {key} named {name!r} in {section}")
