"""Run one component of one party: `python -m fate_flow.worker.task_executor --spec <task_spec.json>`.

The spec (written by the server) holds everything resolved from the database; the worker never touches
the database. It logs to logs/<job>/<role>/<party>/<component>/{DEBUG,INFO,ERROR}.log, runs the module on
the engine its party's `computing_engine` names (fate_flow.worker.task_computing), keeps its output tables
and reports them, its model, summary and final status to its own server.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
import uuid
from pathlib import Path

import psutil

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.components import registry
from fate_flow.components.base import ComponentContext, ComponentOutput
from fate_flow.entity.disk import disk_full_error
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.status import JobStatus
from fate_flow.entity.task_spec import TaskSpec
from fate_flow.entity.worker_secret import WORKER_SECRET_ENV, WORKER_SECRET_HEADER
from fate_flow.federation import FederationClient, PartyRef, federation_settings
from fate_flow.settings import PROJECT_ROOT, Settings, load_settings
from fate_flow.worker.reporter import HttpTracker, ReportError, WorkerReporter, jsonable
from fate_flow.worker.task_computing import TaskComputing, open_task_computing

LOG_FORMAT = "[%(levelname)s] [%(asctime)s] [{job_id}] [%(process)d:%(thread)d] - %(filename)s[line:%(lineno)d]: %(message)s"
SAMPLE_ROWS = 100
# seconds a finished task waits for the processes it started to exit before it kills them
CHILDREN_EXIT_SECONDS = 15.0


def setup_logging(spec: TaskSpec) -> logging.Logger:
    log_dir = Path(spec.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    formatter = logging.Formatter(LOG_FORMAT.format(job_id=spec.job_id))
    for name, level in (("DEBUG.log", logging.DEBUG), ("INFO.log", logging.INFO), ("ERROR.log", logging.ERROR)):
        handler = logging.FileHandler(log_dir / name, encoding="utf-8")
        handler.setLevel(level)
        handler.setFormatter(formatter)
        root.addHandler(handler)
    return logging.getLogger(f"fate_flow.task.{spec.component_name}")


def worker_settings(spec: TaskSpec) -> Settings:
    env = dict(os.environ, FATE_FLOW_HOME=spec.home)
    return load_settings(spec.conf_path or None, env=env)


def run_task(spec: TaskSpec, reporter: WorkerReporter, settings: Settings, log: logging.Logger) -> None:
    """Run the component and report its outputs; raises on any failure (the caller reports it)."""
    fed_client = FederationClient.from_settings(federation_settings(settings, PROJECT_ROOT))
    computing = None
    try:
        module = registry.with_plugins(settings.worker.component_plugins).load(spec.module)
        params = module.params_class.from_dict(spec.parameters, spec.component_name)
        tracker = HttpTracker(reporter)
        # a Spark task starts its driver here, in the task's own process (and process group)
        computing = open_task_computing(spec, settings, log)
        ctx = ComponentContext(spec=spec, computing=computing.session,
                               federation=fed_client.session(spec.job_id, PartyRef(spec.role, spec.party_id)),
                               tracker=tracker, log=log, load_table=computing.load,
                               load_model=reporter.upstream_model)
        log.info("running %s (%s) as %s %s, task version %s, on %s", spec.component_name, spec.module, spec.role,
                 spec.party_id, spec.task_version, computing.engine)
        output = module().run(ctx, params) or ComponentOutput()
        _report_outputs(spec, computing, output, tracker, reporter, log)
    finally:
        try:
            if computing is not None:
                computing.stop()
        finally:
            fed_client.close()


def _report_outputs(spec: TaskSpec, computing: TaskComputing, output: ComponentOutput, tracker: HttpTracker,
                    reporter: WorkerReporter, log: logging.Logger) -> None:
    for data_name, table in output.data.items():
        name = uuid.uuid4().hex
        address = computing.keep(table, spec.output_namespace, name)
        sample = [[jsonable(k), jsonable(v)] for k, v in table.take(SAMPLE_ROWS)]
        count = table.count()
        reporter.output_table(data_name, {
            "namespace": spec.output_namespace, "name": name, "engine": computing.engine, "address": address,
            "partitions": table.partitions, "schema": jsonable(output.schemas.get(data_name, {})),
            "count": count, "part_of_data": sample})
        log.info("output data %s: table %s.%s, %s rows (%s)", data_name, spec.output_namespace, name, count,
                 computing.engine)
    predict_job = spec.job_parameters.get("job_type") == "predict"
    for alias, buffers in output.model.items():
        if predict_job:  # a predict job applies a deployed model and never writes into it
            log.info("predict job: model %s of %s is not saved", alias, spec.component_name)
            continue
        reporter.model(alias, buffers)
        log.info("output model %s: %s", alias, ", ".join(buffers))
    summary = {**tracker.summary, **output.summary}
    if summary:
        reporter.summary(jsonable(summary))


def end_children(log: logging.Logger, timeout: float = CHILDREN_EXIT_SECONDS) -> list[int]:
    """Before a task reports success, what it started must be gone: Spark's JVM (stopped with its session),
    crypto pool workers (ended with their pool). Waits up to `timeout` seconds for this process's children,
    then kills those left; returns their pids. multiprocessing's resource tracker is left alone: it ends with
    this process, and it must outlive the pools it tracks."""
    children = [c for c in psutil.Process().children(recursive=True) if not _is_resource_tracker(c)]
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for proc in alive:
        try:
            log.warning("process %s (%s) the task started is still running after %ss; killing it", proc.pid,
                        " ".join(proc.cmdline())[:200], timeout)
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in alive]


def _is_resource_tracker(proc: psutil.Process) -> bool:
    try:
        return "multiprocessing.resource_tracker" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def _failure_message(error: BaseException, settings: Settings | None) -> str:
    """What the task's fail reason says: a full disk named as such, else the exception."""
    if settings is not None:
        full = disk_full_error(error, {"home": settings.home, "table store": settings.storage.root},
                               settings.storage.min_free_bytes)
        if full is not None:
            return full.message
    return f"{type(error).__name__}: {error}"


