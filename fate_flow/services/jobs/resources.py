"""Cores of a hosted party, reserved per job (contract §4.6, without an engine registry table): a job's row
holds the cores it needs (`f_cores`, set at create) and `f_resource_in_use` while it holds them; a party's
free cores are its configured cores minus those of its rows in use. Apply and return are one transaction
each, so two jobs never take the same cores."""
from __future__ import annotations

from fate_flow.db.base import now_ms, write_transaction
from fate_flow.db.models import Job
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.settings import Settings


class ResourceUnavailable(FateFlowError):
    retcode = RetCode.OPERATING_ERROR


def cores_in_use(party_id: str) -> int:
    return sum(r.f_cores for r in Job.select(Job.f_cores).where(Job.f_party_id == str(party_id),
                                                              Job.f_resource_in_use == True))  # noqa: E712


def apply(settings: Settings, job_id: str, role: str, party_id: str) -> dict:
    """Reserve the job's cores on this party, or raise ResourceUnavailable saying how many are free."""
    with write_transaction():
        row = Job.get_or_none(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id))
        if row is None:
            raise FateFlowError(f"job {job_id} does not exist on {role} party {party_id}", retcode=RetCode.DATA_ERROR)
        if row.f_resource_in_use:
            return {"cores": row.f_cores}
        capacity = settings.resources.cores_of(party_id)
        used = cores_in_use(party_id)
        if used + row.f_cores > capacity:
            raise ResourceUnavailable(f"apply for job {job_id} resource failed: {role} party {party_id} has "
                                      f"{capacity - used} of {capacity} cores free, the job needs {row.f_cores}")
        Job.update(f_resource_in_use=True, f_remaining_cores=row.f_cores, f_apply_resource_time=now_ms(),
                   **Job.audit_values(create=False)).where(
            Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id)).execute()
    return {"cores": row.f_cores}


def release(job_id: str, role: str, party_id: str) -> bool:
    """Give the job's cores back; False when it held none."""
    return Job.update(f_resource_in_use=False, f_remaining_cores=0, f_return_resource_time=now_ms(),
                      **Job.audit_values(create=False)).where(
        Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id),
        Job.f_resource_in_use == True).execute() == 1  # noqa: E712
