"""Who may use the board from a browser, beside the signed clients of the HTTP API.

On the server's own machine (a peer in `http_auth.unsigned_from`) the board opens directly, as the API does.
From elsewhere the board asks for an app key of `http_auth.clients` and its secret once, and the server keeps
the login in a session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (other sites' pages do not send
it), expiring after SESSION_SECONDS. A call made with the session must also carry the session's CSRF token in the
X-CSRF-Token header, which only the board's own pages can read (from /board/session), so another site cannot
make a logged-in browser stop, rerun or annotate a job.

Sessions are not stored: the cookie is the app key and an expiry, signed with a key drawn when the runtime is
built (one BoardAccess per runtime, `runtime.board`), so a restart ends every session. Expiries follow the
runtime's clock. A logout is remembered until the session would have expired.

Whatever the caller, an API request a browser sends on behalf of another site (Sec-Fetch-Site cross-site or
same-site, or an Origin that is not this server) is refused: the unsigned loopback API must not be reachable
from a web page that a user on the server's machine happens to open.
"""
from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import secrets
import threading
import time
from typing import Callable, Mapping
from urllib.parse import urlsplit

from fate_flow.entity.errors import AuthenticationError
from fate_flow.entity.http_signature import address_in
from fate_flow.settings import HttpAuthSettings

COOKIE = "fate_flow_board"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 8 * 3600
# failed logins from one address within FAILURE_WINDOW seconds before it must wait for the window to pass
MAX_FAILURES = 10
FAILURE_WINDOW = 300
MAX_TRACKED = 10_000  # addresses with recent failures, and logged-out sessions, kept in memory at most
_BROWSER_SITES = ("same-origin", "none")  # Sec-Fetch-Site values of the board's own requests


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BoardAccess:
    def __init__(self, auth: HttpAuthSettings, clock: Callable[[], float] = time.time):
        self._clients: Mapping[str, str] = auth.clients
        self._unsigned_from = auth.unsigned_from
        self._key = secrets.token_bytes(32)
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, collections.deque] = {}
        self._logged_out: dict[str, float] = {}  # session nonce -> its expiry

    # ------------------------------------------------------------------------------------------- sessions
    def local(self, peer: str) -> bool:
        """The board opens without a login for the peers the API answers unsigned."""
        return address_in(peer, self._unsigned_from)

    def login(self, peer: str, app_key: str, secret: str) -> str:
        """A new session cookie value for a known app key and its secret; AuthenticationError otherwise (too
        many failures from `peer` refuse even a right secret until the window has passed)."""
        now = self.clock()
        with self._lock:
            recent = self._failures.get(peer)
            while recent and recent[0] < now - FAILURE_WINDOW:
                recent.popleft()
            if recent is not None and len(recent) >= MAX_FAILURES:
                raise AuthenticationError(f"too many failed logins from {peer}; try again in "
                                          f"{int(recent[0] + FAILURE_WINDOW - now) + 1} s")
        known = self._clients.get(app_key)
        if known is None or not hmac.compare_digest(secret.encode(), known.encode()):
            with self._lock:
                if peer not in self._failures and len(self._failures) >= MAX_TRACKED:
                    self._failures.pop(next(iter(self._failures)))
                self._failures.setdefault(peer, collections.deque()).append(now)
            raise AuthenticationError("unknown app key or wrong secret")
        payload = _b64(json.dumps({"k": app_key, "e": int(now) + SESSION_SECONDS, "n": secrets.token_hex(8)},
                                  separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload, app_key)}"

    def session(self, cookie: str | None) -> dict | None:
        """{"app_key", "expires", "nonce"} of a valid, unexpired, not logged-out session cookie; else None."""
        if not cookie or len(cookie) > 1024 or "." not in cookie:
            return None
        payload, signature = cookie.rsplit(".", 1)
        try:
            fields = json.loads(_unb64(payload))
            app_key, expires, nonce = str(fields["k"]), int(fields["e"]), str(fields["n"])
        except (ValueError, KeyError, TypeError):
            return None
        if app_key not in self._clients or not hmac.compare_digest(signature, self._sign(payload, app_key)):
            return None
        if expires <= self.clock() or nonce in self._logged_out:
            return None
        return {"app_key": app_key, "expires": expires, "nonce": nonce}

    def csrf_token(self, cookie: str) -> str:
        return _b64(hmac.new(self._key, b"csrf\n" + cookie.encode(), hashlib.sha256).digest())

    def logout(self, cookie: str | None) -> None:
        session = self.session(cookie)
        if session is None:
            return
        now = self.clock()
        with self._lock:
            for nonce in [n for n, expiry in self._logged_out.items() if expiry <= now]:
                del self._logged_out[nonce]
            if len(self._logged_out) < MAX_TRACKED:
                self._logged_out[session["nonce"]] = session["expires"]

    def _sign(self, payload: str, app_key: str) -> str:
        # the client's secret is signed in: a session ends when its secret changes
        secret_digest = hashlib.sha256(self._clients[app_key].encode()).digest()
        return _b64(hmac.new(self._key, payload.encode() + b"\n" + secret_digest, hashlib.sha256).digest())

    # ------------------------------------------------------------------------------------ per request
    def admits(self, cookie: str | None, csrf_header: str | None) -> str | None:
        """The app key when the request comes with a valid session and its CSRF token; None without a
        session cookie (the signature check decides); AuthenticationError for a session without its token."""
        session = self.session(cookie)
        if session is None:
            return None
        if not csrf_header or not hmac.compare_digest(csrf_header, self.csrf_token(cookie)):
            raise AuthenticationError(f"a board session must send its CSRF token (header {CSRF_HEADER})")
        return session["app_key"]

    @staticmethod
    def refuse_cross_site(headers: Mapping[str, str], host: str) -> None:
        """AuthenticationError for a request a browser makes on behalf of another site. Browsers that send
        Sec-Fetch-Site say so themselves (and a proxy that rewrites Host changes nothing); for older ones the
        Origin must name this server's Host."""
        site = headers.get("Sec-Fetch-Site")
        if site:
            if site not in _BROWSER_SITES:
                raise AuthenticationError(f"a browser request from another site ({site}) is refused")
            return
        origin = headers.get("Origin")
        if origin == "null":
            raise AuthenticationError("a browser request from an opaque origin is refused")
        if origin and urlsplit(origin).netloc.lower() != (host or "").lower():
            raise AuthenticationError("a browser request from another origin is refused")
