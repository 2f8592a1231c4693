"""HTTP client signatures, FATE-Flow 1.7's scheme: what a client signs, and how a server checks it.

A signed request carries four headers: TIMESTAMP (Unix time in milliseconds), NONCE (any string, used once),
APP_KEY (which client) and SIGNATURE, the base64 of an HMAC-SHA1, keyed with the app key's secret, over six
lines joined by "\\n":

    TIMESTAMP
    NONCE
    APP_KEY
    the request path with its query string ("/v1/data/upload?x=1"; no "?" when there is no query)
    the raw body when the Content-Type is application/json, else empty
    for application/x-www-form-urlencoded and multipart/form-data: the form fields (never the files),
    sorted by name, as name=value pairs joined by "&", each name and value percent-encoded except the
    RFC 3986 unreserved characters A-Z a-z 0-9 - . _ ~ (a space is %20); else empty

The server accepts a timestamp at most MAX_CLOCK_SKEW_MS away from its clock and each nonce once. It remembers
a nonce only until its timestamp leaves that window (from then on the timestamp alone refuses a replay), so
memory stays bounded by the requests of one window.
"""
from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import ipaddress
import json
import threading
import time
import uuid
from typing import Callable, Iterable, Mapping
from urllib.parse import quote

from fate_flow.entity.errors import AuthenticationError

TIMESTAMP = "TIMESTAMP"
NONCE = "NONCE"
APP_KEY = "APP_KEY"
SIGNATURE = "SIGNATURE"
HEADERS = (TIMESTAMP, NONCE, APP_KEY, SIGNATURE)

MAX_CLOCK_SKEW_MS = 60_000
# signed requests the server remembers at once (one clock window's worth); beyond it new nonces are refused
MAX_REMEMBERED_NONCES = 1_000_000
# longest header value the server looks at (a longer one is refused before anything is computed)
MAX_HEADER_CHARS = 256

JSON_TYPE = "application/json"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# unreserved characters of RFC 3986, left as they are by the form line's encoding
_UNRESERVED = "-._~"


def mimetype(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower case, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def signs_body(content_type: str | None) -> bool:
    return mimetype(content_type) == JSON_TYPE


def signs_form(content_type: str | None) -> bool:
    return mimetype(content_type) in FORM_TYPES


def form_line(fields: Iterable[tuple[str, str]]) -> str:
    """The form fields as signed: sorted by name (then value), RFC 3986 percent-encoding."""
    pairs = sorted((str(k), str(v)) for k, v in fields)
    return "&".join(f"{quote(k, safe=_UNRESERVED)}={quote(v, safe=_UNRESERVED)}" for k, v in pairs)


def string_to_sign(timestamp: str, nonce: str, app_key: str, path_with_query: str, json_body: bytes = b"",
                   form_fields: Iterable[tuple[str, str]] = ()) -> bytes:
    return b"\n".join([timestamp.encode(), nonce.encode(), app_key.encode(), path_with_query.encode(),
                       bytes(json_body), form_line(form_fields).encode()])


def signature(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha1).digest()).decode("ascii")


def signed_headers(app_key: str, secret: str, path_with_query: str, json_body: bytes = b"",
                   form_fields: Iterable[tuple[str, str]] = (), now_ms: int | None = None,
                   nonce: str | None = None) -> dict[str, str]:
    """The four headers that sign one request."""
    timestamp = str(int(time.time() * 1000) if now_ms is None else now_ms)
    nonce = nonce or str(uuid.uuid4())
    message = string_to_sign(timestamp, nonce, app_key, path_with_query, json_body, form_fields)
    return {TIMESTAMP: timestamp, NONCE: nonce, APP_KEY: app_key, SIGNATURE: signature(secret, message)}


def path_with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def _empty_json(body: bytes) -> bool:
    try:
        return not json.loads(body)
    except (ValueError, RecursionError):
        return False


# ---------------------------------------------------------------------------------------------- server side
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = ("127.0.0.0/8", "::1")


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDRs; ValueError names the bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR") from None
    return tuple(networks)


