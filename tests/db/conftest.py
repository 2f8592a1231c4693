"""Database fixtures: every test here runs on a fresh SQLite file, or, with FATE_FLOW_TEST_DB=mysql://...,
on that MySQL/MariaDB database emptied before and after the test (peewee-style: one suite, two backends).

Every test under tests/db gets the `db` marker, so `pytest tests -m db` is the backend run CI repeats on MariaDB;
tests elsewhere may mark themselves `db` to join it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import TEST_DB_ENV

DB_TESTS_DIR = Path(__file__).resolve().parent

requires_mysql = pytest.mark.skipif(not os.environ.get(TEST_DB_ENV),
                                    reason=f"needs a MySQL/MariaDB server: set {TEST_DB_ENV}=mysql://... "
                                           "(bin/test.sh starts one with bin/mariadb.sh)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DB_TESTS_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.db)


def is_mysql(url: str) -> bool:
    return not url.startswith("sqlite:")


def drop_all_tables(db) -> None:
    """Empty the database whatever tables earlier tests left (MySQL: the shared test database).
    Backtick quoting is understood by both SQLite and MySQL; the models declare no foreign keys."""
    db.connect(reuse_if_open=True)
    for table in db.get_tables():
        db.execute_sql(f"DROP TABLE IF EXISTS `{table}`")
    db.close()


@pytest.fixture
def db_url(settings) -> str:
    """The URL under test: settings' own SQLite file under the test's FATE_FLOW_HOME, or FATE_FLOW_TEST_DB."""
    url = settings.database.url
    if url.startswith("sqlite:"):
        Path(url.split("sqlite:///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    return url


@pytest.fixture
def bare_db(db_url, settings):
    """The database bound to DB and empty (no tables, not migrated)."""
    from fate_flow.db.base import init_db
    d = settings.database
    db = init_db(db_url, d.max_connections, d.stale_timeout, d.busy_timeout_ms)
    drop_all_tables(db)
    yield db
    drop_all_tables(db)
    if hasattr(db, "close_all"):
        db.close_all()
    else:
        db.close()


@pytest.fixture
def db(bare_db):
    """The database bound to DB with every table at the newest schema (as the server makes it on start)."""
    from fate_flow.db.migrations import migrate
    migrate()
    bare_db.connect(reuse_if_open=True)
    yield bare_db
    bare_db.close()
