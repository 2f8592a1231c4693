"""The service side of federation: the commands this server answers for its partners, and the health check
of the routed parties. Later issues register their commands (job create/start/stop...) in
`register_commands`, one line each."""
from __future__ import annotations

import time
from typing import Any, MutableMapping

from fate_flow import __version__
from fate_flow.federation import CommandRegistry, FederationClient, IncomingCommand, federation_settings
from fate_flow.federation.client import PING
from fate_flow.services import command_fields, model_deploy, model_serving, party_commands
from fate_flow.services.context import ServiceContext
from fate_flow.services.disk_space import as_disk_full
from fate_flow.services.job_runtime import JobRuntime
from fate_flow.services.permission_guard import MODEL_COMMANDS, guarded, model_guarded
from fate_flow.settings import PROJECT_ROOT, Settings

# key of the FederationClient in Flask's app.extensions (set by server.py, or made on first use)
EXTENSION = "fate_flow.federation"


def register_commands(registry: CommandRegistry, ctx: ServiceContext, runtime: JobRuntime | None = None) -> None:
    """Every handler behind the command boundary (command_fields): nothing runs on a body that is not checked."""
    registry.explain = lambda e: as_disk_full(e, ctx.settings)
    limits = ctx.settings.limits
    registry.register(PING, command_fields.checked(ping, limits))
    if runtime is None:
        return
    pc = party_commands
    # the command boundary (command_fields.py) first, then what a partner on another server may make our parties
    # do (permission_guard.py)
    guard = (pc.JOB_CREATE, pc.TASK_START, pc.TASK_STOP)
    for name, handler in ((pc.JOB_CREATE, pc.create), (pc.JOB_RESOURCE_APPLY, pc.resource_apply),
                          (pc.JOB_RESOURCE_RETURN, pc.resource_return), (pc.JOB_STATUS_UPDATE, pc.status_update),
                          (pc.TASK_CREATE, pc.task_create), (pc.TASK_START, pc.task_start),
                          (pc.TASK_STOP, pc.task_stop), (pc.TASK_STATUS_UPDATE, pc.task_status_update),
                          (pc.TASK_STATUS, pc.task_status), (pc.TASK_REPORT, pc.task_report),
                          (pc.JOB_STOP, pc.job_stop), (pc.JOB_RERUN, pc.job_rerun),
                          (pc.JOB_STATUS, pc.job_status_query),
                          (model_deploy.MODEL_DEPLOY, model_deploy.deploy_command),
                          (model_serving.MODEL_LOAD, model_serving.load_command)):
        bound = handler(runtime)
        if name in guard:
            bound = guarded(runtime, name, bound)
        elif name in MODEL_COMMANDS:
            bound = model_guarded(runtime, name, bound)
        registry.register(name, command_fields.checked(bound, limits))


def ping(cmd: IncomingCommand) -> dict[str, Any]:
    return {"retcode": 0, "retmsg": "pong",
            "data": {"party_id": cmd.dst.party_id, "from": cmd.src.party_id, "version": __version__,
                     "time_ms": int(time.time() * 1000)}}


def federation_client(extensions: MutableMapping[str, Any], settings: Settings) -> FederationClient:
    """The server's client; an app without the gRPC server (tests, tools) gets one made from the settings."""
    client = extensions.get(EXTENSION)
    if client is None:
        client = extensions.setdefault(EXTENSION,
                                       FederationClient.from_settings(federation_settings(settings, PROJECT_ROOT)))
    return client


def parties_health(client: FederationClient, timeout: float | None = None) -> dict[str, Any]:
    """Which routed parties answer a signed ping, and how fast."""
    parties = client.reachability(timeout)
    return {"local_parties": list(client.fed.local_parties), "site_auth": client.fed.site_auth,
            "parties": parties, "reachable": sorted(p for p, r in parties.items() if r["reachable"]),
            "unreachable": sorted(p for p, r in parties.items() if not r["reachable"])}
