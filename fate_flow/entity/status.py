"""Job and task statuses and the transitions allowed between them (declared data, contract §4.1).

Only the values of JobStatus/TaskStatus are ever shown to clients in `f_status`.
"""
from enum import Enum


class JobStatus(str, Enum):
    WAITING = "waiting"
    RUNNING = "running"
    CANCELED = "canceled"
    TIMEOUT = "timeout"
    FAILED = "failed"
    SUCCESS = "success"

    def __str__(self) -> str:  # so f-strings and str() give the wire value
        return self.value


TaskStatus = JobStatus

END_STATUSES = frozenset({JobStatus.CANCELED, JobStatus.TIMEOUT, JobStatus.FAILED, JobStatus.SUCCESS})
INTERRUPT_STATUSES = frozenset({JobStatus.CANCELED, JobStatus.TIMEOUT, JobStatus.FAILED})

# from-status -> statuses it may move to. End statuses are final.
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.WAITING: frozenset({JobStatus.RUNNING, *INTERRUPT_STATUSES}),
    JobStatus.RUNNING: frozenset(END_STATUSES),
    JobStatus.CANCELED: frozenset(),
    JobStatus.TIMEOUT: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.SUCCESS: frozenset(),
}


def can_transition(old: JobStatus | str, new: JobStatus | str) -> bool:
    return JobStatus(new) in JOB_TRANSITIONS[JobStatus(old)]
