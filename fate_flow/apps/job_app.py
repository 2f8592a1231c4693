"""/v1/job: what exists so far is the query of job rows (upload/download run as local jobs)."""
from flask import Blueprint

from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import json_body
from fate_flow.entity import api_paths
from fate_flow.services import jobs

bp = Blueprint("job", __name__)


@bp.route(api_paths.JOB_QUERY.path, methods=api_paths.JOB_QUERY.methods)
def query_job():
    rows = jobs.query_jobs(json_body())
    if not rows:
        return json_result(retmsg="no job could be found", data=[])
    return json_result(data=rows)
