"""The shipped example jobs, as a user runs them: the toy job and reader -> data_transform, in DSL v2 and v1,
submitted through the legacy CLI and through plain HTTP to a real server hosting guest and host; their
metrics, output data and logs read back through the CLI; a rerun; a stop."""
import json
import subprocess
import sys
import time

import pytest
import requests

from fate_flow.components.secure_add_example import party_total
from fate_flow.settings import PROJECT_ROOT
from tests.server_process import make_server

pytestmark = pytest.mark.slow

EXAMPLES = PROJECT_ROOT / "examples"
JOBS = {
    "toy v2": ("toy_example_conf.json", "toy_example_dsl.json"),
    "toy v1": ("toy_example_conf_v1.json", "toy_example_dsl_v1.json"),
    "data_transform v2": ("data_transform_conf.json", "data_transform_dsl.json"),
    "dataio v1": ("dataio_conf_v1.json", "dataio_dsl_v1.json"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("examples"), party_ids=(9999, 10000)).start()
    for role in ("guest", "host"):
        assert cli(server, "-f", "upload", "-c", f"examples/upload_{role}.json", "-drop", "1")[0] == 0
    yield server
    server.stop()


def cli(server, *args):
    env = {"FLOW_IP": "127.0.0.1", "FLOW_PORT": str(server.http_port), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "fate_flow/fate_flow_client.py", *args], capture_output=True,
                            text=True, cwd=PROJECT_ROOT, env=env, timeout=120)
    return result.returncode, (json.loads(result.stdout) if result.stdout.strip() else result.stderr)


