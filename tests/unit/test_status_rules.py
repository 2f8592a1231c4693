"""The status rules as plain functions: the transition table and how the initiator derives a task's status
from its parties and a job's status and progress from its tasks (contract §4.4)."""
import pytest

from fate_flow.dsl.status_rules import federated_task_status, job_status_of, progress_of
from fate_flow.entity.status import END_STATUSES, JobStatus, can_transition

W, R, S, F, T, C = (JobStatus.WAITING, JobStatus.RUNNING, JobStatus.SUCCESS, JobStatus.FAILED, JobStatus.TIMEOUT,
                    JobStatus.CANCELED)


@pytest.mark.parametrize("old,new,allowed", [
    (W, R, True), (R, S, True), (R, F, True), (W, C, True), (W, T, True),
    (S, R, False), (F, S, False), (R, W, False), (S, F, False), (C, R, False)])
def test_the_transition_table(old, new, allowed):
    assert can_transition(old, new) is allowed
    assert can_transition(old.value, new.value) is allowed


def test_an_ended_status_never_changes_again():
    for end in END_STATUSES:
        assert not any(can_transition(end, other) for other in JobStatus if other != end)


@pytest.mark.parametrize("parties,expected", [
    ([], W), (["waiting", "waiting"], W), (["success", "success", "success"], S),
    (["running", "success"], R), (["waiting", "success"], R), (["waiting", "running"], R),
    (["success", "failed"], F), (["canceled", "timeout"], T), (["canceled", "timeout", "failed"], F),
    (["canceled", "running"], C)])
def test_a_task_is_what_its_parties_agree_on_else_the_strongest_interrupt_else_running(parties, expected):
    assert federated_task_status(parties) == expected


@pytest.mark.parametrize("tasks,expected", [
    ([S, S], S), ([S, R], R), ([S, W], R), ([W], R), ([S, F, R], F), ([C, T], T), ([C, S], C)])
def test_a_job_succeeds_when_every_task_did_and_ends_with_the_strongest_interrupt(tasks, expected):
    assert job_status_of(tasks) == expected


def test_progress_is_the_share_of_tasks_that_succeeded():
    assert progress_of([]) == 0
    assert progress_of([S, R, W]) == 33
    assert progress_of([S, S, F, R]) == 50
    assert progress_of([S, S]) == 100


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError):
        federated_task_status(["done"])
