"""JSON columns: values round trip exactly, the stored text is plain JSON (FATE pickled; we never do), NULL reads
back as the declared empty value, and large documents (a long DSL) fit."""
from __future__ import annotations

import json

from fate_flow.db.base import JSONField, now_ms
from fate_flow.db.models import ALL_MODELS, Job, StorageTableMeta, TrackingMetric
from fate_flow.entity.status import JobStatus

DSL = {
    "components": {
        "reader_0": {"module": "Reader", "output": {"data": ["data"]}},
        "hetero_lr_0": {"module": "HeteroLR", "input": {"data": {"train_data": ["reader_0.data"]}},
                        "output": {"data": ["data"], "model": ["model"]}},
    },
    "unicode": "数据 ünïcödé ✓",
    "numbers": [0, -1, 2 ** 53, 0.1, 1e-12, 3.5],
    "flags": {"on": True, "off": False, "none": None},
    "empty": {"list": [], "dict": {}},
}


def insert_job(job_id: str, **values) -> None:
    row = dict(f_job_id=job_id, f_role="guest", f_party_id="9999", f_initiator_role="guest",
               f_initiator_party_id="9999", f_status=JobStatus.WAITING.value, f_dsl={}, f_runtime_conf={},
               f_runtime_conf_on_party={}, f_roles={}, **Job.audit_values())
    row.update(values)
    Job.insert(**row).execute()


def raw_column(db, table: str, column: str, where_column: str, value) -> str | None:
    cursor = db.execute_sql(f"SELECT {column} FROM {table} WHERE {where_column} = {db.param}", (value,))
    return cursor.fetchone()[0]


def test_json_values_round_trip_and_are_stored_as_json_text(db):
    roles = {"guest": [9999], "host": [10000, 10001], "arbiter": [10000]}
    insert_job("j1", f_dsl=DSL, f_roles=roles, f_runtime_conf={"dsl_version": 2, "conf": DSL})
    job = Job.get(Job.f_job_id == "j1")
    assert job.f_dsl == DSL
    assert job.f_roles == roles
    assert job.f_runtime_conf["conf"]["numbers"][2] == 2 ** 53

    for column, expected in (("f_dsl", DSL), ("f_roles", roles)):
        raw = raw_column(db, "t_job", column, "f_job_id", "j1")
        assert isinstance(raw, str), f"{column} is stored as {type(raw).__name__}, not text"
        assert json.loads(raw) == expected  # plain JSON, readable by any tool (no pickle)
    assert "数据" in raw_column(db, "t_job", "f_dsl", "f_job_id", "j1")  # unicode kept as text, not escaped


def test_null_json_reads_back_as_the_declared_empty_value(db):
    insert_job("j2", f_train_runtime_conf=None)
    assert raw_column(db, "t_job", "f_train_runtime_conf", "f_job_id", "j2") is None
    assert Job.get(Job.f_job_id == "j2").f_train_runtime_conf == {}



def test_table_meta_json_columns_round_trip(db):
    preview = [["1", "0.5,1.2"], ["2", "0.1,-3"]]
    StorageTableMeta.insert(f_name="t", f_namespace="ns", f_engine="STANDALONE", f_type="TABLE",
                            f_address={"path": "/x"}, f_options={}, f_schema={"header": "x0,x1", "sid": "id"},
                            f_part_of_data=preview, **StorageTableMeta.audit_values()).execute()
    meta = StorageTableMeta.get(StorageTableMeta.f_name == "t")
    assert meta.f_part_of_data == preview
    assert meta.f_schema == {"header": "x0,x1", "sid": "id"} and meta.f_address == {"path": "/x"}
    assert json.loads(raw_column(db, "t_storage_table_meta", "f_part_of_data", "f_name", "t")) == preview


def test_non_dict_json_values_round_trip(db):
    for i, (key, value) in enumerate([("loss", [[0, 0.69], [1, 0.51]]), ("auc", 0.875), ("name", "ks"),
                                      ("curve", {"x": [0.0, 1.0]})]):
        TrackingMetric.insert(f_job_id="j3", f_component_name="eval_0", f_role="guest", f_party_id="9999",
                              f_metric_namespace="train", f_metric_name=key, f_key=i, f_value=value, f_type=1,
                              **TrackingMetric.audit_values()).execute()
    got = {m.f_metric_name: (m.f_key, m.f_value) for m in TrackingMetric.select()}
    assert got == {"loss": (0, [[0, 0.69], [1, 0.51]]), "auc": (1, 0.875), "name": (2, "ks"),
                   "curve": (3, {"x": [0.0, 1.0]})}


def test_a_large_document_fits_in_a_json_column(db):
    # well past MySQL's 64 KiB TEXT: JSON columns must be LONGTEXT there
    big = {"components": {f"component_{i}": {"module": "DataTransform", "param": "x" * 200} for i in range(2000)}}
    assert len(json.dumps(big)) > 400_000
    insert_job("j4", f_dsl=big, f_create_time=now_ms())
    assert Job.get(Job.f_job_id == "j4").f_dsl == big


def test_every_json_column_is_declared_long_text():
    json_fields = [(m._meta.table_name, f.name) for m in ALL_MODELS for f in m._meta.sorted_fields
                   if isinstance(f, JSONField)]
    assert ("t_job", "f_dsl") in json_fields and ("t_storage_table_meta", "f_part_of_data") in json_fields
    assert all(m._meta.fields[name].field_type == "LONGTEXT"
               for m in ALL_MODELS for name in m._meta.fields if isinstance(m._meta.fields[name], JSONField))
