"""The server's runtime: the state every service, app, command handler and the scheduler share inside one
server, built once (by server.py at start, by a test fixture in tests) and passed explicitly.
It holds the settings, the clock every timestamp the server writes comes from, the table store, the codec, the
federation client, the worker launcher, the component registry, the board's logins, the job id generator and the
event that wakes the scheduler. It is built by services/server/startup.py."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fate_flow.components.registry import ComponentRegistry
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.clock import Clock
from fate_flow.federation import FederationClient, PartyRef
from fate_flow.serde.codec import Codec
from fate_flow.services.server.board_access import BoardAccess
from fate_flow.settings import Settings
from fate_flow.worker.launcher import WorkerLauncher


class JobIdGenerator:
    """Job ids as FATE makes them: local time to the microsecond (20 digits) + a 2-digit counter that
    separates ids made within the same microsecond."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = ""
        self._counter = 0

    def next_id(self) -> str:
        stamp = self._clock.local_datetime().strftime("%Y%m%d%H%M%S%f")
        with self._lock:
            if stamp == self._last:
                self._counter += 1
            else:
                self._last, self._counter = stamp, 0
            return f"{stamp}{self._counter % 100:02d}"


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    store: StandaloneStore
    client: FederationClient
    launcher: WorkerLauncher
    components: ComponentRegistry
    board: BoardAccess
    codec: Codec = field(default_factory=Codec)
    wake: threading.Event = field(default_factory=threading.Event)
    job_ids: JobIdGenerator = field(init=False)

    def __post_init__(self) -> None:
        self.job_ids = JobIdGenerator(self.clock)

    def hosts(self, party_id: Any) -> bool:
        """Whether this server hosts the party."""
        return str(party_id) in {str(p) for p in self.settings.fateflow.party_ids}

    def notify(self) -> None:
        """A status changed or a job arrived: run the scheduler now."""
        self.wake.set()

    def party(self, role: str, party_id: Any) -> PartyRef:
        return PartyRef(role, party_id)

    def close(self) -> None:
        self.launcher.close()
        self.client.close()
