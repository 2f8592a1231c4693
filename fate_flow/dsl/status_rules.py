"""How the initiator derives a task's status from its parties and a job's status from its tasks
(contract §4.4), as plain functions of statuses."""
from __future__ import annotations

from typing import Iterable

from fate_flow.entity.status import JobStatus

# which interrupt wins when parties (or tasks) disagree
_INTERRUPT_ORDER = (JobStatus.FAILED, JobStatus.TIMEOUT, JobStatus.CANCELED)


def federated_task_status(party_statuses: Iterable[str]) -> JobStatus:
    """All parties agree -> that; any interrupt -> the strongest (failed > timeout > canceled); otherwise
    some party runs or finished while another has not -> running."""
    statuses = {JobStatus(s) for s in party_statuses}
    if not statuses:
        return JobStatus.WAITING
    if len(statuses) == 1:
        return statuses.pop()
    for status in _INTERRUPT_ORDER:
        if status in statuses:
            return status
    return JobStatus.RUNNING


def job_status_of(task_statuses: Iterable[JobStatus]) -> JobStatus:
    """success when every task succeeded; the strongest interrupt when a task ended badly (for good: tasks
    waiting for a retry are passed in as running); running otherwise."""
    statuses = set(task_statuses)
    if statuses == {JobStatus.SUCCESS}:
        return JobStatus.SUCCESS
    for status in _INTERRUPT_ORDER:
        if status in statuses:
            return status
    return JobStatus.RUNNING


def progress_of(task_statuses: Iterable[JobStatus]) -> int:
    statuses = list(task_statuses)
    if not statuses:
        return 0
    return int(100 * sum(1 for s in statuses if s == JobStatus.SUCCESS) / len(statuses))
