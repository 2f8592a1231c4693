"""/v1/tracking: what a job's components produced on this party (metrics, parameters, output data,
summaries) — contract §1.3. File answers are HTTP 200 with an attachment; their errors are JSON envelopes
with HTTP status 210, as FATE's clients expect."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from flask import Blueprint

from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.file_response import attachment, file_endpoint
from fate_flow.apps.request_body import (get_id, get_int, get_party_id, get_plain_filename, get_str, json_body,
                                         require)
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import FateFlowError, InvalidParameterError
from fate_flow.entity.flags import parse_flag
from fate_flow.services.files.tar_stream import tar_gz_chunks
from fate_flow.services.tracking import records as tracking, queries as tracking_queries
from fate_flow.services.tracking.queries import ComponentAt

bp = Blueprint("tracking", __name__)


def _route(endpoint: api_paths.Endpoint):
    return bp.route(endpoint.path, methods=endpoint.methods)


def _component(body: dict, *also_required: str) -> ComponentAt:
    require(body, "job_id", "component_name", *also_required)
    return tracking_queries.locate(_job_id(body), get_id(body, "component_name", identifiers.COMPONENT_NAME),
                                   _role(body, default=None), get_party_id(body, default=None))


def _job_id(body: dict) -> str:
    return get_id(body, "job_id", identifiers.JOB_ID)


def _role(body: dict, **default) -> str:
    return get_id(body, "role", identifiers.ROLE, **default)


@_route(api_paths.TRACKING_JOB_DATA_VIEW)
def job_data_view():
    body = json_body()
    require(body, "job_id", "role", "party_id")
    return json_result(data=tracking_queries.data_view(_job_id(body), _role(body), get_party_id(body)))


@_route(api_paths.TRACKING_JOB_SUMMARY)
def job_summary():
    body = json_body()
    return json_result(data=tracking_queries.job_summary(_job_id(body), _role(body, default=None),
                                                         get_party_id(body, default=None)))


@_route(api_paths.TRACKING_METRICS)
def component_metrics():
    at = _component(json_body())
    names = tracking.metric_names(at.job_id, at.component, at.role, at.party_id)
    return json_result(data=names) if names else json_result(retmsg="no data", data={})


@_route(api_paths.TRACKING_METRIC_DATA)
def component_metric_data():
    body = json_body()
    # seeds 000 and 001 spell metric_name as meric_name
    name_field = "metric_name" if body.get("metric_name") not in (None, "") or \
        body.get("meric_name") in (None, "") else "meric_name"
    at = _component(body, "metric_namespace", name_field)
    data, meta = tracking.metric_data(at.job_id, at.component, at.role, at.party_id,
                                      get_str(body, "metric_namespace"), get_str(body, name_field))
    if not data and not meta:
        return json_result(retmsg="no data", data=[], meta={})
    return json_result(data=data, meta=meta)


@_route(api_paths.TRACKING_METRIC_ALL)
def component_metric_all():
    at = _component(json_body())
    metrics = tracking.all_metrics(at.job_id, at.component, at.role, at.party_id)
    return json_result(data=metrics) if metrics else json_result(retmsg="no data", data={})


@_route(api_paths.TRACKING_METRIC_DELETE)
def component_metric_delete():
    body = json_body()
    job_id = _job_id(body)
    deleted = tracking.delete_metrics(job_id, _role(body, default=None), get_party_id(body, default=None),
                                      get_id(body, "component_name", identifiers.COMPONENT_NAME, default=None))
    return json_result(data={"deleted": deleted})


@_route(api_paths.TRACKING_PARAMETERS)
def component_parameters():
    return json_result(data=tracking_queries.parameters(runtime().components, _component(json_body())))


@_route(api_paths.TRACKING_OUTPUT_MODEL)
def component_output_model():
    data, meta = tracking_queries.output_model(runtime(), _component(json_body()))
    return json_result(data=data, meta=meta) if data else json_result(retmsg="no data", data={})


@_route(api_paths.TRACKING_OUTPUT_DATA)
def component_output_data():
    body = json_body()
    at = _component(body)
    limit = _limit(body, default=tracking_queries.PREVIEW_ROWS)
    rows, meta = tracking_queries.output_data(runtime(), at, limit=min(limit, tracking_queries.PREVIEW_ROWS))
    if not any(rows):
        return json_result(retmsg="no data", data=[])
    return json_result(data=rows, meta=meta)


@_route(api_paths.TRACKING_OUTPUT_DATA_DOWNLOAD)
@file_endpoint
def component_output_data_download():
    body = json_body()
    at = _component(body)
    limit = _limit(body, default=-1)
    head = parse_flag(body.get("head", True), "head")
    directory = Path(tempfile.mkdtemp(prefix="output_data_", dir=runtime().settings.temp_dir))
    try:
        if not tracking_queries.write_output_data(runtime(), at, None if limit == -1 else limit, head, directory):
            raise FateFlowError("no data")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    name = f"job_{at.job_id}_{at.component}_{at.role}_{at.party_id}_output_data.tar.gz"
    response = attachment(tar_gz_chunks(directory), name, "application/x-tar")
    response.call_on_close(lambda: shutil.rmtree(directory, ignore_errors=True))
    return response


@_route(api_paths.TRACKING_OUTPUT_DATA_TABLE)
def component_output_data_table():
    at = _component(json_body())
    infos = tracking.output_tables(at.job_id, at.component, at.role, at.party_id)
    if not infos:
        raise FateFlowError("No found table, please check if the parameters are correct")
    return json_result(data=[{"table_name": i.f_table_name, "table_namespace": i.f_table_namespace,
                              "data_name": i.f_data_name} for i in infos])


@_route(api_paths.TRACKING_SUMMARY_DOWNLOAD)
@file_endpoint
def component_summary_download():
    body = json_body()
    at = _component(body)
    summary = tracking.get_summary(at.job_id, at.component, at.role, at.party_id)
    if summary is None:
        raise FateFlowError("No component summary found, please check if arguments are specified correctly.")
    filename = get_plain_filename(body)
    if filename is None:
        return json_result(data=summary)
    return attachment([json.dumps(summary, indent=4).encode()], filename, "application/json")


@_route(api_paths.TRACKING_COMPONENT_LIST)
def component_list():
    return json_result(data={"components": tracking_queries.component_list(_job_id(json_body()))})


def _limit(body: dict, default: int) -> int:
    limit = get_int(body, "limit", default=default)
    if limit == 0:
        raise InvalidParameterError("limit is 0", field="limit")
    if limit < -1:
        raise InvalidParameterError(f"parameter limit must be a number of rows, or -1 for all of them; got {limit}",
                                    field="limit")
    return limit
