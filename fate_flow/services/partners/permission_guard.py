"""The partner permission checks in front of the federation commands that make our parties work for a
partner: `job.create`, `task.start` (run) and `task.stop` (stop) against the partner's grants, and `model.deploy`
and `model.load` of one of our models only for a partner that was a party of the model. A refusal answers
retcode 108 naming the partner and what it lacks, and is written to the audit log with the partner's party and
server address."""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from fate_flow.components.registry import ComponentRegistry
from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.dsl.model_id import model_id_parties
from fate_flow.entity import audit
from fate_flow.entity import messages as msg
from fate_flow.entity.errors import PermissionDeniedError
from fate_flow.federation import IncomingCommand
from fate_flow.services.jobs.plan import plan_job, plan_of
from fate_flow.services.partners import permissions
from fate_flow.services.partners.permissions import Needs
from fate_flow.services.runtime import Runtime

CommandHandler = Callable[[IncomingCommand], Mapping[str, Any]]


def guarded(runtime: Runtime, command: str, handler: CommandHandler) -> CommandHandler:
    """`handler` behind the check of `command` (job.create, task.start or task.stop)."""
    needs_of = {msg.JOB_CREATE: _create_needs, msg.TASK_START: _task_needs(permissions.RUN),
                msg.TASK_STOP: _task_needs(permissions.STOP)}[command]

    @functools.wraps(handler)
    def run(cmd: IncomingCommand) -> Mapping[str, Any]:
        if runtime.settings.permission.enabled and not runtime.hosts(cmd.src.party_id):
            with DB.obj.connection_context():
                found = needs_of(runtime.components, cmd)
                if found is not None:
                    _check(runtime, cmd, *found)
        return handler(cmd)
    return run


def model_guarded(runtime: Runtime, command: str, handler: CommandHandler) -> CommandHandler:
    """`handler` (model.deploy or model.load) refused unless the partner is one of the parties the model id
    names: a partner cannot deploy or load into our serving a model it had no part in."""
    @functools.wraps(handler)
    def run(cmd: IncomingCommand) -> Mapping[str, Any]:
        partner = cmd.src.party_id
        if runtime.settings.permission.enabled and not runtime.hosts(partner):
            body = cmd.body
            params = body.get("job_parameters") if command == msg.MODEL_LOAD else body
            model_id = params.get("model_id") if isinstance(params, Mapping) else None
            if isinstance(model_id, str) and partner not in model_id_parties(model_id):
                address = partner_address(runtime, partner)
                error = PermissionDeniedError(
                    f"permission denied: {cmd.src.role} {partner} (server {address}) is not a party of model "
                    f"{model_id}; {command} refused on {cmd.dst.role} {cmd.dst.party_id}")
                audit.refused(client=f"party {partner} ({address})", route=command, reason=error.message,
                              party=cmd.dst.party_id)
                raise error
        return handler(cmd)
    return run


MODEL_COMMANDS = (msg.MODEL_DEPLOY, msg.MODEL_LOAD)


def _create_needs(components: ComponentRegistry, cmd: IncomingCommand) -> tuple[Needs, str] | None:
    body = cmd.body
    plan = plan_job(components, body.get("dsl"), body.get("runtime_conf"), train_runtime_conf=body.get("train_runtime_conf") or {})
    roles = plan.conf.roles
    if cmd.dst.role not in roles or int(cmd.dst.party_id) not in roles[cmd.dst.role]:
        return None  # the handler refuses a party that is not in the job
    return permissions.job_needs(plan, cmd.dst.role, cmd.dst.party_id), f"create job {body.get('job_id')}"


def _task_needs(command: str) -> Callable[[ComponentRegistry, IncomingCommand], tuple[Needs, str] | None]:
    def needs(components: ComponentRegistry, cmd: IncomingCommand) -> tuple[Needs, str] | None:
        body = cmd.body
        try:
            key = (str(body["job_id"]), str(body["task_id"]), int(body["task_version"]))
        except (KeyError, TypeError, ValueError):
            return None  # the handler names the bad field
        task = Task.get_or_none(Task.f_job_id == key[0], Task.f_task_id == key[1], Task.f_task_version == key[2],
                                Task.f_role == cmd.dst.role, Task.f_party_id == cmd.dst.party_id)
        job = Job.get_or_none(Job.f_job_id == key[0], Job.f_role == cmd.dst.role, Job.f_party_id == cmd.dst.party_id)
        if task is None or job is None:
            return Needs(roles={cmd.dst.role}, commands={command}), f"{command} task {key[1]}"
        plan = plan_of(components, job)
        return (permissions.task_needs(plan, task.f_component_name, cmd.dst.role, cmd.dst.party_id, command),
                f"{command} task {key[1]}")
    return needs


def _check(runtime: Runtime, cmd: IncomingCommand, needs: Needs, action: str) -> None:
    partner, partner_role = cmd.src.party_id, cmd.src.role
    lacking = permissions.missing(partner, partner_role, needs)
    if not lacking:
        return
    address = partner_address(runtime, partner)
    error = permissions.denial(lacking, partner, partner_role, address, action, cmd.dst.role, cmd.dst.party_id)
    audit.refused(client=f"party {partner} ({address})", route=cmd.command, reason=error.message,
                  job_id=cmd.body.get("job_id") or cmd.job_id or None, party=cmd.dst.party_id)
    raise error


def partner_address(runtime: Runtime, party_id: str) -> str:
    route = runtime.client.fed.routes.get(str(party_id))
    return route.address if route is not None else "not in the route table"
