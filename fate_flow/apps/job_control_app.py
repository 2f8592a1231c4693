"""/v1/job: submit, stop, rerun, clean, clean/queue (contract §1.2.1-1.2.3, §1.2.12-13)."""
from flask import Blueprint

from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import get_id, get_str, json_body, require
from fate_flow.entity import api_paths, identifiers
from fate_flow.entity.errors import InvalidParameterError, MissingParametersError
from fate_flow.entity.status import JobStatus
from fate_flow.scheduler import job_control
from fate_flow.apps.context import runtime
from fate_flow.services.jobs import submit as job_submit
from fate_flow.services.jobs.clean import clean_tasks

bp = Blueprint("job_control", __name__)

STOP_STATUSES = (JobStatus.CANCELED.value, JobStatus.FAILED.value, JobStatus.TIMEOUT.value)


@bp.route(api_paths.JOB_SUBMIT.path, methods=api_paths.JOB_SUBMIT.methods)
def submit():
    body = json_body()
    missing = [k for k in ("job_dsl", "job_runtime_conf") if k not in body]
    if missing:
        raise MissingParametersError(missing)
    data = job_submit.submit(runtime(), body["job_dsl"], body["job_runtime_conf"])
    return json_result(data=data, job_id=data["job_id"])


@bp.route(api_paths.JOB_STOP.path, methods=api_paths.JOB_STOP.methods)
def stop():
    body = json_body()
    job_id = get_id(body, "job_id", identifiers.JOB_ID)
    status = get_str(body, "stop_status", default=JobStatus.CANCELED.value)
    if status not in STOP_STATUSES:
        raise InvalidParameterError(f"parameter stop_status must be one of {', '.join(STOP_STATUSES)}, got "
                                    f"{identifiers.shown(status)}", field="stop_status")
    job_control.request_stop(runtime(), job_id, JobStatus(status))
    return json_result(retmsg="stop job on this party True;\nstop job on all party success")


@bp.route(api_paths.JOB_RERUN.path, methods=api_paths.JOB_RERUN.methods)
def rerun():
    body = json_body()
    require(body, "job_id", "component_name")
    job_id = get_id(body, "job_id", identifiers.JOB_ID)
    component = get_id(body, "component_name", identifiers.COMPONENT_NAME)
    return json_result(retmsg="rerun job success", data=job_control.request_rerun(runtime(), job_id, component))


@bp.route(api_paths.JOB_CLEAN.path, methods=api_paths.JOB_CLEAN.methods)
def clean():
    return json_result(data=clean_tasks(json_body()))


@bp.route(api_paths.JOB_CLEAN_QUEUE.path, methods=api_paths.JOB_CLEAN_QUEUE.methods)
def clean_queue():
    return json_result(data=job_control.clean_queue(runtime()))
