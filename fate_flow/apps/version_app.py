"""/v1/version: answers as soon as the server is up; tools use it as the health check."""
from flask import Blueprint

from fate_flow import __version__
from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import get_int, get_str, json_body
from fate_flow.entity import api_paths
from fate_flow.entity.disk import DiskUsage, size_text
from fate_flow.entity.retcode import RetCode
from fate_flow.model.pipeline import FATE_VERSION
from fate_flow.services.partners import commands as federation
from fate_flow.services.server import disk_space

bp = Blueprint("version", __name__)

# what /v1/version/get reports, as FATE's fate.env does; FATE is the API level we speak
VERSIONS = {"FATE": FATE_VERSION, "FATE_FLOW": __version__, "API": api_paths.API_VERSION}


@bp.route(api_paths.VERSION_GET.path, methods=api_paths.VERSION_GET.methods)
def get_version():
    """The versions, and the server's disks ("disk": free and total bytes, full or not); a full disk is named
    in retmsg (retcode stays 0: the server answers)."""
    module = get_str(json_body(), "module", default=None)
    if module is not None:
        return json_result(data={module: VERSIONS.get(module)})
    disks = disk_space.disk_report(runtime().settings)
    full = disk_space.full_disks(disks)
    message = "success" if not full else "; ".join(
        f"disk full: {DiskUsage(d['mount'], tuple(d['holds']), d['free_bytes'], d['total_bytes']).describe()} "
        f"has {size_text(d['free_bytes'])} free" for d in full)
    return json_result(data={**VERSIONS, "disk": disks}, retmsg=message)


@bp.route(api_paths.VERSION_PARTIES.path, methods=api_paths.VERSION_PARTIES.methods)
def get_parties():
    """Ping every routed party over gRPC; retcode 104 names the ones that did not answer."""
    timeout = get_int(json_body(), "timeout", default=5, minimum=1, maximum=60)
    client = runtime().client
    report = federation.parties_health(client, timeout)
    if not report["unreachable"]:
        return json_result(data=report)
    down = "; ".join(f"party {p} at {report['parties'][p]['address']}: {report['parties'][p]['retmsg']}"
                     for p in report["unreachable"])
    return json_result(RetCode.FEDERATED_ERROR, f"unreachable parties: {down}", data=report)
