"""/v1/model/store and /v1/model/restore with the MySQL model store (contract §1.5.6, §8.6, §5.12) on the
MariaDB of FATE_FLOW_TEST_DB (bin/mariadb.sh): slices of 8 MiB as base64 rows, force_update, byte-identical
restore, and a refused login reported without the password."""
from __future__ import annotations

import base64
import io
import os
import shutil
import zipfile
from urllib.parse import unquote, urlparse

import pytest
from peewee import MySQLDatabase

from tests.api.test_model_store import MODEL_ID, PARTY_MODEL_ID, REF, VERSION, make_model, post, snapshot, with_store
from tests.conftest import TEST_DB_ENV
from tests.db.conftest import requires_mysql

pytestmark = requires_mysql

SLICE = 8 << 20


def _address() -> dict:
    url = urlparse(os.environ.get(TEST_DB_ENV, ""))
    return {"storage": "mysql", "host": url.hostname, "port": url.port or 3306, "user": unquote(url.username or ""),
            "password": unquote(url.password or ""), "name": url.path.lstrip("/")}


@pytest.fixture
def store_db():
    """The model store database (the test database itself), without t_machine_learning_model before and after."""
    a = _address()
    db = MySQLDatabase(a["name"], host=a["host"], port=a["port"], user=a["user"], password=a["password"])
    db.connect()
    db.execute_sql("DROP TABLE IF EXISTS t_machine_learning_model")
    yield db
    db.execute_sql("DROP TABLE IF EXISTS t_machine_learning_model")
    db.close()


@pytest.fixture
def store_password() -> str | None:
    """The password the server is configured with (tests parametrize a wrong one); None: the right one."""
    return None


@pytest.fixture
def settings(settings, store_password):
    address = _address()
    if store_password is not None:
        address["password"] = store_password
    return with_store(settings, address)


def slices(db) -> list[tuple]:
    cursor = db.execute_sql("SELECT f_model_id, f_model_version, f_slice_index, f_size, f_content, f_description "
                            "FROM t_machine_learning_model ORDER BY f_slice_index")
    return list(cursor.fetchall())


def test_a_model_larger_than_a_slice_is_stored_as_base64_rows_and_restored_byte_identical(client, settings,
                                                                                         store_db):
    root = make_model(settings, "host", "10001", weights=os.urandom(9 << 20))
    before = snapshot(root)
    answer = post(client, "/v1/model/store", REF)
    a = _address()
    assert answer["retcode"] == 0, answer
    assert answer["data"]["store"] == f"mysql {a['host']}:{a['port']}/{a['name']}" and answer["data"]["slices"] == 2

    rows = slices(store_db)
    assert [(r[0], r[1], r[2]) for r in rows] == [(PARTY_MODEL_ID, VERSION, 0), (PARTY_MODEL_ID, VERSION, 1)]
    assert rows[0][3] == SLICE and sum(r[3] for r in rows) == answer["data"]["size"]
    archive = b"".join(base64.b64decode(r[4]) for r in rows)  # plain base64 of the zip bytes, no pickle
    assert zipfile.ZipFile(io.BytesIO(archive)).read("pipeline.pb") == before["pipeline.pb"]
    assert rows[0][5] == "base64 of raw model zip bytes (not pickled)"

    shutil.rmtree(root)
    answer = post(client, "/v1/model/restore", REF)
    assert answer["retcode"] == 0, answer
    assert snapshot(root) == before


def test_force_update_replaces_every_slice_and_drops_the_extra_ones(client, settings, store_db):
    root = make_model(settings, "host", "10001", weights=os.urandom(9 << 20))
    assert post(client, "/v1/model/store", REF)["retcode"] == 0
    again = post(client, "/v1/model/store", REF)
    assert again["retcode"] == 100 and again["retmsg"].endswith("set force_update to replace it"), again

    shutil.rmtree(root)
    root = make_model(settings, "host", "10001")  # now smaller than one slice
    smaller = snapshot(root)
    answer = post(client, "/v1/model/store", dict(REF, force_update=True))
    assert answer["retcode"] == 0 and answer["data"]["slices"] == 1, answer
    assert [r[2] for r in slices(store_db)] == [0]

    shutil.rmtree(root)
    assert post(client, "/v1/model/restore", REF)["retcode"] == 0
    assert snapshot(root) == smaller
    refused = post(client, "/v1/model/restore", REF)
    assert refused["retcode"] == 100 and "local cache already existed" in refused["retmsg"], refused


WRONG_PASSWORD = "not-the-right-pw-4711"


@pytest.mark.parametrize("store_password", [WRONG_PASSWORD])
def test_a_refused_login_names_the_database_not_the_password(client, settings, store_db):
    a = _address()
    wrong = WRONG_PASSWORD
    make_model(settings, "host", "10001")
    answer = post(client, "/v1/model/store", REF)
    assert answer["retcode"] == 100, answer
    assert answer["retmsg"].startswith(f"Store model {PARTY_MODEL_ID} {VERSION} failed: cannot connect to the model "
                                       f"store database '{a['name']}' at {a['host']}:{a['port']}: "), answer
    assert "Access denied" in answer["retmsg"] and wrong not in answer["retmsg"] and a["password"] not in str(answer)
    assert not store_db.table_exists("t_machine_learning_model")
    assert MODEL_ID in answer["retmsg"]
