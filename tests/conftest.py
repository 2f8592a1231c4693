"""Fixtures: a Settings with its own FATE_FLOW_HOME per test, the app on a real SQLite file (or the MySQL/
MariaDB named by FATE_FLOW_TEST_DB), its test client, and free loopback ports."""
from __future__ import annotations

import itertools
import os
import random
import socket
import threading
import uuid

import pytest

from fate_flow.settings import Settings, load_settings

TEST_DB_ENV = "FATE_FLOW_TEST_DB"


def _ephemeral_low() -> int:
    try:
        return int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# below the kernel's ephemeral range, from a random start, never the same port twice in one test process
_PORTS = itertools.count(random.randrange(10_000, 20_000))


def free_port() -> int:
    """A loopback port nothing listens on. Not one the kernel picks (bind to port 0): those come from the
    ephemeral range, where any outgoing connection (a gRPC channel of an earlier test) may take the port
    before the test's server binds it ("Address already in use")."""
    low = _ephemeral_low()
    for _ in range(1000):
        port = 10_000 + (next(_PORTS) - 10_000) % (low - 10_000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port between 10000 and {low}")


def make_settings(home, conf_path=None, database_url: str | None = None) -> Settings:
    env = dict(os.environ, FATE_FLOW_HOME=str(home))
    settings = load_settings(conf_path, env=env)
    if database_url:
        from dataclasses import replace
        settings = replace(settings, database=replace(settings.database, url=database_url))
    return settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose server may read the checkout's examples/ and this test's tmp_path and write tmp_path
    (not all of /tmp, so "outside the directories" holds wherever the checkout lives); its home, inside
    tmp_path, stays out of reach as the server's own state."""
    from dataclasses import replace
    from fate_flow.settings import PROJECT_ROOT, FileAccessSettings
    settings = make_settings(tmp_path / "home", database_url=_test_database_url())
    access = FileAccessSettings(read_dirs=(PROJECT_ROOT / "examples", tmp_path), write_dirs=(tmp_path,))
    return replace(settings, file_access=access)


def make_app(settings: Settings, **replacements):
    """The app over a runtime built as the server builds it (services/server/startup.py); `replacements` pass
    a clock, client or launcher of the test's own."""
    from fate_flow.app import create_app
    from fate_flow.services.server.startup import build_runtime
    return create_app(build_runtime(settings, **replacements))


def runtime_of(app):
    from fate_flow.apps.context import EXTENSION
    return app.extensions[EXTENSION]


@pytest.fixture
def app(settings):
    from fate_flow.db.base import DB
    app = make_app(settings)
    yield app
    runtime_of(app).close()
    _drop_test_database_tables()
    DB.obj.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def served(app):
    """The app behind a real loopback HTTP port (for the CLI and the HTTP client); yields the port."""
    from werkzeug.serving import make_server
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    thread.join(timeout=10)


def _test_database_url() -> str | None:
    """With FATE_FLOW_TEST_DB=mysql://..., every test gets the same MySQL database, emptied after the test."""
    return os.environ.get(TEST_DB_ENV) or None


def _drop_test_database_tables() -> None:
    if not _test_database_url():
        return
    from fate_flow.db.base import DB
    from fate_flow.db.models import ALL_MODELS, SchemaVersion
    DB.obj.connect(reuse_if_open=True)
    DB.obj.drop_tables([*ALL_MODELS, SchemaVersion], safe=True)
    DB.obj.close()


@pytest.fixture
def unique_name() -> str:
    return "t" + uuid.uuid4().hex[:12]
