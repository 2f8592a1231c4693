"""The state services work with, built once from Settings and passed explicitly (no module globals)."""
from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field

from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.serde.codec import Codec
from fate_flow.settings import Settings


class JobIdGenerator:
    """Job ids as FATE makes them: local time to the microsecond (20 digits) + a 2-digit counter that
    separates ids made within the same microsecond."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = ""
        self._counter = 0

    def next_id(self, now: datetime.datetime | None = None) -> str:
        stamp = (now or datetime.datetime.now()).strftime("%Y%m%d%H%M%S%f")
        with self._lock:
            if stamp == self._last:
                self._counter += 1
            else:
                self._last, self._counter = stamp, 0
            return f"{stamp}{self._counter % 100:02d}"


@dataclass
class ServiceContext:
    settings: Settings
    store: StandaloneStore
    codec: Codec = field(default_factory=Codec)
    job_ids: JobIdGenerator = field(default_factory=JobIdGenerator)


def build_context(settings: Settings) -> ServiceContext:
    return ServiceContext(settings=settings, store=StandaloneStore(settings.storage.root))


# key of the ServiceContext in Flask's app.extensions
EXTENSION = "fate_flow"
