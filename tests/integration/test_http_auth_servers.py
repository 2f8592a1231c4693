"""HTTP client authentication and the worker channel on a real server (gunicorn on 127.0.0.1) whose conf lets
no address call unsigned (`http_auth.unsigned_from: []`), so every request here must be signed.

The signatures in the first test come from `reference_signature` below, written from the scheme's description
(FATE-Flow 1.7: HMAC-SHA1 over TIMESTAMP, NONCE, APP_KEY, path with query, JSON body, sorted RFC 3986 form
fields, base64), not from fate_flow's own code; the CLI test signs with fate_flow's client."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest
import requests

from fate_flow.settings import PROJECT_ROOT
from tests.scheduler.flow import PLUGIN, dsl_conf
from tests.server_process import make_server

pytestmark = pytest.mark.slow

APP_KEY = "analyst"
SECRET = "9c1b2e7a0f4d4c3ab5e86d21f07c93aa"
BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"


def reference_signature(secret: str, timestamp: str, nonce: str, app_key: str, path_and_query: str,
                    content_type: str = "", body: bytes = b"", form: dict | None = None) -> str:
    """The signature as the scheme describes it, line by line."""
    media = content_type.split(";")[0].strip()
    json_line = body if media == "application/json" else b""
    if media in ("application/x-www-form-urlencoded", "multipart/form-data") and form:
        form_line = "&".join(quote(k, safe="-._~") + "=" + quote(str(v), safe="-._~") for k, v in sorted(form.items()))
    else:
        form_line = ""
    lines = [timestamp.encode("ascii"), nonce.encode("ascii"), app_key.encode("ascii"),
             path_and_query.encode("ascii"), json_line, form_line.encode("ascii")]
    return base64.b64encode(hmac.new(secret.encode("ascii"), b"\n".join(lines), hashlib.sha1).digest()).decode()


def headers(secret: str = SECRET, app_key: str = APP_KEY, path: str = "/v1/version/get", body: bytes = b"{}",
            content_type: str = "application/json", form: dict | None = None, age_s: float = 0) -> dict:
    timestamp, nonce = str(int((time.time() - age_s) * 1000)), uuid.uuid4().hex
    return {"TIMESTAMP": timestamp, "NONCE": nonce, "APP_KEY": app_key,
            "SIGNATURE": reference_signature(secret, timestamp, nonce, app_key, path, content_type, body, form)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("auth")
    server = make_server(base, party_ids=[9999, 10000], extra_conf={
        "http_auth": {"clients": {APP_KEY: "${ANALYST_SECRET}"}, "unsigned_from": []},
        "route_table": {},
        "worker": {"component_plugins": [PLUGIN], "start_method": "spawn", "kill_grace": 1},
        "scheduler": {"interval": 0.2, "detect_interval": 0.5},
        "job_default": {"task_cores": 2, "auto_retries": 0}})
    server.env["ANALYST_SECRET"] = SECRET
    server.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), server.env.get("PYTHONPATH")]))
    server.start()
    yield server
    server.stop()


def post(server, path: str, body: bytes = b"{}", **request_headers) -> dict:
    return requests.post(server.base_url + path, data=body, timeout=60,
                         headers={"Content-Type": "application/json", **request_headers}).json()


def audit_lines(server) -> list[dict]:
    path = server.home / "logs" / "fate_flow" / "fate_flow_audit.log"
    return [json.loads(line.split(" ", 2)[2]) for line in path.read_text().splitlines()] if path.exists() else []


def test_requests_signed_as_the_issue_describes_pass_and_every_bad_one_is_109(server):
    before = len(audit_lines(server))
    assert post(server, "/v1/version/get", **headers())["retcode"] == 0
    good = headers()
    assert post(server, "/v1/version/get", **good)["retcode"] == 0

    refused = {
        "unsigned": post(server, "/v1/version/get"),
        "replayed nonce": post(server, "/v1/version/get", **good),
        "wrong secret": post(server, "/v1/version/get", **headers(secret="not-" + SECRET)),
        "61 s old": post(server, "/v1/version/get", **headers(age_s=61)),
        "body altered after signing": post(server, "/v1/table/table_info",
                                           b'{"namespace": "experiment", "table_name": "other"}',
                                           **headers(path="/v1/table/table_info",
                                                     body=b'{"namespace": "experiment", "table_name": "t"}')),
        "unknown app key": post(server, "/v1/version/get", **headers(app_key="intruder")),
        "path with another query": post(server, "/v1/version/get?x=2", **headers(path="/v1/version/get?x=1")),
    }
    reasons = {case: answer["retmsg"] for case, answer in refused.items()}
    assert all(answer["retcode"] == 109 for answer in refused.values()), refused
    assert "unsigned request from 127.0.0.1" in reasons["unsigned"]
    assert reasons["replayed nonce"] == "NONCE was already used"
    assert reasons["wrong secret"] == reasons["body altered after signing"] == "signature does not match the request"
    assert "61 s away from the server clock" in reasons["61 s old"]
    assert reasons["unknown app key"] == "unknown app key 'intruder'"

    records = audit_lines(server)[before:]
    assert [r["reason"] for r in records] == list(reasons.values())
    assert all(r["client"] == "127.0.0.1" and r["route"].startswith("/v1/") for r in records)
    assert [r.get("app_key") for r in records] == [None, APP_KEY, APP_KEY, APP_KEY, APP_KEY, "intruder", APP_KEY]
    text = (server.home / "logs" / "fate_flow" / "fate_flow_audit.log").read_text()
    assert SECRET not in text and good["SIGNATURE"] not in text


def test_a_multipart_upload_is_signed_over_its_form_fields_and_a_changed_field_is_refused(server, unique_name):
    form = {"namespace": "experiment", "table_name": unique_name, "head": "1", "partition": "2", "work_mode": "0",
            "id_delimiter": ","}
    prepared = requests.Request("POST", server.base_url + "/v1/data/upload", data=form,
                                files={"file": ("breast.csv", BREAST.read_bytes(), "text/csv")}).prepare()
    content_type = prepared.headers["Content-Type"]
    prepared.headers.update(headers(path="/v1/data/upload", content_type=content_type, form=form))
    answer = requests.Session().send(prepared, timeout=60).json()
    assert answer["retcode"] == 0 and answer["data"]["count"] == 569, answer

    tampered = {**form, "table_name": unique_name + "_x"}
    prepared = requests.Request("POST", server.base_url + "/v1/data/upload", data=tampered,
                                files={"file": ("breast.csv", BREAST.read_bytes(), "text/csv")}).prepare()
    prepared.headers.update(headers(path="/v1/data/upload", content_type=prepared.headers["Content-Type"], form=form))
    assert requests.Session().send(prepared, timeout=60).json()["retcode"] == 109
    info = post(server, "/v1/table/table_info", json.dumps({"namespace": "experiment",
                                                            "table_name": unique_name + "_x"}).encode(),
                **headers(path="/v1/table/table_info", body=json.dumps({"namespace": "experiment",
                                                                         "table_name": unique_name + "_x"}).encode()))
    assert info["retcode"] == 0 and not info["data"].get("count"), info


def cli(server, *args, env_extra=None) -> tuple[int, dict | None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FATE_FLOW_APP", "FATE_FLOW_SECRET"))}
    env.update({"FLOW_IP": "127.0.0.1", "FLOW_PORT": str(server.http_port), **(env_extra or {})})
    result = subprocess.run([sys.executable, "fate_flow/fate_flow_client.py", *args], capture_output=True, text=True,
                            env=env, cwd=PROJECT_ROOT, timeout=120)
    return result.returncode, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_the_legacy_cli_signs_with_the_key_from_its_environment_or_flags(server):
    keys = {"FATE_FLOW_APP_KEY": APP_KEY, "FATE_FLOW_SECRET_KEY": SECRET}
    rc, answer = cli(server, "-f", "upload", "-c", "examples/upload_guest.json", "-drop", "1", env_extra=keys)
    assert rc == 0 and answer["retcode"] == 0 and answer["data"]["count"] == 569, answer
    rc, answer = cli(server, "-f", "table_info", "-n", "experiment", "-t", "breast_hetero_guest",
                     "--app_key", APP_KEY, "--secret_key", SECRET)
    assert rc == 0 and answer["data"]["count"] == 569, answer
    rc, answer = cli(server, "-f", "table_info", "-n", "experiment", "-t", "breast_hetero_guest")
    assert rc == 1 and answer["retcode"] == 109, answer
    rc, answer = cli(server, "-f", "table_info", "-n", "experiment", "-t", "breast_hetero_guest",
                     env_extra={"FATE_FLOW_APP_KEY": APP_KEY})
    assert rc == 1 and "secret key is missing" in answer["retmsg"], answer


# ---------------------------------------------------------------------------------------------- the worker channel
def task_workers(server, job_id: str, count: int, timeout: float = 60) -> dict[str, dict]:
    """role -> {task_id, task_version, party_id, pid} of the job's running tasks, once `count` of them run."""
    from fate_flow.client.http_client import FlowHttpClient
    from fate_flow.client.signing import Credentials
    client = FlowHttpClient("127.0.0.1", server.http_port, credentials=Credentials(APP_KEY, SECRET))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = client.task_query({"job_id": job_id}).get("data") or []
        running = {t["f_role"]: t for t in tasks if t["f_party_status"] == "running" and t.get("f_run_pid")}
        if len(running) >= count:
            return {role: {"task_id": t["f_task_id"], "task_version": t["f_task_version"], "party_id": t["f_party_id"],
                           "pid": t["f_run_pid"]} for role, t in running.items()}
        time.sleep(0.2)
    raise AssertionError(f"job {job_id}: {count} running tasks expected within {timeout}s, got {tasks}")


