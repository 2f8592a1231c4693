"""Jobs on Spark, as a user runs them with the legacy CLI against a real server hosting guest
9999 and host/arbiter 10000, Spark in local mode: the flagship hetero LR job with every party on Spark
(`backend: 1`, examples/test_hetero_lr_job_conf_spark.json) and again with the guest on Spark and the host
standalone, each giving the standalone run's model to 1e-6; Spark output tables in
/v1/table/table_info; a bad engine refused at submit; a stopped Spark task leaving no JVM behind."""
import json
import os
import time

import psutil
import pytest

from fate_flow.computing.spark_driver import spark_unavailable_reason
from fate_flow.settings import PROJECT_ROOT
from tests.integration.test_example_jobs import cli, wait_for
from tests.server_process import make_server

REASON = spark_unavailable_reason()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=f"Spark cannot run here: {REASON}")]

EXAMPLES = PROJECT_ROOT / "examples"
PARTIES = {("guest", "9999"): "success", ("host", "10000"): "success", ("arbiter", "10000"): "success"}
FLAGSHIP_DSL = EXAMPLES / "test_hetero_lr_job_dsl.json"
BREAST_DSL = EXAMPLES / "hetero_lr_simple_dsl.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("spark"), party_ids=(9999, 10000)).start()
    for conf in ("upload_guest.json", "upload_host.json"):
        rc, answer = cli(server, "-f", "upload", "-c", f"examples/{conf}", "-drop", "1")
        assert rc == 0 and answer["retcode"] == 0, answer
    yield server
    server.stop()


def submit(server, conf: dict, dsl, tmp_path) -> str:
    path = tmp_path / f"conf_{time.monotonic_ns()}.json"
    path.write_text(json.dumps(conf))
    rc, answer = cli(server, "-f", "submit_job", "-c", str(path), "-d", str(dsl))
    assert rc == 0 and answer["retcode"] == 0, answer
    return answer["jobId"]


def model(server, job_id: str, role: str, party_id: int) -> dict:
    rc, answer = cli(server, "-f", "component_output_model", "-j", job_id, "-r", role, "-p", str(party_id),
                     "-cpn", "hetero_lr_0")
    assert rc == 0 and answer["retcode"] == 0, answer
    return answer["data"]


def assert_same_models(server, job_id: str, reference_job: str) -> None:
    for role, party_id in (("guest", 9999), ("host", 10000)):
        got, want = model(server, job_id, role, party_id), model(server, reference_job, role, party_id)
        assert got["header"] == want["header"] and set(got["weight"]) == set(want["weight"])
        for name, weight in want["weight"].items():
            assert got["weight"][name] == pytest.approx(weight, abs=1e-6), (role, name)
        assert got["intercept"] == pytest.approx(want["intercept"], abs=1e-6), role


def output_table_info(server, job_id: str, component: str, role: str, party_id: int) -> dict:
    rc, answer = cli(server, "-f", "component_output_data_table", "-j", job_id, "-r", role, "-p", str(party_id),
                     "-cpn", component)
    assert rc == 0 and answer["retcode"] == 0, answer
    [table] = answer["data"]
    info = server.post("/v1/table/table_info", json={"namespace": table["table_namespace"],
                                                     "table_name": table["table_name"]}).json()
    assert info["retcode"] == 0 and info["data"]["exist"] == 1, info
    return info["data"]


def test_flagship_job_on_spark_gives_the_standalone_model(server, tmp_path):
    standalone = submit(server, json.loads((EXAMPLES / "test_hetero_lr_job_conf.json").read_text()), FLAGSHIP_DSL,
                        tmp_path)
    spark = submit(server, json.loads((EXAMPLES / "test_hetero_lr_job_conf_spark.json").read_text()), FLAGSHIP_DSL,
                   tmp_path)
    assert wait_for(server, standalone, timeout=300) == PARTIES
    assert wait_for(server, spark, timeout=900) == PARTIES
    assert_same_models(server, spark, standalone)
    rows = server.post("/v1/job/query", json={"job_id": spark}).json()["data"]
    assert {r["f_engine_name"] for r in rows} == {"SPARK"}
    elapsed = {job: max(r["f_elapsed"] or 0 for r in server.post("/v1/job/query", json={"job_id": job}).json()["data"])
               for job in (standalone, spark)}
    print(f"flagship job: standalone {elapsed[standalone] / 1000:.1f} s, Spark {elapsed[spark] / 1000:.1f} s")
    for role, party_id in (("guest", 9999), ("host", 10000)):
        info = output_table_info(server, spark, "intersection_0", role, party_id)
        assert info["engine"] == "SPARK" and info["storage_type"] == "PARQUET", info
        assert info["address"]["path"].startswith(str(server.home / "data" / "spark")), info
        assert info["count"] == 569
    assert output_table_info(server, standalone, "intersection_0", "guest", 9999)["engine"] == "STANDALONE"
    # the preview of a Spark output table comes from the rows kept in its meta
    preview = server.post("/v1/tracking/component/output/data", json={
        "job_id": spark, "component_name": "hetero_lr_0", "role": "guest", "party_id": 9999}).json()
    assert preview["retcode"] == 0 and len(preview["data"][0]) == 100, preview


