"""What exactly is signed, and the checks a receiver runs on a signed message.

Signed bytes are a msgpack list (length-prefixed, so fields cannot run into each other) starting with a
domain string and the message kind, so a signature made for one kind of message never verifies as another.
"""
from __future__ import annotations

import os
import time
from typing import Callable

import msgpack

from fate_flow.federation.errors import AuthenticationError, TruncatedStreamError
from fate_flow.federation.keys import KeyRing
from fate_flow.federation.replay import ReplayGuard
from fate_flow.proto import federation_pb2 as pb

DOMAIN = "fate_flow.federation.v1"

# message kinds
COMMAND = "command"
COMMAND_REPLY = "command-reply"
VALUE_HEADER = "value-header"
VALUE_TRAILER = "value-trailer"
VALUE_READ = "value-read"
PUSH_ACK = "push-ack"
HANDSHAKE = "handshake"
HANDSHAKE_REPLY = "handshake-reply"
PULL = "pull"
ACK = "ack"


def signing_bytes(kind: str, *fields: str | bytes | int) -> bytes:
    return msgpack.packb([DOMAIN, kind, *fields], use_bin_type=True)


def key_fields(key: pb.ValueKey) -> tuple[str, ...]:
    return (key.job_id, key.name, key.tag, key.src.role, key.src.party_id, key.dst.role, key.dst.party_id)


class SiteAuthenticator:
    """Stamps outgoing messages and checks incoming ones. With `enabled` False (site_auth: false, demos only)
    nothing is signed and signatures are not checked; timestamps and nonces still are when a guard is given."""

    def __init__(self, keys: KeyRing, enabled: bool = True, replay: ReplayGuard | None = None,
                 clock: Callable[[], float] = time.time):
        self.keys = keys
        self.enabled = enabled
        self.replay = replay
        self._clock = clock

    def stamp(self, signer: str, kind: str, *fields: str | bytes | int, signed: bool = True) -> pb.SiteAuth:
        """Timestamp, nonce and signature over (kind, timestamp, nonce, *fields). `signed=False` for a
        message whose timestamp and nonce another signature covers (a small value's trailer)."""
        ts = int(self._clock() * 1000)
        nonce = os.urandom(16)
        signature = self.sign(signer, kind, ts, nonce, *fields) if signed else b""
        return pb.SiteAuth(timestamp_ms=ts, nonce=nonce, signature=signature)

    def check(self, signer: str, auth: pb.SiteAuth, kind: str, *fields: str | bytes | int) -> None:
        """Signature (made by `signer` over these fields), freshness and single use. Raises AuthenticationError."""
        self.verify(signer, auth.signature, kind, auth.timestamp_ms, auth.nonce, *fields)
        self.check_fresh(signer, auth)

    def check_fresh(self, signer: str, auth: pb.SiteAuth) -> None:
        """Timestamp near our clock and nonce not seen before (call after verifying the signature)."""
        if self.replay is not None:
            self.replay.check(signer, auth.timestamp_ms, auth.nonce)

    def sign(self, signer: str, kind: str, *fields: str | bytes | int) -> bytes:
        if not self.enabled:
            return b""
        return self.keys.sign(signer, signing_bytes(kind, *fields))

    def verify(self, signer: str, signature: bytes, kind: str, *fields: str | bytes | int) -> None:
        if not self.enabled:
            return
        if not signer:
            raise AuthenticationError("message names no sending party")
        self.keys.verify(signer, signing_bytes(kind, *fields), signature)


def sign_read(auth: SiteAuthenticator, signer: str, nonce: bytes, header: pb.ValueHeader, total_bytes: int,
              chunks: int, digest: bytes) -> pb.ValueTrailer:
    """The trailer of a value read from its reader's server: signed by the reading party (the server, having
    checked the sender's MAC, vouches for it), bound to the read request's nonce."""
    signature = auth.sign(signer, VALUE_READ, nonce, *key_fields(header.key), header.kind, total_bytes, chunks,
                          digest)
    return pb.ValueTrailer(total_bytes=total_bytes, chunks=chunks, digest=digest, signature=signature)


def check_sizes(trailer: pb.ValueTrailer, total_bytes: int, chunks: int, digest: bytes, what: str) -> None:
    """The bytes received are those the trailer describes: raises TruncatedStreamError."""
    if (trailer.total_bytes, trailer.chunks, trailer.digest) != (total_bytes, chunks, digest):
        raise TruncatedStreamError(f"{what}: received {chunks} chunks ({total_bytes} bytes) but the sender's trailer"
                                   f" says {trailer.chunks} chunks ({trailer.total_bytes} bytes)"
                                   + ("" if trailer.total_bytes != total_bytes else "; the digest differs"))


def check_read(auth: SiteAuthenticator, signer: str, nonce: bytes, header: pb.ValueHeader, trailer: pb.ValueTrailer,
               total_bytes: int, chunks: int, digest: bytes, what: str) -> None:
    """A read value is whole and comes from the reading party's server: raises TruncatedStreamError or
    AuthenticationError."""
    check_sizes(trailer, total_bytes, chunks, digest, what)
    auth.verify(signer, trailer.signature, VALUE_READ, nonce, *key_fields(header.key), header.kind,
                trailer.total_bytes, trailer.chunks, trailer.digest)
