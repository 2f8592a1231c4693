"""/v1/pipeline (contract §1.4): a party's component dependency graph, of a recorded job or of a DSL + conf
that has not been submitted (FATE-Board draws the job DAG from it)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import get_id, get_party_id, json_body, require
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import InvalidParameterError, MissingParametersError
from fate_flow.services.jobs import dsl_views as job_dsl

bp = Blueprint("pipeline", __name__)


@bp.route(api_paths.PIPELINE_DAG_DEPENDENCY.path, methods=api_paths.PIPELINE_DAG_DEPENDENCY.methods)
def dag_dependency():
    body = json_body()
    if body.get("job_id") in (None, "") and body.get("job_dsl") is None and body.get("job_runtime_conf") is None:
        missing = [n for n in ("role", "party_id") if body.get(n) in (None, "")]
        raise MissingParametersError(missing + ["job_id, or job_dsl and job_runtime_conf"])
    by_job = body.get("job_id") not in (None, "")
    require(body, "role", "party_id", *(() if by_job else ("job_dsl", "job_runtime_conf")))
    role, party_id = get_id(body, "role", identifiers.ROLE), get_party_id(body)
    if by_job:
        return json_result(data=job_dsl.job_dependency(runtime().components, get_id(body, "job_id", identifiers.JOB_ID), role, party_id))
    data = job_dsl.preview_dependency(runtime().components, _object(body, "job_dsl"), _object(body, "job_runtime_conf"),
                                      _object(body, "job_train_runtime_conf", optional=True), role, party_id)
    return json_result(data=data)


def _object(body: dict, name: str, optional: bool = False) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        raise InvalidParameterError(f"parameter {name} must be a JSON object, got {type(value).__name__}", field=name)
    return value