def test_flagship_job_with_the_guest_on_spark_and_the_host_standalone_gives_the_standalone_model(server, tmp_path):
    conf = json.loads((EXAMPLES / "test_hetero_lr_job_conf.json").read_text())
    standalone = submit(server, conf, FLAGSHIP_DSL, tmp_path)
    conf["job_parameters"]["role"] = {"guest": {"0": {"computing_engine": "SPARK",
                                                      "spark_run": {"master": "local[1]"}}}}
    mixed = submit(server, conf, FLAGSHIP_DSL, tmp_path)
    assert wait_for(server, standalone, timeout=300) == PARTIES
    assert wait_for(server, mixed, timeout=600) == PARTIES
    assert_same_models(server, mixed, standalone)
    engines = {(r["f_role"], r["f_party_id"]): r["f_engine_name"]
               for r in server.post("/v1/job/query", json={"job_id": mixed}).json()["data"]}
    assert engines == {("guest", "9999"): "SPARK", ("host", "10000"): "STANDALONE",
                       ("arbiter", "10000"): "STANDALONE"}
    spark_table = output_table_info(server, mixed, "reader_0", "guest", 9999)
    assert spark_table["engine"] == "SPARK"
    assert output_table_info(server, mixed, "reader_0", "host", 10000)["engine"] == "STANDALONE"

    # a standalone job reads that Spark table (its Reader starts Spark for the copy)
    conf = json.loads((EXAMPLES / "data_transform_conf.json").read_text())
    conf["component_parameters"]["role"]["guest"]["0"]["reader_0"]["table"] = {
        "namespace": spark_table["namespace"], "name": spark_table["table_name"]}
    job_id = submit(server, conf, EXAMPLES / "data_transform_dsl.json", tmp_path)
    assert wait_for(server, job_id, timeout=300) == {("guest", "9999"): "success", ("host", "10000"): "success"}
    copied = output_table_info(server, job_id, "reader_0", "guest", 9999)
    assert copied["engine"] == "STANDALONE" and copied["count"] == 569
    transformed = output_table_info(server, job_id, "data_transform_0", "guest", 9999)
    assert transformed["engine"] == "STANDALONE" and transformed["count"] == 569


@pytest.mark.parametrize("job_parameters, field", [
    ({"computing_engine": "FLINK"}, "job_parameters.computing_engine"),
    ({"backend": 7}, "job_parameters.backend"),
    ({"backend": 1, "spark_run": {"executor_cores": 2}}, "job_parameters.spark_run.executor_cores"),
    ({"computing_engine": "SPARK", "spark_run": {"deploy-mode": "cluster"}}, "job_parameters.spark_run.deploy-mode"),
])
def test_a_bad_engine_parameter_is_refused_naming_the_field(server, tmp_path, job_parameters, field):
    conf = json.loads((EXAMPLES / "hetero_lr_breast_conf.json").read_text())
    conf["job_parameters"]["common"].update(job_parameters)
    path = tmp_path / "bad_conf.json"
    path.write_text(json.dumps(conf))
    rc, answer = cli(server, "-f", "submit_job", "-c", str(path), "-d", str(BREAST_DSL))
    assert rc == 1 and answer["retcode"] == 100 and field in answer["retmsg"], answer


