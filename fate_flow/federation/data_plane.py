"""remote/get of named values between the parties of a job (what components call).

A value goes from the sender straight to the receiving party's server, which keeps it (LMDB, files beyond
inline_value_bytes) until the receiver reads it; the receiver reads from its own server. So sender and
receiver need not run at once, and neither end holds more than a few MB of a table in memory (a chunk, and
at the receiving server the first inline_value_bytes until the trailer's MAC checked out).

    fed = client.session(job_id, PartyRef("guest", 9999))
    fed.remote(public_key, "paillier_pubkey", "0", [PartyRef("host", 10000)])
    [gradient] = fed.get("host_gradient", "iter_3", [PartyRef("host", 10000)], timeout=60)
    fed.remote(Pairs(table.items()), "intersect_ids", "0", hosts)      # a table, streamed
"""
from __future__ import annotations

import logging
import time
from typing import Any, Iterable, Iterator

import grpc

from fate_flow.federation import signing
from fate_flow.federation.config import Route
from fate_flow.federation.errors import (FederationError, GetTimeoutError, MessageTooLargeError,
                                         TruncatedStreamError)
from fate_flow.federation.framing import (SMALL_VALUE_BYTES, ChunkDigest, Frame, Pairs, decode_object,
                                         decode_pair_chunk, encode_frame, encode_object, object_chunks, one_chunk,
                                         pair_chunks, parse_frame)
from fate_flow.federation.link import SiteLink
from fate_flow.federation.parties import PartyRef
from fate_flow.federation.sessions import is_unknown_session
from fate_flow.federation.signing import check_read, key_fields
from fate_flow.federation.transport import SMALL_HEADER_KEY, SMALL_TRAILER_KEY, rpc_error, with_retries
from fate_flow.proto import federation_pb2 as pb

LOG = logging.getLogger("fate_flow.federation")

# a get's gRPC deadline exceeds the server-side wait by this much, so the server's "not there" answer arrives
_GET_GRACE = 2.0
# the longest ValueKey sent in a PushSmall's metadata, leaving room for the header and trailer
_SMALL_KEY_BYTES = 2048


