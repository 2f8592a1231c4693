"""What a server does once when it starts, before it answers anyone: open the database and bring its schema up to
date, make its directories, build the runtime with its component registry and repair what a previous run left."""
from __future__ import annotations

from pathlib import Path

from fate_flow.components.registry import with_plugins
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.db.base import DB, bind_clock, init_db
from fate_flow.db.migrations import migrate
from fate_flow.entity.clock import Clock
from fate_flow.federation import FederationClient, federation_settings
from fate_flow.federation.keys import KeyRing
from fate_flow.services.runtime import Runtime
from fate_flow.services.server.board_access import BoardAccess
from fate_flow.services.server.recovery import recover_local_jobs
from fate_flow.settings import PROJECT_ROOT, Settings
from fate_flow.worker.launcher import WorkerLauncher


def build_runtime(settings: Settings, *, db=None, clock: Clock | None = None, client: FederationClient | None = None,
                  launcher: WorkerLauncher | None = None) -> Runtime:
    """Open the database (`db`: an already-open peewee database, else settings.database.url), migrate it, make
    the server's directories, build the runtime (its component registry with the plugins) and run the start-up
    recovery.
    `clock`, `client` and `launcher` replace the real ones (tests)."""
    clock = clock or Clock()
    if db is None:
        d = settings.database
        if d.url.startswith("sqlite:"):
            Path(d.url.split("sqlite:///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
        db = init_db(d.url, d.max_connections, d.stale_timeout, d.busy_timeout_ms)
    else:
        DB.initialize(db)
    bind_clock(clock)
    migrate()
    for directory in (settings.home, settings.jobs_dir, settings.logs_dir, settings.temp_dir, settings.storage.root):
        directory.mkdir(parents=True, exist_ok=True)
    if client is None:
        fed = federation_settings(settings, PROJECT_ROOT)
        client = FederationClient(fed, KeyRing.load(fed))
    if launcher is None:
        launcher = WorkerLauncher(settings.worker.start_method, settings.worker.kill_grace, settings.home)
    runtime = Runtime(settings=settings, clock=clock, store=StandaloneStore(settings.storage.root), client=client,
                      launcher=launcher, components=with_plugins(settings.worker.component_plugins),
                      board=BoardAccess(settings.http_auth, clock.time))
    with db.connection_context():
        recover_local_jobs(settings)
    return runtime
