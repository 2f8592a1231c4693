"""/v1/job read side (contract §1.2.4-§1.2.11, §1.2.14, §1.2.15): job and task rows, a job's conf and logs,
its output-data records, predict DSL generation and board URLs. Filters are column names without `f_`;
unknown keys are ignored; party ids may be ints or strings."""
from __future__ import annotations

import json

from flask import Blueprint, Response

from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.file_response import attachment, file_endpoint
from fate_flow.apps.request_body import (get_id, get_limit, get_party_id, get_plain_filename, get_text, json_body,
                                         require)
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.services.jobs import dsl_views as job_dsl, log_archive as job_log_archive, queries as job_queries

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
    rows = job_queries.list_jobs(get_limit(json_body()))
    if not rows:
        return json_result(RetCode.PARAMETER_ERROR, "No job found")
    return json_result(data=rows)


@_route(api_paths.JOB_UPDATE)
def update_job():
    body = json_body()
    require(body, "job_id", "role", "party_id")
    job_queries.update_job_notes(get_id(body, "job_id", identifiers.JOB_ID), get_id(body, "role", identifiers.ROLE),
                                 get_party_id(body), get_text(body, "notes", default=""))
    return json_result()


@_route(api_paths.JOB_CONFIG)
def job_config():
    return json_result(data=job_queries.job_config(json_body()))


@_route(api_paths.JOB_LOG)
@file_endpoint
def job_log() -> Response:
    archive = job_log_archive.job_log_archive(runtime().settings, get_id(json_body(), "job_id", identifiers.JOB_ID))
    return attachment(archive.chunks(), archive.filename, "application/x-tar")


@_route(api_paths.TASK_QUERY)
def query_task():
    rows = job_queries.query_tasks(json_body())
    if not rows:
        return json_result(RetCode.PARAMETER_ERROR, "find task failed")
    return json_result(data=rows)


@_route(api_paths.TASK_LIST)
def list_task():
    rows = job_queries.list_tasks(get_limit(json_body()))
    if not rows:
        return json_result(RetCode.EXCEPTION_ERROR, "No task found")
    return json_result(data=rows)


@_route(api_paths.JOB_DATA_VIEW_QUERY)
def query_data_view():
    # every filter is optional (seed 001); FATE 1.6 needed job_id only to pick a dated table, which we do not have
    rows = job_queries.query_data_views(json_body())
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
    urls = job_queries.board_urls(runtime().settings, get_id(body, "job_id", identifiers.JOB_ID),
                                  get_id(body, "role", identifiers.ROLE), get_party_id(body))
    return json_result(data={"board_url": urls})
