"""An in-process fate_flow for scheduler tests: the real app served over loopback HTTP (werkzeug, threads),
the real federation gRPC server, real worker subprocesses and a real SQLite file. The scheduler does not run
by itself: tests call `tick(now)` (or `run_until`) so that time is theirs to drive."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psutil
import requests
import yaml
from werkzeug.serving import make_server

from fate_flow.db.base import DB
from fate_flow.db.models import Job, Task
from fate_flow.settings import PROJECT_ROOT
from tests.conftest import free_port, make_app, make_settings, runtime_of

PLUGIN = "tests.scheduler.components"


def write_conf(base: Path, party_ids=(9999, 10000), **sections) -> Path:
    conf = {
        "fateflow": {"host": "127.0.0.1", "http_port": free_port(), "grpc_port": free_port(),
                     "party_ids": list(party_ids)},
        "database": {"url": "sqlite:///${FATE_FLOW_HOME}/fate_flow.db"},
        "job_default": {"auto_retries": 0, "auto_retry_delay": 1, "task_cores": 2},
        "scheduler": {"interval": 0.2, "detect_interval": 0.2},
        "worker": {"component_plugins": [PLUGIN], "kill_grace": 1},
        "federation": {"command_timeout": 10, "get_timeout": 60},
        "route_table": {},
    }
    for key, value in sections.items():
        conf[key] = {**conf.get(key, {}), **value} if isinstance(value, dict) else value
    base.mkdir(parents=True, exist_ok=True)
    path = base / "service_conf.yaml"
    path.write_text(yaml.safe_dump(conf), encoding="utf-8")
    return path


@dataclass
class Flow:
    settings: object
    app: object
    runtime: object
    scheduler: object
    detector: object
    federation: object
    http: object
    loop: object = None
    threads: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.fateflow.http_port}"

    def post(self, path: str, body: dict | None = None) -> dict:
        return requests.post(self.url + path, json=body or {}, timeout=60).json()

    def submit(self, dsl: dict, conf: dict) -> dict:
        return self.post("/v1/job/submit", {"job_dsl": dsl, "job_runtime_conf": conf})

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.detector.run(now)
        self.scheduler.tick(now)

    def run_until(self, predicate: Callable[[], bool], timeout: float = 60.0, step: float = 0.05,
                  clock: Callable[[], float] = time.time) -> None:
        """Tick (no loop thread) until `predicate()`; bounded by `timeout` seconds of wall time."""
        deadline = time.monotonic() + timeout
        while True:
            if self.loop is None:
                self.tick(clock())
            with DB.obj.connection_context():
                if predicate():
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached within {timeout}s")
            time.sleep(step)

    def job(self, job_id: str, role: str = "guest", party_id: str = "9999") -> Job:
        with DB.obj.connection_context():
            return Job.get(Job.f_job_id == job_id, Job.f_role == role, Job.f_party_id == str(party_id))

    def jobs(self, job_id: str) -> list[Job]:
        with DB.obj.connection_context():
            return list(Job.select().where(Job.f_job_id == job_id))

    def tasks(self, job_id: str) -> list[Task]:
        with DB.obj.connection_context():
            return list(Task.select().where(Task.f_job_id == job_id).order_by(Task.f_task_id, Task.f_task_version,
                                                                             Task.f_role, Task.f_party_id))

    def job_status(self, job_id: str) -> str:
        return self.job(job_id).f_status

    def start_loop(self) -> None:
        from fate_flow.scheduler.loop import SchedulerLoop
        self.loop = SchedulerLoop(self.runtime, self.scheduler, self.detector).start()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stop()
        self.http.shutdown()
        for t in self.threads:
            t.join(10)
        self.federation.stop(grace=0.5)
        with DB.obj.connection_context():
            for task in Task.select().where(Task.f_run_pid.is_null(False)):
                self.runtime.launcher.kill(task.f_run_pid, task.f_run_start_time, grace=0.5)
        self.runtime.close()
        DB.obj.close()


def start_flow(base: Path, **conf_sections) -> Flow:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    from fate_flow.scheduler.dag_scheduler import DagScheduler
    from fate_flow.scheduler.detector import Detector
    from fate_flow.server import start_federation_for

    conf = write_conf(base, **conf_sections)
    settings = make_settings(base / "home", conf)
    app = make_app(settings)
    runtime = runtime_of(app)
    federation = start_federation_for(runtime)
    http = make_server("127.0.0.1", settings.fateflow.http_port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    return Flow(settings=settings, app=app, runtime=runtime, scheduler=DagScheduler(runtime),
                detector=Detector(runtime), federation=federation, http=http, threads=[thread])


def worker_processes(flow: Flow) -> list[psutil.Process]:
    """Live task workers started by this flow (their command line or parent names the executor)."""
    alive = []
    with DB.obj.connection_context():
        for task in Task.select().where(Task.f_run_pid.is_null(False)):
            from fate_flow.worker.launcher import is_alive
            if is_alive(task.f_run_pid, task.f_run_start_time):
                alive.append(psutil.Process(task.f_run_pid))
    return alive


def dsl_conf(components: dict, guest=9999, hosts=(10000,), params: dict | None = None, role_params: dict | None = None,
             job_parameters: dict | None = None) -> tuple[dict, dict]:
    """A v2 DSL + conf: `components` maps name -> {"module":..., "input":..., "output":...}."""
    dsl = {"components": components}
    roles = {"guest": [guest]}
    if hosts:
        roles["host"] = list(hosts)
    conf = {"dsl_version": 2, "initiator": {"role": "guest", "party_id": guest}, "role": roles,
            "job_parameters": {"common": {"work_mode": 0, **(job_parameters or {})}},
            "component_parameters": {"common": params or {}, "role": role_params or {}}}
    return dsl, conf
