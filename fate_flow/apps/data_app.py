"""/v1/data: upload (multipart with the config in the query string, or JSON naming a server-side file),
download (to a server-side path) and upload history."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote_plus

from flask import Blueprint, request

from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import (checked_form, get_delimiter, get_id, get_int, get_limit, get_namespace,
                                         get_path, get_str, get_table_name, get_text, json_body, limits,
                                         parse_json_object, require, require_whole_body)
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import InvalidParameterError, ParameterError
from fate_flow.services.data import upload as data_access
from fate_flow.services.files.file_access import FileAccess

bp = Blueprint("data", __name__)

SUPPORTED_STORAGE_ENGINES = ("STANDALONE", "LMDB")
# what an upload needs, as FATE's "required parameters are missing" names them (table_name may come as name)
UPLOAD_REQUIRED = ("namespace", "table_name", "head", "partition")
TABLE_ALIASES = {"table_name": "name"}


@bp.route(api_paths.DATA_UPLOAD.path, methods=api_paths.DATA_UPLOAD.methods)
def upload():
    multipart = request.mimetype == "multipart/form-data"
    if multipart:
        config = _query_string_config()
        config.update(request.form.to_dict())
        config = checked_form(config)
        part = request.files.get("file")
        require_whole_body()
        require(config, *UPLOAD_REQUIRED, also=[] if part is not None else ["file"], aliases=TABLE_ALIASES)
    else:
        config = json_body()
        if get_int(config, "use_local_data", default=0) != 0:
            raise ParameterError("no file part: send the file as the multipart/form-data part 'file', or set "
                                 "use_local_data to 0 to load a file that is on the server")
        require(config, "file", *UPLOAD_REQUIRED, aliases=TABLE_ALIASES)
        server_file = get_path(config, "file")
    req = _parse_upload(config)
    if multipart:
        part.stream.flush()
        data = data_access.upload(runtime(), req, Path(part.stream.name), _client_file_name(part.filename))
    else:
        with FileAccess.from_settings(runtime().settings).reading(server_file, "file") as opened:
            data = data_access.upload(runtime(), req, opened.open_path, server_file)
    return json_result(data=data, job_id=data["job_id"])


@bp.route(api_paths.DATA_DOWNLOAD.path, methods=api_paths.DATA_DOWNLOAD.methods)
def download():
    body = json_body()
    require(body, "namespace", "table_name", "output_path", aliases=TABLE_ALIASES)
    req = data_access.DownloadRequest(
        namespace=get_namespace(body),
        name=get_table_name(body),
        output_path=get_path(body, "output_path"),
        # seed 000 spells it delimitor
        delimiter=get_delimiter(body, "delimiter", spelling="delimitor"),
    )
    data = data_access.download(runtime(), req)
    return json_result(data=data, job_id=data["job_id"])


@bp.route(api_paths.DATA_UPLOAD_HISTORY.path, methods=api_paths.DATA_UPLOAD_HISTORY.methods)
def upload_history():
    body = json_body()
    # FATE answers every upload when limit is absent: here every one up to limits.list_limit
    history = data_access.upload_history(get_id(body, "job_id", identifiers.JOB_ID, default=None),
                                         get_limit(body, default=limits().list_limit))
    return json_result(data=history)


def _query_string_config() -> dict:
    """Upload parameters from the query string: plain key=value pairs (when namespace and table_name are
    among them), or one JSON object as the whole raw query string (what FATE's clients send)."""
    if "namespace" in request.args and "table_name" in request.args:
        return request.args.to_dict()
    raw = unquote_plus(request.query_string.decode("utf-8", errors="replace"))
    return parse_json_object(raw, "the query string of upload parameters")


def _client_file_name(name: str | None) -> str:
    """The name the client gave its file part (only shown in the upload's records)."""
    shown_name = Path(name or "upload.csv").name or "upload.csv"
    cap = limits().path_length
    if len(shown_name) > cap:
        raise InvalidParameterError(f"parameter file: the file part's name is longer than the limit of {cap} "
                                    f"characters (limits.path_length)", field="file")
    return shown_name


def _parse_upload(config: dict) -> data_access.UploadRequest:
    engine = get_str(config, "storage_engine", default="STANDALONE").upper()
    if engine not in SUPPORTED_STORAGE_ENGINES:
        raise InvalidParameterError(f"parameter storage_engine: {identifiers.shown(engine)} is not supported here; use "
                                    f"STANDALONE", field="storage_engine")
    get_int(config, "work_mode", default=0, minimum=0, maximum=1)
    return data_access.UploadRequest(
        namespace=get_namespace(config),
        name=get_table_name(config),
        head=bool(get_int(config, "head", minimum=0, maximum=1)),
        partitions=get_int(config, "partition", minimum=1, maximum=1023),
        id_delimiter=get_delimiter(config, "id_delimiter"),
        if_exists=data_access.existing_table_rule(get_int(config, "drop", default=None)),
        description=get_text(config, "description", default=""),
    )
