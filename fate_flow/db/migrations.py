"""Versioned schema migrations.

A fresh database gets every table at the newest shape and is stamped with the newest version. An existing
database runs, in order, each migration newer than its stamp (e.g. `migrator.add_column(...)`), so later
code can add columns without losing rows. Append to MIGRATIONS; never edit or reorder an applied one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

from peewee import CharField, DoubleField, IntegerField, TextField
from playhouse.migrate import Operation, SchemaMigrator

from fate_flow.db.base import DB
from fate_flow.db.models import ALL_MODELS, PartnerGrant, SchemaVersion

LOG = logging.getLogger(__name__)

BASELINE_VERSION = 1


@dataclass(frozen=True)
class Migration:
    """`apply(migrator)` changes the schema. playhouse's `migrator.add_column(...)` only *describes* a change
    (an Operation); whatever Operations `apply` returns (one, or a list/tuple) are run by `migrate()`, so
    `Migration(2, "add f_x", lambda m: m.add_column("t_job", "f_x", IntegerField(null=True)))` works."""

    version: int
    description: str
    apply: Callable[[SchemaMigrator], object]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "job scheduler: worker start time, fail reasons, task retries", lambda m: [
        m.add_column("t_job", "f_fail_reason", TextField(null=True)),
        m.add_column("t_task", "f_run_start_time", DoubleField(null=True)),
        m.add_column("t_task", "f_fail_reason", TextField(null=True)),
        m.add_column("t_task", "f_auto_retries", IntegerField(default=0)),
    ]),
    Migration(3, "index f_create_time of t_job and t_task (newest-first listings)", lambda m: [
        m.add_index("t_job", ("f_create_time",), False),
        m.add_index("t_task", ("f_create_time",), False),
    ]),
    Migration(4, "t_task.f_worker_secret_digest: the worker channel's per-task secret (its SHA-256)", lambda m: [
        m.add_column("t_task", "f_worker_secret_digest", CharField(max_length=64, null=True)),
    ]),
    Migration(5, "t_partner_grant: what partners on other servers may do here", lambda m: [
        PartnerGrant.create_table(safe=True),
    ]),
    Migration(6, "index t_job for the board's job list (status by creation, sorts by start, end, duration)", lambda m:
              _missing_indexes(m, "t_job", [("f_status", "f_create_time"), ("f_start_time",), ("f_end_time",),
                                            ("f_elapsed",)])),
)


def _missing_indexes(migrator: SchemaMigrator, table: str, column_sets: Sequence[tuple[str, ...]]) -> list[Operation]:
    """add_index for each set of columns no index of `table` covers yet, whatever its name (a database whose
    tables were made from the models has them under the models' names)."""
    existing = {tuple(index.columns) for index in migrator.database.get_indexes(table)}
    return [migrator.add_index(table, columns, False) for columns in column_sets if tuple(columns) not in existing]


def migrate(models: Sequence = ALL_MODELS, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the bound database to the newest schema; returns the version it is at afterwards."""
    db = DB.obj
    _check_order(migrations)
    newest = migrations[-1].version if migrations else BASELINE_VERSION
    with db.connection_context():
        fresh = not SchemaVersion.table_exists() and not any(m.table_exists() for m in models)
        db.create_tables([SchemaVersion], safe=True)
        if fresh:
            db.create_tables(list(models), safe=True)
            _stamp(newest, "baseline" if newest == BASELINE_VERSION else "created at newest schema")
            return newest
        current = SchemaVersion.select(SchemaVersion.f_version).order_by(SchemaVersion.f_version.desc()).scalar()
        if current is None:  # tables from before versioning: treat as baseline
            current = BASELINE_VERSION
            _stamp(current, "baseline (adopted)")
        migrator = SchemaMigrator.from_database(db)
        for m in migrations:
            if m.version > current:
                LOG.info("applying schema migration %s: %s", m.version, m.description)
                with db.atomic():
                    _run_operations(m.apply(migrator))
                    _stamp(m.version, m.description)
                current = m.version
        # tables introduced after the database was made
        db.create_tables(list(models), safe=True)
        return current


def _run_operations(result) -> None:
    if isinstance(result, Operation):
        result.run()
    elif isinstance(result, (list, tuple)):
        for item in result:
            _run_operations(item)


def _stamp(version: int, description: str) -> None:
    SchemaVersion.insert(f_version=version, f_description=description[:200], **SchemaVersion.audit_values()) \
        .on_conflict_ignore().execute()


def _check_order(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] <= BASELINE_VERSION):
        raise ValueError(f"migrations must have strictly increasing versions above {BASELINE_VERSION}: {versions}")
