"""The commands a party's server sends the job's initiator to stop or rerun it (its /v1/job/stop and
/v1/job/rerun), handled by the initiator's job control."""
from __future__ import annotations

from fate_flow.entity import messages as msg
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.federation import CommandRegistry, IncomingCommand
from fate_flow.scheduler.fan_out import is_job_party
from fate_flow.scheduler.job_control import rerun_job, stop_job
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.party_commands import job_row, message, ok, with_db
from fate_flow.services.partners import command_boundary as command_fields


def register_commands(registry: CommandRegistry, runtime: Runtime) -> None:
    """job.stop and job.rerun behind the command boundary (services/partners/command_boundary.py)."""
    for name, handler in ((msg.JOB_STOP, job_stop), (msg.JOB_RERUN, job_rerun)):
        registry.register(name, command_fields.checked(handler(runtime), runtime.settings.limits))


@with_db
def job_stop(runtime: Runtime, cmd: IncomingCommand) -> dict:
    stop = message(msg.JobStop, cmd)
    row = job_row(cmd, stop.job_id)
    if not is_job_party(row.f_job_id, cmd.src.party_id, row):
        raise FateFlowError(f"{cmd.src} is not a party of job {row.f_job_id}", retcode=RetCode.OPERATING_ERROR)
    reason = stop.reason or f"stopped at the request of {cmd.src}"
    return ok(stop_job(runtime, row.f_job_id, stop.stop_status, reason))


@with_db
def job_rerun(runtime: Runtime, cmd: IncomingCommand) -> dict:
    rerun = message(msg.JobRerun, cmd)
    row = job_row(cmd, rerun.job_id)
    if not is_job_party(row.f_job_id, cmd.src.party_id, row):
        raise FateFlowError(f"{cmd.src} is not a party of job {row.f_job_id}", retcode=RetCode.OPERATING_ERROR)
    return ok(rerun_job(runtime, row.f_job_id, rerun.component_name or ""))
