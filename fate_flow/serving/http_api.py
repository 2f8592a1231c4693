"""The serving's HTTP API: a small threaded server (one thread per connection, HTTP/1.1 keep-alive) with

    POST /federation/v1/inference   FATE-Serving's single inference (see inference.py)
    POST /serving/status            {"retcode": 0, "data": {"parties", "models": [...]}}: what is loaded and bound

Every answer is JSON with a retcode, HTTP 200 as FATE-Serving answers; an unknown path is HTTP 404 (retcode 100).
Callers are checked as the flow server checks its own (http_auth of the service conf): a signed request must
carry a good signature, an unsigned one must come from `http_auth.unsigned_from`; else retcode 109.
"""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from fate_flow.entity import audit, http_signature
from fate_flow.entity.errors import AuthenticationError
from fate_flow.entity.retcode import RetCode
from fate_flow.settings import HttpAuthSettings

LOG = logging.getLogger("fate_flow.serving")

INFERENCE_PATH = "/federation/v1/inference"
STATUS_PATH = "/serving/status"
MAX_BODY_BYTES = 16 << 20

Route = Callable[[Any], dict]


class RequestAuthenticator:
    """The flow server's client check (apps/client_auth.py) for this small server: same settings, same gate."""

    def __init__(self, auth: HttpAuthSettings):
        self.gate = http_signature.ClientGate(auth.clients, auth.unsigned_from)

    def check(self, peer: str, headers: Any, target: str, body: Callable[[], bytes]) -> None:
        """AuthenticationError (audited) unless the request may be served; `body` is read only for a signed
        request whose headers, app key and timestamp are good."""
        # http.server keeps header names as sent; FATE's clients send APP_KEY, proxies may turn it into APP-KEY
        values = {name: headers.get(name) or headers.get(name.replace("_", "-")) for name in http_signature.HEADERS}
        values = {name: value for name, value in values.items() if value}
        parts = urlsplit(target)
        try:
            self.gate.admit(peer, values, http_signature.path_with_query(parts.path, parts.query),
                            headers.get("Content-Type"), body,
                            lambda: parse_qsl(body().decode("utf-8", "replace"), keep_blank_values=True))
        except AuthenticationError as e:
            audit.refused(client=peer, route=parts.path, reason=e.message,
                          app_key=(values.get(http_signature.APP_KEY) or "")[:64] or None)
            raise


class ServingHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, routes: dict[str, Route],
                 authenticator: RequestAuthenticator | None = None):
        self.routes = routes
        self.authenticator = authenticator
        super().__init__((host, port), _Handler)
        self._thread: threading.Thread | None = None

    def start(self) -> "ServingHttpServer":
        self._thread = threading.Thread(target=self.serve_forever, name="serving-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes; do not hold the second back
    server: ServingHttpServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        route = self.server.routes.get(path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            return self._answer(400, _error(f"bad Content-Length {self.headers.get('Content-Length')!r}"))
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self._answer(413, _error(f"request body of {length} bytes exceeds {MAX_BODY_BYTES}"))
        read: list[bytes] = []

        def body() -> bytes:
            if not read:
                read.append(self.rfile.read(length) if length else b"")
            return read[0]

        if self.server.authenticator is not None:
            try:
                self.server.authenticator.check(self.client_address[0], self.headers, self.path, body)
            except AuthenticationError as e:
                self.close_connection = not read  # the body was never read: the connection cannot go on
                return self._answer(200, _error(e.message, e.retcode))
        raw = body()
        if route is None:
            return self._answer(404, _error(f"no such path {path}; the serving answers "
                                            f"{', '.join(sorted(self.server.routes))}"))
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as e:
            return self._answer(200, _error(f"the request body is not JSON: {e}"))
        self._answer(200, route(body))

    def do_GET(self) -> None:  # noqa: N802
        self._answer(405, _error("use POST with a JSON body"))

    def _answer(self, status: int, envelope: dict) -> None:
        data = json.dumps(envelope, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        LOG.debug("%s %s", self.address_string(), format % args)


def _error(message: str, retcode: int = RetCode.EXCEPTION_ERROR) -> dict:
    return {"retcode": int(retcode), "retmsg": message, "data": {}, "flag": 0}
