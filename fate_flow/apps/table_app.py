"""/v1/table: table_info, delete, add/bind (register existing data), list (a job's tables)."""
from flask import Blueprint

from fate_flow.apps.context import ctx
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import (NAME_MAX, get_delimiter, get_int, get_party_id, get_str, get_table_name,
                                         json_body, require)
from fate_flow.entity import api_paths
from fate_flow.entity.errors import ParameterError
from fate_flow.services import table_registry, tables

bp = Blueprint("table", __name__)


@bp.route(api_paths.TABLE_INFO.path, methods=api_paths.TABLE_INFO.methods)
def table_info():
    body = json_body()
    return json_result(data=tables.table_info(get_str(body, "namespace"), get_table_name(body)))


@bp.route(api_paths.TABLE_DELETE.path, methods=api_paths.TABLE_DELETE.methods)
def table_delete():
    body = json_body()
    if body.get("namespace") in (None, "") and body.get("table_name") in (None, "") and body.get("job_id"):
        data = table_registry.delete_job_tables(
            get_str(body, "job_id"), get_str(body, "role", default=None), get_party_id(body, default=None),
            get_str(body, "component_name", default=None))
        return json_result(data=data)
    return json_result(data=table_registry.delete_table(get_str(body, "namespace"), get_table_name(body)))


@bp.route(api_paths.TABLE_ADD.path, methods=api_paths.TABLE_ADD.methods)
@bp.route(api_paths.TABLE_BIND.path, methods=api_paths.TABLE_BIND.methods)
def table_add():
    body = json_body()
    require(body, "engine", "address", "namespace", "name", "head", "id_delimiter")
    address = body["address"]
    if not isinstance(address, dict):
        raise ParameterError("parameter address must be a JSON object")
    reg = table_registry.Registration(
        engine=get_str(body, "engine").upper(), address=address,
        namespace=get_str(body, "namespace", max_length=NAME_MAX), name=get_str(body, "name", max_length=NAME_MAX),
        head=bool(get_int(body, "head", minimum=0, maximum=1)), id_delimiter=get_delimiter(body, "id_delimiter"),
        partitions=get_int(body, "partitions", default=ctx().settings.storage.default_partitions, minimum=1,
                           maximum=1023),
        drop=get_int(body, "drop", default=0) == 1,
        id_name=get_str(body, "id_name", default=None), feature_names=_feature_names(body))
    return json_result(data=table_registry.register(ctx(), reg))


@bp.route(api_paths.TABLE_LIST.path, methods=api_paths.TABLE_LIST.methods)
def table_list():
    body = json_body()
    require(body, "job_id", "role", "party_id")
    job_id, role, party_id = get_str(body, "job_id"), get_str(body, "role"), get_party_id(body)
    return json_result(data=table_registry.job_table_list(job_id, role, party_id))


def _feature_names(body: dict) -> str | None:
    value = body.get("feature_name")
    if value is None:
        return None
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return get_str(body, "feature_name")
