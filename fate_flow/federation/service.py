"""The gRPC services a fate_flow server offers its partners: the control plane (commands, dispatched
in-process to the registry) and the data plane (values stored until their reader acknowledges them).

Every request is checked before anything else happens: it must be addressed to a party this server hosts
and authenticated as the party it claims to come from (signed, or for a value MAC'd in a session that
party opened with a signed handshake), fresh and not seen before. Refusals are logged with the
peer address and answered with a gRPC status whose details say why."""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Iterator

import grpc
import msgpack
from google.protobuf.message import DecodeError

from fate_flow.entity import audit, identifiers
from fate_flow.entity.disk import DEFAULT_MIN_FREE_BYTES, disk_full_error
from fate_flow.federation import signing
from fate_flow.federation.admission import BusyError, RpcGuard, Ticket, guarded_stream, guarded_unary
from fate_flow.federation.config import FederationSettings
from fate_flow.federation.errors import (AuthenticationError, FederationError, InvalidKeyError, MessageTooLargeError,
                                         TruncatedStreamError, UnknownPartyError)
from fate_flow.federation.framing import SMALL_VALUE_BYTES, Frame, encode_frame, parse_frame
from fate_flow.federation.parties import PartyRef
from fate_flow.federation.registry import CommandRegistry, IncomingCommand
from fate_flow.federation.sessions import (ERROR_KEY, UNKNOWN_SESSION, ReceiverSessions, UnknownSessionError,
                                          AcceptedSession, check_value_mac)
from fate_flow.federation.signing import SiteAuthenticator, check_sizes, key_fields, sign_read
from fate_flow.federation.store import AlreadyStoredError, MessageStore
from fate_flow.federation.transport import SMALL_HEADER_KEY, SMALL_TRAILER_KEY
from fate_flow.proto import federation_pb2 as pb
from fate_flow.proto import federation_pb2_grpc as pb_grpc

LOG = logging.getLogger("fate_flow.federation")

_MAX_INDEX_KEY = 511

