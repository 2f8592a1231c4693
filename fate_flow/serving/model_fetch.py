"""Fetching a party's model buffers from FATE-Flow's /v1/model/transfer (contract §1.5.3), at the URL that
publishLoad's `filePath` carries."""
from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from fate_flow.client.http_client import FlowHttpClient, NotJSONResponseError, ServerUnreachableError
from fate_flow.client.signing import Credentials
from fate_flow.entity import api_paths
from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.retcode import RetCode

TRANSFER_TIMEOUT = 60.0  # seconds one model download may take


def transfer_address(file_path: str) -> tuple[str, int]:
    """(host, port) of an `http://<host>:<port>/v1/model/transfer` URL."""
    parts = urlsplit(file_path or "")
    if parts.scheme != "http" or not parts.hostname or parts.path.rstrip("/") != api_paths.MODEL_TRANSFER.path:
        raise ParameterError(f"filePath must be FATE-Flow's transfer URL http://<host>:<port>"
                             f"{api_paths.MODEL_TRANSFER.path}, got {file_path!r}")
    return parts.hostname, parts.port or 80


def fetch_model(file_path: str, namespace: str, version: str, timeout: float = TRANSFER_TIMEOUT,
                credentials: Credentials | None = None) -> dict[str, bytes]:
    """`<component>.<alias>:<buffer>` -> bytes of model `namespace` version `version`; the request is signed
    with `credentials` when given."""
    host, port = transfer_address(file_path)
    client = FlowHttpClient(host, port, timeout=timeout, credentials=credentials)
    what = f"model {namespace} version {version} from {file_path}"
    try:
        answer = client.model_transfer(namespace, version)
    except ServerUnreachableError as e:
        raise FateFlowError(f"cannot download {what}: {e}", retcode=RetCode.CONNECTION_ERROR) from None
    except NotJSONResponseError as e:
        raise FateFlowError(f"cannot download {what}: {e}") from None
    finally:
        client.session.close()
    if answer.get("retcode") != 0:
        raise FateFlowError(f"cannot download {what}: retcode {answer.get('retcode')}: {answer.get('retmsg')}",
                            retcode=RetCode.PARAMETER_ERROR)
    data = answer.get("data")
    if not isinstance(data, dict) or not data:
        raise FateFlowError(f"cannot download {what}: the answer holds no buffers")
    buffers = {}
    for key, text in data.items():
        try:
            buffers[key] = base64.b64decode(text, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise FateFlowError(f"cannot download {what}: buffer {key} is not base64") from None
    return buffers
