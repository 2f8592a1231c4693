"""Data-plane sessions: public-key signatures once per session, symmetric MACs per value (as TLS and Noise do).

A sending process opens a session with each (source party, destination party) once: a Handshake carrying an
ephemeral X25519 public key, signed with the source party's key and replay-checked like any signed request;
the receiver answers with its own ephemeral key, signed with the destination party's key. Both derive a
32-byte key with HKDF-SHA256. Each value then carries the session id, a counter the receiver accepts once,
and a keyed BLAKE3 MAC over the header fields and the BLAKE3 digest of the chunks (hashed in one pass as
they stream, see framing.ChunkDigest); the ack is MAC'd with the same key, bound to the value's counter.

Receivers keep sessions in memory only: after a restart a sender's value is refused as from an unknown
session, and the sender opens a new one and sends again.
"""
from __future__ import annotations

import hmac
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import blake3
import grpc
import msgpack
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fate_flow.federation import signing
from fate_flow.federation.errors import AuthenticationError
from fate_flow.federation.signing import DOMAIN, SiteAuthenticator, key_fields
from fate_flow.proto import federation_pb2 as pb

# how long a receiver keeps a session, and how many it keeps at most (the oldest go first)
SESSION_SECONDS = 3600.0
MAX_SESSIONS = 4096
# a sender opens a new session this long before the receiver would forget the old one
_RENEW_MARGIN = 0.1
# counters this far below the highest seen are refused; within it each is accepted once (values in flight
# on several threads of one sender arrive out of order)
REPLAY_WINDOW = 1024
# trailing metadata of the refusal of a value from a session the receiver does not know (any more)
ERROR_KEY = "fate-error"
UNKNOWN_SESSION = "unknown-session"


class UnknownSessionError(AuthenticationError):
    """The receiver holds no such session (it expired, or the receiver restarted): open a new one."""


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def derive_key(shared: bytes, session_id: bytes, src: str, dst: str, sender_public: bytes,
               receiver_public: bytes) -> bytes:
    info = msgpack.packb([DOMAIN, "session", src, dst, sender_public, receiver_public], use_bin_type=True)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=session_id, info=info).derive(shared)


@dataclass
class SessionKey:
    """What both ends of a session share; computes and checks its MACs."""
    session_id: bytes
    key: bytes
    src: str
    dst: str

    def mac(self, kind: str, *fields) -> bytes:
        data = msgpack.packb([DOMAIN, kind, self.session_id, *fields], use_bin_type=True)
        return blake3.blake3(data, key=self.key).digest()

    def value_mac(self, header: pb.ValueHeader, total_bytes: int, chunks: int, digest: bytes) -> bytes:
        return self.mac(signing.VALUE_TRAILER, header.counter, *key_fields(header.key), header.kind, total_bytes,
                        chunks, digest)

    def ack_mac(self, counter: int, total_bytes: int, digest: bytes) -> bytes:
        return self.mac(signing.PUSH_ACK, counter, total_bytes, digest)

    def check_ack(self, ack: pb.PushAck, counter: int, digest: bytes, what: str) -> None:
        if not hmac.compare_digest(ack.mac, self.ack_mac(counter, ack.total_bytes, digest)):
            raise AuthenticationError(f"{what}: the acknowledgement's MAC does not match the session with party"
                                      f" {self.dst}; the value may not have been stored")


# ---------------------------------------------------------------- sending side
@dataclass
class OpenSession(SessionKey):
    renew_at: float = 0.0
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_counter(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter


class SenderSessions:
    """The sessions this process opened, one per (source party, destination party), opened on first use."""

    def __init__(self, auth: SiteAuthenticator, clock: Callable[[], float] = time.monotonic):
        self._auth = auth
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], OpenSession] = {}

    def get(self, stub, src: pb.Party, dst: pb.Party, timeout: float) -> OpenSession:
        """The open session from src to dst, after a Handshake through `stub` (DataPlaneStub) when there is none
        or it is about to expire. Raises grpc.RpcError (transport) or AuthenticationError (a forged answer)."""
        pair = (src.party_id, dst.party_id)
        session = self._open.get(pair)
        if session is not None and self._clock() < session.renew_at:
            return session
        session = self._handshake(stub, src, dst, timeout)
        with self._lock:
            self._open[pair] = session
        return session

    def forget(self, session: SessionKey) -> None:
        with self._lock:
            if self._open.get((session.src, session.dst)) is session:
                del self._open[(session.src, session.dst)]

    def _handshake(self, stub, src: pb.Party, dst: pb.Party, timeout: float) -> OpenSession:
        private = X25519PrivateKey.generate()
        public = _raw(private.public_key())
        auth = self._auth.stamp(src.party_id, signing.HANDSHAKE, src.party_id, dst.party_id, public)
        reply = stub.Handshake(pb.HandshakeRequest(src=pb.Party(party_id=src.party_id),
                                                   dst=pb.Party(party_id=dst.party_id), public_key=public, auth=auth),
                               timeout=timeout)
        self._auth.verify(dst.party_id, reply.signature, signing.HANDSHAKE_REPLY, auth.nonce, reply.session_id,
                          public, reply.public_key, reply.lifetime_ms)
        try:
            shared = private.exchange(X25519PublicKey.from_public_bytes(reply.public_key))
        except ValueError as e:
            raise AuthenticationError(f"party {dst.party_id} answered the handshake with a bad key: {e}") from None
        key = derive_key(shared, reply.session_id, src.party_id, dst.party_id, public, reply.public_key)
        renew_at = self._clock() + reply.lifetime_ms / 1000 * (1 - _RENEW_MARGIN)
        return OpenSession(reply.session_id, key, src.party_id, dst.party_id, renew_at=renew_at)


