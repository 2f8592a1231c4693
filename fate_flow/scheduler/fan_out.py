"""The initiator's commands to the parties of a job: every command goes over federation, even to a party hosted
here, and comes back as one answer per party ({role: {party_id: envelope}})."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from fate_flow.db.models import Job
from fate_flow.entity import messages as msg
from fate_flow.federation import PartyRef
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.plan import plan_of

Results = dict[str, dict[str, dict[str, Any]]]


def initiator_row(job_id: str) -> Job | None:
    return Job.get_or_none(Job.f_job_id == job_id, Job.f_is_initiator == True)  # noqa: E712


def initiator_of(row: Job) -> PartyRef:
    return PartyRef(row.f_initiator_role, row.f_initiator_party_id)


def fan_out(runtime: Runtime, row: Job, command: str, parties: Iterable[tuple[str, str]], message: Any,
            timeout: float | None = None) -> Results:
    """`command` with `message` (of the command's type in entity.messages) to each of `parties`."""
    parties = list(parties)
    if not parties:
        return {}
    refs = [PartyRef(r, p) for r, p in parties]
    return runtime.client.fan_out(command, refs, msg.encode(message), timeout, src=initiator_of(row),
                                  job_id=row.f_job_id)


def failures(results: Results) -> dict[tuple[str, str], dict]:
    return {(role, pid): answer for role, by_pid in results.items() for pid, answer in by_pid.items()
            if answer.get("retcode") != 0}


def describe_failures(failed: Mapping[tuple[str, str], dict]) -> str:
    return "; ".join(f"{role} {pid}: {a.get('retmsg')}" for (role, pid), a in failed.items())


def job_parties(runtime: Runtime, row: Job) -> list[tuple[str, str]]:
    return plan_of(runtime.components, row).all_parties()


def is_job_party(job_id: str, party_id: str, row: Job | None = None) -> bool:
    row = row or initiator_row(job_id)
    return row is not None and any(str(party_id) in {str(p) for p in ids} for ids in (row.f_roles or {}).values())
