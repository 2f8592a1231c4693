"""Starting the app creates every table with FATE's f_ column names and stamps the schema version; starting
again keeps the rows."""
from __future__ import annotations

import pytest

from fate_flow.services.server.startup import build_runtime
from fate_flow.db.base import DB
from fate_flow.db.migrations import MIGRATIONS
from fate_flow.db.models import ALL_MODELS, Job, SchemaVersion
from fate_flow.services.jobs.local_jobs import LocalJob, create_local_job

# a fresh database is created at the newest schema and stamped with it
NEWEST_VERSION = MIGRATIONS[-1].version

# columns FATE-Board style tools read directly (FATE 1.6 names)
FATE_COLUMNS = {
    "t_job": {"f_job_id", "f_role", "f_party_id", "f_status", "f_status_code", "f_dsl", "f_runtime_conf",
              "f_runtime_conf_on_party", "f_train_runtime_conf", "f_roles", "f_initiator_role",
              "f_initiator_party_id", "f_is_initiator", "f_progress", "f_cancel_signal", "f_start_time",
              "f_end_time", "f_elapsed", "f_create_time", "f_update_time", "f_description", "f_tag"},
    "t_task": {"f_job_id", "f_component_name", "f_task_id", "f_task_version", "f_role", "f_party_id", "f_status",
               "f_party_status", "f_run_ip", "f_run_pid", "f_start_time", "f_end_time", "f_elapsed"},
    "t_storage_table_meta": {"f_name", "f_namespace", "f_address", "f_engine", "f_type", "f_options",
                             "f_partitions", "f_schema", "f_count", "f_part_of_data", "f_description",
                             "f_create_time", "f_update_time"},
    "t_tracking_metric": {"f_job_id", "f_component_name", "f_metric_namespace", "f_metric_name", "f_key",
                          "f_value", "f_type"},
    "t_machine_learning_model_info": {"f_model_id", "f_model_version", "f_role", "f_party_id", "f_job_id",
                                      "f_train_dsl", "f_train_runtime_conf"},
}


def columns(table: str) -> set[str]:
    return {c.name for c in DB.obj.get_columns(table)}


def test_app_start_creates_every_table_with_f_columns(bare_db, settings):
    assert bare_db.get_tables() == []
    build_runtime(settings)
    db = DB.obj
    db.connect(reuse_if_open=True)
    tables = set(db.get_tables())
    assert {m._meta.table_name for m in ALL_MODELS} | {"t_schema_version"} <= tables
    for model in ALL_MODELS:
        table = model._meta.table_name
        cols = columns(table)
        assert cols == set(model._meta.fields), table
        assert all(c.startswith("f_") for c in cols), table
    for table, expected in FATE_COLUMNS.items():
        assert expected <= columns(table), (table, expected - columns(table))
    assert db.get_primary_keys("t_job") == ["f_job_id", "f_role", "f_party_id"]
    assert [v.f_version for v in SchemaVersion.select()] == [NEWEST_VERSION]
    db.close()


def test_a_second_start_keeps_rows_and_the_version(bare_db, settings):
    build_runtime(settings)
    DB.obj.connect(reuse_if_open=True)
    create_local_job(settings, LocalJob("202601010000000000009", "upload_0", "Upload", {}))
    DB.obj.close()

    build_runtime(settings)  # as a restarted server does
    DB.obj.connect(reuse_if_open=True)
    assert [j.f_job_id for j in Job.select()] == ["202601010000000000009"]
    assert [v.f_version for v in SchemaVersion.select()] == [NEWEST_VERSION]
    DB.obj.close()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(bare_db, settings):
    if not settings.database.url.startswith("sqlite:"):
        pytest.skip("SQLite only: this run uses MySQL")
    build_runtime(settings)
    db = DB.obj
    db.connect(reuse_if_open=True)
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == settings.database.busy_timeout_ms
    db.close()
