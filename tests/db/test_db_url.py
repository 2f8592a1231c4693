"""database.url handling: the password never appears in an error message or a log, whatever goes wrong."""
from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from peewee import OperationalError

from fate_flow.db.base import DatabaseURLError, init_db, open_database, redact_url
from fate_flow.db.migrations import migrate
from tests.conftest import TEST_DB_ENV, free_port
from tests.db.conftest import requires_mysql
from tests.server_process import make_server

SECRET = "S3cr3t-pw-0f-the-test"


@pytest.mark.parametrize("url, expected", [
    (f"mysql://fate:{SECRET}@db.example:3306/fate_flow", "mysql://fate:***@db.example:3306/fate_flow"),
    ("mysql://root:root@127.0.0.1/fate_flow", "mysql://root:***@127.0.0.1/fate_flow"),
    ("mysql://fate:p%40ss%3Aw@127.0.0.1:3306/x?charset=utf8", "mysql://fate:***@127.0.0.1:3306/x?charset=utf8"),
    ("mysql://fate@127.0.0.1/x", "mysql://fate@127.0.0.1/x"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_redact_url_hides_only_the_password(url, expected):
    assert redact_url(url) == expected


@pytest.mark.parametrize("url", [
    f"mysql://fate:{SECRET}@127.0.0.1:3306/",  # no database name
    f"mysql://fate:{SECRET}@/fate_flow",       # no host
    f"postgres://fate:{SECRET}@127.0.0.1/fate_flow",
])
def test_a_malformed_url_is_refused_without_echoing_the_password(url):
    with pytest.raises(DatabaseURLError) as e:
        open_database(url)
    assert SECRET not in str(e.value)


def test_sqlite_url_without_a_file_is_refused():
    with pytest.raises(DatabaseURLError, match="names no file"):
        open_database("sqlite:///")


def wrong_password_url() -> str:
    """The test MariaDB with a wrong password when there is one, else a closed port on loopback."""
    real = os.environ.get(TEST_DB_ENV)
    if real and not real.startswith("sqlite:"):
        p = urlparse(real)
        return f"mysql://{p.username}:{SECRET}@{p.hostname}:{p.port or 3306}{p.path}"
    return f"mysql://fate_flow:{SECRET}@127.0.0.1:{free_port()}/fate_flow"


def test_a_failing_mysql_connection_does_not_leak_the_password():
    db = init_db(wrong_password_url())
    try:
        with pytest.raises(OperationalError) as e:
            migrate()
    finally:
        db.close_all()
    assert SECRET not in str(e.value) and SECRET not in repr(e.value)


@requires_mysql
def test_wrong_password_on_the_real_server_is_access_denied():
    db = init_db(wrong_password_url())
    try:
        with pytest.raises(OperationalError, match="Access denied") as e:
            migrate()
    finally:
        db.close_all()
    assert SECRET not in str(e.value)


@pytest.mark.slow
def test_server_start_with_a_bad_database_fails_and_logs_no_password(tmp_path):
    server = make_server(tmp_path, database_url=wrong_password_url())
    console = server.home / "console.log"
    with open(console, "wb") as out:
        proc = subprocess.run([sys.executable, "-m", "fate_flow.server", "--conf", str(server.conf_path)],
                              env=server.env, stdout=out, stderr=subprocess.STDOUT, timeout=60)
    assert proc.returncode != 0
    logs = [console, *(server.home / "logs").rglob("*.log")]
    text = "\n".join(p.read_text(errors="replace") for p in logs if p.is_file())
    assert "OperationalError" in text  # the reason is shown...
    assert SECRET not in text          # ...but not the password
