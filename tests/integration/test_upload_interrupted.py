"""An upload cut off half way (the client disconnects mid-body) leaves no table and no spooled file behind,
and the server keeps serving."""
import json
import socket
import time
import urllib.parse

from tests.server_process import make_server


def test_interrupted_multipart_upload_leaves_nothing(tmp_path):
    server = make_server(tmp_path / "s").start()
    try:
        config = {"namespace": "cut", "table_name": "half", "head": 1, "partition": 2}
        boundary = "----fateflowboundary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
                f"Content-Type: text/csv\r\n\r\n").encode()
        rows = b"id,x\n" + b"".join(f"{i},{i}\n".encode() for i in range(200000))
        tail = f"\r\n--{boundary}--\r\n".encode()
        total = len(head) + len(rows) + len(tail)
        query = urllib.parse.quote(json.dumps(config))
        request = (f"POST /v1/data/upload?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n"
                   f"Connection: close\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as s:
            s.sendall(request + head + rows[: len(rows) // 2])
            time.sleep(0.3)
        spool = server.home / "temp" / "uploads"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and spool.exists() and any(spool.iterdir()):
            time.sleep(0.1)
        assert not spool.exists() or list(spool.iterdir()) == []
        info = server.post("/v1/table/table_info", json={"namespace": "cut", "table_name": "half"}).json()
        assert info["data"]["exist"] == 0
        history = server.post("/v1/data/upload/history", json={}).json()
        assert history["data"] == []
        assert not (server.home / "data").exists() or list((server.home / "data").iterdir()) == []
        log = (server.home / "logs" / "fate_flow" / "fate_flow_stat.log").read_text()
        assert "POST /v1/data/upload refused: the upload was cut off" in log
    finally:
        server.stop()
