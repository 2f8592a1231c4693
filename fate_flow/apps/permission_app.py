"""/v1/permission: what partners on other servers may do here. FATE-Flow 1.6's privileges
(`grant|delete|query/privilege`, per partner and partner role) and FATE-Flow 1.9's grants
(`grant|delete|query`, components and datasets per partner), over one store (services/partners/permissions.py)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import get_party_id, get_str, json_body, limits
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import ParameterError
from fate_flow.services.partners import permissions
from fate_flow.services.partners.permissions import Dataset

bp = Blueprint("permission", __name__)

LIST_MAX = 10_000  # characters of a comma list


# ------------------------------------------------------------------------------- FATE-Flow 1.6
@bp.route(api_paths.PERMISSION_GRANT_PRIVILEGE.path, methods=api_paths.PERMISSION_GRANT_PRIVILEGE.methods)
def grant_privilege():
    party_id, role, privileges = _privilege_request()
    permissions.grant_privilege(runtime().components, party_id, role, privileges)
    return json_result()


@bp.route(api_paths.PERMISSION_DELETE_PRIVILEGE.path, methods=api_paths.PERMISSION_DELETE_PRIVILEGE.methods)
def delete_privilege():
    party_id, role, privileges = _privilege_request()
    permissions.delete_privilege(runtime().components, party_id, role, privileges)
    return json_result()


@bp.route(api_paths.PERMISSION_QUERY_PRIVILEGE.path, methods=api_paths.PERMISSION_QUERY_PRIVILEGE.methods)
def query_privilege():
    party_id, role, _ = _privilege_request()
    return json_result(data=permissions.query_privilege(runtime().components, party_id, role))


def _privilege_request() -> tuple[str, str, dict[str, str | None]]:
    body = json_body()
    party_id = get_party_id(body, "src_party_id")
    role = get_str(body, "src_role", choices=permissions.ROLES)
    privileges = {kind: get_str(body, name, default=None, max_length=LIST_MAX)
                  for kind, name in permissions.PRIVILEGE_FIELDS.items()}
    return party_id, role, privileges


# ------------------------------------------------------------------------------- FATE-Flow 1.9
@bp.route(api_paths.PERMISSION_GRANT.path, methods=api_paths.PERMISSION_GRANT.methods)
def grant():
    body = json_body()
    party_id = get_party_id(body)
    permissions.grant_permission(runtime().components, party_id, get_str(body, "component", default=None, max_length=LIST_MAX),
                                 _datasets(body.get("dataset"), allow_all=False))
    return json_result()


@bp.route(api_paths.PERMISSION_DELETE.path, methods=api_paths.PERMISSION_DELETE.methods)
def delete():
    body = json_body()
    party_id = get_party_id(body)
    permissions.delete_permission(runtime().components, party_id, get_str(body, "component", default=None, max_length=LIST_MAX),
                                  _datasets(body.get("dataset"), allow_all=True))
    return json_result()


@bp.route(api_paths.PERMISSION_QUERY.path, methods=api_paths.PERMISSION_QUERY.methods)
def query():
    return json_result(data=permissions.query_permission(get_party_id(json_body())))


def _datasets(value: Any, allow_all: bool) -> list[Dataset] | str | None:
    """`dataset`: {"namespace", "name"} or a list of them (delete also takes "*": every table)."""
    if value in (None, "", [], {}):
        return None
    if allow_all and value == permissions.ALL_V19:
        return value
    items = value if isinstance(value, list) else [value]
    if len(items) > 1000:
        raise ParameterError("parameter dataset may name at most 1000 tables at once")
    datasets = []
    for i, item in enumerate(items):
        where = "dataset" if not isinstance(value, list) else f"dataset[{i}]"
        if not isinstance(item, dict):
            raise ParameterError(f"parameter {where} must be an object {{\"namespace\", \"name\"}}"
                                 + (' (or "*" to delete every table grant)' if allow_all else ""))
        datasets.append(Dataset(_text(item, where, "namespace"), _text(item, where, "name")))
    return datasets


def _text(item: dict, where: str, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"parameter {where}.{key} must be a non-empty string")
    kind = identifiers.TABLE_NAMESPACE if key == "namespace" else identifiers.TABLE_NAME
    return kind.check(f"{where}.{key}", value, limits().id_length)
