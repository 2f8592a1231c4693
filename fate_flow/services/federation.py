"""The service side of federation: the commands this server answers for its partners, and the health check
of the routed parties. Later issues register their commands (job create/start/stop...) in
`register_commands`, one line each."""
from __future__ import annotations

import time
from typing import Any, MutableMapping

from fate_flow import __version__
from fate_flow.federation import CommandRegistry, FederationClient, IncomingCommand, federation_settings
from fate_flow.federation.client import PING
from fate_flow.services import model_deploy, model_serving, party_commands
from fate_flow.services.context import ServiceContext
from fate_flow.services.job_runtime import JobRuntime
from fate_flow.services.permission_guard import guarded
from fate_flow.settings import PROJECT_ROOT, Settings

# key of the FederationClient in Flask's app.extensions (set by server.py, or made on first use)
EXTENSION = "fate_flow.federation"


def register_commands(registry: CommandRegistry, ctx: ServiceContext, runtime: JobRuntime | None = None) -> None:
    registry.register(PING, ping)
    if runtime is None:
        return
    pc = party_commands
    # what a partner on another server may make our parties do is checked first (permission_guard.py)
    registry.register(pc.JOB_CREATE, guarded(runtime, pc.JOB_CREATE, pc.create(runtime)))
    registry.register(pc.JOB_RESOURCE_APPLY, pc.resource_apply(runtime))
    registry.register(pc.JOB_RESOURCE_RETURN, pc.resource_return(runtime))
    registry.register(pc.JOB_STATUS_UPDATE, pc.status_update(runtime))
    registry.register(pc.TASK_CREATE, pc.task_create(runtime))
    registry.register(pc.TASK_START, guarded(runtime, pc.TASK_START, pc.task_start(runtime)))
    registry.register(pc.TASK_STOP, guarded(runtime, pc.TASK_STOP, pc.task_stop(runtime)))
    registry.register(pc.TASK_STATUS_UPDATE, pc.task_status_update(runtime))
    registry.register(pc.TASK_STATUS, pc.task_status(runtime))
    registry.register(pc.TASK_REPORT, pc.task_report(runtime))
    registry.register(pc.JOB_STOP, pc.job_stop(runtime))
    registry.register(pc.JOB_RERUN, pc.job_rerun(runtime))
    registry.register(pc.JOB_STATUS, pc.job_status_query(runtime))
    registry.register(model_deploy.MODEL_DEPLOY, model_deploy.deploy_command(runtime))
    registry.register(model_serving.MODEL_LOAD, model_serving.load_command(runtime))


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