def _worker_tree(server, job_id: str, timeout: float = 300) -> tuple[psutil.Process, list[psutil.Process]]:
    """A running Spark task's worker and its processes, once its JVM is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = server.post("/v1/job/task/query", json={"job_id": job_id, "role": "guest",
                                                        "party_id": 9999}).json().get("data") or []
        for task in tasks:
            if task["f_party_status"] != "running" or not task.get("f_run_pid"):
                continue
            try:
                worker = psutil.Process(task["f_run_pid"])
                tree = worker.children(recursive=True)
            except psutil.NoSuchProcess:
                continue
            if any(p.name() == "java" for p in tree):
                return worker, tree
        time.sleep(0.2)
    raise AssertionError(f"no Spark task of job {job_id} started a JVM within {timeout}s")


def test_stopping_a_spark_job_leaves_no_jvm(server, tmp_path):
    conf = json.loads((EXAMPLES / "hetero_lr_breast_conf.json").read_text())
    conf["job_parameters"]["common"]["computing_engine"] = "SPARK"
    job_id = submit(server, conf, BREAST_DSL, tmp_path)
    worker, tree = _worker_tree(server, job_id)
    java = [p for p in tree if p.name() == "java"]
    # the driver's JVM runs in the worker's process group, so stop kills it with the worker
    assert {p.pid: os.getpgid(p.pid) for p in java} == {p.pid: worker.pid for p in java}
    rc, answer = cli(server, "-f", "stop_job", "-j", job_id)
    assert rc == 0 and answer["retcode"] == 0, answer
    assert set(wait_for(server, job_id, timeout=60).values()) == {"canceled"}
    alive = _still_running([worker, *tree], timeout=30)
    assert alive == [], alive
    # the driver JVM is started with spark.app.name=<task id> on its command line
    leftover = [p.info for p in psutil.process_iter(["pid", "name", "cmdline"])
                if p.info["name"] == "java" and job_id in " ".join(p.info["cmdline"] or [])]
    assert leftover == []


def test_a_spark_worker_killed_alone_takes_its_jvm_along_and_fails_the_job(server, tmp_path):
    """The detector sees the dead worker; the orphaned JVM exits by itself (its stdin from the worker closes)."""
    conf = json.loads((EXAMPLES / "hetero_lr_breast_conf.json").read_text())
    conf["job_parameters"]["common"].update(computing_engine="SPARK", auto_retries=0)
    job_id = submit(server, conf, BREAST_DSL, tmp_path)
    worker, tree = _worker_tree(server, job_id)
    worker.kill()
    assert _still_running(tree, timeout=60) == []
    assert wait_for(server, job_id, timeout=60)[("guest", "9999")] == "failed"
    tasks = server.post("/v1/job/task/query", json={"job_id": job_id, "role": "guest", "party_id": 9999}).json()
    reasons = [t.get("f_fail_reason") or "" for t in tasks["data"] if t["f_party_status"] == "failed"]
    assert any(f"worker process {worker.pid} died" in r for r in reasons), tasks["data"]


def _still_running(procs: list[psutil.Process], timeout: float) -> list[tuple[int, str]]:
    """The processes still running after up to `timeout` seconds (a zombie waiting to be reaped has ended)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append((p.pid, p.name()))
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.2)


def test_a_spark_task_reports_success_only_once_its_jvm_is_gone(server, tmp_path):
    conf = json.loads((EXAMPLES / "data_transform_conf.json").read_text())
    conf["job_parameters"]["common"]["computing_engine"] = "SPARK"
    job_id = submit(server, conf, EXAMPLES / "data_transform_dsl.json", tmp_path)
    jvms: dict[str, list[psutil.Process]] = {}      # task (id, role, party) -> the JVMs its worker started
    alive_at_success: dict[str, list[int]] = {}
    deadline = time.monotonic() + 600
    while len(alive_at_success) < 4 and time.monotonic() < deadline:
        tasks = server.post("/v1/job/task/query", json={"job_id": job_id}).json().get("data") or []
        assert not any(t["f_party_status"] == "failed" for t in tasks), tasks
        for task in tasks:
            key = f"{task['f_task_id']} {task['f_role']} {task['f_party_id']}"
            if task["f_party_status"] == "running" and task.get("f_run_pid"):
                try:
                    found = [p for p in psutil.Process(task["f_run_pid"]).children(recursive=True)
                             if p.name() == "java"]
                except psutil.Error:
                    found = []
                jvms.setdefault(key, [])
                jvms[key] += [p for p in found if p.pid not in {q.pid for q in jvms[key]}]
            elif task["f_party_status"] == "success" and key not in alive_at_success:
                alive_at_success[key] = [p.pid for p in jvms.get(key, [])
                                         if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.05)
    assert len(alive_at_success) == 4, alive_at_success
    assert any(jvms.values()), "no JVM of a Spark task was seen"
    assert alive_at_success == {key: [] for key in alive_at_success}, "a Spark task reported success with its JVM alive"
