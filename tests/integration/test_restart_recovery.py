"""A server killed with SIGKILL in the middle of an upload: after a restart the upload job is failed (not
running forever), no table appeared, and no half-written data or spooled body is left on disk."""
import os
import signal
import threading
import time

from fate_flow.client.http_client import FlowHttpClient
from tests.server_process import make_server


def test_kill_9_mid_upload_then_restart(tmp_path):
    csv = tmp_path / "big.csv"
    with open(csv, "w") as f:
        f.write("id,a,b,c,d,e,f,g,h\n")
        f.writelines(f"{i},{i},0.5,0.25,1,2,3,4,5\n" for i in range(1_500_000))
    server = make_server(tmp_path / "s").start()
    client = FlowHttpClient("127.0.0.1", server.http_port, timeout=60)
    thread = threading.Thread(target=lambda: _ignore_errors(client.upload, {
        "namespace": "k", "table_name": "big", "head": 1, "partition": 4}, csv), daemon=True)
    thread.start()
    job_id = None
    deadline = time.monotonic() + 30
    while job_id is None and time.monotonic() < deadline:
        rows = server.post("/v1/job/query", json={"role": "local", "status": "running"}).json()["data"]
        job_id = rows[0]["f_job_id"] if rows else None
        time.sleep(0.02)
    assert job_id, "the upload job never showed as running"
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(10)
    thread.join(30)
    data_root = server.home / "data"
    assert any(data_root.iterdir()), "the killed upload left its half-written table directory"

    server.start()
    try:
        [job] = server.post("/v1/job/query", json={"job_id": job_id}).json()["data"]
        assert job["f_status"] == "failed" and job["f_end_time"] is not None
        info = server.post("/v1/table/table_info", json={"namespace": "k", "table_name": "big"}).json()["data"]
        assert info["exist"] == 0
        assert list(data_root.iterdir()) == []
        assert list((server.home / "temp" / "uploads").iterdir()) == []
    finally:
        server.stop()


def _ignore_errors(fn, *args):
    try:
        fn(*args)
    except Exception:  # the server is killed under this request on purpose
        pass
