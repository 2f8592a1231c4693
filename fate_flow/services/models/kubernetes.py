"""The Kubernetes API a homo deploy creates its KServe InferenceService through (services/models/homo.py): where it
is and how to authenticate, from a kubeconfig (inline or a file on the server), an API URL with a bearer token,
or the service conf section `kfserving`; plain HTTPS requests, no kubernetes package. Files a request names are
read only where file_access.read_dirs allows; tokens, keys and passwords never appear in messages."""
from __future__ import annotations

import base64
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import requests
import yaml

from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.flags import parse_flag
from fate_flow.entity.retcode import RetCode
from fate_flow.services.files.file_access import FileAccess
from fate_flow.settings import Settings

KSERVE_GROUP, KSERVE_VERSION, KSERVE_PLURAL = "serving.kserve.io", "v1beta1", "inferenceservices"
CONF_SECTION = "kfserving"  # the service conf section naming the Kubernetes API
KUBE_TIMEOUT = 30.0


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
