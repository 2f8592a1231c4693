"""The gunicorn worker class of the HTTP server: a request gets a thread only once it can be handled.

gunicorn's gthread worker hands a connection to a thread as soon as it is readable; the thread then waits,
without a time limit, for the rest of the request head and body. A few clients that send half a header (or a
body that stops) hold every thread and the server stops answering. Here the worker's event loop (one thread,
non-blocking sockets) reads each request head, and bodies up to `http.buffer_body_bytes`, before a thread
sees the request:

* a head must be complete within `http.header_timeout` seconds of its first byte (of the accept for a new
  connection); otherwise the client gets 408 and the connection is closed;
* a small body must keep flowing: `http.body_idle_timeout` seconds without a byte closes it (408);
* bigger bodies (multipart uploads of many GB, chunked bodies, `Expect: 100-continue`) are streamed by a
  thread, at most `http.stream_threads` of them at once (the others wait, costing no thread), so the
  remaining threads always serve ordinary requests; the socket then has `http.body_idle_timeout` as its
  timeout, which bounds a stalled body and a client that stops reading an answer;
* idle keep-alive connections are closed after gunicorn's `keepalive` seconds, and at most
  `http.max_connections` connections are open at once.

Everything else (the WSGI call, answers streamed from files or generators) is gunicorn's own.
"""
from __future__ import annotations

import errno
import io
import json
import os
import selectors
import socket
import time
from collections import deque
from concurrent import futures
from functools import partial

from gunicorn import http
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import ThreadWorker

# the largest request head read by the event loop (gunicorn's own limits are checked again by its parser)
MAX_HEAD_BYTES = 64 << 10
_RECV_BYTES = 64 << 10
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")

# connection states
_HEAD, _BODY, _QUEUED, _BUSY, _IDLE = "head", "body", "queued", "busy", "idle"


class HttpLimits:
    """The `http:` settings this worker enforces (see fate_flow.settings.HttpSettings)."""

    def __init__(self, header_timeout: float, body_idle_timeout: float, buffer_body_bytes: int, stream_threads: int):
        self.header_timeout = header_timeout
        self.body_idle_timeout = body_idle_timeout
        self.buffer_body_bytes = buffer_body_bytes
        self.stream_threads = stream_threads


class _Conn:
    def __init__(self, sock: socket.socket, client, server, deadline: float):
        self.sock = sock
        self.fd = sock.fileno()
        self.client = client
        self.server = server
        self.parser = None
        self.buffer = bytearray()
        self.state = _HEAD
        self.deadline = deadline
        self.body_end = 0          # buffer length at which a buffered request is complete
        self.streaming = False     # holds one of the stream slots
        self.timed_out = False     # a read or write on the socket timed out in the thread
        sock.setblocking(False)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class _IdleLimitedSocket:
    """What gunicorn's request parser reads from: the socket, with a stalled read ending the body (EOF) instead
    of raising, so a handler sees a body cut short (and answers so) rather than an exception."""

    def __init__(self, conn: _Conn):
        self._conn = conn

    def recv(self, size: int) -> bytes:
        if self._conn.timed_out:
            return b""
        try:
            return self._conn.sock.recv(size)
        except TimeoutError:
            self._conn.timed_out = True
            return b""