_CODES = [
    (AuthenticationError, grpc.StatusCode.UNAUTHENTICATED),
    (MessageTooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (TruncatedStreamError, grpc.StatusCode.DATA_LOSS),
    (AlreadyStoredError, grpc.StatusCode.ALREADY_EXISTS),
    (UnknownPartyError, grpc.StatusCode.FAILED_PRECONDITION),
    (BusyError, grpc.StatusCode.UNAVAILABLE),
    (InvalidKeyError, grpc.StatusCode.INVALID_ARGUMENT),
]


def _refuse(context: grpc.ServicerContext, error: FederationError, what: str) -> None:
    code = next((c for cls, c in _CODES if isinstance(error, cls)), grpc.StatusCode.INTERNAL)
    LOG.warning("refused %s from %s: %s", what, context.peer(), error.message)
    context.abort(code, error.message)


def index_key(key: pb.ValueKey) -> bytes:
    """The store's key of a value: its key fields, or a digest of them beyond LMDB's 511-byte key limit (0xff
    starts no msgpack array, so the two never meet)."""
    packed = msgpack.packb(list(key_fields(key)), use_bin_type=True)
    return packed if len(packed) <= _MAX_INDEX_KEY else b"\xff" + hashlib.sha256(packed).digest()


def check_key(key: pb.ValueKey, peer: str, route: str) -> None:
    """Every field of a data-plane key is the identifier it names; a refusal is audited and stores nothing."""
    try:
        identifiers.JOB_ID.check("job_id", key.job_id)
        identifiers.VARIABLE_NAME.check("name", key.name)
        identifiers.VARIABLE_NAME.check("tag", key.tag)
        for side, party in (("src", key.src), ("dst", key.dst)):
            identifiers.ROLE.check(f"{side}.role", party.role)
            identifiers.check_party_id(f"{side}.party_id", party.party_id)
    except identifiers.IdentifierError as e:
        audit.refused(client=f"party {key.src.party_id or '(none)'} at {peer}", route=route, reason=e.message,
                      field=e.field)
        raise InvalidKeyError(f"data-plane key: {e.message}") from None


def describe(key: pb.ValueKey) -> str:
    return (f"variable {key.name!r} tag {key.tag!r} (job {key.job_id}) from {PartyRef.from_pb(key.src)}"
            f" to {PartyRef.from_pb(key.dst)}")


class _Checks:
    def __init__(self, fed: FederationSettings, auth: SiteAuthenticator):
        self.fed = fed
        self.auth = auth
        self._hosted = frozenset(fed.local_parties)

    def hosted(self, party: pb.Party) -> None:
        if party.party_id not in self._hosted:
            raise UnknownPartyError(f"party {party.party_id or '(none)'} is not hosted by this server"
                                    f" (it hosts {', '.join(sorted(self._hosted)) or 'no party'})")


class ControlPlaneService(pb_grpc.ControlPlaneServicer, _Checks):
    def __init__(self, fed: FederationSettings, auth: SiteAuthenticator, registry: CommandRegistry):
        _Checks.__init__(self, fed, auth)
        self.registry = registry

    def Call(self, request: pb.CommandRequest, context: grpc.ServicerContext) -> pb.CommandReply:
        src, dst = request.src, request.dst
        what = f"command {request.command!r} claiming to be from party {src.party_id}"
        try:
            self.hosted(dst)
            self.auth.check(src.party_id, request.auth, signing.COMMAND, request.command, request.verb, src.role,
                            src.party_id, dst.role, dst.party_id, request.job_id, hashlib.sha256(request.body).digest())
            body = json.loads(request.body) if request.body else {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
        except FederationError as e:
            _refuse(context, e, what)
        except ValueError as e:
            LOG.warning("refused %s from %s: bad body: %s", what, context.peer(), e)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"command body is not a JSON object: {e}")
        envelope = self.registry.dispatch(IncomingCommand(
            command=request.command, body=body, src=PartyRef.from_pb(src), dst=PartyRef.from_pb(dst),
            job_id=request.job_id, verb=request.verb or "POST", peer=context.peer()))
        try:
            data = json.dumps(envelope, separators=(",", ":"), default=str).encode()
        except (TypeError, ValueError) as e:
            LOG.exception("command %s: handler answered an envelope that is not JSON", request.command)
            data = json.dumps({"retcode": 100, "retmsg": f"handler answered a non-JSON envelope: {e}"}).encode()
        signature = self.auth.sign(dst.party_id, signing.COMMAND_REPLY, request.auth.nonce,
                                   hashlib.sha256(data).digest())
        return pb.CommandReply(envelope=data, signature=signature)


class DataPlaneService(pb_grpc.DataPlaneServicer, _Checks):
    def __init__(self, fed: FederationSettings, auth: SiteAuthenticator, store: MessageStore):
        _Checks.__init__(self, fed, auth)
        self.store = store
        self.sessions = ReceiverSessions(auth)

    def Handshake(self, request: pb.HandshakeRequest, context: grpc.ServicerContext) -> pb.HandshakeReply:
        """Open a session for values from request.src (see sessions.py); refused unless signed by that party."""
        try:
            self.hosted(request.dst)
            if not self.auth.enabled:
                raise AuthenticationError("this server runs with site_auth off and opens no sessions")
            return self.sessions.accept(request)
        except FederationError as e:
            _refuse(context, e, f"handshake claiming to be from party {request.src.party_id}")

    def _check_header(self, header: pb.ValueHeader, peer: str) -> AcceptedSession | None:
        """The session the value comes in (None with site_auth off), before any of it is written."""
        key = header.key
        self.hosted(key.dst)
        if not key.name:
            raise ValueError("a value needs a name")
        if not self.auth.enabled:
            self.auth.check_fresh(key.src.party_id, header.auth)
            session = None
        else:
            session = self.sessions.lookup(header)
        check_key(key, peer, "DataPlane/Push")
        return session

    def PushSmall(self, request: bytes, context: grpc.ServicerContext) -> pb.PushAck:
        """A value of one chunk in one call: the request is its bytes as they are, its header and trailer ride in
        the call's metadata (see federation.proto). The trailer's MAC covers the header."""
        metadata = dict(context.invocation_metadata())
        try:
            header = pb.ValueHeader.FromString(metadata[SMALL_HEADER_KEY])
            trailer = pb.ValueTrailer.FromString(metadata[SMALL_TRAILER_KEY])
        except (KeyError, DecodeError) as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"a small value needs a header and a trailer in the call's metadata: {e!r}")
        frame = Frame(header=header, chunk=memoryview(request) if request else None, trailer=trailer)
        return self._receive(frame, iter(()), context, small=True)

    def Push(self, request_iterator: Iterator[bytes], context: grpc.ServicerContext,
             ticket: Ticket | None = None) -> pb.PushAck:
        """A value streamed in frames (framing.encode_frame), parsed without copying the chunks."""
        first = next(request_iterator, None)
        try:
            frame = parse_frame(first) if first is not None else None
        except ValueError as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        if frame is None or frame.header is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a value stream must start with its header")
        return self._receive(frame, request_iterator, context, small=False, ticket=ticket)

    def _receive(self, frame: Frame, requests: Iterator[bytes], context: grpc.ServicerContext,
                 small: bool, ticket: Ticket | None = None) -> pb.PushAck:
        """Store the value that starts with `frame` and goes on in `requests`, once its trailer checks out."""
        header = frame.header
        what = f"value {describe(header.key)}"
        writer = None
        try:
            self.hosted(header.key.dst)
            if small and frame.chunk is not None and len(frame.chunk) > SMALL_VALUE_BYTES:
                # kept in memory until its MAC checked out
                raise MessageTooLargeError(f"a small value is at most {SMALL_VALUE_BYTES} bytes; stream bigger ones")
            # an unknown session or a used counter is refused before anything is received; nothing is stored
            # before the trailer's MAC checked out (a stream's chunks beyond inline_bytes go to a .part file)
            session = self._check_header(header, context.peer())
            if ticket is not None and not small:
                ticket.data_stream_of(header.key.src.party_id)
            writer = self.store.writer(self.fed.max_value_bytes)
            while True:
                if frame.chunk is not None:
                    writer.write(frame.chunk, hold=small)
                if frame.trailer is not None:
                    break
                data = next(requests, None)
                if data is None:
                    break
                frame = parse_frame(data)
                if frame.header is not None:
                    raise ValueError("unexpected header in the middle of a value stream")
            digest, trailer = writer.digest, frame.trailer
            if trailer is None:
                raise TruncatedStreamError(f"the stream of {what} ended after {digest.chunks} chunks"
                                           f" ({digest.total_bytes} bytes) without its trailer; nothing was stored")
            check_sizes(trailer, digest.total_bytes, digest.chunks, digest.digest(), what)
            if session is not None:
                check_value_mac(session, header, trailer, what)
            writer.commit(index_key(header.key), header.kind, header.SerializeToString(), trailer.SerializeToString())
            writer = None
        except UnknownSessionError as e:
            context.set_trailing_metadata(((ERROR_KEY, UNKNOWN_SESSION),))
            _refuse(context, e, what)
        except FederationError as e:
            _refuse(context, e, what)
        except ValueError as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{what}: {e}")
        except grpc.RpcError as e:  # the sender went away mid-stream
            LOG.warning("%s: the sender's stream broke off (%s); nothing was stored", what, e)
            context.abort(grpc.StatusCode.CANCELLED, f"{what}: stream broke off")
        except Exception as e:
            full = disk_full_error(e, {"federation store": self.fed.store_dir}, DEFAULT_MIN_FREE_BYTES)
            if full is None:
                raise
            LOG.warning("refused %s from %s: %s", what, context.peer(), full.message)
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"{what}: nothing was stored: {full.message}")
        finally:
            if writer is not None:
                writer.abort()
        total, value_digest = digest.total_bytes, digest.digest()
        return pb.PushAck(total_bytes=total, mac=session.ack_mac(header.counter, total, value_digest) if session else b"")

    def Pull(self, request: pb.PullRequest, context: grpc.ServicerContext,
             ticket: Ticket | None = None) -> Iterator[bytes]:
        """The header rides with the first chunk and the trailer with the last: a one-chunk value is one message."""
        key = request.key
        what = f"read of {describe(key)}"
        try:
            self.hosted(key.dst)
            self.auth.check(key.dst.party_id, request.auth, signing.PULL, *key_fields(key), request.wait_ms)
            check_key(key, context.peer(), "DataPlane/Pull")
            if ticket is not None:
                ticket.data_stream_of(key.dst.party_id)
        except FederationError as e:
            _refuse(context, e, what)
        wait = min(request.wait_ms / 1000, self.fed.get_timeout)
        value = self.store.wait(index_key(key), wait, still_wanted=context.is_active)
        if value is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no {describe(key)} arrived within the {wait:g} s waited")
        header = pb.ValueHeader.FromString(value.header)
        # signed as the reader's party: this server checked the sender's MAC before it stored the value
        trailer = sign_read(self.auth, key.dst.party_id, request.auth.nonce, header, value.total_bytes, value.chunks,
                            value.digest)
        first, previous = value.header, None
        for chunk in self.store.chunks(value):
            if previous is not None:
                yield encode_frame(first, previous)
                first = None
            previous = chunk
        yield encode_frame(first, previous or b"", trailer)

    def Ack(self, request: pb.AckRequest, context: grpc.ServicerContext) -> pb.AckReply:
        key = request.key
        try:
            self.hosted(key.dst)
            self.auth.check(key.dst.party_id, request.auth, signing.ACK, *key_fields(key), request.digest)
            check_key(key, context.peer(), "DataPlane/Ack")
        except FederationError as e:
            _refuse(context, e, f"acknowledgement of {describe(key)}")
        return pb.AckReply(deleted=self.store.delete(index_key(key), request.digest))


