"""gRPC channels to partners (one per address, reused), retries with backoff for transient failures, and
the translation of gRPC status codes into federation errors that name the party and its address."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

import grpc

from fate_flow.federation.config import FederationSettings, Route
from fate_flow.federation.errors import (AuthenticationError, FederationError, MessageTooLargeError,
                                         PartyUnreachableError, RemoteRefusedError,
                                         TruncatedStreamError)
from fate_flow.proto import federation_pb2 as pb
from fate_flow.proto import federation_pb2_grpc as pb_grpc

LOG = logging.getLogger("fate_flow.federation")
T = TypeVar("T")

# room for the protobuf fields around a command body or a chunk
FRAME_OVERHEAD = 64 << 10
# HTTP/2 stream window (transfer_options)
WINDOW_BYTES = 8 << 20


def method_path(service: str, method: str) -> str:
    return f"/{pb.DESCRIPTOR.services_by_name[service].full_name}/{method}"


PUSH = method_path("DataPlane", "Push")
PUSH_SMALL = method_path("DataPlane", "PushSmall")
PULL = method_path("DataPlane", "Pull")
# PushSmall's binary metadata: the serialized ValueHeader and ValueTrailer of the value its request carries
SMALL_HEADER_KEY = "fate-value-header-bin"
SMALL_TRAILER_KEY = "fate-value-trailer-bin"


def message_limit(fed: FederationSettings) -> int:
    return max(fed.max_command_bytes, fed.chunk_bytes) + FRAME_OVERHEAD


def transfer_options(fed: FederationSettings) -> list[tuple[str, int | str]]:
    """What both ends of a connection set: message limits, and an HTTP/2 flow-control window that lets a whole
    small value (up to framing.SMALL_VALUE_BYTES) and a few chunks go out without waiting for window updates
    (with grpc's default start a 1 MB PushSmall took about 0.3 ms longer on loopback here)."""
    limit = message_limit(fed)
    return [
        ("grpc.max_send_message_length", limit),
        ("grpc.max_receive_message_length", limit),
        ("grpc.http2.lookahead_bytes", WINDOW_BYTES),
    ]


def channel_options(fed: FederationSettings) -> list[tuple[str, int | str]]:
    return [
        *transfer_options(fed),
        # a restarted partner is found again within a couple of seconds, not grpc's default two minutes
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 2000),
        # also the longest one connection attempt may take
        ("grpc.min_reconnect_backoff_ms", max(100, int(fed.connect_timeout * 1000))),
    ]


class ChannelPool:
    def __init__(self, fed: FederationSettings):
        self._fed = fed
        self._lock = threading.Lock()
        self._channels: dict[str, _Stubs] = {}
        self._credentials = _channel_credentials(fed) if fed.tls.enabled else None

    def _get(self, route: Route):
        entry = self._channels.get(route.address)
        if entry is None:
            with self._lock:
                entry = self._channels.get(route.address)
                if entry is None:
                    options = channel_options(self._fed)
                    if self._credentials is not None:
                        if route.server_name:
                            options.append(("grpc.ssl_target_name_override", route.server_name))
                        channel = grpc.secure_channel(route.address, self._credentials, options=options)
                    else:
                        channel = grpc.insecure_channel(route.address, options=options)
                    entry = _Stubs(channel)
                    self._channels[route.address] = entry
        return entry

    def control(self, route: Route) -> pb_grpc.ControlPlaneStub:
        return self._get(route).control

    def data(self, route: Route) -> pb_grpc.DataPlaneStub:
        return self._get(route).data

    def push(self, route: Route) -> grpc.StreamUnaryMultiCallable:
        """DataPlane.Push taking serialized frames (framing.encode_frame)."""
        return self._get(route).push

    def push_small(self, route: Route) -> grpc.UnaryUnaryMultiCallable:
        """DataPlane.PushSmall taking a value's bytes, with header and trailer in the metadata."""
        return self._get(route).push_small

    def pull(self, route: Route) -> grpc.UnaryStreamMultiCallable:
        """DataPlane.Pull answering serialized frames, for framing.parse_frame."""
        return self._get(route).pull

    def close(self) -> None:
        with self._lock:
            channels, self._channels = self._channels, {}
        for entry in channels.values():
            entry.channel.close()


class _Stubs:
    def __init__(self, channel: grpc.Channel):
        self.channel = channel
        self.control = pb_grpc.ControlPlaneStub(channel)
        self.data = pb_grpc.DataPlaneStub(channel)
        self.push = channel.stream_unary(PUSH, request_serializer=None,
                                         response_deserializer=pb.PushAck.FromString)
        self.push_small = channel.unary_unary(PUSH_SMALL, request_serializer=None,
                                              response_deserializer=pb.PushAck.FromString)
        self.pull = channel.unary_stream(PULL, request_serializer=pb.PullRequest.SerializeToString,
                                         response_deserializer=None)


def _channel_credentials(fed: FederationSettings) -> grpc.ChannelCredentials:
    tls = fed.tls
    return grpc.ssl_channel_credentials(root_certificates=tls.ca.read_bytes(),
                                        private_key=tls.key.read_bytes() if tls.key else None,
                                        certificate_chain=tls.cert.read_bytes() if tls.cert else None)


def with_retries(call: Callable[[float], T], *, fed: FederationSettings, route: Route, what: str, timeout: float,
                 may_retry: Callable[[], bool] = lambda: True) -> T:
    """Run `call(seconds_left)`, retrying UNAVAILABLE with doubling backoff while attempts and time remain."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PartyUnreachableError(f"{what}: party {route.party_id} at {route.address} did not answer"
                                        f" within {timeout:g} s")
        try:
            return call(remaining)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.UNAVAILABLE and attempt < fed.retries and may_retry():
                delay = min(fed.retry_backoff * (2 ** attempt), max(0.0, deadline - time.monotonic()))
                LOG.info("%s: party %s at %s unavailable (attempt %d), retrying in %.2f s: %s", what,
                         route.party_id, route.address, attempt + 1, delay, e.details())
                time.sleep(delay)
                attempt += 1
                continue
            raise rpc_error(e, route, what, timeout) from None


def rpc_error(e: grpc.RpcError, route: Route, what: str, timeout: float) -> FederationError:
    code, details = e.code(), e.details() or ""
    where = f"party {route.party_id} at {route.address}"
    if code == grpc.StatusCode.UNAVAILABLE:
        return PartyUnreachableError(f"{what}: {where} is unreachable: {details}")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return PartyUnreachableError(f"{what}: {where} did not answer within {timeout:g} s")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return AuthenticationError(f"{what}: {where} refused the message: {details}")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return MessageTooLargeError(f"{what}: {where} refused the message as too large: {details}")
    if code == grpc.StatusCode.DATA_LOSS:
        return TruncatedStreamError(f"{what}: {where}: {details}")
    return RemoteRefusedError(f"{what}: {where} answered {code.name}: {details}")
