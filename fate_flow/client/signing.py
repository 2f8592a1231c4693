"""Signing requests the way FATE-Flow 1.7 checks them (fate_flow.entity.http_signature), as a requests auth:
`session.auth = HttpSignatureAuth(app_key, secret)` signs every request of the session."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Mapping
from urllib.parse import parse_qsl

import requests
from requests_toolbelt import MultipartEncoder

from fate_flow.entity import http_signature

APP_KEY_ENV = "FATE_FLOW_APP_KEY"
SECRET_KEY_ENV = "FATE_FLOW_SECRET_KEY"


@dataclass(frozen=True)
class Credentials:
    app_key: str
    secret_key: str = field(repr=False)


def credentials_from(app_key: str | None = None, secret_key: str | None = None,
                     env: Mapping[str, str] | None = None) -> Credentials | None:
    """The app key and secret given (e.g. as CLI flags), else $FATE_FLOW_APP_KEY/$FATE_FLOW_SECRET_KEY; None when
    there is neither. ValueError when only one of the two is there."""
    env = os.environ if env is None else env
    app_key = app_key or env.get(APP_KEY_ENV) or ""
    secret_key = secret_key or env.get(SECRET_KEY_ENV) or ""
    if not app_key and not secret_key:
        return None
    if not app_key or not secret_key:
        missing = "app key" if not app_key else "secret key"
        raise ValueError(f"the {missing} is missing: give both an app key and its secret "
                         f"({APP_KEY_ENV} and {SECRET_KEY_ENV}) or neither")
    return Credentials(app_key, secret_key)


class HttpSignatureAuth(requests.auth.AuthBase):
    def __init__(self, credentials: Credentials):
        self.credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        content_type = request.headers.get("Content-Type")
        body = b""
        fields: Iterable[tuple[str, str]] = ()
        if http_signature.signs_body(content_type):
            body = request.body.encode() if isinstance(request.body, str) else bytes(request.body or b"")
        elif http_signature.signs_form(content_type):
            fields = _form_fields(request.body)
        request.headers.update(http_signature.signed_headers(
            self.credentials.app_key, self.credentials.secret_key, request.path_url, body, fields))
        return request


def _form_fields(body) -> list[tuple[str, str]]:
    """The non-file fields of a urlencoded body or of a MultipartEncoder (file parts are tuples there)."""
    if isinstance(body, MultipartEncoder):
        items = body.fields.items() if isinstance(body.fields, Mapping) else body.fields
        return [(str(k), v.decode() if isinstance(v, bytes) else str(v)) for k, v in items if not isinstance(v, tuple)]
    if isinstance(body, bytes):
        body = body.decode()
    if isinstance(body, str):
        return parse_qsl(body, keep_blank_values=True)
    return []