def _parsed(message_class):
    """message_class.FromString, answering INVALID_ARGUMENT for bytes that are not such a message."""
    def parse(data: bytes, context: grpc.ServicerContext):
        try:
            return message_class.FromString(data)
        except DecodeError:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a {message_class.__name__}")
    return parse


def _unary(service_method, parse=None):
    """(request, context, ticket) -> service_method(request, context), the request parsed first."""
    def behavior(data, context, ticket):
        return service_method(parse(data, context) if parse else data, context)
    return behavior


def add_control_plane(service: ControlPlaneService, server: grpc.Server, guard: RpcGuard) -> None:
    """ControlPlane.Call as the generated stub calls it, its request awaited under `guard` (admission.py)."""
    name = pb.DESCRIPTOR.services_by_name["ControlPlane"].full_name
    handlers = {"Call": guarded_unary(guard, f"/{name}/Call", _unary(service.Call, _parsed(pb.CommandRequest)),
                                      pb.CommandReply.SerializeToString)}
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(name, handlers)])


def add_data_plane(service: DataPlaneService, server: grpc.Server, guard: RpcGuard) -> None:
    """Like the generated add_DataPlaneServicer_to_server, but Push(Small) take and Pull gives serialized frames,
    so chunks skip protobuf's copies (framing.parse_frame / encode_frame), and every call's messages are
    awaited under `guard` (admission.py)."""
    name = pb.DESCRIPTOR.services_by_name["DataPlane"].full_name
    pull_request = _parsed(pb.PullRequest)

    def pull(data, context, ticket):
        return service.Pull(pull_request(data, context), context, ticket)

    handlers = {
        "Handshake": guarded_unary(guard, f"/{name}/Handshake",
                                   _unary(service.Handshake, _parsed(pb.HandshakeRequest)),
                                   pb.HandshakeReply.SerializeToString),
        "Push": guarded_stream(guard, f"/{name}/Push", service.Push, pb.PushAck.SerializeToString),
        "PushSmall": guarded_unary(guard, f"/{name}/PushSmall", _unary(service.PushSmall),
                                   pb.PushAck.SerializeToString),
        "Pull": guarded_unary(guard, f"/{name}/Pull", pull, None, response_streaming=True),
        "Ack": guarded_unary(guard, f"/{name}/Ack", _unary(service.Ack, _parsed(pb.AckRequest)),
                             pb.AckReply.SerializeToString),
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(name, handlers)])
