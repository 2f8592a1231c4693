"""A full disk: the server's FATE_FLOW_HOME on a small tmpfs (mounted in a private mount namespace, so
nothing outside the test sees it). Writes that fail for lack of space answer an error naming the disk and
the space to free; /v1/version/get keeps answering and says the disk is full; what was stored before is
intact; once space is freed the same server works again."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.settings import PROJECT_ROOT
from tests.server_process import make_server, spawn, wait_ready

pytestmark = pytest.mark.slow

DISK_MB = 48


def _mount_namespaces_work() -> str | None:
    """Why a tmpfs cannot be mounted in a private mount namespace here, or None when it can."""
    try:
        done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                               "mount -t tmpfs -o size=1m tmpfs /mnt && umount /mnt"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unshare is not available: {e}"
    return None if done.returncode == 0 else f"cannot mount a tmpfs in a private mount namespace: {done.stderr.strip()}"


REASON = _mount_namespaces_work()


@pytest.fixture
def small_disk_server(tmp_path):
    if REASON:
        pytest.skip(REASON)
    server = make_server(tmp_path / "s", party_ids=(9999, 10000),
                         extra_conf={"storage": {"min_free_bytes": 1 << 20}, "scheduler": {"interval": 0.2}})
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            f'mount -t tmpfs -o size={DISK_MB}m tmpfs "{server.home}" && exec "$0" "$@"',
            sys.executable, "-m", "fate_flow.server", "--conf", str(server.conf_path)]
    server.process = spawn(argv, server.env, tmp_path / "console.log")
    wait_ready(server.process, server._answers, 60, "server on a small disk",
               lambda: (tmp_path / "console.log").read_text(), server.stop)
    yield server
    server.stop()


def in_namespace(server, command: str) -> str:
    """Run a shell command in the server's mount namespace (where its home is the small tmpfs)."""
    done = subprocess.run(["nsenter", "-t", str(server.process.pid), "-m", "--", "sh", "-c", command],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def fill(server) -> None:
    free_kb = int(in_namespace(server, f'df -k --output=avail "{server.home}" | tail -1').strip())
    in_namespace(server, f'fallocate -l {free_kb * 1024} "{server.home}/filler" || true; '
                         f'dd if=/dev/zero of="{server.home}/filler2" bs=4k 2>/dev/null || true')


def wait_job(server, job_id: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = server.post("/v1/job/query", json={"job_id": job_id}).json().get("data") or []
        if rows and all(r["f_status"] in ("success", "failed", "canceled", "timeout") for r in rows):
            return "success" if all(r["f_status"] == "success" for r in rows) else "failed"
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end within {timeout}s")


def toy_job(server) -> dict:
    dsl = json.loads((PROJECT_ROOT / "examples" / "toy_example_dsl.json").read_text())
    conf = json.loads((PROJECT_ROOT / "examples" / "toy_example_conf.json").read_text())
    return server.post("/v1/job/submit", json={"job_dsl": dsl, "job_runtime_conf": conf}).json()


def test_a_full_disk_is_named_and_work_resumes_once_space_is_freed(small_disk_server, tmp_path):
    server = small_disk_server
    client = FlowHttpClient("127.0.0.1", server.http_port, timeout=60)
    small = tmp_path / "small.csv"
    small.write_text("id,x\n" + "".join(f"{i},{i * 0.5}\n" for i in range(3000)))
    big = tmp_path / "big.csv"
    big.write_text("id,x\n" + "".join(f"{i},{i * 0.25}\n" for i in range(100_000)))
    answer = client.upload({"namespace": "disk", "table_name": "kept", "head": 1, "partition": 2}, small)
    assert answer["retcode"] == 0 and wait_job(server, answer["jobId"]) == "success", answer
    first_job = toy_job(server)
    assert first_job["retcode"] == 0 and wait_job(server, first_job["jobId"], 120) == "success", first_job

    fill(server)
    version = server.post("/v1/version/get", json={}).json()
    assert version["retcode"] == 0 and version["data"]["FATE"] == "1.6.1", version
    [disk] = [d for d in version["data"]["disk"] if d["mount"] == str(server.home)]  # the tmpfs
    assert "home" in disk["holds"] and disk["full"] is True and disk["free_bytes"] < 1 << 20, version
    assert "disk full: the filesystem mounted at " + str(server.home) in version["retmsg"], version

    refused = client.upload({"namespace": "disk", "table_name": "new", "head": 1, "partition": 2}, big)
    assert refused["retcode"] != 0, refused
    # the disk is named by its mount point and what of the server it holds, never by a file's path
    assert refused["retmsg"].startswith(f"the disk is full: the filesystem mounted at {server.home} (this "
                                        f"server's home"), refused
    assert "free at least" in refused["retmsg"] and "upload-" not in refused["retmsg"], refused
    assert "Traceback" not in refused["retmsg"] and "Errno" not in refused["retmsg"]
    submitted = toy_job(server)
    # FATE's answer: "create job failed", with each party's own answer in data
    assert submitted["retcode"] != 0 and "the disk is full" in json.dumps(submitted), submitted
    info = server.post("/v1/table/table_info", json={"namespace": "disk", "table_name": "kept"}).json()
    assert info["retcode"] == 0 and info["data"]["count"] == 3000, info
    assert server.post("/v1/job/query", json={"job_id": first_job["jobId"]}).json()["data"][0]["f_status"] == "success"

    in_namespace(server, f'rm -f "{server.home}/filler" "{server.home}/filler2"')
    version = server.post("/v1/version/get", json={}).json()
    assert version["retmsg"] == "success" and not any(d["full"] for d in version["data"]["disk"]), version
    answer = client.upload({"namespace": "disk", "table_name": "new", "head": 1, "partition": 2}, big)
    assert answer["retcode"] == 0 and wait_job(server, answer["jobId"]) == "success", answer
    out = server.home / "data_out" / "kept_out.csv"  # a directory the server writes for clients
    in_namespace(server, f'mkdir -p "{out.parent}"')
    answer = server.post("/v1/data/download", json={"namespace": "disk", "table_name": "kept",
                                                    "output_path": str(out)}).json()
    assert answer["retcode"] == 0 and wait_job(server, answer["jobId"]) == "success", answer
    assert in_namespace(server, f'cat "{out}"') == small.read_text()
    again = toy_job(server)
    assert again["retcode"] == 0 and wait_job(server, again["jobId"], 120) == "success", again
