"""What one peer may hold of the gRPC server: deadlines and caps for incoming calls, before and after
authentication.

The synchronous gRPC server gives every call a thread from the moment it opens, also while it waits for the
call's first message (which carries the signature or session): a peer that opens streams and sends nothing
would hold every thread before anything is authenticated. So every method is served as a request stream
(the wire is the same for unary callers) and the first message is awaited under a guard:

* a call that has sent no complete message within `first_message_timeout` seconds is cancelled;
* at most `max_pending` calls wait for their first message at once, `max_pending_per_peer` of them from
  one address; a newcomer beyond that cancels the oldest waiting call of that address (or of all) when it
  has waited `EVICT_AFTER` seconds (a genuine caller's message follows its call within milliseconds),
  otherwise the newcomer is refused as busy (the caller retries);
* calls in flight come over at most `max_connections_per_peer` connections of one address;
* once authenticated, value streams (Push, Pull) are capped per party (`max_streams_per_party`) and in
  all (`max_data_streams`), so commands always find a thread; a Push whose frames stop for
  `stream_idle_timeout` seconds is cancelled.

A call over a cap is answered UNAVAILABLE ("busy"), which callers retry with backoff. Every cut call is
written to the audit log.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import grpc

from fate_flow.entity import audit
from fate_flow.federation.errors import FederationError

LOG = logging.getLogger("fate_flow.federation")

# a waiting call younger than this is never cancelled to make room (its first message may be on the way)
EVICT_AFTER = 0.25
_REAP_EVERY = 0.1


class BusyError(FederationError):
    """A cap of the server is reached; the caller may retry shortly."""


@dataclass(frozen=True)
class ServerLimits:
    first_message_timeout: float = 10.0
    stream_idle_timeout: float = 60.0
    max_pending: int = 16
    max_pending_per_peer: int = 8
    max_connections_per_peer: int = 128
    max_streams_per_party: int = 32
    max_data_streams: int = 40


def peer_address(peer: str) -> str:
    """'ipv4:127.0.0.1:5000' -> '127.0.0.1', 'ipv6:[::1]:5000' -> '::1'; anything else as it is."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]")
    return peer


class Ticket:
    """One incoming call as the guard sees it."""

    def __init__(self, guard: "RpcGuard", context: grpc.ServicerContext, method: str, now: float):
        self.guard = guard
        self.context = context
        self.method = method
        self.peer = context.peer()
        self.address = peer_address(self.peer)
        self.opened = now
        self.pending = True
        self.deadline: float | None = now + guard.limits.first_message_timeout
        self.cut_reason = ""
        self.party: str | None = None
        self.data_stream = False

    def first(self, requests: Iterator[bytes]) -> bytes:
        """The call's first message; the call is answered and ended when none comes in time."""
        try:
            message = next(requests, None)
        except grpc.RpcError:
            message = None
        if message is None:
            self.context.abort(grpc.StatusCode.CANCELLED,
                               self.cut_reason or "the call ended before its first message")
        self.guard.received(self)
        return message

    def stream(self, requests: Iterator[bytes]) -> Iterator[bytes]:
        """The call's messages; after the first, each may take up to stream_idle_timeout."""
        yield self.first(requests)
        while True:
            self.guard.set_deadline(self, self.guard.limits.stream_idle_timeout)  # while waiting for the sender
            message = next(requests, None)
            self.guard.set_deadline(self, None)
            if message is None:
                return
            yield message

    def data_stream_of(self, party_id: str) -> None:
        """Count this call as a value stream of `party_id` (authenticated); BusyError over a cap."""
        self.guard.take_data_stream(self, party_id)