class FederationSession:
    def __init__(self, client: SiteLink, job_id: str, party: PartyRef):
        self.client = client
        self.job_id = job_id
        self.me = party
        self._fed = client.fed
        self._auth = client.auth

    # ------------------------------------------------------------------ remote
    def remote(self, value: Any, name: str, tag: str, parties: Iterable[PartyRef], timeout: float | None = None) -> None:
        """Send `value` (anything the codec encodes, or Pairs for a table) to each party; returns once every
        receiving server has stored it. Raises FederationError (retcode 104) naming the party that failed."""
        parties = list(parties)
        _check_name(name, tag)
        timeout = self._fed.command_timeout if timeout is None else timeout
        if isinstance(value, Pairs):
            if not value.reiterable and len(parties) > 1:
                raise ValueError("a one-shot iterator of pairs can be sent to one party only; pass a re-iterable")
            kind, data = pb.PAIRS, None
        else:
            kind, data = encode_object(value, self.client.codec)
            if len(data) > self._fed.max_value_bytes:
                raise MessageTooLargeError(f"remote of variable {name!r} tag {tag!r}: value of {len(data)} bytes"
                                           f" exceeds max_value_bytes ({self._fed.max_value_bytes})")
        pairs = value if kind == pb.PAIRS else None
        if len(parties) == 1:
            self._remote_one(parties[0], name, tag, kind, data, pairs, timeout)
            return
        futures = [self.client.executor.submit(self._remote_one, p, name, tag, kind, data, pairs, timeout)
                   for p in parties]
        errors = [f.exception() for f in futures]
        failed = [e for e in errors if e is not None]
        if failed:
            if len(failed) == 1:
                raise failed[0]
            raise FederationError("; ".join(getattr(e, "message", str(e)) for e in failed))

    def _remote_one(self, dst: PartyRef, name: str, tag: str, kind: int, data: bytes | None,
                    pairs: Pairs | None, timeout: float) -> None:
        key = pb.ValueKey(job_id=self.job_id, name=name, tag=tag, src=self.me.to_pb(), dst=dst.to_pb())
        what = f"remote of variable {name!r} tag {tag!r} (job {self.job_id}) from {self.me} to {dst}"
        route = self._fed.route(dst.party_id)
        channels = self.client.channels
        chunk_bytes = self._fed.chunk_bytes
        # in one call, unless the value's key is too long for the call's metadata (grpc allows 8 KiB in all)
        small = (data is not None and len(data) <= SMALL_VALUE_BYTES and one_chunk(len(data), chunk_bytes)
                 and key.ByteSize() <= _SMALL_KEY_BYTES)
        started = False
        sessions = self.client.sessions if self._auth.enabled else None

        def send(seconds_left: float, session) -> None:
            header = pb.ValueHeader(key=key, kind=kind)
            if session is not None:
                header.session_id, header.counter = session.session_id, session.next_counter()
            else:  # site_auth off: fresh and single-use, not authenticated
                header.auth.CopyFrom(self._auth.stamp(self.me.party_id, signing.VALUE_HEADER, signed=False))
            digest = ChunkDigest()

            def trailer() -> pb.ValueTrailer:
                sums = (digest.total_bytes, digest.chunks, digest.digest())
                return pb.ValueTrailer(total_bytes=sums[0], chunks=sums[1], digest=sums[2],
                                       mac=session.value_mac(header, *sums) if session is not None else b"")

            if small:
                if data:
                    digest.update(data)
                # the value's bytes as they are; what they are rides in the call's metadata
                ack = channels.push_small(route)(data, timeout=seconds_left, metadata=(
                    (SMALL_HEADER_KEY, header.SerializeToString()), (SMALL_TRAILER_KEY, trailer().SerializeToString())))
            else:
                def frames() -> Iterator[bytes]:
                    nonlocal started
                    if data is not None:
                        chunks = object_chunks(data, chunk_bytes)
                    else:
                        chunks = pair_chunks(pairs, self.client.codec, chunk_bytes)
                    first = header  # rides with the first chunk
                    for chunk in chunks:
                        started = True
                        yield encode_frame(first, chunk)
                        first = None
                        # hashed once handed to gRPC, while the receiver hashes it too
                        digest.update(chunk)
                    yield encode_frame(first, b"", trailer())

                ack = channels.push(route)(frames(), timeout=seconds_left)
            if session is not None:
                session.check_ack(ack, header.counter, digest.digest(), what)

        def attempt(seconds_left: float) -> None:
            if sessions is None:
                return send(seconds_left, None)
            session = sessions.get(channels.data(route), self.me.to_pb(), dst.to_pb(), seconds_left)
            try:
                return send(seconds_left, session)
            except grpc.RpcError as e:
                # the receiver forgot the session (restarted, or it expired): a new one, and the value once more
                if not is_unknown_session(e) or not (pairs is None or pairs.reiterable or not started):
                    raise
                LOG.info("%s: party %s no longer knows session %s, opening a new one", what, dst.party_id,
                         session.session_id.hex())
                sessions.forget(session)
                session = sessions.get(channels.data(route), self.me.to_pb(), dst.to_pb(), seconds_left)
                return send(seconds_left, session)

        with_retries(attempt, fed=self._fed, route=route, what=what, timeout=timeout,
                     may_retry=lambda: pairs is None or pairs.reiterable or not started)

    # ------------------------------------------------------------------ get
    def get(self, name: str, tag: str, parties: Iterable[PartyRef], timeout: float | None = None,
            decode_pairs: bool = True) -> list[Any]:
        """The value each party sent under (name, tag), in the order of `parties`; waits up to `timeout`
        seconds in all. A table arrives as a ReceivedPairs to iterate once (pairs of codec bytes when
        `decode_pairs` is False). Raises GetTimeoutError naming the variable and the party waited for."""
        _check_name(name, tag)
        timeout = self._fed.get_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        return [self._get_one(src, name, tag, deadline, timeout, decode_pairs) for src in parties]

    def _get_one(self, src: PartyRef, name: str, tag: str, deadline: float, timeout: float, decode_pairs: bool) -> Any:
        key = pb.ValueKey(job_id=self.job_id, name=name, tag=tag, src=src.to_pb(), dst=self.me.to_pb())
        what = f"get of variable {name!r} tag {tag!r} (job {self.job_id}) by {self.me} from {src}"
        route = self._fed.route(self.me.party_id)
        channels = self.client.channels

        def attempt(seconds_left: float) -> Any:
            wait = max(0.0, deadline - time.monotonic())
            wait_ms = int(wait * 1000)
            request = pb.PullRequest(key=key, wait_ms=wait_ms, auth=self._auth.stamp(
                self.me.party_id, signing.PULL, *key_fields(key), wait_ms))
            nonce = request.auth.nonce
            stream = channels.pull(route)(request, timeout=wait + _GET_GRACE)
            try:
                first = parse_frame(next(stream))
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.NOT_FOUND:
                    raise GetTimeoutError(f"{what}: timed out after {timeout:g} s; nothing arrived from party"
                                          f" {src.party_id}") from None
                raise
            except StopIteration:
                raise TruncatedStreamError(f"{what}: the server closed the stream without sending the value") from None
            header = first.header
            if header is None or header.key != key:
                raise FederationError(f"{what}: the server answered a different value")
            # our server checked the sender's MAC; it signs what it hands us (check_read)
            received = ReceivedValue(self, stream, first, route, what, timeout, nonce)
            if header.kind == pb.PAIRS:
                return ReceivedPairs(received, self.client.codec if decode_pairs else None)
            try:
                return decode_object(header.kind, list(received.chunks()), self.client.codec)
            except ValueError as e:  # an unknown kind, or codec bytes that do not decode
                raise FederationError(f"{what}: the value received cannot be decoded: {e}") from None

        # a retry after the value started arriving re-reads it: nothing is deleted until acknowledged
        return with_retries(attempt, fed=self._fed, route=route, what=what,
                            timeout=max(0.001, deadline - time.monotonic()) + _GET_GRACE)

    def _ack(self, key: pb.ValueKey, digest: bytes, route: Route, what: str) -> None:
        """Tell our server the value was read, so it is deleted. A failed ack is logged: the value stays."""
        request = pb.AckRequest(key=key, digest=digest, auth=self._auth.stamp(
            self.me.party_id, signing.ACK, *key_fields(key), digest))
        try:
            self.client.channels.data(route).Ack(request, timeout=self._fed.command_timeout)
        except grpc.RpcError as e:
            LOG.warning("%s: could not acknowledge the value, it stays stored: %s", what,
                        rpc_error(e, route, what, self._fed.command_timeout).message)


