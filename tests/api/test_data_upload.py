"""/v1/data/upload: both encodings, the drop rule, and every kind of bad input, each a test."""
import json
import os
from pathlib import Path

import pytest

from fate_flow.entity.clock import Clock
from fate_flow.settings import PROJECT_ROOT
from tests.conftest import make_app, runtime_of
from tests.api.upload_helpers import multipart_upload, upload_config

BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"
GOOD = b"id,y,x0\n1,0,0.5\n2,1,0.25\n3,0,-1.5\n"


def table_info(client, name, namespace="experiment"):
    return client.post("/v1/table/table_info", json={"namespace": namespace, "table_name": name}).get_json()["data"]


def job_rows(client, job_id):
    return client.post("/v1/job/query", json={"job_id": job_id}).get_json()["data"]


def test_multipart_upload_creates_table_and_a_local_job(client, settings):
    body = multipart_upload(client, upload_config("breast"), BREAST.read_bytes(), "breast_hetero_guest.csv").get_json()
    assert body["retcode"] == 0, body
    job_id = body["jobId"]
    data = body["data"]
    assert data["job_id"] == job_id and data["table_name"] == "breast" and data["namespace"] == "experiment"
    assert data["model_info"] == {"model_id": "local-0#model", "model_version": job_id}
    assert data["board_url"].endswith(f"job_id={job_id}&role=local&party_id=0")
    for key in ("job_dsl_path", "job_runtime_conf_path", "job_runtime_conf_on_party_path", "train_runtime_conf_path",
                "pipeline_dsl_path"):
        assert Path(data[key]).is_file(), key
    assert json.loads(Path(data["job_dsl_path"]).read_text()) == {"components": {"upload_0": {"module": "Upload"}}}
    info = table_info(client, "breast")
    assert info["exist"] == 1 and info["count"] == 569 and info["partition"] == 4
    assert info["schema"] == {"header": "y,x0,x1,x2,x3,x4,x5,x6,x7,x8,x9", "sid": "id"}
    [job] = job_rows(client, job_id)
    assert (job["f_role"], job["f_party_id"], job["f_status"], job["f_progress"]) == ("local", "0", "success", 100)
    assert "f_runtime_conf" in job and "f_dsl" in job
    assert (settings.logs_dir / job_id / "local" / "0" / "upload_0" / "INFO.log").is_file()
    # the spooled multipart file is gone once the request is over
    assert list(settings.upload_spool_dir.iterdir()) == []


def test_plain_key_value_query_string_also_works(client):
    response = client.post("/v1/data/upload?namespace=experiment&table_name=kv&head=1&partition=2",
                           data={"file": (__import__("io").BytesIO(GOOD), "kv.csv")}, content_type="multipart/form-data")
    assert response.get_json()["retcode"] == 0
    assert table_info(client, "kv")["count"] == 3


def test_json_mode_reads_an_allowed_server_side_file(client):
    body = client.post("/v1/data/upload", json={**upload_config("local_file"), "use_local_data": 0,
                                                "file": "examples/data/breast_hetero_host.csv"}).get_json()
    assert body["retcode"] == 0, body
    assert table_info(client, "local_file")["count"] == 569


def test_id_delimiter_is_honoured(client):
    body = multipart_upload(client, upload_config("semi", id_delimiter=";"), b"id;a;b\nk1;1;2\nk2;3;4\n").get_json()
    assert body["retcode"] == 0, body
    assert table_info(client, "semi")["schema"] == {"header": "a;b", "sid": "id"}


def test_existing_table_is_refused_unless_drop_is_1(client):
    assert multipart_upload(client, upload_config("t"), GOOD).get_json()["retcode"] == 0
    for drop in (None, 2, "2"):  # 0 writes into the table: test_data_upload_drop.py
        config = upload_config("t") if drop is None else upload_config("t", drop=drop)
        body = multipart_upload(client, config, GOOD + b"4,1,1\n").get_json()
        assert body["retcode"] == 100 and body["retmsg"].startswith("The data table already exists")
    assert table_info(client, "t")["count"] == 3
    old_path = Path(client.post("/v1/table/table_info", json={"namespace": "experiment", "table_name": "t"})
                    .get_json()["data"]["address"]["path"])
    assert multipart_upload(client, upload_config("t", drop=1), GOOD + b"4,1,1\n").get_json()["retcode"] == 0
    assert table_info(client, "t")["count"] == 4
    assert not old_path.exists(), "the replaced table's data is removed"


