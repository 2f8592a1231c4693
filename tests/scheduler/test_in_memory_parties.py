"""The scheduler alone: a three-party job from submit to success on a fake clock, with the parties' servers in
memory (commands go straight to the command registry, no gRPC), workers played by the test (no subprocess) and
no HTTP. Every time the server writes comes from the fake clock."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

import pytest

from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.entity import messages as msg
from fate_flow.entity.clock import Clock
from fate_flow.entity.status import JobStatus
from fate_flow.federation import CommandRegistry, IncomingCommand, PartyRef, federation_settings
from fate_flow.scheduler import commands as initiator_commands
from fate_flow.scheduler.dag_scheduler import DagScheduler
from fate_flow.services.jobs import submit as job_submit, worker_reports
from fate_flow.services.partners import commands as partner_commands
from fate_flow.services.server.startup import build_runtime
from fate_flow.settings import PROJECT_ROOT
from fate_flow.worker.launcher import WorkerHandle
from tests.conftest import make_settings
from tests.scheduler.flow import dsl_conf, write_conf

GUEST, HOST, ARBITER = 9999, 10000, 10001
START = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC


class FakeClock(Clock):
    def __init__(self, start: float):
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class InMemoryParties:
    """The federation client of a server that hosts every party of the job: a command is dispatched to the
    server's own registry, on a thread of its own as the gRPC server would (so the handler gets its own
    database connection), and its body goes through JSON as on the wire."""

    def __init__(self, fed) -> None:
        self.fed = fed
        self.registry = CommandRegistry()
        self.sent: list[str] = []

    def send_command(self, party: PartyRef, command: str, body: Mapping[str, Any] | None = None,
                     timeout: float | None = None, *, src: PartyRef | None = None, job_id: str = "",
                     verb: str = "POST") -> dict[str, Any]:
        self.sent.append(command)
        incoming = IncomingCommand(command, json.loads(json.dumps(dict(body or {}))), src or PartyRef("", GUEST),
                                   party, job_id, verb)
        answer: list[dict] = []
        thread = threading.Thread(target=lambda: answer.append(self.registry.dispatch(incoming)))
        thread.start()
        thread.join(10)
        return json.loads(json.dumps(answer[0]))

    def fan_out(self, command: str, parties: Iterable[PartyRef], body: Mapping[str, Any] | None = None,
                timeout: float | None = None, *, src: PartyRef | None = None, job_id: str = "",
                bodies: Mapping[PartyRef, Mapping[str, Any]] | None = None, verb: str = "POST") -> dict:
        results: dict[str, dict[str, dict]] = {}
        for party in parties:
            results.setdefault(party.role, {})[party.party_id] = self.send_command(
                party, command, (bodies or {}).get(party, body), timeout, src=src, job_id=job_id, verb=verb)
        return results

    def close(self) -> None:
        pass


class PlayedWorkers:
    """A launcher that starts no process: it keeps each task's spec and secret so the test can play the
    worker and report what it did, as a worker reports to its own server."""

    def __init__(self) -> None:
        self.launched: list[tuple[dict, str]] = []

    def launch(self, spec_path: Path, log_path: Path, cwd: Path, secret: str) -> WorkerHandle:
        self.launched.append((json.loads(spec_path.read_text(encoding="utf-8")), secret))
        return WorkerHandle(pid=100_000 + len(self.launched), start_time=START)

    def kill(self, pid, start_time, grace=None) -> bool:
        return True

    def kill_all(self, workers) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def server(tmp_path):
    conf = write_conf(tmp_path, party_ids=(GUEST, HOST, ARBITER), scheduler={"enabled": False})
    settings = make_settings(tmp_path / "home", conf)
    clock = FakeClock(START)
    parties = InMemoryParties(federation_settings(settings, PROJECT_ROOT))
    workers = PlayedWorkers()
    runtime = build_runtime(settings, clock=clock, client=parties, launcher=workers)
    partner_commands.register_commands(parties.registry, runtime)
    initiator_commands.register_commands(parties.registry, runtime)
    yield runtime, clock, parties, workers
    runtime.close()
    DB.obj.close()


def play_workers(runtime, workers: PlayedWorkers, done: set) -> None:
    """Every launched task that has not reported yet: its output tables, then success."""
    for spec, secret in workers.launched:
        key = (spec["task_id"], spec["role"], spec["party_id"])
        if key in done:
            continue
        done.add(key)
        task = {k: spec[k] for k in ("job_id", "task_id", "task_version", "role", "party_id")}
        worker_reports.check_worker_secret(task, secret)
        with DB.obj.connection_context():
            for data_name in spec["output_data"]:
                worker_reports.report_output_table(msg.WorkerOutputTable(
                    **task, data_name=data_name, namespace=spec["output_namespace"],
                    name=f"{spec['component_name']}_{spec['role']}_{data_name}",
                    address={"storage_type": "standalone", "path": "played"}))
            worker_reports.report_status(runtime, msg.WorkerTaskStatus(**task, status=JobStatus.SUCCESS))


def test_a_three_party_job_runs_from_submit_to_success_on_a_fake_clock(server):
    runtime, clock, parties, workers = server
    dsl, conf = dsl_conf({"step_0": {"module": "TestStep", "output": {"data": ["data"]}},
                          "add_0": {"module": "TestAdd", "input": {"data": {"data": ["step_0.data"]}},
                                    "output": {"data": ["data"]}}},
                         guest=GUEST, hosts=(HOST,), params={"step_0": {"rows": 3}})
    conf["role"]["arbiter"] = [ARBITER]
    started = time.perf_counter()

    answer = job_submit.submit(runtime, dsl, conf)
    job_id = answer["job_id"]
    scheduler, done, rounds = DagScheduler(runtime), set(), 0
    while rounds < 20:
        rounds += 1
        clock.advance(1)
        scheduler.tick(clock.time())
        play_workers(runtime, workers, done)
        with DB.obj.connection_context():
            if Job.get(Job.f_job_id == job_id, Job.f_role == "guest").f_status == JobStatus.SUCCESS.value:
                break
    elapsed = time.perf_counter() - started

    with DB.obj.connection_context():
        jobs = {(j.f_role, j.f_party_id): j for j in Job.select().where(Job.f_job_id == job_id)}
        tasks = list(Task.select().where(Task.f_job_id == job_id))
    assert {k: j.f_status for k, j in jobs.items()} == {
        ("guest", str(GUEST)): "success", ("host", str(HOST)): "success", ("arbiter", str(ARBITER)): "success"}
    assert sorted((t.f_component_name, t.f_role, t.f_status) for t in tasks) == [
        ("add_0", "guest", "success"), ("add_0", "host", "success"),
        ("step_0", "arbiter", "success"), ("step_0", "guest", "success"), ("step_0", "host", "success")]
    # the DAG's order: add_0 started only once step_0 had succeeded, with step_0's table as its input
    order = [spec["component_name"] for spec, _ in workers.launched]
    assert order[:3] == ["step_0"] * 3 and order[3:] == ["add_0"] * 2
    add_inputs = [spec["input_data"]["data"][0]["name"] for spec, _ in workers.launched[3:]]
    assert sorted(add_inputs) == ["step_0_guest_data", "step_0_host_data"]
    # every time written is the fake clock's, in whole seconds after START
    guest = jobs[("guest", str(GUEST))]
    for stamp in (guest.f_create_time, guest.f_start_time, guest.f_end_time, *(t.f_end_time for t in tasks)):
        assert (stamp - START * 1000) % 1000 == 0 and START * 1000 <= stamp <= clock.time() * 1000
    assert job_id.startswith(runtime.clock.local_datetime().strftime("%Y%m%d"))
    # so are the times of the job's schedule log
    schedule_log = (runtime.settings.logs_dir / job_id / "fate_flow_schedule.log").read_text().splitlines()
    stamps = {line.split("] [", 2)[1] for line in schedule_log}
    assert schedule_log and stamps <= {FakeClock(START + s).log_stamp() for s in range(int(clock.time() - START) + 1)}
    assert rounds <= 6, rounds
    assert set(parties.sent) == {"job.create", "job.resource.apply", "job.status.update", "task.start",
                                 "task.status.update"}
    print(f"three-party job scheduled in {rounds} ticks, {elapsed * 1000:.0f} ms")


def test_a_job_whose_workers_never_report_times_out_when_the_fake_clock_passes_its_timeout(server):
    runtime, clock, parties, workers = server
    dsl, conf = dsl_conf({"step_0": {"module": "TestStep", "output": {"data": ["data"]}}}, guest=GUEST,
                         hosts=(HOST,), job_parameters={"timeout": 30})
    conf["role"]["arbiter"] = [ARBITER]
    job_id = job_submit.submit(runtime, dsl, conf)["job_id"]
    scheduler = DagScheduler(runtime)

    def statuses() -> set[str]:
        with DB.obj.connection_context():
            return {j.f_status for j in Job.select().where(Job.f_job_id == job_id)}

    scheduler.tick(clock.time())
    clock.advance(29)
    scheduler.tick(clock.time())
    assert statuses() == {"running"} and len(workers.launched) == 3
    clock.advance(2)
    scheduler.tick(clock.time())
    assert statuses() == {"timeout"}