class ReceivedValue:
    """The chunks of one pulled value, checked against the trailer our server signed, then acknowledged."""

    def __init__(self, session: FederationSession, stream, first: Frame, route: Route, what: str, timeout: float,
                 nonce: bytes):
        self._nonce = nonce
        self._session = session
        self._stream = stream
        self._first = first
        self.header = first.header
        self.route = route
        self.what = what
        self.timeout = timeout

    def chunks(self) -> Iterator[memoryview]:
        """Raises grpc.RpcError when the connection fails mid-stream (the caller may retry: nothing is lost)."""
        digest = ChunkDigest()
        frame = self._first
        while True:
            if frame.chunk is not None:
                digest.update(frame.chunk)
                yield frame.chunk
            if frame.trailer is not None:
                check_read(self._session._auth, self.header.key.dst.party_id, self._nonce, self.header, frame.trailer,
                           digest.total_bytes, digest.chunks, digest.digest(), self.what)
                self._session._ack(self.header.key, digest.digest(), self.route, self.what)
                return
            data = next(self._stream, None)
            if data is None:
                raise TruncatedStreamError(f"{self.what}: the stream ended after {digest.chunks} chunks"
                                           f" ({digest.total_bytes} bytes) without the sender's trailer")
            frame = parse_frame(data)
            if frame.header is not None:
                raise FederationError(f"{self.what}: unexpected header in the middle of the value stream")


class ReceivedPairs:
    """A table received from a party: iterate once to read its (key, value) pairs as they stream in.
    It is acknowledged (and deleted at the server) when fully read; if abandoned, it stays stored."""

    def __init__(self, received: ReceivedValue, codec):
        self._received = received
        self._codec = codec
        self._used = False

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self._used:
            raise RuntimeError("a received table can be iterated once")
        self._used = True
        received = self._received
        try:
            for chunk in received.chunks():
                yield from decode_pair_chunk(chunk, self._codec)
        except grpc.RpcError as e:
            raise rpc_error(e, received.route, received.what, received.timeout) from None


def _check_name(name: str, tag: str) -> None:
    if not name or not isinstance(name, str) or not isinstance(tag, str):
        raise ValueError("a federated variable needs a non-empty name and a string tag")
