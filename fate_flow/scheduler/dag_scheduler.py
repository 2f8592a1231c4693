"""The initiator's DAG scheduler: plain state and rules over the database, one `tick(now)` at a time.

Each tick:
1. waiting jobs, oldest first: reserve cores on every party or on none; a job that does not fit is
   skipped, so it never blocks a later job that does (no head-of-line blocking); a reserved job starts;
   one still waiting past its timeout (counted from submission) ends `timeout`;
2. running jobs: timeout check; each task's federated status from its parties; a failed task with
   retries left gets a new version after `auto_retry_delay`; ready tasks (upstream succeeded) start, at
   most `task_parallelism` at once; the job's status and progress follow from its tasks, and an ended
   job is ended on every party;
3. ended jobs that some party has not acknowledged yet get their end again (every reconcile_interval).

`now` is injected (seconds since the epoch), so tests drive time without sleeping; scheduler/loop.py runs
ticks in a thread.
"""
from __future__ import annotations

import logging
from collections import OrderedDict

from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.dsl.status_rules import federated_task_status, job_status_of, progress_of
from fate_flow.entity.status import END_STATUSES, JobStatus
from fate_flow.entity import messages as msg
from fate_flow.scheduler.fan_out import describe_failures, failures, fan_out, job_parties
from fate_flow.scheduler.job_end import end_job
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs import resources
from fate_flow.services.jobs.local_jobs import LOCAL_ROLE
from fate_flow.services.jobs.status_updates import FEDERATED, PARTY, update_task_status
from fate_flow.services.jobs.party_status import create_task_version, latest_tasks
from fate_flow.services.jobs.plan import plan_of
from fate_flow.services.jobs.plan import JobPlan
from fate_flow.services.jobs.schedule_log import job_log
from fate_flow.services.jobs.worker_reports import apply_party_report

LOG = logging.getLogger("fate_flow.scheduler")

# how long after its end the initiator keeps resending a job's end to parties that missed it
RESEND_WINDOW_S = 3600