def address_in(address: str | None, networks: Iterable[Network]) -> bool:
    """Whether a peer address lies in one of the networks (an IPv4-mapped IPv6 address counts as IPv4)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


class SignatureVerifier:
    """Checks signed requests against the configured clients ({app key: secret}) and remembers their nonces.

    `verify` raises AuthenticationError naming what is wrong. The body and the form fields are asked for
    (through callables) only once the headers, the app key and the timestamp are known to be good.
    """

    def __init__(self, clients: Mapping[str, str], max_skew_ms: int = MAX_CLOCK_SKEW_MS,
                 max_nonces: int = MAX_REMEMBERED_NONCES, clock: Callable[[], float] = time.time):
        self._clients = dict(clients)
        self.max_skew_ms = max_skew_ms
        self.max_nonces = max_nonces
        self._clock = clock
        self._lock = threading.Lock()
        self._nonces: set[tuple[str, str]] = set()
        self._expiry: list[tuple[int, str, str]] = []  # heap of (forget after ms, app key, nonce)

    def verify(self, headers: Mapping[str, str], path_with_query: str, content_type: str | None,
               json_body: Callable[[], bytes], form_fields: Callable[[], Iterable[tuple[str, str]]]) -> str:
        """The app key of a correctly signed, fresh, first-seen request; else AuthenticationError."""
        values = {name: headers.get(name) for name in HEADERS}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise AuthenticationError(f"signed request without header {', '.join(missing)}")
        too_long = [name for name, value in values.items() if len(value) > MAX_HEADER_CHARS]
        if too_long:
            raise AuthenticationError(f"header {too_long[0]} is longer than {MAX_HEADER_CHARS} characters")
        app_key = values[APP_KEY]
        secret = self._clients.get(app_key)
        if secret is None:
            raise AuthenticationError(f"unknown app key {app_key!r}")
        try:
            timestamp_ms = int(values[TIMESTAMP])
        except ValueError:
            raise AuthenticationError("header TIMESTAMP must be Unix time in milliseconds") from None
        now_ms = int(self._clock() * 1000)
        if abs(now_ms - timestamp_ms) > self.max_skew_ms:
            raise AuthenticationError(f"TIMESTAMP is {abs(now_ms - timestamp_ms) / 1000:.0f} s away from the server "
                                      f"clock (at most {self.max_skew_ms / 1000:g} s allowed)")
        body = json_body() if signs_body(content_type) else b""
        fields = list(form_fields()) if signs_form(content_type) else []
        # FATE's own clients sign an empty line for a JSON body that is empty ({}, [], null...), and FATE-Flow
        # checks it that way: accept that spelling too (it changes nothing a handler sees)
        body_lines = [body, b""] if body and _empty_json(body) else [body]
        given = values[SIGNATURE].encode()
        if not any(hmac.compare_digest(given, signature(secret, string_to_sign(
                values[TIMESTAMP], values[NONCE], app_key, path_with_query, line, fields)).encode())
                   for line in body_lines):
            raise AuthenticationError("signature does not match the request")
        self._remember(app_key, values[NONCE], timestamp_ms, now_ms)
        return app_key

    def _remember(self, app_key: str, nonce: str, timestamp_ms: int, now_ms: int) -> None:
        key = (app_key, nonce)
        with self._lock:
            while self._expiry and self._expiry[0][0] < now_ms:
                _, k, n = heapq.heappop(self._expiry)
                self._nonces.discard((k, n))
            if key in self._nonces:
                raise AuthenticationError("NONCE was already used")
            if len(self._nonces) >= self.max_nonces:
                raise AuthenticationError(f"more than {self.max_nonces} signed requests within "
                                          f"{self.max_skew_ms / 1000:g} s; try again later")
            self._nonces.add(key)
            heapq.heappush(self._expiry, (timestamp_ms + self.max_skew_ms, app_key, nonce))


class ClientGate:
    """Who may call: a request without signature headers only from the `unsigned_from` networks, a signed one
    from anywhere as long as the signature checks out. `admit` answers the app key (None for an unsigned call)
    or raises AuthenticationError with the reason."""

    def __init__(self, clients: Mapping[str, str], unsigned_from: Iterable[Network]):
        self.verifier = SignatureVerifier(clients)
        self.unsigned_from = tuple(unsigned_from)

    def admit(self, peer: str, headers: Mapping[str, str], path_with_query: str, content_type: str | None,
              json_body: Callable[[], bytes], form_fields: Callable[[], Iterable[tuple[str, str]]]) -> str | None:
        if not any(headers.get(name) for name in HEADERS):
            if address_in(peer, self.unsigned_from):
                return None
            raise AuthenticationError(f"unsigned request from {peer}: sign it with an app key (headers "
                                      f"TIMESTAMP, NONCE, APP_KEY, SIGNATURE)")
        return self.verifier.verify(headers, path_with_query, content_type, json_body, form_fields)
