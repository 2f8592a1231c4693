"""Slow and idle HTTP clients cannot hold the server: half-sent heads and stalled bodies are answered 408
and closed after their timeouts, and while many of them are open ordinary requests are answered at once."""
import json
import socket
import time

import pytest
import requests

from tests.server_process import make_server

pytestmark = pytest.mark.slow

HEADER_TIMEOUT = 2
BODY_IDLE = 2
THREADS = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("slow"), extra_conf={"http": {
        "threads": THREADS, "header_timeout": HEADER_TIMEOUT, "body_idle_timeout": BODY_IDLE}}).start()
    yield server
    server.stop()


def _connect(server, data: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.http_port), timeout=30)
    s.sendall(data)
    return s


def _answer(s: socket.socket) -> tuple[int, dict, float]:
    """(status, JSON body, seconds waited) of the one answer the server sends before it closes."""
    started = time.monotonic()
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), time.monotonic() - started


HALF_HEAD = b"POST /v1/job/query HTTP/1.1\r\nHost: x\r\n"
STALLED_BODY = b"POST /v1/job/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"
STALLED_UPLOAD = (b"POST /v1/data/upload?namespace=n&table_name=t HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
                  b"Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\n")


def test_ordinary_requests_are_answered_while_slow_clients_hold_connections(server):
    held = [_connect(server, HALF_HEAD) for _ in range(3 * THREADS)]
    held += [_connect(server, STALLED_BODY) for _ in range(3 * THREADS)]
    held += [_connect(server, STALLED_UPLOAD) for _ in range(THREADS)]
    try:
        time.sleep(0.3)
        for _ in range(10):
            started = time.monotonic()
            answer = requests.post(server.base_url + "/v1/job/query", json={"job_id": "none"}, timeout=10)
            assert answer.status_code == 200 and answer.json()["retcode"] in (0, 102)
            assert time.monotonic() - started < 1.5
    finally:
        for s in held:
            s.close()


def test_a_half_sent_head_is_answered_408_after_the_header_timeout(server):
    with _connect(server, HALF_HEAD) as s:
        status, body, waited = _answer(s)
    assert status == 408 and body["retcode"] == 100 and "request head" in body["retmsg"]
    assert HEADER_TIMEOUT - 0.5 < waited < HEADER_TIMEOUT + 3


def test_a_trickled_head_does_not_reset_its_deadline(server):
    with _connect(server, b"POST /v1/job/query HTTP/1.1\r\n") as s:
        started = time.monotonic()
        s.settimeout(0.5)
        answer = None
        while answer is None and time.monotonic() - started < HEADER_TIMEOUT + 5:
            try:
                s.sendall(b"X-Slow: 1\r\n")  # a header line every half second
                answer = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                answer = b""
        assert answer is not None and time.monotonic() - started < HEADER_TIMEOUT + 3
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408")


def test_a_stalled_body_is_answered_408_after_the_idle_timeout(server):
    with _connect(server, STALLED_BODY) as s:
        status, body, waited = _answer(s)
    assert status == 408 and "stopped arriving" in body["retmsg"]
    assert BODY_IDLE - 0.5 < waited < BODY_IDLE + 3


def test_a_stalled_upload_is_cut_off_with_a_clean_answer_and_nothing_stored(server):
    with _connect(server, STALLED_UPLOAD) as s:
        status, body, waited = _answer(s)
    assert status == 200 and body["retcode"] != 0 and "cut off" in body["retmsg"], body
    assert waited < BODY_IDLE + 5
    info = server.post("/v1/table/table_info", json={"namespace": "n", "table_name": "t"}).json()
    assert info["data"]["exist"] == 0
    error_log = server.home / "logs" / "fate_flow" / "ERROR.log"
    assert not error_log.exists() or "Traceback" not in error_log.read_text()


def test_keep_alive_and_pipelined_requests_still_work(server):
    with requests.Session() as session:
        for _ in range(5):
            assert session.post(server.base_url + "/v1/version/get", json={}).json()["retcode"] == 0
    one = b"POST /v1/version/get HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    last = one.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")
    with _connect(server, one + one + last) as s:
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 3 and data.count(b'"retcode":0') == 3


@pytest.mark.parametrize("request_bytes, status, message", [
    (b"GET /v1/version/get?x=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "the request line is too long"),
    (b"GET /v1/version/get HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431,
     "the request headers are too large"),
    (b"\x16\x03\x01 <script> HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request method"),
    (b"GET /v1/version/get HTTP/1.1\r\nHost: x\r\nBad Header: <b>\r\n\r\n", 400, "malformed header name"),
])
def test_requests_the_http_parser_refuses_get_a_json_answer_that_echoes_nothing(server, request_bytes, status,
                                                                               message):
    with _connect(server, request_bytes) as s:
        answer_status, body, _ = _answer(s)
    assert (answer_status, body) == (status, {"retcode": 100, "retmsg": message})
    assert server.post("/v1/version/get", json={}).json()["retcode"] == 0
