"""The state the job services share inside one server: the service context, the federation client (set once
the gRPC server is up), the event that wakes the scheduler, and the workers this process launched.

Built once by the wiring code and passed explicitly to the command handlers, apps and scheduler."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fate_flow.federation import FederationClient, PartyRef, federation_settings
from fate_flow.services.context import ServiceContext
from fate_flow.settings import PROJECT_ROOT
from fate_flow.worker.launcher import WorkerLauncher

# key of the JobRuntime in Flask's app.extensions
EXTENSION = "fate_flow.job_runtime"


@dataclass
class JobRuntime:
    ctx: ServiceContext
    wake: threading.Event = field(default_factory=threading.Event)
    launcher: WorkerLauncher | None = None
    _client: FederationClient | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.launcher is None:
            self.launcher = WorkerLauncher(self.ctx.settings.worker.start_method,
                                           self.ctx.settings.worker.kill_grace, self.ctx.settings.home)

    @property
    def settings(self):
        return self.ctx.settings

    @property
    def client(self) -> FederationClient:
        """The server's federation client; one made from the settings when no gRPC server set it (tools)."""
        with self._lock:
            if self._client is None:
                self._client = FederationClient.from_settings(federation_settings(self.settings, PROJECT_ROOT))
            return self._client

    def set_client(self, client: FederationClient) -> None:
        with self._lock:
            self._client = client

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