def test_a_forged_worker_report_is_refused_and_the_job_does_not_end_success(server):
    from fate_flow.client.http_client import FlowHttpClient
    from fate_flow.client.signing import Credentials
    client = FlowHttpClient("127.0.0.1", server.http_port, credentials=Credentials(APP_KEY, SECRET))
    dsl, conf = dsl_conf({"sleep_0": {"module": "TestSleep"}}, params={"sleep_0": {"seconds": 60}})
    submitted = client.job_submit(dsl, conf)
    assert submitted["retcode"] == 0, submitted
    job_id = submitted["jobId"]
    workers = task_workers(server, job_id, 2)
    guest, host = workers["guest"], workers["host"]

    def report(task: dict, role: str, secret: str | None = None) -> dict:
        body = {"job_id": job_id, "component_name": "sleep_0", "task_id": task["task_id"],
                "task_version": task["task_version"], "role": role, "party_id": task["party_id"], "status": "success"}
        extra = {"Worker-Secret": secret} if secret else {}
        return requests.post(server.base_url + "/v1/worker/task/status", json=body, headers=extra, timeout=30).json()

    # a forged worker report, from a plain client
    forged = report(guest, "guest")
    assert forged["retcode"] == 109, forged

    # the host worker's own secret (its environment: the only place it was handed over) does not open the guest's
    environ = psutil.Process(host["pid"]).environ()
    host_secret = environ["FATE_FLOW_WORKER_SECRET"]
    assert report(guest, "guest", host_secret)["retcode"] == 109
    assert all(host_secret not in part for part in psutil.Process(host["pid"]).cmdline())
    for path in Path(server.home).rglob("*"):  # never in a file: task spec, logs, database
        if path.is_file() and path.stat().st_size < 50 << 20:
            assert host_secret.encode() not in path.read_bytes(), path

    tasks = client.task_query({"job_id": job_id})["data"]
    assert {t["f_role"]: t["f_party_status"] for t in tasks} == {"guest": "running", "host": "running"}
    assert client.job_stop({"job_id": job_id})["retcode"] == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = client.job_query({"job_id": job_id})["data"]
        if all(j["f_status"] in ("canceled", "failed", "success") for j in jobs):
            break
        time.sleep(0.2)
    assert {j["f_status"] for j in jobs} == {"canceled"}, jobs
    worker_refusals = [r for r in audit_lines(server) if r["route"] == "/v1/worker/task/status"]
    assert len(worker_refusals) == 2 and all(host_secret not in json.dumps(r) for r in worker_refusals)
