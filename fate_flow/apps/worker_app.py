"""/v1/worker/task/...: a task's worker reporting to its own server (status, output tables, metrics,
model buffers, summary) and reading an upstream model."""
from flask import Blueprint, request

from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import json_body
from fate_flow.entity import api_paths, audit, messages
from fate_flow.entity.errors import AuthenticationError, ParameterError
from fate_flow.entity.worker_secret import WORKER_SECRET_HEADER
from fate_flow.apps.context import runtime
from fate_flow.services.jobs import worker_reports as task_reports

bp = Blueprint("worker", __name__)


@bp.before_request
def _only_its_worker():
    """Every /v1/worker/* request must come from the worker launched for the task version it names."""
    secret = request.headers.get(WORKER_SECRET_HEADER)
    try:
        body = {}
        if secret:  # no body is read for a caller without one
            try:
                body = json_body()
            except ParameterError:
                pass
        task_reports.check_worker_secret(body, secret)
    except AuthenticationError as e:
        audit.refused(client=request.remote_addr or "", route=request.path, reason=e.message)
        raise


@bp.route(api_paths.WORKER_TASK_STATUS.path, methods=api_paths.WORKER_TASK_STATUS.methods)
def task_status():
    return json_result(data=task_reports.report_status(runtime(), messages.decode(messages.WorkerTaskStatus, json_body())))


@bp.route(api_paths.WORKER_TASK_OUTPUT_TABLE.path, methods=api_paths.WORKER_TASK_OUTPUT_TABLE.methods)
def task_output_table():
    return json_result(data=task_reports.report_output_table(messages.decode(messages.WorkerOutputTable, json_body())))


@bp.route(api_paths.WORKER_TASK_METRIC.path, methods=api_paths.WORKER_TASK_METRIC.methods)
def task_metric():
    return json_result(data=task_reports.report_metric(messages.decode(messages.WorkerMetric, json_body())))


@bp.route(api_paths.WORKER_TASK_MODEL.path, methods=api_paths.WORKER_TASK_MODEL.methods)
def task_model():
    return json_result(data=task_reports.report_model(runtime(), messages.decode(messages.WorkerModel, json_body())))


@bp.route(api_paths.WORKER_TASK_MODEL_GET.path, methods=api_paths.WORKER_TASK_MODEL_GET.methods)
def task_model_get():
    return json_result(data=task_reports.get_model(runtime(), messages.decode(messages.WorkerModelGet, json_body())))


@bp.route(api_paths.WORKER_TASK_SUMMARY.path, methods=api_paths.WORKER_TASK_SUMMARY.methods)
def task_summary():
    return json_result(data=task_reports.report_summary(messages.decode(messages.WorkerSummary, json_body())))
