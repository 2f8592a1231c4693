"""FATE's own clients (fate-client 1.6.1), unchanged, reading a recorded job from a real server: flow_sdk's
job.log/config/query/list, task.query/list, job.generate_dsl, and the `flow job dsl -o` file download."""
import json

import pytest

from fate_flow.db.base import open_database
from fate_flow.db.models import Job, Task, TrackingOutputDataInfo
from tests.api.job_rows import EXAMPLES, add_job, add_output, add_task, example, write_job_logs
from tests.integration.client_venv import CLIENT_VENV, require_client_venv, run_client, run_json
from tests.server_process import make_server

pytestmark = pytest.mark.slow

JOB = "202103311200000000001"
LOGS = {"fate_flow_schedule.log": "scheduled\n", "guest/10000/hetero_lr_0/INFO.log": "iteration 1\n"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_client_venv()
    # the recorded job is a snapshot to read, not a job to run: no scheduler on this server
    server = make_server(tmp_path_factory.mktemp("clients_jobs"), party_ids=(9999, 10000),
                         extra_conf={"scheduler": {"enabled": False}}).start()
    db = open_database(f"sqlite:///{server.home / 'fate_flow.db'}")
    with db.bind_ctx([Job, Task, TrackingOutputDataInfo]), db.connection_context():
        add_job(JOB, "guest", "10000", f_status="running")
        add_task(JOB, "reader_0", 0)
        add_task(JOB, "hetero_lr_0", 0, status="running")
        add_output(JOB, "reader_0", 0)
    db.close()
    write_job_logs(server.home, JOB, LOGS)
    yield server
    server.stop()


def sdk(server, tmp_path, code: str) -> dict:
    """Run `code` with `c` = flow_sdk FlowClient, in tmp_path (the SDK writes its archive to the cwd)."""
    script = (f"import json\nfrom flow_sdk.client import FlowClient\n"
              f"c = FlowClient('127.0.0.1', {server.http_port}, 'v1')\n{code}")
    result = run_client([str(CLIENT_VENV / "bin" / "python"), "-c", script], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sdk_job_log_and_config(server, tmp_path):
    out = tmp_path / "out"
    result = sdk(server, tmp_path, f"""
log = c.job.log(job_id="{JOB}", output_path="{out}")
missing = c.job.log(job_id="202001010000000000000", output_path="{out}")
config = c.job.config(job_id="{JOB}", role="guest", party_id=10000, output_path="{out}")
print(json.dumps(dict(log=log, missing=missing, config=config)))
""")
    log_dir = out / f"job_{JOB}_log"
    assert result["log"]["retcode"] == 0 and result["log"]["directory"] == str(log_dir)
    assert {p.relative_to(log_dir).as_posix(): p.read_text() for p in log_dir.rglob("*") if p.is_file()} == LOGS
    assert result["missing"]["retcode"] == 210 and "not found" in result["missing"]["retmsg"]
    config_dir = out / f"job_{JOB}_config"
    assert result["config"]["retcode"] == 0 and result["config"]["directory"] == str(config_dir)
    assert json.loads((config_dir / "dsl.json").read_text()) == example("v2_train_dsl")
    assert result["config"]["data"]["model_info"]["model_version"] == JOB


def test_sdk_job_and_task_queries_as_pipeline_reads_them(server, tmp_path):
    result = sdk(server, tmp_path, f"""
job = c.job.query(job_id="{JOB}", role="guest", party_id=10000)
running = c.task.query(job_id="{JOB}", role="guest", party_id=10000, status="running")
print(json.dumps(dict(job=job, running=running, jobs=c.job.list(limit=5), tasks=c.task.list(limit=5),
                      view=c.job.view(job_id="{JOB}", role="guest", party_id=10000))))
""")
    assert result["job"]["data"][0]["f_status"] == "running"
    assert [t["f_component_name"] for t in result["running"]["data"]] == ["hetero_lr_0"]
    assert [j["f_job_id"] for j in result["jobs"]["data"]] == [JOB]
    assert len(result["tasks"]["data"]) == 2
    assert [v["f_table_name"] for v in result["view"]["data"]] == ["reader_0_0"]


def test_sdk_generate_dsl_and_flow_job_dsl_file(server, tmp_path):
    train_dsl = EXAMPLES / "v2_train_dsl.json"
    result = sdk(server, tmp_path, f"""
print(json.dumps(dict(ok=c.job.generate_dsl(train_dsl_path="{train_dsl}", cpn_list=["reader_0", "dataio_0"]),
                      bad=c.job.generate_dsl(train_dsl_path="{train_dsl}", cpn_list=["nope_0"]))))
""")
    assert set(result["ok"]["data"]["components"]) == {"reader_0", "dataio_0"}
    assert result["bad"]["retcode"] == 210 and "nope_0" in result["bad"]["retmsg"]

    flow = str(CLIENT_VENV / "bin" / "flow")
    assert run_json([flow, "init", "--ip", "127.0.0.1", "--port", str(server.http_port)])["retcode"] == 0
    out = tmp_path / "dsl_out"
    answer = run_json([flow, "job", "dsl", "--cpn-list", "reader_0, dataio_0", "--train-dsl-path", str(train_dsl),
                       "-o", str(out)])
    assert answer["retcode"] == 0, answer
    [written] = list(out.iterdir())
    assert written.name.startswith("predict_dsl_") and set(json.loads(written.read_text())["components"]) == {
        "reader_0", "dataio_0"}


def test_flow_cli_job_log(server, tmp_path):
    flow = str(CLIENT_VENV / "bin" / "flow")
    assert run_json([flow, "init", "--ip", "127.0.0.1", "--port", str(server.http_port)])["retcode"] == 0
    result = run_client([flow, "job", "log", "-j", JOB, "-o", str(tmp_path / "o")], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["retcode"] == 0
    assert (tmp_path / "o" / f"job_{JOB}_log" / "fate_flow_schedule.log").read_text() == "scheduled\n"
