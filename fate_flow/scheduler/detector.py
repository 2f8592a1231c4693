"""Party-side watchdog: tasks this server runs whose worker process is gone (pid + start time no longer
match a live process) are failed with the reason and reported like any status; jobs this server takes part
in are checked against their initiator, so no party stays running once the job has ended elsewhere."""
from __future__ import annotations

import logging

from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.entity.status import END_STATUSES, JobStatus
from fate_flow.entity import messages as msg
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.status_updates import PARTY, update_task_status
from fate_flow.services.jobs.party_status import apply_job_status
from fate_flow.services.jobs.schedule_log import job_log
from fate_flow.services.jobs.worker_reports import push_party_status
from fate_flow.worker.launcher import describe_exit, is_alive

LOG = logging.getLogger("fate_flow.detector")

# a task marked running that never got a pid (the server stopped while starting it) is given up after this
NEVER_STARTED_MS = 60_000


class Detector:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._last_reconcile = 0.0

    def run(self, now: float) -> list[str]:
        """Fail the tasks whose worker died; returns their task ids."""
        with DB.obj.connection_context():
            failed = self.detect_dead_workers(now)
            if now - self._last_reconcile >= self.runtime.settings.scheduler.reconcile_interval:
                self._last_reconcile = now
                self.reconcile_with_initiators(now)
        return failed

    def detect_dead_workers(self, now: float) -> list[str]:
        launcher = self.runtime.launcher
        launcher.reap()
        failed = []
        running = Task.select().where(Task.f_run_on_this_party == True,  # noqa: E712
                                      Task.f_party_status == JobStatus.RUNNING.value)
        for task in running:
            if task.f_run_pid is None:
                if now * 1000 - (task.f_update_time or 0) < NEVER_STARTED_MS:
                    continue
                reason = "worker was never started (the server stopped while starting it)"
            elif is_alive(task.f_run_pid, task.f_run_start_time):
                continue
            else:
                code = launcher.exit_code(task.f_run_pid)
                reason = f"worker process {task.f_run_pid} died ({describe_exit(code)}) without reporting"
                launcher.sweep(task.f_run_pid)  # its pools, helpers and JVM go with it
            if update_task_status(task.f_job_id, task.f_task_id, task.f_task_version, task.f_role,
                                  task.f_party_id, JobStatus.FAILED, column=PARTY, fail_reason=reason):
                failed.append(task.f_task_id)
                job_log(self.runtime.settings, task.f_job_id, f"task {task.f_task_id} v{task.f_task_version} of "
                        f"{task.f_role} {task.f_party_id}: {reason}", logging.ERROR)
                push_party_status(self.runtime, task.f_job_id, task.f_task_id, task.f_task_version, task.f_role,
                                  task.f_party_id)
        return failed

    def reconcile_with_initiators(self, now: float) -> int:
        """Unfinished jobs here whose initiator is elsewhere: ask it; apply its end if the job has ended
        (or fail the job if the initiator does not know it). Returns how many jobs were ended."""
        ended = 0
        rows = Job.select().where(Job.f_is_initiator == False,  # noqa: E712
                                  Job.f_status.in_([JobStatus.WAITING.value, JobStatus.RUNNING.value]))
        for row in rows:
            if self.runtime.hosts(row.f_initiator_party_id):
                continue  # the initiator's own scheduler ends it
            answer = self.runtime.client.send_command(
                self.runtime.party(row.f_initiator_role, row.f_initiator_party_id), msg.JOB_STATUS,
                msg.encode(msg.JobRef(row.f_job_id)), src=self.runtime.party(row.f_role, row.f_party_id),
                job_id=row.f_job_id)
            if answer.get("retcode") == 0:
                known = msg.decode(msg.JobStatusAnswer, answer.get("data") or {})
                status, reason = known.status, known.fail_reason
            elif answer.get("retcode") == 102 and now * 1000 - (row.f_create_time or 0) > NEVER_STARTED_MS:
                status, reason = JobStatus.FAILED, "the initiator does not know this job (its submit failed)"
            else:
                continue
            if status in END_STATUSES:
                apply_job_status(self.runtime, row.f_job_id, row.f_role, row.f_party_id, status, reason)
                ended += 1
        return ended