@pytest.mark.parametrize("missing", ["namespace", "table_name", "head", "partition"])
def test_missing_required_field_is_named(client, missing):
    config = upload_config("m")
    del config[missing]
    body = multipart_upload(client, config, GOOD).get_json()
    assert body == {"retcode": 100, "retmsg": f"required parameters are missing: {missing};"}


@pytest.mark.parametrize("field,value,message", [
    ("partition", "many", "parameter partition must be an integer, got 'many'"),
    ("partition", 0, "parameter partition must be between 1 and 1023, got 0"),
    ("partition", 1024, "parameter partition must be between 1 and 1023, got 1024"),
    ("head", 2, "parameter head must be between 0 and 1, got 2"),
    ("head", [1], "parameter head must be an integer, got list"),
    ("namespace", {"a": 1}, "parameter namespace must be a table namespace (a string), got dict"),
    ("storage_engine", "HDFS", "parameter storage_engine: 'HDFS' is not supported here; use STANDALONE"),
    ("id_delimiter", "\n", "parameter id_delimiter must not contain a line break"),
])
def test_wrong_typed_field_is_named(client, field, value, message):
    body = multipart_upload(client, upload_config("w", **{field: value}), GOOD).get_json()
    assert body == {"retcode": 101, "retmsg": message}


def test_query_string_that_is_not_json_is_refused(client):
    response = client.post("/v1/data/upload?{not json", data={"file": (__import__("io").BytesIO(GOOD), "a.csv")},
                           content_type="multipart/form-data")
    body = response.get_json()
    assert body["retcode"] == 100
    assert body["retmsg"].startswith("the query string of upload parameters is not valid JSON")


def test_multipart_without_a_file_part(client):
    response = client.post("/v1/data/upload?" + json.dumps(upload_config("nofile")), data={"x": "1"},
                           content_type="multipart/form-data")
    assert response.get_json() == {"retcode": 100, "retmsg": "required parameters are missing: file;"}


def test_json_mode_needs_use_local_data_0(client):
    body = client.post("/v1/data/upload", json={**upload_config("j"), "file": str(BREAST)}).get_json()
    assert body["retcode"] == 0
    body = client.post("/v1/data/upload", json={**upload_config("j2"), "file": str(BREAST), "use_local_data": 1}).get_json()
    assert body["retcode"] == 100 and body["retmsg"].startswith("no file part")


def test_server_side_file_that_does_not_exist(client, tmp_path):
    missing = tmp_path / "nope.csv"
    body = client.post("/v1/data/upload", json={**upload_config("x"), "use_local_data": 0, "file": str(missing)}).get_json()
    assert body == {"retcode": 100, "retmsg": f"parameter file: file {missing} does not exist"}


