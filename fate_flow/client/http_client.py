"""HTTP client for the /v1 API: one method per endpoint, used by the CLIs and (later) the workers.

It never imports settings, db or flask: give it the server address.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from requests_toolbelt import MultipartEncoder

from fate_flow.entity import api_paths
from fate_flow.entity.api_paths import Endpoint


class ServerUnreachableError(ConnectionError):
    """The server did not answer at all (refused, timed out, DNS)."""

    def __init__(self, address: str, reason: str):
        super().__init__(f"cannot reach the fate_flow server at {address}: {reason}")
        self.address = address


class NotJSONResponseError(ValueError):
    pass


class FlowHttpClient:
    def __init__(self, host: str, port: int, timeout: float = 300.0):
        self.address = f"http://{host}:{port}"
        self.timeout = timeout
        self.session = requests.Session()

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

    def version(self) -> dict:
        return self.call(api_paths.VERSION_GET, {})


def _reason(error: requests.ConnectionError) -> str:
    text = str(error)
    for hint in ("Connection refused", "Name or service not known", "timed out", "No route to host"):
        if hint in text:
            return hint.lower()
    return text.splitlines()[0][:200] if text else type(error).__name__
