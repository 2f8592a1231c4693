"""`python fate_flow/fate_flow_client.py -f ...` as a user runs it, against a real server."""
import json
import os
import subprocess
import sys

import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.conftest import free_port
from tests.server_process import make_server

BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("cli")).start()
    yield server
    server.stop()


def cli(*args, env_extra=None, cwd=PROJECT_ROOT):
    env = {k: v for k, v in os.environ.items() if k not in ("FLOW_IP", "FLOW_PORT", "FATE_DEPLOY_BASE")}
    env.update(env_extra or {})
    result = subprocess.run([sys.executable, "fate_flow/fate_flow_client.py", *args], capture_output=True, text=True,
                            env=env, cwd=cwd, timeout=120)
    return result


def flow(server, *args):
    result = cli(*args, env_extra={"FLOW_IP": "127.0.0.1", "FLOW_PORT": str(server.http_port)})
    return result.returncode, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_round_trip_upload_table_info_download(server, tmp_path):
    rc, up = flow(server, "-f", "upload", "-c", "examples/upload_guest.json", "-drop", "1")
    assert rc == 0 and up["retcode"] == 0 and up["data"]["table_name"] == "breast_hetero_guest"
    rc, info = flow(server, "-f", "table_info", "-n", "experiment", "-t", "breast_hetero_guest")
    assert rc == 0 and info["data"]["count"] == 569 and info["data"]["exist"] == 1
    conf = tmp_path / "download.json"
    out = tmp_path / "breast.csv"
    conf.write_text(json.dumps({"namespace": "experiment", "table_name": "breast_hetero_guest",
                                "output_path": str(out), "work_mode": 0}))
    rc, down = flow(server, "-f", "download", "-c", str(conf))
    assert rc == 0 and down["retcode"] == 0
    assert out.read_bytes() == BREAST.read_bytes()
    rc, hist = flow(server, "-f", "upload_history", "-j", up["jobId"])
    assert rc == 0 and list(hist["data"][0]) == [up["jobId"]]
    rc, jobs = flow(server, "-f", "query_job", "-j", up["jobId"])
    assert rc == 0 and jobs["data"][0]["f_status"] == "success"
    assert "f_runtime_conf" not in jobs["data"][0] and "f_dsl" not in jobs["data"][0]


def test_refusal_exits_nonzero_and_prints_the_envelope(server):
    flow(server, "-f", "upload", "-c", "examples/upload_guest.json", "-drop", "1")
    rc, again = flow(server, "-f", "upload", "-c", "examples/upload_guest.json")
    assert rc == 1 and again["retcode"] == 100 and again["retmsg"].startswith("The data table already exists")
    rc, deleted = flow(server, "-f", "table_delete", "-n", "experiment", "-t", "no_such_table")
    assert rc == 1 and deleted == {"retcode": 101, "retmsg": "no find table"}


def test_unreachable_server_names_the_address(tmp_path):
    port = free_port()
    result = cli("-f", "table_info", "-n", "a", "-t", "b", env_extra={"FLOW_IP": "127.0.0.1", "FLOW_PORT": str(port)})
    assert result.returncode == 2
    assert f"cannot reach the fate_flow server at http://127.0.0.1:{port}: connection refused" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_address_from_fate_deploy_base_conf(server, tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "service_conf.yaml").write_text(
        f"fateflow:\n  host: 127.0.0.1\n  http_port: {server.http_port}\n")
    result = cli("-f", "table_info", "-n", "experiment", "-t", "x", env_extra={"FATE_DEPLOY_BASE": str(tmp_path)})
    assert result.returncode == 0 and json.loads(result.stdout)["data"]["exist"] == 0


def test_bad_config_file(server, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    rc, body = flow(server, "-f", "upload", "-c", str(bad))
    assert rc == 1 and body["retmsg"].startswith(f"config file {bad} is not valid JSON")
    rc, body = flow(server, "-f", "upload", "-c", str(tmp_path / "missing.json"))
    assert rc == 1 and body["retmsg"].startswith("cannot read config file")


def test_upload_of_a_missing_local_file(server, tmp_path):
    conf = tmp_path / "up.json"
    conf.write_text(json.dumps({"file": str(tmp_path / "nope.csv"), "namespace": "n", "table_name": "t",
                                "head": 1, "partition": 1}))
    rc, body = flow(server, "-f", "upload", "-c", str(conf))
    assert rc == 1 and body == {"retcode": 100, "retmsg": f"file {tmp_path / 'nope.csv'} does not exist or is not a file"}
