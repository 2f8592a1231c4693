"""Versioned migrations: an old-shape database gains columns without losing rows, the version is stamped,
running again changes nothing, and a malformed migration list is refused before anything is touched."""
from __future__ import annotations

import pytest
from peewee import AutoField, CharField, IntegerField

from fate_flow.db.base import DB, BaseModel
from fate_flow.db.migrations import BASELINE_VERSION, MIGRATIONS, Migration, migrate
from fate_flow.db.models import ALL_MODELS, SchemaVersion

TABLE = "t_test_widget"


class OldWidget(BaseModel):
    """The table as an earlier release made it."""

    f_id = AutoField()
    f_name = CharField(max_length=50)

    class Meta:
        table_name = TABLE


class NewWidget(BaseModel):
    """The same table after migration 2 (f_color) and 3 (f_size)."""

    f_id = AutoField()
    f_name = CharField(max_length=50)
    f_color = CharField(max_length=20, default="red")
    f_size = IntegerField(null=True)

    class Meta:
        table_name = TABLE


class Counted:
    """A migration step that remembers how often it ran."""

    def __init__(self, apply):
        self.apply, self.calls = apply, 0

    def __call__(self, migrator):
        self.calls += 1
        return self.apply(migrator)


def add_color(migrator):
    # returned, not run: migrate() runs the Operation playhouse's migrator describes. NOT NULL with a default:
    # playhouse adds it nullable, fills existing rows with the default, then sets NOT NULL
    return migrator.add_column(TABLE, "f_color", CharField(max_length=20, default="red"))


def add_size(migrator):
    return [migrator.add_column(TABLE, "f_size", IntegerField(null=True))]


def columns(table: str) -> set[str]:
    return {c.name for c in DB.obj.get_columns(table)}


def versions() -> list[int]:
    return [v.f_version for v in SchemaVersion.select().order_by(SchemaVersion.f_version)]


def make_old_database(names=("a", "b", "c")) -> None:
    assert migrate(models=[OldWidget], migrations=()) == BASELINE_VERSION
    for name in names:
        OldWidget.create(f_name=name)


def test_fresh_database_gets_every_table_and_the_newest_version(bare_db):
    step = Counted(add_color)
    assert migrate(models=ALL_MODELS, migrations=[Migration(2, "add f_color", step)]) == 2
    assert {m._meta.table_name for m in ALL_MODELS} | {"t_schema_version"} <= set(bare_db.get_tables())
    assert versions() == [2]  # created at the newest shape: nothing to replay
    assert step.calls == 0


def test_old_database_gains_columns_keeps_rows_and_is_stamped(bare_db):
    make_old_database()
    assert columns(TABLE) == {"f_id", "f_name", "f_create_time", "f_create_date", "f_update_time", "f_update_date"}
    assert versions() == [1]

    color, size = Counted(add_color), Counted(add_size)
    steps = [Migration(2, "add f_color to widgets", color), Migration(3, "add f_size to widgets", size)]
    assert migrate(models=[NewWidget], migrations=steps) == 3
    assert {"f_color", "f_size"} <= columns(TABLE)
    assert (color.calls, size.calls) == (1, 1)
    assert versions() == [1, 2, 3]
    stamps = {v.f_version: v.f_description for v in SchemaVersion.select()}
    assert stamps[2] == "add f_color to widgets" and stamps[3] == "add f_size to widgets"
    rows = [(w.f_name, w.f_color, w.f_size) for w in NewWidget.select().order_by(NewWidget.f_id)]
    assert rows == [("a", "red", None), ("b", "red", None), ("c", "red", None)]

    NewWidget.create(f_name="d", f_color="blue", f_size=3)
    # again: a no-op that keeps every row and column
    assert migrate(models=[NewWidget], migrations=steps) == 3
    assert (color.calls, size.calls) == (1, 1)
    assert versions() == [1, 2, 3]
    assert NewWidget.select().count() == 4
    assert NewWidget.get(NewWidget.f_name == "d").f_color == "blue"


def test_migrations_already_applied_are_skipped_and_only_newer_ones_run(bare_db):
    make_old_database()
    color = Counted(add_color)
    assert migrate(models=[OldWidget], migrations=[Migration(2, "add f_color", color)]) == 2
    size = Counted(add_size)
    assert migrate(models=[NewWidget], migrations=[Migration(2, "add f_color", color),
                                                   Migration(3, "add f_size", size)]) == 3
    assert (color.calls, size.calls) == (1, 1)
    assert versions() == [1, 2, 3]


def test_tables_from_before_versioning_are_adopted_as_baseline(bare_db):
    bare_db.create_tables([OldWidget])
    OldWidget.create(f_name="legacy")
    assert not SchemaVersion.table_exists()
    steps = [Migration(2, "add f_color", add_color), Migration(3, "add f_size", add_size)]
    assert migrate(models=[NewWidget], migrations=steps) == 3
    assert versions() == [1, 2, 3]
    assert [(w.f_name, w.f_color, w.f_size) for w in NewWidget.select()] == [("legacy", "red", None)]


