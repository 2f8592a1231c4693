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
PUSH_ACK = "push-ack"
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


def sign_trailer(auth: SiteAuthenticator, signer: str, header: pb.ValueHeader, total_bytes: int, chunks: int,
                 sha256: bytes) -> pb.ValueTrailer:
    """The trailer's signature covers the whole value: key, kind, the header's timestamp and nonce, and the
    sizes and digest of the chunks. Readers verify it end to end; a small value carries only this one."""
    signature = auth.sign(signer, VALUE_TRAILER, *_value_fields(header), total_bytes, chunks, sha256)
    return pb.ValueTrailer(total_bytes=total_bytes, chunks=chunks, sha256=sha256, signature=signature)


def check_trailer(auth: SiteAuthenticator, signer: str, header: pb.ValueHeader, trailer: pb.ValueTrailer,
                  total_bytes: int, chunks: int, sha256: bytes, what: str) -> None:
    """The bytes received are the bytes the sender signed for: raises TruncatedStreamError or AuthenticationError."""
    if (trailer.total_bytes, trailer.chunks, trailer.sha256) != (total_bytes, chunks, sha256):
        raise TruncatedStreamError(f"{what}: received {chunks} chunks ({total_bytes} bytes) but the sender's trailer"
                                   f" says {trailer.chunks} chunks ({trailer.total_bytes} bytes)"
                                   + ("" if trailer.total_bytes != total_bytes else "; the digest differs"))
    auth.verify(signer, trailer.signature, VALUE_TRAILER, *_value_fields(header), trailer.total_bytes, trailer.chunks,
                trailer.sha256)


def _value_fields(header: pb.ValueHeader) -> tuple:
    return (*key_fields(header.key), header.kind, header.auth.timestamp_ms, header.auth.nonce)
