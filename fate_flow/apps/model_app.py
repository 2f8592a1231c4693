"""/v1/model: deploy, query, get/predict/dsl, get/predict/conf (contract §1.5.8-§1.5.11)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from fate_flow.apps.context import ctx
from fate_flow.apps.envelope import json_result
from fate_flow.apps.file_response import attachment, file_endpoint
from fate_flow.apps.request_body import get_party_id, get_plain_filename, get_str, json_body, require
from fate_flow.entity import api_paths
from fate_flow.services import model_deploy, model_queries
from fate_flow.services.job_runtime import EXTENSION, JobRuntime

bp = Blueprint("model", __name__)


def _route(endpoint: api_paths.Endpoint):
    return bp.route(endpoint.path, methods=endpoint.methods)


@_route(api_paths.MODEL_DEPLOY)
def deploy():
    body = json_body()
    require(body, "model_id", "model_version")
    deploy_request = model_deploy.DeployRequest(
        model_id=get_str(body, "model_id"), model_version=get_str(body, "model_version"),
        predict_dsl=body.get("predict_dsl") or body.get("dsl"), cpn_list=body.get("cpn_list"))
    runtime: JobRuntime = current_app.extensions[EXTENSION]
    result = model_deploy.deploy(runtime, deploy_request, request.remote_addr or "")
    return json_result(result.retcode, result.retmsg, data=result.data)


@_route(api_paths.MODEL_QUERY)
def query():
    body = json_body()
    retmsg, rows = model_queries.query_model_info(
        ctx().settings, get_str(body, "model_version"), model_id=get_str(body, "model_id", default=None),
        role=get_str(body, "role", default=None), party_id=get_party_id(body, default=None),
        query_filters=body.get("query_filters"))
    return json_result(retmsg=retmsg, data=rows)


@_route(api_paths.MODEL_GET_PREDICT_DSL)
def get_predict_dsl() -> Response:
    body = json_body()
    require(body, "model_id", "model_version")
    return _predict_dsl_answer(body)


@file_endpoint
def _predict_dsl_answer(body: dict) -> Response:
    dsl = model_queries.predict_dsl(ctx().settings, get_str(body, "model_id"), get_str(body, "model_version"),
                                    role=get_str(body, "role", default=None),
                                    party_id=get_party_id(body, default=None))
    return _json_or_file(dsl, get_plain_filename(body))


@_route(api_paths.MODEL_GET_PREDICT_CONF)
def get_predict_conf() -> Response:
    body = json_body()
    require(body, "model_id", "model_version")
    return _predict_conf_answer(body)


@file_endpoint
def _predict_conf_answer(body: dict) -> Response:
    conf = model_queries.predict_conf(ctx().settings, get_str(body, "model_id"), get_str(body, "model_version"))
    return _json_or_file(conf, get_plain_filename(body))


def _json_or_file(data: dict, filename: str | None) -> Response:
    """`data` in the envelope, or as a JSON file download when the caller names one."""
    if filename is None:
        return json_result(data=data)
    return attachment([json.dumps(data, indent=4).encode()], filename, "application/json")