class DagScheduler:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.settings = runtime.settings
        self._plans: OrderedDict[str, JobPlan] = OrderedDict()
        self._last_wait_reason: dict[str, str] = {}
        self._last_reconcile: dict[str, float] = {}

    # ------------------------------------------------------------------ the round
    def tick(self, now: float) -> None:
        with DB.obj.connection_context():
            self.start_waiting_jobs(now)
            for row in self._initiator_jobs(JobStatus.RUNNING):
                try:
                    self.schedule_running_job(row, now)
                except Exception:  # one bad job must not stop the others
                    LOG.exception("scheduling job %s failed", row.f_job_id)
                    job_log(self.settings, row.f_job_id, "scheduling round failed; see the server log", logging.ERROR)
            self.reconcile_ended_jobs(now)

    def _initiator_jobs(self, status: JobStatus) -> list[Job]:
        """The jobs this server initiated with `status`; local jobs (upload, download) are run by the request
        that made them, never scheduled."""
        return list(Job.select().where(Job.f_is_initiator == True, Job.f_status == status.value,  # noqa: E712
                                       Job.f_role != LOCAL_ROLE)
                    .order_by(Job.f_create_time, Job.f_job_id))

    def plan(self, row: Job) -> JobPlan:
        plan = self._plans.get(row.f_job_id)
        if plan is None:
            plan = self._plans[row.f_job_id] = plan_of(self.runtime.components, row)
            while len(self._plans) > 512:
                self._plans.popitem(last=False)
        return plan

    # ------------------------------------------------------------------ waiting jobs
    def start_waiting_jobs(self, now: float) -> None:
        for row in self._initiator_jobs(JobStatus.WAITING):
            try:
                self._try_start(row, now)
            except Exception:
                LOG.exception("starting job %s failed", row.f_job_id)

    def _timeout(self, row: Job) -> float:
        params = row.f_runtime_conf_on_party.get("job_parameters") or {}
        return float(params.get("timeout") or self.settings.job_default.timeout)

    def _try_start(self, row: Job, now: float) -> None:
        if row.f_tag == "submit_failed":
            return
        if row.f_cancel_signal:
            end_job(self.runtime, row, JobStatus.CANCELED, "canceled while waiting")
            return
        timeout = self._timeout(row)
        if row.f_create_time and now * 1000 - row.f_create_time > timeout * 1000:  # no job waits forever
            reason = self._last_wait_reason.get(row.f_job_id, "")
            end_job(self.runtime, row, JobStatus.TIMEOUT, f"job waited for cores longer than its timeout of "
                                                          f"{timeout:g}s" + (f" ({reason})" if reason else ""))
            return
        short = self._hosted_shortage(row)
        if short:
            self._waiting(row, short)
            return
        parties = job_parties(self.runtime, row)
        results = fan_out(self.runtime, row, msg.JOB_RESOURCE_APPLY, parties, msg.JobRef(row.f_job_id),
                          timeout=self.settings.scheduler.resource_timeout)
        failed = failures(results)
        if failed:
            granted = [p for p in parties if p not in failed]
            fan_out(self.runtime, row, msg.JOB_RESOURCE_RETURN, granted, msg.JobRef(row.f_job_id),
                    timeout=self.settings.scheduler.resource_timeout)
            self._waiting(row, describe_failures(failed))
            return
        self._last_wait_reason.pop(row.f_job_id, None)
        results = fan_out(self.runtime, row, msg.JOB_STATUS_UPDATE, parties,
                          msg.JobStatusUpdate(row.f_job_id, JobStatus.RUNNING))
        failed = failures(results)
        if failed:
            end_job(self.runtime, row, JobStatus.FAILED, f"cannot start the job on {describe_failures(failed)}")
            return
        job_log(self.settings, row.f_job_id, f"job started: cores reserved on {len(parties)} parties")

    def _hosted_shortage(self, row: Job) -> str:
        """Why the job cannot fit now on a party hosted here (checked before asking anyone), or ''."""
        for party_id in {p for _, p in job_parties(self.runtime, row) if self.runtime.hosts(p)}:
            need = sum(r.f_cores for r in Job.select(Job.f_cores).where(
                Job.f_job_id == row.f_job_id, Job.f_party_id == party_id, Job.f_resource_in_use == False))  # noqa
            if not need:
                continue
            capacity = self.settings.resources.cores_of(party_id)
            free = capacity - resources.cores_in_use(party_id)
            if need > free:
                return f"party {party_id} has {free} of {capacity} cores free, the job needs {need}"
        return ""

    def _waiting(self, row: Job, reason: str) -> None:
        if self._last_wait_reason.get(row.f_job_id) != reason:
            self._last_wait_reason[row.f_job_id] = reason
            job_log(self.settings, row.f_job_id, f"waiting for resources: {reason}")

    # ------------------------------------------------------------------ running jobs
    def schedule_running_job(self, row: Job, now: float) -> None:
        plan = self.plan(row)
        params = row.f_runtime_conf_on_party.get("job_parameters") or {}
        timeout = self._timeout(row)
        if row.f_start_time and now * 1000 - row.f_start_time > timeout * 1000:
            end_job(self.runtime, row, JobStatus.TIMEOUT, f"job ran longer than its timeout of {timeout:g}s")
            return
        view = self._task_view(row.f_job_id)
        self._pull_stale_reports(row, view, now)
        statuses: dict[str, JobStatus] = {}
        pending_retry: set[str] = set()
        for component in plan.dag.order:
            rows = view.get(component, [])
            if not rows:
                continue
            fed = federated_task_status(r.f_party_status for r in rows)
            if any(r.f_status != fed.value for r in rows):
                self._set_federated(row, rows, fed)
            if fed in END_STATUSES and fed != JobStatus.SUCCESS:
                self._stop_leftovers(row, rows, fed)
                if fed == JobStatus.FAILED and not row.f_cancel_signal and min(r.f_auto_retries for r in rows) > 0:
                    pending_retry.add(component)
                    if self._retry_due(row, rows, now, params) and self._retry(row, component, rows, plan):
                        fed = JobStatus.WAITING
            statuses[component] = fed
        self._start_ready_tasks(row, plan, view, statuses, params)
        effective = [JobStatus.RUNNING if c in pending_retry and statuses[c] != JobStatus.WAITING else s
                     for c, s in statuses.items()]
        job_status = job_status_of(effective)
        if job_status in END_STATUSES:
            end_job(self.runtime, row, job_status, self._reason(job_status, view, statuses))
            return
        progress = progress_of(statuses.values())
        if progress > (row.f_progress or 0):
            fan_out(self.runtime, row, msg.JOB_STATUS_UPDATE, job_parties(self.runtime, row),
                    msg.JobStatusUpdate(row.f_job_id, JobStatus.RUNNING, progress=progress))

    def _task_view(self, job_id: str) -> dict[str, list[Task]]:
        """component -> the initiator's rows of its newest version (one per party)."""
        view: dict[str, list[Task]] = {}
        for task in latest_tasks(job_id):
            view.setdefault(task.f_component_name, []).append(task)
        for component, rows in view.items():
            newest = max(r.f_task_version for r in rows)
            view[component] = [r for r in rows if r.f_task_version == newest]
        return view

    def _set_federated(self, row: Job, rows: list[Task], status: JobStatus) -> None:
        """The task's federated status: on the initiator's copies of remote parties here, and on every
        party (hosted here or not) by command."""
        for r in rows:
            if not r.f_run_on_this_party:
                update_task_status(r.f_job_id, r.f_task_id, r.f_task_version, r.f_role, r.f_party_id, status,
                                   column=FEDERATED)
        first = rows[0]
        results = fan_out(self.runtime, row, msg.TASK_STATUS_UPDATE, [(r.f_role, r.f_party_id) for r in rows],
                          msg.TaskStatusUpdate(row.f_job_id, first.f_task_id, first.f_task_version, status))
        failed = failures(results)
        if failed:
            job_log(self.settings, row.f_job_id, f"task {first.f_task_id} status {status.value} not delivered to "
                    f"{describe_failures(failed)}", logging.WARNING)
        for r in rows:
            r.f_status = status.value

    def _stop_leftovers(self, row: Job, rows: list[Task], status: JobStatus) -> None:
        """Parties still running a task that ended badly elsewhere (e.g. waiting for data that will never
        come) are stopped. A remote party's row here may still say waiting while its worker already runs
        (its first report has not come yet): it is stopped too."""
        unfinished = (JobStatus.RUNNING.value, JobStatus.WAITING.value)
        running = [r for r in rows if r.f_party_status == JobStatus.RUNNING.value
                   or (not r.f_run_on_this_party and r.f_party_status in unfinished)]
        if not running:
            return
        bad = [r for r in rows if r.f_party_status == status.value]
        where = ", ".join(f"{r.f_role} {r.f_party_id}" for r in bad)
        reason = f"task {status.value} at {where}" if where else f"task {status.value}"
        first = rows[0]
        results = fan_out(self.runtime, row, msg.TASK_STOP, [(r.f_role, r.f_party_id) for r in running],
                          msg.TaskStop(row.f_job_id, first.f_task_id, first.f_task_version, JobStatus.CANCELED,
                                       reason))
        failed = failures(results)
        for r in running:
            if (r.f_role, r.f_party_id) not in failed and not r.f_run_on_this_party:
                update_task_status(r.f_job_id, r.f_task_id, r.f_task_version, r.f_role, r.f_party_id,
                                   JobStatus.CANCELED, column=PARTY, fail_reason=reason)
            r.f_party_status = JobStatus.CANCELED.value

    def _retry_due(self, row: Job, rows: list[Task], now: float, params: dict) -> bool:
        if any(r.f_party_status == JobStatus.RUNNING.value for r in rows):
            return False
        delay = float(params.get("auto_retry_delay", self.settings.job_default.auto_retry_delay) or 0)
        ended = max((r.f_end_time or r.f_update_time or 0) for r in rows)
        return now * 1000 >= ended + delay * 1000

    def _retry(self, row: Job, component: str, rows: list[Task], plan: JobPlan) -> bool:
        """A new version of a failed task, once every party confirmed that nothing of the failed one still
        runs there (False, and nothing created, while a party has not)."""
        first = rows[0]
        version = first.f_task_version + 1
        parties = [(r.f_role, r.f_party_id) for r in rows]
        stopped = fan_out(self.runtime, row, msg.TASK_STOP, parties, msg.TaskStop(
            row.f_job_id, first.f_task_id, first.f_task_version, JobStatus.CANCELED,
            f"stopped before retrying as version {version}"))
        unconfirmed = failures(stopped)
        if unconfirmed:
            job_log(self.settings, row.f_job_id, f"retry of task {first.f_task_id} waits: cannot stop version "
                    f"{first.f_task_version} on {describe_failures(unconfirmed)}", logging.WARNING)
            return False
        for r in rows:  # the initiator's rows of remote parties follow what those parties just did
            if not r.f_run_on_this_party and r.f_party_status in (JobStatus.RUNNING.value, JobStatus.WAITING.value):
                update_task_status(r.f_job_id, r.f_task_id, r.f_task_version, r.f_role, r.f_party_id,
                                   JobStatus.CANCELED, column=PARTY,
                                   fail_reason=f"stopped before retrying as version {version}")
        retries = min(r.f_auto_retries for r in rows) - 1
        reasons = "; ".join(f"{r.f_role} {r.f_party_id}: {r.f_fail_reason}" for r in rows if r.f_fail_reason)
        job_log(self.settings, row.f_job_id, f"task {first.f_task_id} failed ({reasons or 'no reason given'}); "
                f"retrying as version {version} ({retries} retries left after this one)", logging.WARNING)
        create = msg.TaskCreate(row.f_job_id, component, first.f_task_id, version, retries)
        results = fan_out(self.runtime, row, msg.TASK_CREATE, [(r.f_role, r.f_party_id) for r in rows], create)
        for r in rows:
            if not r.f_run_on_this_party:
                create_task_version(row.f_job_id, component, first.f_task_id, version, r.f_role, r.f_party_id,
                                    retries, run_here=False)
        failed = failures(results)
        if failed:
            job_log(self.settings, row.f_job_id, f"retry of {first.f_task_id} not created on "
                    f"{describe_failures(failed)}", logging.ERROR)
        return True

    def _start_ready_tasks(self, row: Job, plan: JobPlan, view: dict[str, list[Task]],
                           statuses: dict[str, JobStatus], params: dict) -> None:
        if row.f_cancel_signal:
            return
        parallelism = max(1, int(params.get("task_parallelism") or 1))
        running = sum(1 for s in statuses.values() if s == JobStatus.RUNNING)
        for component in plan.dag.order:
            if running >= parallelism:
                return
            if statuses.get(component) != JobStatus.WAITING:
                continue
            if not all(statuses.get(up) == JobStatus.SUCCESS for up in plan.dag.upstream[component]):
                continue
            rows = self._task_view(row.f_job_id).get(component, [])  # a retry may have made a new version
            if not rows or any(r.f_party_status != JobStatus.WAITING.value for r in rows):
                continue
            self._start_task(row, rows)
            statuses[component] = JobStatus.RUNNING
            running += 1

    def _start_task(self, row: Job, rows: list[Task]) -> None:
        first = rows[0]
        self._set_federated(row, rows, JobStatus.RUNNING)
        results = fan_out(self.runtime, row, msg.TASK_START, [(r.f_role, r.f_party_id) for r in rows],
                          msg.TaskRef(row.f_job_id, first.f_task_id, first.f_task_version, first.f_component_name))
        failed = failures(results)
        for r in rows:
            answer = failed.get((r.f_role, r.f_party_id))
            if answer is None:
                continue
            reason = f"cannot start at {r.f_role} {r.f_party_id}: {answer.get('retmsg')}"
            # the party marks its own row; a party that could not be reached is marked here
            update_task_status(r.f_job_id, r.f_task_id, r.f_task_version, r.f_role, r.f_party_id,
                               JobStatus.FAILED, column=PARTY, fail_reason=reason)
            job_log(self.settings, row.f_job_id, f"task {r.f_task_id}: {reason}", logging.ERROR)
        if failed:
            self.runtime.notify()

    def _pull_stale_reports(self, row: Job, view: dict[str, list[Task]], now: float) -> None:
        """Ask remote parties for task statuses whose push has not come for a while (a lost report)."""
        stale_ms = self.settings.scheduler.reconcile_interval * 1000
        for rows in view.values():
            for r in rows:
                if r.f_run_on_this_party or r.f_party_status != JobStatus.RUNNING.value:
                    continue
                if now * 1000 - (r.f_update_time or 0) < stale_ms:
                    continue
                answer = self.runtime.client.send_command(
                    self.runtime.party(r.f_role, r.f_party_id), msg.TASK_STATUS,
                    msg.encode(msg.TaskRef(r.f_job_id, r.f_task_id, r.f_task_version)),
                    src=self.runtime.party(row.f_initiator_role, row.f_initiator_party_id), job_id=r.f_job_id)
                if answer.get("retcode") == 0:
                    apply_party_report(msg.decode(msg.PartyTaskStatus, answer["data"]))
                Task.update(f_update_time=int(now * 1000)).where(
                    Task.f_job_id == r.f_job_id, Task.f_task_id == r.f_task_id,
                    Task.f_task_version == r.f_task_version, Task.f_role == r.f_role,
                    Task.f_party_id == r.f_party_id, Task.f_party_status == JobStatus.RUNNING.value).execute()
                r.f_party_status = Task.get(Task.f_job_id == r.f_job_id, Task.f_task_id == r.f_task_id,
                                            Task.f_task_version == r.f_task_version, Task.f_role == r.f_role,
                                            Task.f_party_id == r.f_party_id).f_party_status

    @staticmethod
    def _reason(status: JobStatus, view: dict[str, list[Task]], statuses: dict[str, JobStatus]) -> str | None:
        if status == JobStatus.SUCCESS:
            return None
        for component, s in statuses.items():
            if s == status:
                rows = view.get(component, [])
                details = "; ".join(f"{r.f_role} {r.f_party_id}: {r.f_fail_reason}" for r in rows
                                    if r.f_party_status == status.value and r.f_fail_reason)
                return f"task {component} {status.value}" + (f" at {details}" if details else "")
        return None

    # ------------------------------------------------------------------ ended jobs
    def reconcile_ended_jobs(self, now: float) -> None:
        """Resend the end to jobs that ended within the last RESEND_WINDOW_S and that some party has not
        acknowledged (it was unreachable); later, that party's detector asks for it (reconcile_with_initiators)."""
        unsettled = (Job.select().where(Job.f_is_initiator == True, Job.f_status.in_([s.value for s in END_STATUSES]),  # noqa
                                        Job.f_end_scheduling_updates == 0, Job.f_tag != "submit_failed",
                                        Job.f_end_time >= int((now - RESEND_WINDOW_S) * 1000)))
        for row in unsettled:
            if now - self._last_reconcile.get(row.f_job_id, 0) < self.settings.scheduler.reconcile_interval:
                continue
            self._last_reconcile[row.f_job_id] = now
            try:
                end_job(self.runtime, row, JobStatus(row.f_status), row.f_fail_reason)
            except Exception:
                LOG.exception("resending the end of job %s failed", row.f_job_id)
