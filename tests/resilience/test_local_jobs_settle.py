"""Local jobs (upload, download) are run by the request that made them: the scheduler never plans them, while
they run or after they ended. Watched on a real server whose scheduler runs every 0.2 s and whose reconcile loop
runs every second."""
import time

import pytest

from fate_flow.client.http_client import FlowHttpClient
from tests.server_process import make_server

pytestmark = pytest.mark.slow

RECONCILE_S = 1.0


def _wait_job(server, job_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = server.post("/v1/job/query", json={"job_id": job_id}).json()["data"]
        if rows and rows[0]["f_status"] in ("success", "failed", "canceled", "timeout"):
            return rows[0]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end within {timeout}s")


def test_ended_upload_and_download_jobs_are_not_replanned(tmp_path):
    csv = tmp_path / "t.csv"
    # big enough that the upload job waits and runs across several scheduling rounds
    csv.write_text("id,x\n" + "".join(f"{i},{i * 0.5}\n" for i in range(300_000)))
    server = make_server(tmp_path / "s", extra_conf={"scheduler": {"reconcile_interval": RECONCILE_S,
                                                                   "interval": 0.2}}).start()
    try:
        client = FlowHttpClient("127.0.0.1", server.http_port, timeout=30)
        up = client.upload({"namespace": "ns", "table_name": "t", "head": 1, "partition": 1}, csv)
        assert up["retcode"] == 0, up
        assert _wait_job(server, up["jobId"])["f_status"] == "success"
        down = server.post("/v1/data/download", json={"namespace": "ns", "table_name": "t",
                                                       "output_path": str(tmp_path / "out.csv")}).json()
        assert down["retcode"] == 0, down
        assert _wait_job(server, down["jobId"])["f_status"] == "success"
        for job_id in (up["jobId"], down["jobId"]):
            [row] = server.post("/v1/job/query", json={"job_id": job_id}).json()["data"]
            assert row["f_end_scheduling_updates"] == 1, row
        time.sleep(RECONCILE_S * 4)  # several reconcile rounds
        logs = server.home / "logs" / "fate_flow"
        stat = (logs / "fate_flow_stat.log").read_text(errors="replace")
        errors = (logs / "ERROR.log").read_text(errors="replace")
        for text in (stat, errors):
            assert "resending the end" not in text and "DSLError" not in text, text[-3000:]
            assert up["jobId"] not in errors and down["jobId"] not in errors
    finally:
        server.stop()
