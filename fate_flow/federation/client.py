"""FederationClient: what the rest of fate_flow calls to talk to other parties.

    client.send_command(PartyRef("host", 10000), "ping")                  -> envelope dict
    client.fan_out("job.create", parties, body, job_id=...)                -> {role: {party_id: envelope}}
    client.session(job_id, PartyRef("guest", 9999)).remote(value, name, tag, parties) / .get(...)

Commands never raise for federation failures: they come back as envelopes with retcode 104 (unreachable,
refused, unknown party...) whose retmsg names the party and its address, as upstream's fan-out reports them.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any, Iterable, Mapping

from fate_flow.federation import signing
from fate_flow.federation.config import FederationSettings
from fate_flow.federation.data_plane import FederationSession
from fate_flow.federation.errors import AuthenticationError, FederationError, MessageTooLargeError
from fate_flow.federation.keys import KeyRing
from fate_flow.federation.link import SiteLink
from fate_flow.federation.parties import PartyRef
from fate_flow.federation.transport import with_retries
from fate_flow.proto import federation_pb2 as pb

LOG = logging.getLogger("fate_flow.federation")

PING = "ping"


class FederationClient(SiteLink):
    @classmethod
    def from_settings(cls, fed: FederationSettings) -> "FederationClient":
        return cls(fed, KeyRing.load(fed))

    @property
    def default_party(self) -> PartyRef:
        """Who a command is from when the caller names nobody: the first party this server hosts."""
        if not self.fed.local_parties:
            raise FederationError("this server hosts no party (fateflow.party_ids is empty), so it cannot send")
        return PartyRef("", self.fed.local_parties[0])

    # ------------------------------------------------------------------ control plane
    def send_command(self, party: PartyRef | str | int, command: str, body: Mapping[str, Any] | None = None,
                     timeout: float | None = None, *, src: PartyRef | None = None, job_id: str = "",
                     verb: str = "POST") -> dict[str, Any]:
        """The destination's envelope, or a retcode-104 envelope saying why it could not be had."""
        try:
            return self.call(party, command, body, timeout, src=src, job_id=job_id, verb=verb)
        except FederationError as e:
            LOG.warning("%s", e.message)
            return {"retcode": int(e.retcode), "retmsg": e.message}

    def call(self, party: PartyRef | str | int, command: str, body: Mapping[str, Any] | None = None,
             timeout: float | None = None, *, src: PartyRef | None = None, job_id: str = "",
             verb: str = "POST") -> dict[str, Any]:
        """Like send_command, but raises FederationError instead of answering a 104 envelope."""
        dst = party if isinstance(party, PartyRef) else PartyRef("", party)
        src = src or self.default_party
        timeout = self.fed.command_timeout if timeout is None else timeout
        what = f"command {command!r} from {src} to {dst}" + (f" (job {job_id})" if job_id else "")
        route = self.fed.route(dst.party_id)
        if self.auth.enabled and not self.auth.keys.can_verify(dst.party_id):
            raise AuthenticationError(f"{what}: no public key is configured for party {dst.party_id}"
                                      f" (route table entry public_key), so its answer could not be trusted")
        data = json.dumps(dict(body or {}), separators=(",", ":")).encode()
        if len(data) > self.fed.max_command_bytes:
            raise MessageTooLargeError(f"{what}: body of {len(data)} bytes exceeds max_command_bytes"
                                       f" ({self.fed.max_command_bytes})")
        digest = hashlib.sha256(data).digest()
        stub = self.channels.control(route)

        def attempt(seconds_left: float) -> pb.CommandReply:
            auth = self.auth.stamp(src.party_id, signing.COMMAND, command, verb, src.role, src.party_id, dst.role,
                                   dst.party_id, job_id, digest)
            request = pb.CommandRequest(command=command, verb=verb, src=src.to_pb(), dst=dst.to_pb(), job_id=job_id,
                                        body=data, auth=auth)
            reply = stub.Call(request, timeout=seconds_left)
            self.auth.verify(dst.party_id, reply.signature, signing.COMMAND_REPLY, auth.nonce,
                             hashlib.sha256(reply.envelope).digest())
            return reply

        reply = with_retries(attempt, fed=self.fed, route=route, what=what, timeout=timeout)
        try:
            envelope = json.loads(reply.envelope)
        except ValueError as e:
            raise FederationError(f"{what}: party {dst.party_id} answered an envelope that is not JSON: {e}") from e
        return envelope

    def fan_out(self, command: str, parties: Iterable[PartyRef], body: Mapping[str, Any] | None = None,
                timeout: float | None = None, *, src: PartyRef | None = None, job_id: str = "",
                bodies: Mapping[PartyRef, Mapping[str, Any]] | None = None,
                verb: str = "POST") -> dict[str, dict[str, dict[str, Any]]]:
        """Send one command to several parties at once; `bodies` overrides `body` per party.
        Answers {role: {party_id: envelope}} as upstream's federated scheduling does."""
        parties = list(parties)
        futures = {p: self.executor.submit(self.send_command, p, command, (bodies or {}).get(p, body), timeout, src=src,
                                        job_id=job_id, verb=verb) for p in parties}
        results: dict[str, dict[str, dict[str, Any]]] = {}
        for party, future in futures.items():
            results.setdefault(party.role, {})[party.party_id] = future.result()
        return results

    # ------------------------------------------------------------------ health
    def ping(self, party_id: str | int, timeout: float | None = None) -> dict[str, Any]:
        return self.send_command(PartyRef("", party_id), PING, {}, timeout)

    def reachability(self, timeout: float | None = None) -> dict[str, dict[str, Any]]:
        """Ping every routed party in parallel: {party_id: {address, reachable, latency_ms, retmsg}}."""
        timeout = min(self.fed.command_timeout, 5.0) if timeout is None else timeout

        def probe(party_id: str) -> dict[str, Any]:
            started = time.perf_counter()
            envelope = self.ping(party_id, timeout)
            ok = envelope.get("retcode") == 0
            return {"address": self.fed.routes[party_id].address, "reachable": ok,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 3) if ok else None,
                    "retmsg": envelope.get("retmsg", "")}

        futures = {p: self.executor.submit(probe, p) for p in sorted(self.fed.routes)}
        return {p: f.result() for p, f in futures.items()}

    # ------------------------------------------------------------------ data plane
    def session(self, job_id: str, party: PartyRef) -> FederationSession:
        """remote/get of named values for one party in one job."""
        return FederationSession(self, job_id, party)
