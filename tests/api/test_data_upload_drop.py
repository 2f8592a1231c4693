"""`drop: 0` as the API guide defines it ("0 represents overwriting upload"): the file's rows are written into the
existing table (a row whose id the table has replaces it where it stands, new ids are added after), all or nothing,
with the table meta (count, schema, sample) updated; a file whose header is not the table's is refused naming both.
Through the HTTP API and the legacy CLI's `-f upload -drop 0`."""
import json
from pathlib import Path

import pytest

from fate_flow import fate_flow_client
from tests.api.upload_helpers import multipart_upload, upload_config

GOOD = b"id,y,x0\n1,0,0.5\n2,1,0.25\n3,0,-1.5\n"
MORE = b"id,y,x0\n4,1,4.5\n2,0,9.75\n5,0,5.5\n"            # replaces id 2, adds 4 and 5
WRITTEN_INTO = b"id,y,x0\n1,0,0.5\n2,0,9.75\n3,0,-1.5\n4,1,4.5\n5,0,5.5\n"


def info(client, name="t") -> dict:
    return client.post("/v1/table/table_info", json={"namespace": "experiment", "table_name": name}).get_json()["data"]


def download(client, tmp_path, name="t") -> bytes:
    out = tmp_path / f"{name}.csv"
    body = client.post("/v1/data/download", json={"namespace": "experiment", "table_name": name,
                                                  "output_path": str(out)}).get_json()
    assert body["retcode"] == 0, body
    return out.read_bytes()


def upload(client, content: bytes, name="t", **config) -> dict:
    return multipart_upload(client, upload_config(name, **config), content).get_json()


@pytest.mark.parametrize("drop", [0, "0"])
def test_drop_0_writes_the_rows_into_the_existing_table(client, settings, tmp_path, drop):
    assert upload(client, GOOD)["retcode"] == 0
    old_path = Path(info(client)["address"]["path"])
    body = upload(client, MORE, drop=drop)
    assert body["retcode"] == 0, body
    assert download(client, tmp_path) == WRITTEN_INTO
    table = info(client)
    assert (table["count"], table["partition"]) == (5, 4)
    assert table["schema"] == {"header": "y,x0", "sid": "id"}
    assert table["address"]["path"] != str(old_path) and not old_path.exists(), "the old copy is removed"
    assert sorted(p.name for p in settings.storage.root.iterdir()) == [Path(table["address"]["path"]).name], \
        "no other table directory is left behind"
    log = (settings.logs_dir / body["jobId"] / "local" / "0" / "upload_0" / "INFO.log").read_text()
    assert "1 replaced rows with the same id, 2 added; the table now has 5 rows" in log


def test_drop_0_without_a_table_creates_it(client, tmp_path):
    assert upload(client, GOOD, drop=0)["retcode"] == 0
    assert download(client, tmp_path) == GOOD and info(client)["count"] == 3


def test_a_header_that_is_not_the_tables_is_refused_naming_both(client, settings, tmp_path):
    assert upload(client, GOOD)["retcode"] == 0
    before = info(client)
    body = upload(client, b"id,y,x1\n7,1,0.5\n", drop=0)
    assert body["retcode"] == 102, body
    assert "the header of data.csv ('id,y,x1') does not match table experiment.t's ('id,y,x0')" in body["retmsg"]
    assert info(client) == before and download(client, tmp_path) == GOOD
    assert [p.name for p in settings.storage.root.iterdir()] == [Path(before["address"]["path"]).name]


@pytest.mark.parametrize("content, config, words", [
    (b"id,y,x0\n7,1,0.5\n8,0\n", {}, "data.csv line 3 has 2 fields"),                 # ragged: fails while loading
    (b"id,y,x0\n7,1,0.5\n7,0,0.1\n", {}, "data.csv has the id '7' more than once"),
    (b"7,1,0.5\n", {"head": 0}, "the header of data.csv (no header) does not match"),
    (b"id;y;x0\n7;1;0.5\n", {"id_delimiter": ";"}, "the id_delimiter of data.csv (';') is not table experiment.t's"),
])
def test_a_failed_drop_0_leaves_the_table_unchanged(client, settings, tmp_path, content, config, words):
    assert upload(client, GOOD)["retcode"] == 0
    before = info(client)
    body = upload(client, content, drop=0, **config)
    assert body["retcode"] != 0 and words in body["retmsg"], body
    assert info(client) == before and download(client, tmp_path) == GOOD
    assert [p.name for p in settings.storage.root.iterdir()] == [Path(before["address"]["path"]).name]
    [job] = client.post("/v1/job/query", json={"job_id": body["jobId"]}).get_json()["data"]
    assert job["f_status"] == "failed"


def test_headerless_tables_need_rows_of_the_same_width(client, tmp_path):
    assert upload(client, b"1,0,0.5\n2,1,0.25\n", head=0)["retcode"] == 0
    body = upload(client, b"3,0,0.5,7\n", head=0, drop=0)
    assert body["retcode"] == 102 and "the rows of data.csv have 4 columns, table experiment.t's have 3" in \
        body["retmsg"], body
    assert upload(client, b"2,0,9\n3,1,1\n", head=0, drop=0)["retcode"] == 0
    assert info(client)["count"] == 3


def test_legacy_cli_upload_drop_0(served, client, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLOW_IP", "127.0.0.1")
    monkeypatch.setenv("FLOW_PORT", str(served))
    for name, content in (("first.csv", GOOD), ("more.csv", MORE)):
        (tmp_path / name).write_bytes(content)
    conf = tmp_path / "upload.json"
    conf.write_text(json.dumps({**upload_config("t"), "file": str(tmp_path / "first.csv")}))
    assert fate_flow_client.main(["-f", "upload", "-c", str(conf)]) == 0
    capsys.readouterr()
    conf.write_text(json.dumps({**upload_config("t"), "file": str(tmp_path / "more.csv")}))
    assert fate_flow_client.main(["-f", "upload", "-c", str(conf), "-drop", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["retcode"] == 0
    assert download(client, tmp_path) == WRITTEN_INTO