def main(argv: list[str] | None = None, worker_secret: str | None = None) -> int:
    """Run the task of `--spec`. `worker_secret` (else $FATE_FLOW_WORKER_SECRET, removed from the environment
    so no process the task starts inherits it) proves to the server that this is the worker it launched."""
    inherited = os.environ.pop(WORKER_SECRET_ENV, None)
    worker_secret = worker_secret or inherited
    parser = argparse.ArgumentParser(prog="fate_flow.worker.task_executor")
    parser.add_argument("--spec", required=True, help="task_spec.json written by the server")
    args = parser.parse_args(argv)
    spec = TaskSpec.from_dict(json.loads(Path(args.spec).read_text(encoding="utf-8")))
    log = setup_logging(spec)
    started = time.monotonic()
    try:
        settings = worker_settings(spec)
        retry = settings.worker.report_retry_seconds
    except Exception as e:  # the conf is unreadable: report with the defaults
        log.exception("cannot read the service conf %s", spec.conf_path)
        settings, retry = None, 120.0
        setup_error = f"{type(e).__name__}: {e}"
    client = FlowHttpClient(spec.server.host, spec.server.http_port, timeout=60,
                            headers={WORKER_SECRET_HEADER: worker_secret} if worker_secret else None)
    reporter = WorkerReporter(client, spec, log, retry)
    try:
        if settings is None:
            raise RuntimeError(setup_error)
        run_task(spec, reporter, settings, log)
    except ReportError as e:
        log.error("%s", e)
        return 2
    except BaseException as e:
        message = e.message if isinstance(e, FateFlowError) else _failure_message(e, settings)
        log.error("task %s failed: %s\n%s", spec.task_id, message, traceback.format_exc())
        try:
            reporter.status(JobStatus.FAILED.value, fail_reason=message,
                            elapsed_ms=int((time.monotonic() - started) * 1000))
        except ReportError as report_error:
            log.error("%s", report_error)
        return 1
    end_children(log)
    try:
        reporter.status(JobStatus.SUCCESS.value, elapsed_ms=int((time.monotonic() - started) * 1000))
    except ReportError as e:
        log.error("%s", e)
        return 2
    log.info("task %s succeeded in %.3fs", spec.task_id, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