class RpcGuard:
    def __init__(self, limits: ServerLimits):
        self.limits = limits
        self._lock = threading.Lock()
        self._tickets: dict[int, Ticket] = {}
        self._streams_by_party: dict[str, int] = {}
        self._data_streams = 0
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "RpcGuard":
        self._reaper = threading.Thread(target=self._reap_loop, name="federation-rpc-guard", daemon=True)
        self._reaper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join(5)

    # ------------------------------------------------------------------ admission
    def admit(self, context: grpc.ServicerContext, method: str) -> Ticket:
        now = time.monotonic()
        ticket = Ticket(self, context, method, now)
        evict: Ticket | None = None
        refuse = ""
        with self._lock:
            live = list(self._tickets.values())
            connections = {t.peer for t in live if t.address == ticket.address}
            if ticket.peer not in connections and len(connections) >= self.limits.max_connections_per_peer:
                refuse = (f"{ticket.address} has calls in flight on {len(connections)} connections, the most "
                          f"this server takes from one address")
            else:
                waiting = [t for t in live if t.pending]
                mine = [t for t in waiting if t.address == ticket.address]
                crowded = (mine if len(mine) >= self.limits.max_pending_per_peer else
                           waiting if len(waiting) >= self.limits.max_pending else [])
                if crowded:
                    oldest = min(crowded, key=lambda t: t.opened)
                    if now - oldest.opened >= EVICT_AFTER:
                        evict = oldest
                        self._drop(oldest)
                        oldest.cut_reason = (f"cancelled: it sent no message for {now - oldest.opened:.1f} s while "
                                             f"other calls waited")
                    else:
                        refuse = f"{len(crowded)} calls are waiting for their first message"
            if not refuse:
                self._tickets[id(ticket)] = ticket
        if evict is not None:
            self._cut(evict, evict.cut_reason)
        if refuse:
            self._audit(ticket, f"busy: {refuse}")
            context.abort(grpc.StatusCode.UNAVAILABLE, f"server busy: {refuse}; try again shortly")
        return ticket

    def received(self, ticket: Ticket) -> None:
        with self._lock:
            ticket.pending = False
            ticket.deadline = None

    def set_deadline(self, ticket: Ticket, seconds: float | None) -> None:
        ticket.deadline = None if seconds is None else time.monotonic() + seconds

    def take_data_stream(self, ticket: Ticket, party_id: str) -> None:
        with self._lock:
            if ticket.data_stream:
                return
            count = self._streams_by_party.get(party_id, 0)
            if count >= self.limits.max_streams_per_party:
                reason = (f"party {party_id} has {count} value streams at once, the most this server takes "
                          f"from one party")
            elif self._data_streams >= self.limits.max_data_streams:
                reason = f"{self._data_streams} value streams at once, the most this server takes"
            else:
                reason = ""
                ticket.data_stream, ticket.party = True, party_id
                self._streams_by_party[party_id] = count + 1
                self._data_streams += 1
        if reason:
            self._audit(ticket, f"busy: {reason}")
            raise BusyError(f"server busy: {reason}; try again shortly")

    def release(self, ticket: Ticket) -> None:
        with self._lock:
            self._drop(ticket)

    def _drop(self, ticket: Ticket) -> None:
        """Forget a ticket (under the lock)."""
        if self._tickets.pop(id(ticket), None) is None:
            return
        if ticket.data_stream:
            ticket.data_stream = False
            left = self._streams_by_party.get(ticket.party, 1) - 1
            if left > 0:
                self._streams_by_party[ticket.party] = left
            else:
                self._streams_by_party.pop(ticket.party, None)
            self._data_streams -= 1

    # ------------------------------------------------------------------ deadlines
    def _reap_loop(self) -> None:
        while not self._stop.wait(_REAP_EVERY):
            self.reap(time.monotonic())

    def reap(self, now: float) -> int:
        """Cancel the calls past their deadline; returns how many."""
        with self._lock:
            expired = [t for t in self._tickets.values() if t.deadline is not None and t.deadline <= now]
            for t in expired:
                t.cut_reason = (f"cancelled: no message within {self.limits.first_message_timeout:g} s of opening"
                                if t.pending else
                                f"cancelled: the stream sent nothing for {self.limits.stream_idle_timeout:g} s")
                self._drop(t)
        for t in expired:
            self._cut(t, t.cut_reason)
        return len(expired)

    def _cut(self, ticket: Ticket, reason: str) -> None:
        self._audit(ticket, reason)
        ticket.context.cancel()

    @staticmethod
    def _audit(ticket: Ticket, reason: str) -> None:
        audit.refused(client=ticket.peer, route=ticket.method, reason=reason, party=ticket.party)


# ---------------------------------------------------------------------- method handlers
def guarded_unary(guard: RpcGuard, method: str, behavior: Callable, serializer: Callable | None,
                  response_streaming: bool = False) -> grpc.RpcMethodHandler:
    """A handler for a method whose callers send one message: served as a request stream, so waiting for
    that message happens under the guard. `behavior(message bytes, context, ticket)`."""
    if response_streaming:
        def stream_handler(requests, context):
            ticket = guard.admit(context, method)
            try:
                yield from behavior(ticket.first(requests), context, ticket)
            finally:
                guard.release(ticket)

        return grpc.stream_stream_rpc_method_handler(stream_handler, request_deserializer=None,
                                                     response_serializer=serializer)

    def handler(requests, context):
        ticket = guard.admit(context, method)
        try:
            return behavior(ticket.first(requests), context, ticket)
        finally:
            guard.release(ticket)

    return grpc.stream_unary_rpc_method_handler(handler, request_deserializer=None, response_serializer=serializer)


def guarded_stream(guard: RpcGuard, method: str, behavior: Callable,
                   serializer: Callable | None) -> grpc.RpcMethodHandler:
    """A request-streaming method: `behavior(messages, context, ticket)`; each message after the first may
    take up to stream_idle_timeout."""

    def handler(requests, context):
        ticket = guard.admit(context, method)
        try:
            return behavior(ticket.stream(requests), context, ticket)
        finally:
            guard.release(ticket)

    return grpc.stream_unary_rpc_method_handler(handler, request_deserializer=None, response_serializer=serializer)