def request_framing(head: bytes) -> tuple[int | None, bool]:
    """(Content-Length or None, whether the body must be streamed by a thread) from a request head."""
    length: int | None = None
    for line in head.split(b"\n")[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        name = name.strip().lower()
        value = value.strip()
        if name == b"transfer-encoding":
            return None, True
        if name == b"expect" and value.lower() == b"100-continue":
            return None, True  # the client waits for gunicorn's "100 Continue" before it sends the body
        if name == b"content-length":
            if not value.isdigit() or (length is not None and int(value) != length):
                return None, True  # let gunicorn's parser refuse it
            length = int(value)
    return length, False


def _error_answer(status: int, reason: str, message: str) -> bytes:
    body = json.dumps({"retcode": 100, "retmsg": message}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


# gunicorn's refusals of a request it cannot parse, answered as JSON like every other refusal (gunicorn's own
# answer is an HTML page that echoes the offending bytes)
_PARSE_REFUSALS: tuple[tuple[type, int, str, str], ...] = (
    (http_errors.LimitRequestLine, 414, "URI Too Long", "the request line is too long"),
    (http_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large", "the request headers are too large"),
    (http_errors.UnsupportedTransferCoding, 501, "Not Implemented", "unsupported Transfer-Encoding"),
    (http_errors.InvalidRequestMethod, 400, "Bad Request", "malformed request method"),
    (http_errors.InvalidHTTPVersion, 400, "Bad Request", "unsupported HTTP version"),
    (http_errors.InvalidRequestLine, 400, "Bad Request", "malformed request line"),
    (http_errors.InvalidHeaderName, 400, "Bad Request", "malformed header name"),
    (http_errors.InvalidHeader, 400, "Bad Request", "malformed header"),
    (http_errors.ObsoleteFolding, 400, "Bad Request", "folded header lines are not accepted"),
    (http_errors.ParseException, 400, "Bad Request", "malformed HTTP request"),
)


def parse_refusal(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, reason, message) for a request gunicorn's parser refused; None for any other error."""
    for kind, status, reason, message in _PARSE_REFUSALS:
        if isinstance(exc, kind):
            return status, reason, message
    return None


class BoundedThreadWorker(ThreadWorker):
    """gthread with request heads and small bodies read by the event loop; see the module docstring."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._conns: dict[int, _Conn] = {}     # fd -> connection, every open one
        self._queue: deque[_Conn] = deque()    # streamed requests waiting for a slot
        self._returned: deque[tuple[_Conn, bool]] = deque()  # handed back by threads: (conn, keep alive)
        self._streams = 0
        self._wake_r = self._wake_w = -1
        self._listening = False
        self.limits: HttpLimits | None = None

    def init_process(self):
        self.limits = self.app.http_limits  # fate_flow.server.FlowServer's, from the http: settings
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        super().init_process()

    # ------------------------------------------------------------------ the event loop
    def run(self):
        for listener in self.sockets:
            listener.setblocking(False)
        self._listen(True)
        self.poller.register(self._wake_r, selectors.EVENT_READ, self._on_wake)
        while self.alive:
            self.notify()
            self._listen(len(self._conns) < self.worker_connections)
            for key, _ in self.poller.select(self._select_timeout()):
                key.data(key.fileobj)
            self._take_returned()
            self._expire(time.monotonic())
            self.futures = deque(f for f in self.futures if not f.done())
            if not self.is_parent_alive():
                break
        self.tpool.shutdown(False)
        self.poller.close()
        for listener in self.sockets:
            listener.close()
        futures.wait(self.futures, timeout=self.cfg.graceful_timeout)
        for conn in list(self._conns.values()):
            conn.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _listen(self, on: bool) -> None:
        if on == self._listening:
            return
        for listener in self.sockets:
            if on:
                self.poller.register(listener, selectors.EVENT_READ, partial(self._accept, listener.getsockname()))
            else:
                self.poller.unregister(listener)
        self._listening = on

    def _select_timeout(self) -> float:
        now = time.monotonic()
        waits = [c.deadline - now for c in self._conns.values() if c.state in (_HEAD, _BODY, _IDLE)]
        return max(0.05, min([1.0, *waits]))

    def _accept(self, server, listener) -> None:
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        conn = _Conn(sock, client, server, time.monotonic() + self.limits.header_timeout)
        self._conns[conn.fd] = conn
        self.nr_conns = len(self._conns)
        self.poller.register(sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_wake(self, _fd) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _on_readable(self, conn: _Conn, _sock) -> None:
        try:
            data = conn.sock.recv(_RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        now = time.monotonic()
        if conn.state == _IDLE:
            conn.state, conn.deadline = _HEAD, now + self.limits.header_timeout
        conn.buffer += data
        self._advance(conn, now)

    def _advance(self, conn: _Conn, now: float) -> None:
        """Move a connection on with what its buffer holds: wait for more, or hand the request to a thread."""
        if conn.state == _HEAD:
            ends = [(i, len(mark)) for mark in _HEAD_ENDS if (i := conn.buffer.find(mark)) >= 0]
            if not ends:
                if len(conn.buffer) > MAX_HEAD_BYTES:
                    self._refuse(conn, 431, "Request Header Fields Too Large",
                                 f"the request head is longer than {MAX_HEAD_BYTES} bytes")
                return
            at, size = min(ends)
            length, stream = request_framing(bytes(conn.buffer[:at]))
            if stream or (length or 0) > self.limits.buffer_body_bytes:
                self._dispatch(conn, streaming=True)
                return
            conn.state, conn.body_end = _BODY, at + size + (length or 0)
        if conn.state == _BODY:
            if len(conn.buffer) >= conn.body_end:
                self._dispatch(conn, streaming=False)
            else:
                conn.deadline = now + self.limits.body_idle_timeout

    def _expire(self, now: float) -> None:
        for conn in [c for c in self._conns.values() if c.state in (_HEAD, _BODY, _IDLE) and c.deadline <= now]:
            if conn.state == _IDLE:
                self._close(conn)
            elif conn.state == _HEAD:
                self._refuse(conn, 408, "Request Timeout",
                             f"the request head did not arrive within {self.limits.header_timeout:g} s")
            else:
                self._refuse(conn, 408, "Request Timeout",
                             f"the request body stopped arriving for {self.limits.body_idle_timeout:g} s")

    def _refuse(self, conn: _Conn, status: int, reason: str, message: str) -> None:
        self.log.info("closing the connection of %s: %s", conn.client, message)
        try:
            conn.sock.send(_error_answer(status, reason, message))
        except OSError:
            pass
        self._close(conn)

    def _close(self, conn: _Conn) -> None:
        try:
            self.poller.unregister(conn.fd)
        except (KeyError, ValueError, OSError):
            pass
        self._conns.pop(conn.fd, None)
        self.nr_conns = len(self._conns)
        conn.close()

    # ------------------------------------------------------------------ threads
    def _dispatch(self, conn: _Conn, streaming: bool) -> None:
        if conn.state not in (_QUEUED, _BUSY):
            self.poller.unregister(conn.fd)
        if streaming and not conn.streaming:
            if self._streams >= self.limits.stream_threads:
                conn.state = _QUEUED
                self._queue.append(conn)
                return
            self._streams += 1
            conn.streaming = True
        conn.state = _BUSY
        conn.sock.settimeout(self.limits.body_idle_timeout)
        if conn.parser is None:
            conn.parser = http.RequestParser(self.cfg, _IdleLimitedSocket(conn), conn.client)
        conn.parser.unreader.unread(bytes(conn.buffer))
        conn.buffer.clear()
        future = self.tpool.submit(self._handle, conn)
        self.futures.append(future)

    def _handle(self, conn: _Conn) -> None:
        keep = False
        try:
            keep = self._serve_one(conn)
        finally:
            self._returned.append((conn, keep))
            try:
                os.write(self._wake_w, b"x")
            except (BlockingIOError, OSError):
                pass

    def _serve_one(self, conn: _Conn) -> bool:
        """Handle one request in a thread; whether the connection may carry another one."""
        req = None
        try:
            req = next(conn.parser)
            keep = bool(self.handle_request(req, conn))
            if keep:  # what the handler left of the body, so the next request starts where it should
                while req.body.read(1 << 16):
                    pass
            if conn.timed_out:
                self.log.info("closing the connection of %s: no byte moved for %g s", conn.client,
                              self.limits.body_idle_timeout)
                return False
            if keep:  # bytes of a pipelined next request, read along with this one
                unreader = conn.parser.unreader
                conn.buffer += unreader.buf.getvalue()
                unreader.buf = io.BytesIO()
            return keep
        except StopIteration:
            return False
        except http.errors.NoMoreData:
            return False
        except TimeoutError:
            self.log.info("closing the connection of %s: no byte moved for %g s", conn.client,
                          self.limits.body_idle_timeout)
            return False
        except OSError as e:
            if e.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.EBADF):
                self.log.exception("socket error while handling a request of %s", conn.client)
            return False
        except Exception as e:
            self.handle_error(req, conn.sock, conn.client, e)
            return False

    def handle_error(self, req, client, addr, exc):
        refusal = parse_refusal(exc)
        if refusal is None:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("invalid request from %s: %s", (addr or ("",))[0], refusal[2])
        try:
            client.sendall(_error_answer(*refusal))
        except OSError:
            pass
        return None

    def _take_returned(self) -> None:
        while self._returned:
            conn, keep = self._returned.popleft()
            if conn.streaming:
                conn.streaming = False
                self._streams -= 1
            if keep and self.alive:
                try:
                    conn.sock.setblocking(False)
                except OSError:
                    self._close(conn)
                    continue
                now = time.monotonic()
                if conn.buffer:  # a pipelined request already arrived
                    conn.state, conn.deadline = _HEAD, now + self.limits.header_timeout
                else:
                    conn.state, conn.deadline = _IDLE, now + self.cfg.keepalive
                self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
                if conn.buffer:
                    self._advance(conn, now)
            else:
                self._close(conn)
        while self._queue and self._streams < self.limits.stream_threads:
            conn = self._queue.popleft()
            if self._conns.get(conn.fd) is conn:
                self._dispatch(conn, streaming=True)