def test_a_failing_migration_is_not_stamped_and_keeps_the_rows(bare_db):
    make_old_database()

    def broken(migrator):
        raise RuntimeError("migration 2 went wrong")

    with pytest.raises(RuntimeError, match="migration 2 went wrong"):
        migrate(models=[NewWidget], migrations=[Migration(2, "broken", broken)])
    assert versions() == [1]
    assert [w.f_name for w in OldWidget.select().order_by(OldWidget.f_id)] == ["a", "b", "c"]
    # a release with the migration fixed runs it
    steps = [Migration(2, "add f_color", add_color), Migration(3, "add f_size", add_size)]
    assert migrate(models=[NewWidget], migrations=steps) == 3
    assert versions() == [1, 2, 3]
    assert NewWidget.select().where(NewWidget.f_color == "red").count() == 3


@pytest.mark.parametrize("bad", [
    [3, 2],  # out of order
    [2, 2],  # duplicate
    [1],     # not above the baseline
    [0, 2],
])
def test_a_malformed_migration_list_is_refused_before_touching_the_database(bare_db, bad):
    make_old_database()
    steps = [Counted(add_color) for _ in bad]
    with pytest.raises(ValueError, match="strictly increasing"):
        migrate(models=[NewWidget], migrations=[Migration(v, f"m{v}", s) for v, s in zip(bad, steps)])
    assert all(s.calls == 0 for s in steps)
    assert versions() == [1]
    assert "f_color" not in columns(TABLE)
    assert OldWidget.select().count() == 3


def test_version_2_database_gets_the_create_time_indexes(db):
    from fate_flow.db.migrations import migrate
    from fate_flow.db.models import SchemaVersion

    def indexed(table):
        return any(i.columns == ["f_create_time"] for i in db.get_indexes(table))

    assert indexed("t_job") and indexed("t_task"), "a fresh database has them"
    for table in ("t_job", "t_task"):
        name = next(i.name for i in db.get_indexes(table) if i.columns == ["f_create_time"])
        db.execute_sql(f"DROP INDEX `{name}`" + ("" if db.__class__.__name__.startswith("Sqlite") else f" ON `{table}`"))
    db.execute_sql("ALTER TABLE t_task DROP COLUMN f_worker_secret_digest")  # added by version 4
    SchemaVersion.delete().execute()
    SchemaVersion.insert(f_version=2, f_description="as made by an earlier release", **SchemaVersion.audit_values()).execute()
    assert not indexed("t_job")
    assert migrate() == MIGRATIONS[-1].version
    assert indexed("t_job") and indexed("t_task")
    assert "f_worker_secret_digest" in {c.name for c in db.get_columns("t_task")}


def test_version_4_database_gets_the_partner_grants_table(db):
    from fate_flow.db.models import PartnerGrant
    PartnerGrant.drop_table()
    SchemaVersion.delete().execute()
    SchemaVersion.insert(f_version=4, f_description="as made by an earlier release", **SchemaVersion.audit_values()).execute()
    assert not PartnerGrant.table_exists()
    assert migrate() == MIGRATIONS[-1].version and PartnerGrant.table_exists()
    PartnerGrant.insert(f_party_id="9999", f_role="*", f_kind="component", f_value="reader",
                        **PartnerGrant.audit_values()).execute()
    assert migrate() == MIGRATIONS[-1].version and PartnerGrant.select().count() == 1


def test_version_5_database_gets_the_job_list_indexes(db):
    from fate_flow.db.migrations import migrate
    from fate_flow.db.models import SchemaVersion
    board = [["f_status", "f_create_time"], ["f_start_time"], ["f_end_time"], ["f_elapsed"]]

    def indexes():
        return {tuple(i.columns): i.name for i in db.get_indexes("t_job")}

    assert all(tuple(columns) in indexes() for columns in board), "a fresh database has them"
    before = len(db.get_indexes("t_job"))
    SchemaVersion.delete().execute()
    SchemaVersion.insert(f_version=5, f_description="as made by an earlier release", **SchemaVersion.audit_values()).execute()
    assert migrate() == MIGRATIONS[-1].version and len(db.get_indexes("t_job")) == before  # no second copies
    for columns in board:
        name = indexes()[tuple(columns)]
        db.execute_sql(f"DROP INDEX `{name}`" + ("" if db.__class__.__name__.startswith("Sqlite") else " ON `t_job`"))
    SchemaVersion.delete().execute()
    SchemaVersion.insert(f_version=5, f_description="as made by an earlier release", **SchemaVersion.audit_values()).execute()
    assert migrate() == MIGRATIONS[-1].version
    assert all(tuple(columns) in indexes() for columns in board)