def test_server_side_path_that_is_not_a_regular_file(client, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    body = client.post("/v1/data/upload", json={**upload_config("x"), "use_local_data": 0, "file": str(fifo)}).get_json()
    assert body == {"retcode": 100, "retmsg": f"parameter file: {fifo} is not a regular file"}


@pytest.mark.parametrize("path", ["setup.py", "examples/../setup.py", "/etc/passwd", "/tmp/../etc/passwd"])
def test_server_side_file_outside_allowed_dirs_is_refused(client, path):
    body = client.post("/v1/data/upload", json={**upload_config("x"), "use_local_data": 0, "file": path}).get_json()
    assert body["retcode"] == 100
    assert body["retmsg"].startswith(f"parameter file: {path} is outside the directories this server may read")
    assert table_info(client, "x")["exist"] == 0


def test_symlink_out_of_an_allowed_dir_is_refused(client, tmp_path):
    link = tmp_path / "innocent.csv"
    link.symlink_to("/etc/passwd")
    body = client.post("/v1/data/upload", json={**upload_config("x"), "use_local_data": 0, "file": str(link)}).get_json()
    assert body["retcode"] == 100 and "is outside the directories" in body["retmsg"]


@pytest.mark.parametrize("content,message", [
    (b"id,y,x0\n1,0,0.5\n2,1\n3,0,1\n", "data.csv line 3 has 2 fields, expected 3 like the first line; the file is ragged"),
    (b"id,y,x0\n1,0,0.5\n2,1,0.1\n1,0,0.2\n", "data.csv has the id '1' more than once; ids (the first column) must be unique"),
    (b"", "data.csv is empty"),
    (b"\n\n", "data.csv is empty"),
    (b"id,y,x0\n", "data.csv has a header line but no data rows"),
    (b"id,y,x0\n,0,0.5\n", "data.csv line 2 has an empty id (first column)"),
    ("id,y,x0\n1,0,caf\u00e9\n".encode("latin-1"), "data.csv is not UTF-8 text (line 2, byte 8: invalid continuation byte)"),
])
def test_bad_content_fails_with_data_error_and_leaves_no_table(client, settings, content, message):
    response = multipart_upload(client, upload_config("bad"), content)
    body = response.get_json()
    assert response.status_code == 200
    assert body["retcode"] == 102 and body["retmsg"] == message
    assert table_info(client, "bad")["exist"] == 0
    [job] = job_rows(client, body["jobId"])
    assert job["f_status"] == "failed"
    log = (settings.logs_dir / body["jobId"] / "local" / "0" / "upload_0" / "INFO.log").read_text()
    assert message in log
    assert list(settings.storage.root.iterdir()) == [], "no half-written table data is left"


def test_failed_replacement_never_damages_the_existing_table(client, tmp_path):
    assert multipart_upload(client, upload_config("keep"), GOOD).get_json()["retcode"] == 0
    body = multipart_upload(client, upload_config("keep", drop=1), b"id,y,x0\n9,1,1\n8,0\n").get_json()
    assert body["retcode"] == 102
    assert table_info(client, "keep")["count"] == 3
    out = tmp_path / "keep.csv"
    assert client.post("/v1/data/download", json={"namespace": "experiment", "table_name": "keep",
                                                  "output_path": str(out)}).get_json()["retcode"] == 0
    assert out.read_bytes() == GOOD


def test_upload_history(client):
    ids = [multipart_upload(client, upload_config(f"h{i}"), GOOD).get_json()["jobId"] for i in range(3)]
    history = client.post("/v1/data/upload/history", json={}).get_json()["data"]
    assert [next(iter(h)) for h in history] == ids[::-1]
    assert history[0][ids[2]]["upload_info"] == {"table_name": "h2", "namespace": "experiment", "partition": 4,
                                                 "upload_count": 3}
    assert history[0][ids[2]]["schema"] == {"header": "y,x0", "sid": "id"}
    assert len(client.post("/v1/data/upload/history", json={"limit": 2}).get_json()["data"]) == 2
    only = client.post("/v1/data/upload/history", json={"job_id": ids[0]}).get_json()["data"]
    assert [next(iter(h)) for h in only] == [ids[0]]
    client.post("/v1/table/delete", json={"namespace": "experiment", "table_name": "h1"})
    assert ids[1] not in [next(iter(h)) for h in client.post("/v1/data/upload/history", json={}).get_json()["data"]]
    body = client.post("/v1/data/upload/history", json={"limit": "x"}).get_json()
    assert body == {"retcode": 101, "retmsg": "parameter limit must be an integer, got 'x'"}


class _StoppedClock(Clock):
    """2026-01-01 00:00:00 UTC, always."""

    def time(self) -> float:
        return 1_767_225_600.0


def test_the_upload_log_and_the_job_carry_the_runtime_clock_time(settings):
    from fate_flow.db.base import DB
    clock = _StoppedClock()
    app = make_app(settings, clock=clock)
    try:
        client = app.test_client()
        body = multipart_upload(client, upload_config("clocked"), GOOD).get_json()
        assert body["retcode"] == 0, body
        lines = (settings.logs_dir / body["jobId"] / "local" / "0" / "upload_0" / "INFO.log").read_text().splitlines()
        assert lines and all(line.startswith(f"[INFO] [{clock.log_stamp()}] ") for line in lines), lines
        [job] = job_rows(client, body["jobId"])
        assert job["f_create_time"] == job["f_end_time"] == clock.now_ms()
    finally:
        runtime_of(app).close()
        DB.obj.close()