def wait_for(server, job_id, statuses=("success", "failed", "canceled", "timeout"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = server.post("/v1/job/query", json={"job_id": job_id}).json()["data"]
        if rows and all(r["f_status"] in statuses for r in rows):
            return {(r["f_role"], r["f_party_id"]): r["f_status"] for r in rows}
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not reach {statuses} within {timeout}s")


@pytest.mark.parametrize("name", list(JOBS))
def test_example_job_through_the_legacy_cli(server, name):
    conf, dsl = JOBS[name]
    rc, answer = cli(server, "-f", "submit_job", "-c", f"examples/{conf}", "-d", f"examples/{dsl}")
    assert rc == 0 and answer["retcode"] == 0, answer
    job_id = answer["jobId"]
    assert answer["data"]["model_info"]["model_version"] == job_id
    assert wait_for(server, job_id) == {("guest", "9999"): "success", ("host", "10000"): "success"}


def test_toy_job_over_plain_http_reports_the_secure_sum(server, tmp_path):
    body = {"job_dsl": json.loads((EXAMPLES / "toy_example_dsl.json").read_text()),
            "job_runtime_conf": json.loads((EXAMPLES / "toy_example_conf.json").read_text())}
    answer = requests.post(f"{server.base_url}/v1/job/submit", json=body, timeout=30).json()
    job_id = answer["jobId"]
    assert wait_for(server, job_id)[("guest", "9999")] == "success"
    rc, metrics = cli(server, "-f", "component_metric_all", "-j", job_id, "-r", "guest", "-p", "9999",
                      "-cpn", "secure_add_example_0")
    [[key, value]] = metrics["data"]["secure_add_example"]["sum"]["data"]
    assert key == "sum" and value == pytest.approx(party_total(123, 1000) + party_total(321, 1000), abs=1e-6)
    rc, log = cli(server, "-f", "job_log", "-j", job_id, "-o", str(tmp_path))
    assert rc == 0
    info = (tmp_path / f"job_{job_id}_log" / "guest" / "9999" / "secure_add_example_0" / "INFO.log").read_text()
    assert "secure sum of guest and host tables" in info


def test_data_transform_output_rerun_and_stop(server, tmp_path):
    conf, dsl = JOBS["data_transform v2"]
    rc, answer = cli(server, "-f", "submit_job", "-c", f"examples/{conf}", "-d", f"examples/{dsl}")
    job_id = answer["jobId"]
    wait_for(server, job_id)
    rc, out = cli(server, "-f", "component_output_data", "-j", job_id, "-r", "guest", "-p", "9999",
                  "-cpn", "data_transform_0", "-o", str(tmp_path))
    assert rc == 0, out
    lines = (tmp_path / f"job_{job_id}_data_transform_0_guest_9999_output_data" / "data.csv").read_text().splitlines()
    assert lines[0] == "id,y,x0,x1,x2,x3,x4,x5,x6,x7,x8,x9" and len(lines) == 570

    rc, model = cli(server, "-f", "component_output_model", "-j", job_id, "-r", "guest", "-p", "9999",
                    "-cpn", "data_transform_0")
    assert rc == 0 and model["data"]["header"] == [f"x{i}" for i in range(10)] and model["data"]["label_name"] == "y"
    assert model["meta"]["module_name"] == "DataTransform" and model["meta"]["meta_data"]["with_label"] is True
    rc, none = cli(server, "-f", "component_output_model", "-j", job_id, "-r", "guest", "-p", "9999", "-cpn", "reader_0")
    assert rc == 0 and none == {"retcode": 0, "retmsg": "no data", "data": {}}

    rerun = server.post("/v1/job/rerun", json={"job_id": job_id, "component_name": "data_transform_0"}).json()
    assert rerun["retcode"] == 0, rerun
    wait_for(server, job_id, statuses=("success",))
    tasks = server.post("/v1/job/task/query", json={"job_id": job_id, "role": "guest",
                                                   "component_name": "data_transform_0"}).json()["data"]
    assert [t["f_task_version"] for t in tasks] == [1]
    reader = server.post("/v1/job/task/query", json={"job_id": job_id, "role": "guest",
                                                    "component_name": "reader_0"}).json()["data"]
    assert [t["f_task_version"] for t in reader] == [0], "the upstream reader kept its first run"

    rc, stopped = cli(server, "-f", "stop_job", "-j", job_id)
    assert rc == 1 and stopped["retcode"] == 103, "stopping an ended job is refused"


def test_job_summary_at_a_glance(server):
    conf, dsl = JOBS["data_transform v2"]
    rc, answer = cli(server, "-f", "submit_job", "-c", f"examples/{conf}", "-d", f"examples/{dsl}")
    job_id = answer["jobId"]
    wait_for(server, job_id)
    rc, summary = cli(server, "-f", "job_summary", "-j", job_id)
    assert rc == 0, summary
    data = summary["data"]
    assert data["status"] == {"guest": {"9999": "success"}, "host": {"10000": "success"}} and data["progress"] == 100
    assert [c["component"] for c in data["components"]] == ["reader_0", "data_transform_0"]
    for component in data["components"]:
        assert component["status"] == {"guest": {"9999": "success"}, "host": {"10000": "success"}}
        assert component["runs"] == 1 and component["elapsed_ms"] >= 0
    rc, missing = cli(server, "-f", "job_summary", "-j", "nope")
    assert rc == 1 and missing["retcode"] == 101


def test_reader_data_transform_across_two_servers_in_v2_and_v1(tmp_path):
    from fate_flow.client.http_client import FlowHttpClient
    from tests.federation.servers import make_federated_servers
    servers = make_federated_servers(tmp_path, {"guest": ["9999"], "host": ["10000"]})
    guest, host = servers["guest"].start(), servers["host"].start()
    try:
        for server, role in ((guest, "guest"), (host, "host")):  # each party's data stays on its own server
            answer = FlowHttpClient("127.0.0.1", server.http_port).upload(
                {"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1, "partition": 4},
                EXAMPLES / "data" / f"breast_hetero_{role}.csv")
            assert answer["retcode"] == 0, answer
        for conf, dsl, component in (("data_transform_conf.json", "data_transform_dsl.json", "data_transform_0"),
                                     ("dataio_conf_v1.json", "dataio_dsl_v1.json", "dataio_0")):
            rc, answer = cli(guest, "-f", "submit_job", "-c", f"examples/{conf}", "-d", f"examples/{dsl}")
            assert rc == 0, answer
            job_id = answer["jobId"]
            assert wait_for(guest, job_id) == {("guest", "9999"): "success"}
            assert wait_for(host, job_id) == {("host", "10000"): "success"}
            for server, role, party, width in ((guest, "guest", 9999, 11), (host, "host", 10000, 20)):
                preview = server.post("/v1/tracking/component/output/data",
                                      json={"job_id": job_id, "component_name": component, "role": role,
                                            "party_id": party}).json()
                assert preview["meta"]["total"] == [569]
                assert len(preview["meta"]["header"][0]) == width + 1, "id, (label,) the party's own features"
    finally:
        guest.stop()
        host.stop()