def is_unknown_session(error: grpc.RpcError) -> bool:
    metadata = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    return any(k == ERROR_KEY and v == UNKNOWN_SESSION for k, v in (metadata or ()))


# ---------------------------------------------------------------- receiving side
@dataclass
class AcceptedSession(SessionKey):
    expires: float = 0.0
    _highest: int = 0
    _seen: int = 1  # bit i: counter (highest - i) was accepted; counter 0 is never valid
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check_counter(self, counter: int, record: bool) -> None:
        """Raise AuthenticationError for a counter accepted before or too old; with `record`, accept it."""
        with self._lock:
            offset = self._highest - counter
            if offset >= REPLAY_WINDOW:
                raise AuthenticationError(f"value from party {self.src} refused: counter {counter} of session"
                                          f" {self.session_id.hex()} is too old (more than {REPLAY_WINDOW} below"
                                          f" the highest accepted, {self._highest})")
            if offset >= 0 and self._seen >> offset & 1:
                raise AuthenticationError(f"replayed value from party {self.src}: counter {counter} of session"
                                          f" {self.session_id.hex()} was already used")
            if not record:
                return
            if offset < 0:
                shifted = self._seen << -offset if -offset < REPLAY_WINDOW else 0
                self._seen = (shifted | 1) & ((1 << REPLAY_WINDOW) - 1)
                self._highest = counter
            else:
                self._seen |= 1 << offset


class ReceiverSessions:
    """Sessions partners opened with the parties this server hosts, in memory, each for SESSION_SECONDS."""

    def __init__(self, auth: SiteAuthenticator, lifetime: float = SESSION_SECONDS, limit: int = MAX_SESSIONS,
                 clock: Callable[[], float] = time.monotonic):
        self._auth = auth
        self._lifetime = lifetime
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[bytes, AcceptedSession] = {}

    def accept(self, request: pb.HandshakeRequest) -> pb.HandshakeReply:
        """Check the sender's signed handshake (raises AuthenticationError) and open the session."""
        src, dst = request.src.party_id, request.dst.party_id
        self._auth.check(src, request.auth, signing.HANDSHAKE, src, dst, request.public_key)
        try:
            sender_public = X25519PublicKey.from_public_bytes(request.public_key)
        except ValueError as e:
            raise AuthenticationError(f"handshake of party {src}: bad X25519 public key: {e}") from None
        private = X25519PrivateKey.generate()
        public = _raw(private.public_key())
        session_id = os.urandom(16)
        key = derive_key(private.exchange(sender_public), session_id, src, dst, request.public_key, public)
        now = self._clock()
        with self._lock:
            if len(self._sessions) >= self._limit:
                self._evict(now)
            self._sessions[session_id] = AcceptedSession(session_id, key, src, dst, expires=now + self._lifetime)
        lifetime_ms = int(self._lifetime * 1000)
        signature = self._auth.sign(dst, signing.HANDSHAKE_REPLY, request.auth.nonce, session_id, request.public_key,
                                    public, lifetime_ms)
        return pb.HandshakeReply(session_id=session_id, public_key=public, lifetime_ms=lifetime_ms,
                                 signature=signature)

    def lookup(self, header: pb.ValueHeader) -> AcceptedSession:
        """The session a value's header names, if it is that session's parties' and its counter is unused."""
        session = self._sessions.get(header.session_id)
        src, dst = header.key.src.party_id, header.key.dst.party_id
        if session is None or session.expires <= self._clock():
            raise UnknownSessionError(f"value claiming to be from party {src}: unknown or expired session"
                                      f" {header.session_id.hex() or '(none)'}; open a new one")
        if (session.src, session.dst) != (src, dst):
            raise AuthenticationError(f"value claiming to be from party {src} to party {dst} came in the session of"
                                      f" party {session.src} with party {session.dst}")
        session.check_counter(header.counter, record=False)
        return session

    def __len__(self) -> int:
        return len(self._sessions)

    def _evict(self, now: float) -> None:
        for session_id in [s for s, v in self._sessions.items() if v.expires <= now]:
            del self._sessions[session_id]
        while len(self._sessions) >= self._limit:
            del self._sessions[min(self._sessions, key=lambda s: self._sessions[s].expires)]


def check_value_mac(session: AcceptedSession, header: pb.ValueHeader, trailer: pb.ValueTrailer, what: str) -> None:
    """The MAC of a value whose sizes and digest already match its trailer; then its counter is used up."""
    if not hmac.compare_digest(trailer.mac, session.value_mac(header, trailer.total_bytes, trailer.chunks,
                                                              trailer.digest)):
        raise AuthenticationError(f"{what}: MAC does not match the session of party {session.src} (forged or"
                                  f" altered value, or another session's key)")
    session.check_counter(header.counter, record=True)
