"""The service side of federation: the commands this server answers for its partners (a party's side of a job,
deploy, load; the initiator's job.stop and job.rerun are the scheduler's), and the health check of the routed
parties."""
from __future__ import annotations

from typing import Any, Callable

from fate_flow import __version__
from fate_flow.entity.clock import Clock
from fate_flow.entity import messages as msg
from fate_flow.federation import CommandRegistry, FederationClient, IncomingCommand
from fate_flow.federation.client import PING
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs import party_commands
from fate_flow.services.models import deploy as model_deploy, publish as model_serving
from fate_flow.services.partners import command_boundary as command_fields
from fate_flow.services.partners.permission_guard import MODEL_COMMANDS, guarded, model_guarded
from fate_flow.services.server.disk_space import as_disk_full



def register_commands(registry: CommandRegistry, runtime: Runtime) -> None:
    """Every handler behind the command boundary (command_fields): nothing runs on a body that is not checked."""
    registry.explain = lambda e: as_disk_full(e, runtime.settings)
    limits = runtime.settings.limits
    registry.register(PING, command_fields.checked(ping(runtime.clock), limits))
    pc = party_commands
    # the command boundary (command_boundary.py) first, then what a partner on another server may make our parties
    # do (permission_guard.py)
    guard = (msg.JOB_CREATE, msg.TASK_START, msg.TASK_STOP)
    for name, handler in ((msg.JOB_CREATE, pc.create), (msg.JOB_RESOURCE_APPLY, pc.resource_apply),
                          (msg.JOB_RESOURCE_RETURN, pc.resource_return), (msg.JOB_STATUS_UPDATE, pc.status_update),
                          (msg.TASK_CREATE, pc.task_create), (msg.TASK_START, pc.task_start),
                          (msg.TASK_STOP, pc.task_stop), (msg.TASK_STATUS_UPDATE, pc.task_status_update),
                          (msg.TASK_STATUS, pc.task_status), (msg.TASK_REPORT, pc.task_report),
                          (msg.JOB_STATUS, pc.job_status_query),
                          (msg.MODEL_DEPLOY, model_deploy.deploy_command),
                          (msg.MODEL_LOAD, model_serving.load_command)):
        bound = handler(runtime)
        if name in guard:
            bound = guarded(runtime, name, bound)
        elif name in MODEL_COMMANDS:
            bound = model_guarded(runtime, name, bound)
        registry.register(name, command_fields.checked(bound, limits))


def ping(clock: Clock) -> Callable[[IncomingCommand], dict[str, Any]]:
    def answer(cmd: IncomingCommand) -> dict[str, Any]:
        return {"retcode": 0, "retmsg": "pong",
                "data": {"party_id": cmd.dst.party_id, "from": cmd.src.party_id, "version": __version__,
                         "time_ms": clock.now_ms()}}
    return answer


def parties_health(client: FederationClient, timeout: float | None = None) -> dict[str, Any]:
    """Which routed parties answer a signed ping, and how fast."""
    parties = client.reachability(timeout)
    return {"local_parties": list(client.fed.local_parties), "site_auth": client.fed.site_auth,
            "parties": parties, "reachable": sorted(p for p, r in parties.items() if r["reachable"]),
            "unreachable": sorted(p for p, r in parties.items() if not r["reachable"])}
