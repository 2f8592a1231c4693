"""The server's own files are out of reach of the data APIs: path attacks (links, traversal, server state) against a real
server on its default file_access (read: FATE_FLOW_HOME/data_in and examples/, write: FATE_FLOW_HOME/data_out
and the system temp directory, which here holds FATE_FLOW_HOME itself), each refused with nothing read or
written and logged to the audit log; and a server that will not start on a private key others can read."""
import json
import os
import uuid

import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.server_process import make_server

pytestmark = pytest.mark.slow

BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("state"), party_ids=[9999]).start()
    (server.home / "data_in").mkdir(exist_ok=True)
    answer = server.post("/v1/data/upload", json={"file": "examples/data/breast_hetero_guest.csv",
                                                  "use_local_data": 0, "head": 1, "partition": 2,
                                                  "namespace": "experiment", "table_name": "breast"}).json()
    assert answer["retcode"] == 0, answer  # the seed documents' upload from examples/ still works
    yield server
    server.stop()


@pytest.fixture
def key(server):
    path = server.home / "keys" / "9999.pem"
    before = path.read_bytes()
    listing = sorted(os.listdir(path.parent))
    yield path
    assert path.read_bytes() == before, "the private key changed"
    assert sorted(os.listdir(path.parent)) == listing, "something was written into keys/"


def upload(server, file, name):
    return server.post("/v1/data/upload", json={"file": str(file), "use_local_data": 0, "head": 0,
                                                "id_delimiter": "\t", "partition": 1, "namespace": "stolen",
                                                "table_name": name}).json()


def download(server, output_path):
    return server.post("/v1/data/download", json={"namespace": "experiment", "table_name": "breast",
                                                  "output_path": str(output_path)}).json()


def no_table(server, name):
    info = server.post("/v1/table/table_info", json={"namespace": "stolen", "table_name": name}).json()
    return info["data"]["exist"] == 0


def audit_lines(server):
    path = server.home / "logs" / "fate_flow" / "fate_flow_audit.log"
    return [json.loads(line.split(" ", 2)[2]) for line in path.read_text().splitlines()] if path.exists() else []


def test_key_theft_through_upload_is_refused(server, key):
    answer = upload(server, key, "key")
    assert answer["retcode"] == 100 and "is outside the directories this server may read" in answer["retmsg"]
    assert "jobId" not in answer and no_table(server, "key")
    assert any(r["route"] == "/v1/data/upload" and str(key) in r["reason"] and r["client"] == "127.0.0.1"
               for r in audit_lines(server))


def test_key_overwrite_through_download_is_refused(server, key):
    answer = download(server, key)
    assert answer["retcode"] == 100 and "part of the server's own state" in answer["retmsg"], answer
    assert "jobId" not in answer
    assert any(r["route"] == "/v1/data/download" and str(key) in r["reason"] for r in audit_lines(server))


@pytest.mark.parametrize("relative", ["fate_flow.db", "logs/fate_flow/fate_flow_stat.log", "keys/9999.pub.pem",
                                      "data_in/../keys/9999.pem", "data_out/../fate_flow.db"])
def test_absolute_and_dotdot_paths_to_the_server_state_are_refused_both_ways(server, key, relative):
    target = server.home / relative
    before = os.path.getsize(target) if os.path.exists(target) else None
    name = "t" + uuid.uuid4().hex[:8]
    up = upload(server, target, name)
    assert up["retcode"] == 100 and "this server may read" in up["retmsg"] and no_table(server, name)
    down = download(server, target)
    assert down["retcode"] == 100 and "part of the server's own state" in down["retmsg"], down
    if relative == "keys/9999.pub.pem":
        assert os.path.getsize(target) == before


def test_symlinks_in_tmp_and_in_a_write_dir_at_the_leaf_and_at_a_parent_are_refused(server, key, tmp_path):
    data_out = server.home / "data_out"
    data_out.mkdir(exist_ok=True)
    leafs = [tmp_path / "planted.csv", data_out / f"planted-{uuid.uuid4().hex[:6]}.csv"]
    parents = [tmp_path / "keys_dir", data_out / f"dir-{uuid.uuid4().hex[:6]}"]
    for link in leafs:
        link.symlink_to(key)
    for link in parents:
        link.symlink_to(key.parent)
    for link in leafs:
        answer = download(server, link)
        assert answer["retcode"] == 100 and "is a symbolic link" in answer["retmsg"], answer
        assert link.is_symlink()
    for link in parents:
        answer = download(server, link / key.name)
        assert answer["retcode"] == 100 and "goes through the symbolic link" in answer["retmsg"], answer
        answer = download(server, link / "new.csv")
        assert answer["retcode"] == 100 and "goes through the symbolic link" in answer["retmsg"], answer
    # and for upload, a link in a read dir to the key
    link = server.home / "data_in" / "innocent.csv"
    link.symlink_to(key)
    try:
        answer = upload(server, link, "via_link")
        assert answer["retcode"] == 100 and "this server may read" in answer["retmsg"] and no_table(server, "via_link")
    finally:
        link.unlink()


def test_hard_links_to_the_key_are_refused_both_ways(server, key, tmp_path):
    in_tmp = tmp_path / "hard.csv"
    os.link(key, in_tmp)
    in_data_in = server.home / "data_in" / "hard.csv"
    os.link(key, in_data_in)
    try:
        answer = download(server, in_tmp)
        assert answer["retcode"] == 100 and "has 3 hard links" in answer["retmsg"], answer
        answer = upload(server, in_data_in, "via_hard_link")
        assert answer["retcode"] == 100 and "has 3 hard links" in answer["retmsg"], answer
        assert no_table(server, "via_hard_link")
    finally:
        in_tmp.unlink()
        in_data_in.unlink()


def test_table_add_of_the_key_as_a_file_is_refused(server, key):
    answer = server.post("/v1/table/add", json={"engine": "FILE", "address": {"path": str(key)}, "namespace": "stolen",
                                                "name": "added", "head": 0, "id_delimiter": ","}).json()
    assert answer["retcode"] == 100 and "this server may read" in answer["retmsg"] and no_table(server, "added")


def test_downloads_to_tmp_and_data_out_still_work(server, tmp_path):
    for out in (tmp_path / "sub" / "breast.csv", server.home / "data_out" / "breast.csv"):
        answer = download(server, out)
        assert answer["retcode"] == 0, answer
        assert out.read_bytes() == BREAST.read_bytes()


def test_a_private_key_others_can_read_stops_the_server_from_starting(tmp_path):
    server = make_server(tmp_path / "loose", party_ids=[9999])
    server.start()
    server.stop()
    key = server.home / "keys" / "9999.pem"
    assert key.stat().st_mode & 0o777 == 0o600 and key.parent.stat().st_mode & 0o777 == 0o700
    key.chmod(0o644)
    with pytest.raises(RuntimeError) as refused:
        server.start(timeout=20)
    assert f"private key {key} is readable or writable by other users (mode 0644)" in str(refused.value)
    assert f"chmod 600 {key}" in str(refused.value)
