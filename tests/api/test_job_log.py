"""GET /v1/job/log with a JSON body (contract §1.2.8, §0.4): a streamed tar.gz of logs/<job_id>/."""
import io
import tarfile

import pytest

JOB = "202103311200000000001"


@pytest.fixture
def logs(settings, app):
    root = settings.logs_dir / JOB
    files = {
        "fate_flow_schedule.log": b"[INFO] [2021-03-31 12:00:00,000] scheduled\n",
        "guest/10000/INFO.log": b"party info\n",
        "guest/10000/reader_0/std.log": "non-ascii ünïcode\n".encode(),
        "guest/10000/reader_0/empty.log": b"",
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return files


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_log_archive_holds_the_job_log_tree(client, logs):
    response = client.get("/v1/job/log", json={"job_id": JOB, "output_path": "/somewhere"})
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == f"attachment; filename=job_{JOB}_log.tar.gz"
    assert response.mimetype == "application/x-tar" and "Content-Encoding" not in response.headers
    assert members(response.get_data()) == logs


def test_post_works_too(client, logs):
    assert members(client.post("/v1/job/log", json={"job_id": JOB}).get_data()) == logs


def test_big_file_is_sent_in_bounded_chunks(client, settings, app):
    root = settings.logs_dir / JOB
    root.mkdir(parents=True)
    big = bytes(range(256)) * (12 * 1024 * 4)  # 12 MiB that gzip cannot shrink to nothing
    (root / "big.log").write_bytes(big)
    response = client.get("/v1/job/log", json={"job_id": JOB}, buffered=False)
    chunks = list(response.response)
    assert len(chunks) > 100 and max(len(c) for c in chunks) <= 1 << 17
    assert members(b"".join(chunks)) == {"big.log": big}


def test_symlinks_are_not_followed(client, settings, logs, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (settings.logs_dir / JOB / "link.log").symlink_to(secret)
    (settings.logs_dir / JOB / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    assert members(client.get("/v1/job/log", json={"job_id": JOB}).get_data()) == logs


JOB_ID_RULE = "letters, digits, '_' and '-', starting with a letter or digit"


@pytest.mark.parametrize("body, retcode, message", [
    ({"job_id": "202101010000000000000"}, 210, None),
    ({}, 210, "required parameters are missing: job_id;"),
    ({"job_id": "../fate_flow"}, 101, f"parameter job_id must be a job id ({JOB_ID_RULE}), got '../fate_flow'"),
    ({"job_id": ".."}, 101, f"parameter job_id must be a job id ({JOB_ID_RULE}), got '..'"),
])
def test_refusals_are_http_210_json(client, settings, logs, body, retcode, message):
    response = client.get("/v1/job/log", json=body)
    assert response.status_code == 210 and "Content-Disposition" not in response.headers
    if message is None:
        message = (f"Log file path: $FATE_FLOW_HOME/logs/{body['job_id']} not found. "
                   f"Please check if the job id is valid.")
    assert response.get_json() == {"retcode": retcode, "retmsg": message}


def test_malformed_body_is_http_210(client, logs):
    response = client.get("/v1/job/log", data=b"{job", content_type="application/json")
    assert response.status_code == 210 and response.get_json()["retmsg"].startswith("request body is not valid JSON")


def test_a_log_cut_short_while_it_is_sent_keeps_the_archive_valid(client, settings, app):
    root = settings.logs_dir / JOB
    root.mkdir(parents=True)
    (root / "a.log").write_bytes(b"x" * 300_000)
    response = client.get("/v1/job/log", json={"job_id": JOB}, buffered=False)
    chunks = iter(response.response)
    first = next(chunks)  # a.log's header: its size is fixed now
    (root / "a.log").write_bytes(b"y" * 10)
    (root / "b.log").write_bytes(b"written after the listing")
    assert members(first + b"".join(chunks)) == {"a.log": b"y" * 10 + b"\0" * 299_990}
