"""The input boundary of federation commands: what a partner sends is checked before any handler runs.

A command body is a JSON object signed by the sending party; being signed says who sent it, not that it is
well-formed. Before its handler runs, each command's body is checked as an HTTP body is (entity.json_values:
depth, numbers, strings), its identifier fields (entity.identifiers: job_id, task_id, task_version, role,
party_id, component_name, model_id, model_version...) must be what they name, the fields its handler needs
must be there, and status fields must name a status. A refusal answers retcode 101 naming the field (100 for
missing fields, as FATE does), is written to the audit log with the partner and its server address, and
nothing is written.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from fate_flow.entity import audit, identifiers, messages
from fate_flow.entity.errors import InvalidParameterError, MissingParametersError, ParameterError
from fate_flow.entity.json_values import check_values
from fate_flow.entity.status import JobStatus
from fate_flow.federation import IncomingCommand
from fate_flow.settings import LimitSettings

Handler = Callable[[IncomingCommand], Mapping[str, Any]]

# what each command's handler reads from the body (the required fields of its message); job_id may also come
# as the command's own job id
REQUIRED: Mapping[str, tuple[str, ...]] = {name: messages.required_fields(cls) for name, cls in messages.COMMANDS.items()}
STATUS_FIELDS = ("status", "party_status", "stop_status")
# small integers some handlers read
INT_FIELDS: Mapping[str, tuple[int, int]] = {"progress": (0, 100), "auto_retries": (0, 1000)}
_STATUSES = frozenset(s.value for s in JobStatus)


def check_command(cmd: IncomingCommand, limits: LimitSettings) -> None:
    """Raise a ParameterError naming the first field of `cmd` that is bad (missing ones all at once)."""
    body = cmd.body
    check_values(body, limits.json_depth)
    if cmd.job_id:
        identifiers.JOB_ID.check("job_id", cmd.job_id)
    for side, party in (("src", cmd.src), ("dst", cmd.dst)):  # the roles become directory names too
        if party.role:  # a ping names parties only
            identifiers.ROLE.check(f"{side}.role", party.role)
    identifiers.check_fields(body, limits.id_length)
    missing = [name for name in REQUIRED.get(cmd.command, ())
               if body.get(name) in (None, "") and not (name == "job_id" and cmd.job_id)]
    if missing:
        raise MissingParametersError(missing)
    for name in REQUIRED.get(cmd.command, ()):  # the identifiers a handler reads must be strings or numbers
        value = body.get(name)
        identifier = name in identifiers.FIELDS or name in identifiers.PARTY_ID_FIELDS + identifiers.TASK_VERSION_FIELDS
        if messages.field_kind(messages.COMMANDS[cmd.command], name) is dict:  # load's `role` map is no identifier
            identifier = False
        if identifier and value not in (None, "") and (isinstance(value, bool) or not isinstance(value, (str, int))):
            raise InvalidParameterError(f"parameter {name} must be a string, got {type(value).__name__}", field=name)
    for name in STATUS_FIELDS:
        if body.get(name) is not None and body[name] not in _STATUSES:
            raise InvalidParameterError(f"parameter {name} must be one of {', '.join(sorted(_STATUSES))}, got "
                                        f"{identifiers.shown(body[name])}", field=name)
    description = body.get("description")
    if isinstance(description, str) and len(description) > limits.text_length:
        raise InvalidParameterError(f"parameter description is longer than the limit of {limits.text_length} "
                                    f"characters (limits.text_length)", field="description")
    for name, (low, high) in INT_FIELDS.items():
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise InvalidParameterError(f"parameter {name} must be an integer between {low} and {high}, got "
                                        f"{identifiers.shown(value)}", field=name)


def checked(handler: Handler, limits: LimitSettings) -> Handler:
    """`handler` behind the command boundary."""

    @functools.wraps(handler)
    def run(cmd: IncomingCommand) -> Mapping[str, Any]:
        try:
            check_command(cmd, limits)
        except ParameterError as e:
            audit.refused(client=f"party {cmd.src.role} {cmd.src.party_id} at {cmd.peer or 'an unknown address'}",
                          route=f"command {cmd.command}", reason=e.message, field=getattr(e, "field", None),
                          job_id=cmd.job_id or None)
            return {"retcode": int(e.retcode), "retmsg": e.message}
        return handler(cmd)

    return run
