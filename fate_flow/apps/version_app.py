"""/v1/version: answers as soon as the server is up; tools use it as the health check."""
from flask import Blueprint

from fate_flow import __version__
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import get_str, json_body
from fate_flow.entity import api_paths

bp = Blueprint("version", __name__)

# what /v1/version/get reports, as FATE's fate.env does; FATE is the API level we speak
VERSIONS = {"FATE": "1.6.1", "FATE_FLOW": __version__, "API": api_paths.API_VERSION}


@bp.route(api_paths.VERSION_GET.path, methods=api_paths.VERSION_GET.methods)
def get_version():
    module = get_str(json_body(), "module", default=None)
    if module is None:
        return json_result(data=dict(VERSIONS))
    return json_result(data={module: VERSIONS.get(module)})
