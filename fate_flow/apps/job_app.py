"""/v1/job read side (contract §1.2.4-§1.2.11, §1.2.14, §1.2.15): job and task rows, a job's conf and logs,
its output-data records, predict DSL generation and board URLs. Filters are column names without `f_`;
unknown keys are ignored; party ids may be ints or strings."""
from __future__ import annotations

import json

from flask import Blueprint, Response

from fate_flow.apps.context import ctx
from fate_flow.apps.envelope import json_result
from fate_flow.apps.file_response import attachment, file_endpoint
from fate_flow.apps.request_body import get_int, get_party_id, get_plain_filename, get_str, json_body, require
from fate_flow.entity import api_paths
from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.retcode import RetCode
from fate_flow.services import job_dsl, job_log_archive, job_queries

bp = Blueprint("job", __name__)



def _route(endpoint: api_paths.Endpoint):
    return bp.route(endpoint.path, methods=endpoint.methods)


@_route(api_paths.JOB_QUERY)
def query_job():
    rows = job_queries.query_jobs(json_body())
    if not rows:
        return json_result(retmsg="no job could be found", data=[])
    return json_result(data=rows)


@_route(api_paths.JOB_LIST)
def list_job():
    rows = job_queries.list_jobs(get_int(json_body(), "limit"))
    if not rows:
        return json_result(RetCode.PARAMETER_ERROR, "No job found")
    return json_result(data=rows)


@_route(api_paths.JOB_UPDATE)
def update_job():
    body = json_body()
    require(body, "job_id", "role", "party_id")
    notes = body.get("notes")
    if notes is not None and not isinstance(notes, str):
        raise ParameterError(f"parameter notes must be a string, got {type(notes).__name__}")
    job_queries.update_job_notes(get_str(body, "job_id"), get_str(body, "role"), get_party_id(body), notes or "")
    return json_result()


@_route(api_paths.JOB_CONFIG)
def job_config():
    return json_result(data=job_queries.job_config(json_body()))


@_route(api_paths.JOB_LOG)
@file_endpoint
def job_log() -> Response:
    archive = job_log_archive.job_log_archive(ctx().settings, get_str(json_body(), "job_id"))
    return attachment(archive.chunks(), archive.filename, "application/x-tar")


@_route(api_paths.TASK_QUERY)
def query_task():
    rows = job_queries.query_tasks(json_body())
    if not rows:
        return json_result(RetCode.PARAMETER_ERROR, "find task failed")
    return json_result(data=rows)


@_route(api_paths.TASK_LIST)
def list_task():
    rows = job_queries.list_tasks(get_int(json_body(), "limit"))
    if not rows:
        return json_result(RetCode.EXCEPTION_ERROR, "No task found")
    return json_result(data=rows)


@_route(api_paths.JOB_DATA_VIEW_QUERY)
def query_data_view():
    body = json_body()
    require(body, "job_id")  # FATE needs it to pick the job's dated table
    rows = job_queries.query_data_views(body)
    if not rows:
        return json_result(RetCode.PARAMETER_ERROR, "find data view failed")
    return json_result(data=rows)


@_route(api_paths.JOB_DSL_GENERATE)
@file_endpoint
def generate_dsl() -> Response:
    body = json_body()
    try:
        require(body, "train_dsl", "cpn_str")
        filename = get_plain_filename(body)
        predict_dsl = job_dsl.generate_predict_dsl(body["train_dsl"], body["cpn_str"], body.get("version") or "2")
    except FateFlowError as e:
        raise FateFlowError(f"DSL generating failed: {e.message}") from e
    if filename is None:
        return json_result(data=predict_dsl)
    return attachment([json.dumps(predict_dsl, indent=4).encode()], filename, "application/json")


@_route(api_paths.JOB_URL_GET)
def get_url():
    body = json_body()
    require(body, "job_id", "role", "party_id")
    urls = job_queries.board_urls(ctx().settings, get_str(body, "job_id"), get_str(body, "role"), get_party_id(body))
    return json_result(data={"board_url": urls})
