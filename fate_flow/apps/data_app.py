"""/v1/data: upload (multipart with the config in the query string, or JSON naming a server-side file),
download (to a server-side path) and upload history."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote_plus

from flask import Blueprint, request

from fate_flow.apps.context import ctx
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import (NAME_MAX, get_delimiter, get_int, get_str, get_table_name, json_body,
                                         require_whole_body)
from fate_flow.entity import api_paths
from fate_flow.entity.errors import MissingParametersError, ParameterError
from fate_flow.services import data_access
from fate_flow.services.file_access import FileAccess

bp = Blueprint("data", __name__)

SUPPORTED_STORAGE_ENGINES = ("STANDALONE", "LMDB")


@bp.route(api_paths.DATA_UPLOAD.path, methods=api_paths.DATA_UPLOAD.methods)
def upload():
    multipart = request.mimetype == "multipart/form-data"
    if multipart:
        config = _query_string_config()
        config.update(request.form.to_dict())
        part = request.files.get("file")
        require_whole_body()
        if part is None:
            raise MissingParametersError(["file"])
    else:
        config = json_body()
        if get_int(config, "use_local_data", default=0) != 0:
            raise ParameterError("no file part: send the file as the multipart/form-data part 'file', or set "
                                 "use_local_data to 0 to load a file that is on the server")
        get_str(config, "file")
    req = _parse_upload(config)
    if multipart:
        part.stream.flush()
        data = data_access.upload(ctx(), req, Path(part.stream.name), Path(part.filename or "upload.csv").name)
    else:
        with FileAccess.from_settings(ctx().settings).reading(config["file"], "file") as server_file:
            data = data_access.upload(ctx(), req, server_file.open_path, str(config["file"]))
    return json_result(data=data, job_id=data["job_id"])


@bp.route(api_paths.DATA_DOWNLOAD.path, methods=api_paths.DATA_DOWNLOAD.methods)
def download():
    body = json_body()
    req = data_access.DownloadRequest(
        namespace=get_str(body, "namespace", max_length=NAME_MAX),
        name=get_table_name(body),
        output_path=get_str(body, "output_path"),
        delimiter=get_delimiter(body, "delimiter"),
    )
    data = data_access.download(ctx(), req)
    return json_result(data=data, job_id=data["job_id"])


@bp.route(api_paths.DATA_UPLOAD_HISTORY.path, methods=api_paths.DATA_UPLOAD_HISTORY.methods)
def upload_history():
    body = json_body()
    history = data_access.upload_history(get_str(body, "job_id", default=None), get_int(body, "limit", default=None))
    return json_result(data=history)


def _query_string_config() -> dict:
    """Upload parameters from the query string: plain key=value pairs (when namespace and table_name are
    among them), or one JSON object as the whole raw query string (what FATE's clients send)."""
    if "namespace" in request.args and "table_name" in request.args:
        return request.args.to_dict()
    raw = unquote_plus(request.query_string.decode("utf-8", errors="replace"))
    if not raw.strip():
        return {}
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ParameterError(f"upload parameters in the query string are not a JSON object: {e}") from None
    if not isinstance(config, dict):
        raise ParameterError("upload parameters in the query string must be a JSON object")
    return config


def _parse_upload(config: dict) -> data_access.UploadRequest:
    engine = get_str(config, "storage_engine", default="STANDALONE").upper()
    if engine not in SUPPORTED_STORAGE_ENGINES:
        raise ParameterError(f"parameter storage_engine: {engine} is not supported here; use STANDALONE")
    get_int(config, "work_mode", default=0, minimum=0, maximum=1)
    return data_access.UploadRequest(
        namespace=get_str(config, "namespace", max_length=NAME_MAX),
        name=get_table_name(config),
        head=bool(get_int(config, "head", minimum=0, maximum=1)),
        partitions=get_int(config, "partition", minimum=1, maximum=1023),
        id_delimiter=get_delimiter(config, "id_delimiter"),
        if_exists=data_access.existing_table_rule(get_int(config, "drop", default=None)),
        description=get_str(config, "description", default=""),
    )
