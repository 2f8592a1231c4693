"""FATE's own clients (fate-client 1.6.1), unchanged, against a real server: flow_sdk, `flow`, Pipeline."""
import json

import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.integration.client_venv import CLIENT_VENV, require_client_venv, run_json, run_python
from tests.server_process import make_server

BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_client_venv()
    server = make_server(tmp_path_factory.mktemp("clients")).start()
    yield server
    server.stop()


def write_conf(tmp_path, name, **conf):
    path = tmp_path / name
    path.write_text(json.dumps(conf))
    return path


def test_flow_sdk_upload_info_download_history(server, tmp_path):
    up = write_conf(tmp_path, "up.json", file=str(BREAST), head=1, partition=4, work_mode=0,
                    namespace="sdk", table_name="breast", id_delimiter=",")
    out = tmp_path / "out.csv"
    down = write_conf(tmp_path, "down.json", namespace="sdk", table_name="breast", output_path=str(out), work_mode=0)
    result = run_python(f"""
import json
from flow_sdk.client import FlowClient
c = FlowClient("127.0.0.1", {server.http_port}, "v1")
up = c.data.upload(conf_path="{up}", verbose=0, drop=1)
again = c.data.upload(conf_path="{up}", verbose=0)
info = c.table.info(namespace="sdk", table_name="breast")
down = c.data.download(conf_path="{down}")
hist = c.data.upload_history(limit=5)
job = c.job.query(job_id=up["jobId"], role="local", party_id=0)
print(json.dumps(dict(up=up, again=again, info=info, down=down, hist=hist, job=job)))
""")
    assert result["up"]["retcode"] == 0 and result["up"]["data"]["table_name"] == "breast"
    assert result["again"]["retcode"] == 100 and "already exists" in result["again"]["retmsg"]
    assert result["info"]["data"]["count"] == 569
    assert result["down"]["retcode"] == 0 and out.read_bytes() == BREAST.read_bytes()
    assert next(iter(result["hist"]["data"][0])) == result["up"]["jobId"]
    assert result["job"]["data"][0]["f_status"] == "success"


def test_flow_cli_upload_and_table_info(server, tmp_path):
    require_client_venv()
    flow = str(CLIENT_VENV / "bin" / "flow")
    assert run_json([flow, "init", "--ip", "127.0.0.1", "--port", str(server.http_port)])["retcode"] == 0
    up = write_conf(tmp_path, "up.json", file=str(BREAST), head=1, partition=2, work_mode=0,
                    namespace="cli", table_name="breast")
    answer = run_json([flow, "data", "upload", "-c", str(up), "--drop"])
    assert answer["retcode"] == 0, answer
    info = run_json([flow, "table", "info", "-n", "cli", "-t", "breast"])
    assert info["data"]["count"] == 569 and info["data"]["partition"] == 2
    jobs = run_json([flow, "job", "query", "-j", answer["jobId"], "-r", "local", "-p", "0"])
    assert jobs["data"][0]["f_status"] == "success"
    deleted = run_json([flow, "table", "delete", "-n", "cli", "-t", "breast"])
    assert deleted["retcode"] == 0


def test_pipeline_upload_monitors_the_local_job_to_success(server):
    pipeline = str(CLIENT_VENV / "bin" / "pipeline")
    from tests.integration.client_venv import run_client
    init = run_client([pipeline, "init", "--ip", "127.0.0.1", "--port", str(server.http_port)])
    assert init.returncode == 0, init.stderr
    result = run_python(f"""
import json
from pipeline.backend.pipeline import PipeLine
p = PipeLine().set_initiator(role="guest", party_id=9999).set_roles(guest=9999)
p.add_upload_data(file="{BREAST}", table_name="breast", namespace="pipeline", head=1, partition=4)
p.upload(work_mode=0, drop=1)
from flow_sdk.client import FlowClient
print(json.dumps(FlowClient("127.0.0.1", {server.http_port}, "v1").table.info(namespace="pipeline", table_name="breast")))
""", timeout=180)
    assert result["data"]["count"] == 569
