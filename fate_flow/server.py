"""The server entry point: settings -> logging -> database -> app -> federation (gRPC), served by gunicorn.

`fate_flow_server` runs it in the foreground; `bin/service.sh` runs it in the background. One gunicorn
worker process with threads serves HTTP (fate_flow.http_worker: a request gets a thread only once its head has
arrived, so slow clients cannot hold the threads): background services that share its state live in that
process, including the federation gRPC server, started after the fork and stopped when the worker exits.
"""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys

from gunicorn.app.base import BaseApplication

from fate_flow.app import create_app
from fate_flow.db.base import DB, hold_wal_files
from fate_flow.entity import audit
from fate_flow.federation import CommandRegistry, FederationConfigError, FederationHandle, federation_settings, start_federation
from fate_flow.federation.keys import check_private_keys
from fate_flow.http_worker import BoundedThreadWorker, HttpLimits
from fate_flow.scheduler import commands as initiator_commands
from fate_flow.scheduler.dag_scheduler import DagScheduler
from fate_flow.scheduler.loop import SchedulerLoop
from fate_flow.scheduler.detector import Detector
from fate_flow.services.jobs.party_status import stop_hosted_tasks
from fate_flow.services.partners import commands as partner_commands
from fate_flow.services.runtime import Runtime
from fate_flow.services.server.startup import build_runtime
from fate_flow.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

LOG_FORMAT = "[%(levelname)s] [%(asctime)s] [%(process)d:%(thread)d] - %(filename)s[line:%(lineno)d]: %(message)s"


def setup_logging(settings: Settings) -> None:
    """Server logs under logs/fate_flow/ as FATE lays them out: fate_flow_stat.log plus per-level files."""
    log_dir = settings.logs_dir / "fate_flow"
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(settings.log.level)
    formatter = logging.Formatter(LOG_FORMAT)
    for name, level in (("fate_flow_stat.log", settings.log.level), ("ERROR.log", "ERROR")):
        handler = logging.handlers.WatchedFileHandler(log_dir / name, encoding="utf-8")
        handler.setLevel(level)
        handler.setFormatter(formatter)
        root.addHandler(handler)
    audit_log = logging.getLogger(audit.LOGGER_NAME)
    audit_log.propagate = False  # refusals go to the audit file only, not the stat log
    audit_handler = logging.handlers.WatchedFileHandler(log_dir / audit.FILE_NAME, encoding="utf-8")
    audit_handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    audit_log.addHandler(audit_handler)


class FlowServer(BaseApplication):
    def __init__(self, settings: Settings, daemon: bool = False):
        self.settings = settings
        self.daemon = daemon
        http = settings.http
        self.http_limits = HttpLimits(http.header_timeout, http.body_idle_timeout, http.buffer_body_bytes,
                                      http.stream_threads or max(1, http.threads // 2))
        self.runtime: Runtime | None = None
        self.federation = None
        self.scheduler = None
        self._wal_keeper = None
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        log_dir = s.logs_dir / "fate_flow"
        log_dir.mkdir(parents=True, exist_ok=True)
        s.home.mkdir(parents=True, exist_ok=True)
        for key, value in {
            "bind": f"{s.fateflow.host}:{s.fateflow.http_port}",
            "workers": 1,
            "worker_class": BoundedThreadWorker,
            "threads": s.http.threads,
            "worker_connections": s.http.max_connections,
            "keepalive": s.http.keepalive,
            "timeout": 120,
            "graceful_timeout": s.http.graceful_timeout,
            "pidfile": str(s.pid_file),
            "accesslog": str(log_dir / "access.log"),
            "errorlog": str(log_dir / "gunicorn.log"),
            "proc_name": f"fate_flow[{s.fateflow.http_port}]",
            "daemon": self.daemon,
            "worker_exit": self._worker_exit,
            # FATE's signing clients send an APP_KEY header; gunicorn drops names with "_" unless told otherwise
            "header_map": "dangerous",
        }.items():
            self.cfg.set(key, value)

    def load(self):
        """Runs in the worker after the fork: the runtime (database, migrations, recovery), the app over it,
        then the federation gRPC server and the scheduler beside it."""
        setup_logging(self.settings)
        self.runtime = build_runtime(self.settings)
        app = create_app(self.runtime)
        self._wal_keeper = hold_wal_files(DB.obj)  # reads go on when the disk is full
        self.federation = start_federation_for(self.runtime)
        if self.settings.scheduler.enabled:
            self.scheduler = start_scheduler_for(self.runtime)
        return app

    def _worker_exit(self, arbiter, worker) -> None:
        try:
            if self.scheduler is not None:
                self.scheduler, scheduler = None, self.scheduler
                scheduler.stop()
        finally:
            if self.federation is not None:
                self.federation.stop(grace=self.settings.http.graceful_timeout / 2)
                self.federation = None
            if self.runtime is not None:
                self.runtime.close()  # its launcher (the fork server) and its client
                self.runtime = None
        if self._wal_keeper is not None:
            self._wal_keeper.close()
            self._wal_keeper = None


def start_federation_for(runtime: Runtime) -> FederationHandle:
    """Wire federation to the service layer: the commands this server answers -> the gRPC server, which signs
    with the keys of the runtime's client."""
    registry = CommandRegistry()
    partner_commands.register_commands(registry, runtime)
    initiator_commands.register_commands(registry, runtime)
    return start_federation(runtime.client.fed, registry, runtime.client)


def start_scheduler_for(runtime: Runtime) -> "_SchedulerHandle":
    """The DAG scheduler and the detector in one thread beside the app (start it after federation)."""
    loop = SchedulerLoop(runtime, DagScheduler(runtime), Detector(runtime)).start()
    runtime.notify()  # a first round at once: resume the jobs a previous run left
    return _SchedulerHandle(loop, runtime)


class _SchedulerHandle:
    def __init__(self, loop: SchedulerLoop, runtime: Runtime):
        self.loop = loop
        self.runtime = runtime

    def stop(self) -> None:
        """Stop scheduling, then every task worker of this server: nothing of a task outlives a stop."""
        self.loop.stop()
        with DB.obj.connection_context():
            stop_hosted_tasks(self.runtime, "stopped: its server was shut down")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fate_flow_server", description="Run the fate_flow HTTP server.")
    parser.add_argument("--conf", help="service conf yaml (default: $FATE_FLOW_CONF or conf/service_conf.yaml)")
    parser.add_argument("--daemon", action="store_true", help="detach and run in the background")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.conf)
        check_private_keys(federation_settings(settings, PROJECT_ROOT))
    except (SettingsError, FederationConfigError) as e:
        print(f"fate_flow_server: {e}", file=sys.stderr)
        return 2
    FlowServer(settings, daemon=args.daemon).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
