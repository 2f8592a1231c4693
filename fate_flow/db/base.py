"""The late-bound database: models point at `DB`, a DatabaseProxy that `init_db(url)` binds, and the audit
columns take their time from the clock the runtime binds with `bind_clock` (the wall clock until then)."""
from __future__ import annotations

import datetime
import json
import sqlite3
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from peewee import BigIntegerField, DatabaseProxy, DateTimeField, Model, TextField, SqliteDatabase
from playhouse.pool import PooledMySQLDatabase

from fate_flow.entity.clock import Clock

DB = DatabaseProxy()
_CLOCK = [Clock()]


class DatabaseURLError(ValueError):
    pass


def init_db(url: str, max_connections: int = 32, stale_timeout: int = 300, busy_timeout_ms: int = 30000):
    """Open the database named by `url` (sqlite:///abs/path or mysql://user:pw@host:port/name) and bind DB to it."""
    db = open_database(url, max_connections=max_connections, stale_timeout=stale_timeout, busy_timeout_ms=busy_timeout_ms)
    DB.initialize(db)
    return db


def open_database(url: str, max_connections: int = 32, stale_timeout: int = 300, busy_timeout_ms: int = 30000):
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if not path or path == "/":
            raise DatabaseURLError(f"database.url {url!r} names no file")
        # WAL lets readers run beside the one writer; busy_timeout makes writers wait instead of failing
        return SqliteDatabase(path, pragmas={
            "journal_mode": "wal", "busy_timeout": busy_timeout_ms, "synchronous": "normal", "foreign_keys": 1,
        }, check_same_thread=False)
    if parsed.scheme in ("mysql", "mariadb", "mysql+pymysql"):
        name = parsed.path.lstrip("/")
        if not name or not parsed.hostname:
            raise DatabaseURLError(f"database.url must look like mysql://user:password@host:3306/name, got {redact_url(url)!r}")
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return PooledMySQLDatabase(
            name, user=unquote(parsed.username or ""), password=unquote(parsed.password or ""),
            host=parsed.hostname, port=parsed.port or 3306, charset=options.get("charset", "utf8mb4"),
            max_connections=int(options.get("max_connections", max_connections)),
            stale_timeout=int(options.get("stale_timeout", stale_timeout)), autoconnect=True,
        )
    raise DatabaseURLError(f"database.url scheme must be sqlite or mysql, got {parsed.scheme!r}")


def hold_wal_files(db) -> sqlite3.Connection | None:
    """For SQLite: one more connection, held open for as long as the caller keeps it, so SQLite keeps the
    write-ahead log and its shared-memory index. Without it they are deleted when the last connection closes,
    and the next connection must create them again, which a full disk refuses ("disk I/O error"), reads
    included. The connection holds no transaction open. None for other databases."""
    if not isinstance(db, SqliteDatabase):
        return None
    keeper = sqlite3.connect(db.database, check_same_thread=False)
    keeper.execute("PRAGMA journal_mode = wal").fetchall()
    keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
    return keeper


def redact_url(url: str) -> str:
    """The URL with its password replaced, for logs and error messages."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return parsed._replace(netloc=netloc).geturl()


def write_transaction():
    """A transaction that takes the write lock up front (SQLite BEGIN IMMEDIATE), so it never fails mid-way
    with "database is locked" when a read would have had to upgrade to a write."""
    db = DB.obj
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


class LongTextField(TextField):
    field_type = "LONGTEXT"


class JSONField(LongTextField):
    """JSON text in the database; NULL reads back as the default (contract: `{}`)."""

    def __init__(self, *args, empty: Any = None, **kwargs):
        self._empty = empty
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

    def python_value(self, value):
        if value is None or value == "":
            return _copy_empty(self._empty)
        return json.loads(value)


def _copy_empty(empty):
    return empty.copy() if isinstance(empty, (dict, list)) else empty


def bind_clock(clock: Clock) -> None:
    """The clock the database's times come from, bound once at start like DB (the runtime's clock)."""
    _CLOCK[0] = clock


def bound_clock() -> Clock:
    """The clock bound with the database (the runtime's), for what is written beside it (job logs)."""
    return _CLOCK[0]


def now_ms() -> int:
    return _CLOCK[0].now_ms()


def ms_to_datetime(ms: int | None) -> datetime.datetime | None:
    return None if ms is None else datetime.datetime.fromtimestamp(ms / 1000)


class BaseModel(Model):
    """FATE's audit columns on every table; attribute names are the column names (`f_...`)."""

    f_create_time = BigIntegerField(null=True)
    f_create_date = DateTimeField(null=True)
    f_update_time = BigIntegerField(null=True)
    f_update_date = DateTimeField(null=True)

    class Meta:
        database = DB

    def save(self, *args, **kwargs):
        now = now_ms()
        if self.f_create_time is None:
            self.f_create_time = now
            self.f_create_date = ms_to_datetime(now)
        self.f_update_time = now
        self.f_update_date = ms_to_datetime(now)
        return super().save(*args, **kwargs)

    @classmethod
    def audit_values(cls, create: bool = True) -> dict:
        """Audit column values for bulk inserts/updates that bypass save()."""
        now = now_ms()
        values = {"f_update_time": now, "f_update_date": ms_to_datetime(now)}
        if create:
            values.update(f_create_time=now, f_create_date=ms_to_datetime(now))
        return values

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self._meta.fields}
