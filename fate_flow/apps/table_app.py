"""/v1/table: table_info, delete, add/bind (register existing data), list (a job's tables)."""
from flask import Blueprint

from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import (get_delimiter, get_id, get_int, get_namespace, get_party_id, get_str,
                                         get_table_name, json_body, limits, require)
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import InvalidParameterError

TABLE_ALIASES = {"table_name": "name"}
from fate_flow.services.data import table_registry, table_meta as tables

bp = Blueprint("table", __name__)


@bp.route(api_paths.TABLE_INFO.path, methods=api_paths.TABLE_INFO.methods)
def table_info():
    body = json_body()
    require(body, "namespace", "table_name", aliases=TABLE_ALIASES)
    return json_result(data=tables.table_info(get_namespace(body), get_table_name(body)))


@bp.route(api_paths.TABLE_DELETE.path, methods=api_paths.TABLE_DELETE.methods)
def table_delete():
    body = json_body()
    if body.get("namespace") in (None, "") and body.get("table_name") in (None, "") and body.get("job_id"):
        data = table_registry.delete_job_tables(
            get_id(body, "job_id", identifiers.JOB_ID), get_id(body, "role", identifiers.ROLE, default=None),
            get_party_id(body, default=None),
            get_id(body, "component_name", identifiers.COMPONENT_NAME, default=None))
        return json_result(data=data)
    require(body, "namespace", "table_name", aliases=TABLE_ALIASES)
    return json_result(data=table_registry.delete_table(get_namespace(body), get_table_name(body)))


@bp.route(api_paths.TABLE_ADD.path, methods=api_paths.TABLE_ADD.methods)
@bp.route(api_paths.TABLE_BIND.path, methods=api_paths.TABLE_BIND.methods)
def table_add():
    body = json_body()
    require(body, "engine", "address", "namespace", "name", "head", "id_delimiter")
    address = body["address"]
    if not isinstance(address, dict):
        raise InvalidParameterError("parameter address must be a JSON object", field="address")
    reg = table_registry.Registration(
        engine=get_str(body, "engine").upper(), address=address,
        namespace=get_namespace(body), name=get_id(body, "name", identifiers.TABLE_NAME),
        head=bool(get_int(body, "head", minimum=0, maximum=1)), id_delimiter=get_delimiter(body, "id_delimiter"),
        partitions=get_int(body, "partitions", default=runtime().settings.storage.default_partitions, minimum=1,
                           maximum=1023),
        drop=get_int(body, "drop", default=0) == 1,
        id_name=get_str(body, "id_name", default=None, max_length=limits().id_length),
        feature_names=_feature_names(body))
    return json_result(data=table_registry.register(runtime(), reg))


@bp.route(api_paths.TABLE_LIST.path, methods=api_paths.TABLE_LIST.methods)
def table_list():
    body = json_body()
    require(body, "job_id", "role", "party_id")
    job_id, role = get_id(body, "job_id", identifiers.JOB_ID), get_id(body, "role", identifiers.ROLE)
    party_id = get_party_id(body)
    return json_result(data=table_registry.job_table_list(job_id, role, party_id))


def _feature_names(body: dict) -> str | None:
    value = body.get("feature_name")
    if value is None:
        return None
    if isinstance(value, list):
        names = ",".join(str(v) for v in value)
    else:
        names = get_str(body, "feature_name")
    cap = limits().text_length
    if len(names) > cap:
        raise InvalidParameterError(f"parameter feature_name is longer than the limit of {cap} characters "
                                    f"(limits.text_length)", field="feature_name")
    return names
