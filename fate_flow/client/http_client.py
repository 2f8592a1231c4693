"""HTTP client for the /v1 API: one method per endpoint, used by the CLIs and the workers.

It never imports settings, db or flask: give it the server address.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

import requests
from requests_toolbelt import MultipartEncoder

from fate_flow.client.signing import Credentials, HttpSignatureAuth
from fate_flow.entity import api_paths
from fate_flow.entity.api_paths import Endpoint


class ServerUnreachableError(ConnectionError):
    """The server did not answer at all (refused, timed out, DNS)."""

    def __init__(self, address: str, reason: str):
        super().__init__(f"cannot reach the fate_flow server at {address}: {reason}")
        self.address = address


class NotJSONResponseError(ValueError):
    pass


class DownloadFailedError(Exception):
    """A file endpoint sent no file: `envelope` is the server's JSON answer, or None when the transfer broke."""

    def __init__(self, message: str, envelope: dict | None = None):
        super().__init__(message)
        self.envelope = envelope


class FlowHttpClient:
    def __init__(self, host: str, port: int, timeout: float = 300.0, credentials: Credentials | None = None,
                 headers: Mapping[str, str] | None = None):
        """`credentials`: sign every request with this app key (FATE-Flow 1.7's scheme); `headers`: sent with
        every request."""
        self.address = f"http://{host}:{port}"
        self.timeout = timeout
        self.session = requests.Session()
        if credentials is not None:
            self.session.auth = HttpSignatureAuth(credentials)
        self.session.headers.update(headers or {})

    # --- generic -----------------------------------------------------------------------------------
    def call(self, endpoint: Endpoint, body: dict | None = None) -> dict:
        """Send `body` as JSON with the endpoint's method; return the decoded envelope."""
        return self._request(endpoint.method, endpoint.path, json=body or {})

    def _request(self, method: str, path: str, **kwargs: Any) -> dict:
        url = self.address + path
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.ConnectionError as e:
            raise ServerUnreachableError(self.address, _reason(e)) from None
        except requests.Timeout:
            raise ServerUnreachableError(self.address, f"no answer within {self.timeout:g}s") from None
        try:
            return response.json()
        except ValueError:
            raise NotJSONResponseError(f"{method} {url} answered HTTP {response.status_code} with a body that "
                                       f"is not JSON: {response.text[:200]!r}") from None

    # --- /v1/data ----------------------------------------------------------------------------------
    def upload(self, config: dict, file_path: Path | None = None) -> dict:
        """Multipart upload of a local file (config as JSON in the raw query string, as FATE clients send
        it), or, with no file, a JSON request naming a file on the server (`use_local_data: 0`)."""
        if file_path is None:
            return self.call(api_paths.DATA_UPLOAD, config)
        with open(file_path, "rb") as f:
            form = MultipartEncoder(fields={"file": (Path(file_path).name, f, "application/octet-stream")})
            return self._request(api_paths.DATA_UPLOAD.method, api_paths.DATA_UPLOAD.path,
                                 params=json.dumps(config), data=form,
                                 headers={"Content-Type": form.content_type})

    def download(self, body: dict) -> dict:
        return self.call(api_paths.DATA_DOWNLOAD, body)

    def upload_history(self, body: dict) -> dict:
        return self.call(api_paths.DATA_UPLOAD_HISTORY, body)

    # --- /v1/table ---------------------------------------------------------------------------------
    def table_info(self, body: dict) -> dict:
        return self.call(api_paths.TABLE_INFO, body)

    def table_delete(self, body: dict) -> dict:
        return self.call(api_paths.TABLE_DELETE, body)

    def table_add(self, body: dict) -> dict:
        return self.call(api_paths.TABLE_ADD, body)

    def table_bind(self, body: dict) -> dict:
        return self.call(api_paths.TABLE_BIND, body)

    # --- /v1/job, /v1/version ----------------------------------------------------------------------
    def job_query(self, body: dict) -> dict:
        return self.call(api_paths.JOB_QUERY, body)

    def job_submit(self, dsl: dict, runtime_conf: dict) -> dict:
        return self.call(api_paths.JOB_SUBMIT, {"job_dsl": dsl, "job_runtime_conf": runtime_conf})

    def job_stop(self, body: dict) -> dict:
        return self.call(api_paths.JOB_STOP, body)

    def job_rerun(self, body: dict) -> dict:
        return self.call(api_paths.JOB_RERUN, body)

    def job_clean(self, body: dict) -> dict:
        return self.call(api_paths.JOB_CLEAN, body)

    def job_clean_queue(self) -> dict:
        return self.call(api_paths.JOB_CLEAN_QUEUE, {})

    # --- /v1/worker: a task's worker reporting to its own server ------------------------------------
    def worker_task_status(self, body: dict) -> dict:
        return self.call(api_paths.WORKER_TASK_STATUS, body)

    def worker_task_output_table(self, body: dict) -> dict:
        return self.call(api_paths.WORKER_TASK_OUTPUT_TABLE, body)

    def worker_task_metric(self, body: dict) -> dict:
        return self.call(api_paths.WORKER_TASK_METRIC, body)

    def worker_task_model(self, body: dict) -> dict:
        return self.call(api_paths.WORKER_TASK_MODEL, body)

    def worker_task_model_get(self, body: dict) -> dict:
        return self.call(api_paths.WORKER_TASK_MODEL_GET, body)

    def worker_task_summary(self, body: dict) -> dict:
        return self.call(api_paths.WORKER_TASK_SUMMARY, body)

    def version(self) -> dict:
        return self.call(api_paths.VERSION_GET, {})

    # --- /v1/job read side and /v1/pipeline (job_queries) -------------------------------------------
    def job_list(self, body: dict) -> dict:
        return self.call(api_paths.JOB_LIST, body)

    def job_update(self, body: dict) -> dict:
        return self.call(api_paths.JOB_UPDATE, body)

    def job_config(self, body: dict) -> dict:
        return self.call(api_paths.JOB_CONFIG, body)

    def job_log(self, body: dict, directory: Path) -> Path:
        """Save the job's log archive (tar.gz) into `directory`; returns its path."""
        return self.fetch_file(api_paths.JOB_LOG, body, directory)

    def task_query(self, body: dict) -> dict:
        return self.call(api_paths.TASK_QUERY, body)

    def task_list(self, body: dict) -> dict:
        return self.call(api_paths.TASK_LIST, body)

    def job_data_view_query(self, body: dict) -> dict:
        return self.call(api_paths.JOB_DATA_VIEW_QUERY, body)

    def job_dsl_generate(self, body: dict) -> dict:
        """The predict DSL as `data` (send no `filename`: with one the server answers a file)."""
        return self.call(api_paths.JOB_DSL_GENERATE, body)

    def job_url_get(self, body: dict) -> dict:
        return self.call(api_paths.JOB_URL_GET, body)

    def pipeline_dag_dependency(self, body: dict) -> dict:
        return self.call(api_paths.PIPELINE_DAG_DEPENDENCY, body)

    # --- /v1/tracking --------------------------------------------------------------------------------
    def tracking_job_summary(self, body: dict) -> dict:
        return self.call(api_paths.TRACKING_JOB_SUMMARY, body)

    def tracking_metrics(self, body: dict) -> dict:
        return self.call(api_paths.TRACKING_METRICS, body)

    def tracking_metric_all(self, body: dict) -> dict:
        return self.call(api_paths.TRACKING_METRIC_ALL, body)

    def tracking_metric_delete(self, body: dict) -> dict:
        return self.call(api_paths.TRACKING_METRIC_DELETE, body)

    def tracking_parameters(self, body: dict) -> dict:
        return self.call(api_paths.TRACKING_PARAMETERS, body)

    def tracking_output_model(self, body: dict) -> dict:
        return self.call(api_paths.TRACKING_OUTPUT_MODEL, body)

    def tracking_output_data_table(self, body: dict) -> dict:
        return self.call(api_paths.TRACKING_OUTPUT_DATA_TABLE, body)

    def tracking_output_data_download(self, body: dict, directory: Path) -> Path:
        """Save the component's output data archive (tar.gz) into `directory`; returns its path."""
        return self.fetch_file(api_paths.TRACKING_OUTPUT_DATA_DOWNLOAD, body, directory)

    # --- /v1/model -----------------------------------------------------------------------------------
    def model_deploy(self, body: dict) -> dict:
        """{model_id, model_version, [cpn_list | predict_dsl | dsl]} -> data.model_version = the child version."""
        return self.call(api_paths.MODEL_DEPLOY, body)

    def model_query(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_QUERY, body)

    def model_get_predict_dsl(self, body: dict) -> dict:
        """The inference DSL as `data` (send no `filename`: with one the server answers a file)."""
        return self.call(api_paths.MODEL_GET_PREDICT_DSL, body)

    def model_get_predict_conf(self, body: dict) -> dict:
        """The predict conf template as `data` (send no `filename`: with one the server answers a file)."""
        return self.call(api_paths.MODEL_GET_PREDICT_CONF, body)

    def model_store(self, body: dict) -> dict:
        """{model_id, model_version, role, party_id, [force_update]}: into the server's model store."""
        return self.call(api_paths.MODEL_STORE, body)

    def model_restore(self, body: dict) -> dict:
        """{model_id, model_version, role, party_id}: from the server's model store into its model cache."""
        return self.call(api_paths.MODEL_RESTORE, body)

    def model_migrate(self, body: dict) -> dict:
        """{migrate_initiator, role, migrate_role, model_id, model_version, execute_party, job_parameters,
        [unify_model_version]} -> per party retcode and the path of its zip in data.detail."""
        return self.call(api_paths.MODEL_MIGRATE, body)

    def model_homo_convert(self, body: dict) -> dict:
        """{model_id, model_version, role, party_id, [framework_name]} -> data: one entry per converted HomoLR
        model (component_name, model_alias, converted_model_path, header)."""
        return self.call(api_paths.MODEL_HOMO_CONVERT, body)

    def model_homo_deploy(self, body: dict) -> dict:
        """{service_id, model_id, model_version, role, party_id, component_name, deployment_type "kfserving",
        [deployment_parameters]} -> data: the InferenceService manifest, its path and the artifact directory."""
        return self.call(api_paths.MODEL_HOMO_DEPLOY, body)

    def model_export(self, body: dict, directory: Path) -> Path:
        """{model_id, model_version, role, party_id}: save the party's model zip into `directory`; its path."""
        return self.fetch_file(api_paths.MODEL_EXPORT, body, directory)

    def model_import(self, form: dict, zip_path: Path) -> dict:
        """Upload an export zip as part `file`, with `form` (model_id, model_version, role, party_id, ...) as
        form fields; values that are not strings are sent as JSON text."""
        fields = {key: value if isinstance(value, str) else json.dumps(value)
                  for key, value in form.items() if value is not None}
        with open(zip_path, "rb") as f:
            fields["file"] = (Path(zip_path).name, f, "application/zip")
            encoder = MultipartEncoder(fields=fields)
            return self._request(api_paths.MODEL_IMPORT.method, api_paths.MODEL_IMPORT.path, data=encoder,
                                 headers={"Content-Type": encoder.content_type})

    def model_tag_create(self, body: dict) -> dict:
        """{job_id (model version), tag_name}: attach the tag (created if needed) to the model."""
        return self.call(api_paths.MODEL_MODEL_TAG_CREATE, body)

    def model_tag_remove(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_MODEL_TAG_REMOVE, body)

    def model_tag_retrieve(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_MODEL_TAG_RETRIEVE, body)

    def tag_create(self, body: dict) -> dict:
        """{tag_name, [tag_desc]}"""
        return self.call(api_paths.MODEL_TAG_CREATE, body)

    def tag_retrieve(self, body: dict) -> dict:
        """{tag_name, [with_model]}: tags whose name contains tag_name, or the models of that tag."""
        return self.call(api_paths.MODEL_TAG_RETRIEVE, body)

    def tag_update(self, body: dict) -> dict:
        """{tag_name, [new_tag_name], [new_tag_desc]}"""
        return self.call(api_paths.MODEL_TAG_UPDATE, body)

    def tag_destroy(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_TAG_DESTROY, body)

    def tag_list(self, body: dict) -> dict:
        """{limit}"""
        return self.call(api_paths.MODEL_TAG_LIST, body)

    def model_transfer(self, namespace: str, name: str) -> dict:
        """The buffers FATE-Serving downloads (§1.5.3): namespace = party model id, name = model version."""
        return self.call(api_paths.MODEL_TRANSFER, {"namespace": namespace, "name": name})

    def model_load(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_LOAD, body)

    def model_bind(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_BIND, body)

    def model_unload(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_UNLOAD, body)

    def model_unbind(self, body: dict) -> dict:
        return self.call(api_paths.MODEL_UNBIND, body)

    # --- /v1/permission ------------------------------------------------------------------------------
    def permission_grant_privilege(self, body: dict) -> dict:
        return self.call(api_paths.PERMISSION_GRANT_PRIVILEGE, body)

    def permission_delete_privilege(self, body: dict) -> dict:
        return self.call(api_paths.PERMISSION_DELETE_PRIVILEGE, body)

    def permission_query_privilege(self, body: dict) -> dict:
        return self.call(api_paths.PERMISSION_QUERY_PRIVILEGE, body)

    def permission_grant(self, body: dict) -> dict:
        return self.call(api_paths.PERMISSION_GRANT, body)

    def permission_delete(self, body: dict) -> dict:
        return self.call(api_paths.PERMISSION_DELETE, body)

    def permission_query(self, body: dict) -> dict:
        return self.call(api_paths.PERMISSION_QUERY, body)

    def fetch_file(self, endpoint: Endpoint, body: dict, directory: Path) -> Path:
        """Stream a file endpoint's answer into `directory` under the name the server gives
        (Content-Disposition). Raises DownloadFailedError with the server's envelope when it sends none."""
        url = self.address + endpoint.path
        try:
            with self.session.request(endpoint.method, url, json=body, stream=True, timeout=self.timeout) as response:
                name = _attachment_name(response.headers.get("Content-Disposition", ""))
                if response.status_code != 200 or name is None:
                    raise DownloadFailedError(f"{endpoint.path} sent no file", _envelope_of(response, url))
                Path(directory).mkdir(parents=True, exist_ok=True)
                target = Path(directory) / name
                partial = target.with_name(target.name + ".part")
                with open(partial, "wb") as f:
                    for chunk in response.iter_content(CHUNK):
                        f.write(chunk)
                partial.replace(target)
                return target
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as e:
            raise DownloadFailedError(f"the download from {url} was cut off: {e}") from None
        except requests.ConnectionError as e:
            raise ServerUnreachableError(self.address, _reason(e)) from None
        except requests.Timeout:
            raise ServerUnreachableError(self.address, f"no answer within {self.timeout:g}s") from None


CHUNK = 1 << 16


def _attachment_name(disposition: str) -> str | None:
    """The file name of `attachment; filename=<name>` (FATE sends it unquoted); only its last path part."""
    match = re.search(r"filename=(.+)", disposition)
    if not match:
        return None
    name = match.group(1).strip().strip('"').replace("\\", "/").rsplit("/", 1)[-1]
    return name if name not in ("", ".", "..") else None


def _envelope_of(response: requests.Response, url: str) -> dict:
    try:
        envelope = response.json()
    except ValueError:
        raise NotJSONResponseError(f"{url} answered HTTP {response.status_code} with a body that "
                                   f"is neither a file nor JSON: {response.text[:200]!r}") from None
    if not isinstance(envelope, dict):
        raise NotJSONResponseError(f"{url} answered HTTP {response.status_code} with JSON that is not an object")
    return envelope


def _reason(error: requests.ConnectionError) -> str:
    text = str(error)
    for hint in ("Connection refused", "Name or service not known", "timed out", "No route to host"):
        if hint in text:
            return hint.lower()
    return text.splitlines()[0][:200] if text else type(error).__name__
