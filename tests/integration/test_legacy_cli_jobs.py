"""The legacy CLI's job commands as a user runs them: against a real server holding a recorded job (rows and
logs written as the scheduler leaves them), and, for the commands whose endpoints belong to the job core,
against a loopback recorder that shows exactly what the CLI sends."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fate_flow.db.base import open_database
from fate_flow.db.models import Job, Task, TrackingOutputDataInfo
from tests.api.job_rows import add_job, add_output, add_task, example, write_job_logs
from tests.integration.test_legacy_cli import cli, flow
from tests.server_process import make_server

pytestmark = pytest.mark.slow

JOB = "202103311200000000001"
LOGS = {"fate_flow_schedule.log": "scheduled\n", "guest/10000/INFO.log": "info\n",
        "guest/10000/reader_0/std.log": "reader says hi\n"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("cli_jobs"), party_ids=(9999, 10000)).start()
    db = open_database(f"sqlite:///{server.home / 'fate_flow.db'}")
    with db.bind_ctx([Job, Task, TrackingOutputDataInfo]), db.connection_context():
        add_job(JOB, "guest", "10000")
        add_job(JOB, "host", "9999")
        add_task(JOB, "reader_0", 0)
        add_task(JOB, "reader_0", 1, status="running")
        add_output(JOB, "reader_0", 1)
    db.close()
    write_job_logs(server.home, JOB, LOGS)
    yield server
    server.stop()


def test_job_log_extracts_the_job_logs(server, tmp_path):
    rc, body = flow(server, "-f", "job_log", "-j", JOB, "-o", str(tmp_path))
    directory = tmp_path / f"job_{JOB}_log"
    assert rc == 0 and body == {"retcode": 0, "directory": str(directory),
                                "retmsg": f"download successfully, please check {directory} directory"}
    extracted = {p.relative_to(directory).as_posix(): p.read_text() for p in directory.rglob("*") if p.is_file()}
    assert extracted == LOGS
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"job_{JOB}_log"]  # the archive was removed


def test_job_log_of_an_unknown_job_exits_1_with_the_server_message(server, tmp_path):
    rc, body = flow(server, "-f", "job_log", "-j", "202001010000000000000", "-o", str(tmp_path))
    assert rc == 1 and body["retcode"] == 210
    assert body["retmsg"].startswith("Log file path: ") and body["retmsg"].endswith(
        "not found. Please check if the job id is valid.")
    assert list(tmp_path.iterdir()) == []


def test_job_config_writes_the_four_files(server, tmp_path):
    rc, body = flow(server, "-f", "job_config", "-j", JOB, "-r", "guest", "-p", "10000", "-o", str(tmp_path))
    directory = tmp_path / f"job_{JOB}_config"
    assert rc == 0 and body["directory"] == str(directory)
    assert body["retmsg"] == f"download successfully, please check {directory} directory"
    assert sorted(p.name for p in directory.iterdir()) == ["dsl.json", "model_info.json", "runtime_conf.json",
                                                           "train_runtime_conf.json"]
    assert json.loads((directory / "dsl.json").read_text()) == example("v2_train_dsl")
    assert json.loads((directory / "model_info.json").read_text()) == {
        "model_id": "arbiter-9999#guest-10000#host-9999#model", "model_version": JOB}
    assert "dsl" not in body["data"] and "runtime_conf" not in body["data"]


def test_job_config_refusals(server, tmp_path):
    rc, body = flow(server, "-f", "job_config", "-j", JOB, "-o", str(tmp_path))
    assert rc == 1 and body == {"retcode": 100,
                                "retmsg": "the following arguments are required: -r role, -p party_id"}
    rc, body = flow(server, "-f", "job_config", "-j", JOB, "-r", "arbiter", "-p", "9999", "-o", str(tmp_path))
    assert rc == 1 and body == {"retcode": 101, "retmsg": "find job failed"} and list(tmp_path.iterdir()) == []


def test_query_task_and_data_view(server):
    rc, body = flow(server, "-f", "query_task", "-j", JOB, "-cpn", "reader_0")
    assert rc == 0 and [(r["f_task_version"], r["f_status"]) for r in body["data"]] == [(1, "running")]
    rc, body = flow(server, "-f", "data_view_query", "-j", JOB, "-r", "guest", "-p", "10000")
    assert rc == 0 and [r["f_task_version"] for r in body["data"]] == [1]
    rc, body = flow(server, "-f", "query_task", "-j", "nope")
    assert rc == 1 and body == {"retcode": 101, "retmsg": "find task failed"}


def test_data_view_query_and_clean_job_without_a_job_id(server):
    rc, body = flow(server, "-f", "data_view_query", "-r", "guest", "-p", "10000")
    assert rc == 0 and [(r["f_job_id"], r["f_task_version"]) for r in body["data"]] == [(JOB, 1)]
    rc, body = flow(server, "-f", "clean_job", "-r", "guest", "-p", "10000", "-cpn", "reader_0")
    assert rc == 0 and [(c["task_id"], c["task_version"]) for c in body["data"]["cleaned"]] == [
        (f"{JOB}_reader_0", 0), (f"{JOB}_reader_0", 1)]
    rc, body = flow(server, "-f", "clean_job", "-r", "host", "-p", "9999")
    assert rc == 1 and body == {"retcode": 100, "retmsg": "no found task"}  # the filters still apply


def test_query_job_drops_the_big_columns(server):
    rc, body = flow(server, "-f", "query_job", "-j", JOB, "-r", "host")
    assert rc == 0 and [r["f_party_id"] for r in body["data"]] == ["9999"]
    assert "f_dsl" not in body["data"][0] and "f_runtime_conf" not in body["data"][0]


class Recorder(BaseHTTPRequestHandler):
    """Answers every POST with success and keeps (path, JSON body)."""

    requests: list = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.requests.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
        payload = json.dumps({"retcode": 0, "retmsg": "success"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    Recorder.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    thread.join(timeout=5)
    httpd.server_close()


def send(recorder, *args):
    result = cli(*args, env_extra={"FLOW_IP": "127.0.0.1", "FLOW_PORT": str(recorder.server_address[1])})
    return result.returncode, json.loads(result.stdout)


def write(tmp_path, name, value):
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return str(path)


def test_submit_job_sends_dsl_and_conf(recorder, tmp_path):
    conf = write(tmp_path, "conf.json", example("v2_train_conf"))
    dsl = write(tmp_path, "dsl.json", example("v2_train_dsl"))
    assert send(recorder, "-f", "submit_job", "-c", conf, "-d", dsl) == (0, {"retcode": 0, "retmsg": "success"})
    [(path, body)] = Recorder.requests
    assert path == "/v1/job/submit" and set(body) == {"job_dsl", "job_runtime_conf"}
    assert body["job_dsl"] == example("v2_train_dsl")
    assert body["job_runtime_conf"] == {**example("v2_train_conf"), "config": conf, "dsl": dsl,
                                        "function": "submit_job"}


def test_submit_job_needs_a_dsl_except_for_a_v1_predict_job(recorder, tmp_path):
    conf = write(tmp_path, "conf.json", example("v2_train_conf"))
    rc, body = send(recorder, "-f", "submit_job", "-c", conf)
    assert rc == 1 and body["retmsg"].startswith("the following arguments are required: -d dsl")
    predict = write(tmp_path, "predict.json", example("v1_predict_conf"))
    assert send(recorder, "-f", "submit_job", "-c", predict)[0] == 0
    assert [(p, b["job_dsl"]) for p, b in Recorder.requests] == [("/v1/job/submit", {})]
    rc, body = send(recorder, "-f", "submit_job", "-c", conf, "-d", str(tmp_path / "missing.json"))
    assert rc == 1 and body["retmsg"].startswith(f"cannot read dsl file {tmp_path / 'missing.json'}")
    rc, body = send(recorder, "-f", "submit_job")
    assert rc == 1 and body["retmsg"] == "the following arguments are required: -c config"


def test_stop_clean_and_clean_queue(recorder):
    assert send(recorder, "-f", "stop_job", "-j", JOB)[0] == 0
    assert send(recorder, "-f", "clean_job", "-j", JOB, "-r", "guest", "-p", "10000", "-cpn", "reader_0")[0] == 0
    assert send(recorder, "-f", "clean_queue")[0] == 0
    sent = [(path, {k: v for k, v in body.items() if k != "function"}) for path, body in Recorder.requests]
    assert sent == [("/v1/job/stop", {"job_id": JOB}),
                    ("/v1/job/clean", {"job_id": JOB, "role": "guest", "party_id": "10000",
                                       "component_name": "reader_0"}),
                    ("/v1/job/clean/queue", {})]


def test_stop_needs_a_job_id_and_clean_does_not(recorder):
    assert send(recorder, "-f", "stop_job") == (1, {"retcode": 100,
                                                    "retmsg": "the following arguments are required: -j job_id"})
    assert Recorder.requests == []
    assert send(recorder, "-f", "clean_job", "-r", "guest")[0] == 0  # seed 001: every filter is optional
    assert [(path, body.get("role"), "job_id" in body) for path, body in Recorder.requests] == [
        ("/v1/job/clean", "guest", False)]
