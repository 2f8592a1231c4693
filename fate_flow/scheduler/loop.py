"""The scheduler's thread: it runs the DAG scheduler's `tick` (and the detector) at once when woken (a status
report, a submit, a stop sets `runtime.wake`), else every `scheduler.interval` seconds, with `now` from the
runtime's clock."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from fate_flow.scheduler.dag_scheduler import DagScheduler
from fate_flow.scheduler.detector import Detector
from fate_flow.services.runtime import Runtime
from fate_flow.services.server.disk_space import as_disk_full

LOG = logging.getLogger("fate_flow.scheduler")


class SchedulerLoop:
    """Runs `tick` (and the detector) in a thread: at once when `runtime.wake` is set, otherwise every
    `scheduler.interval` seconds. A failing round is logged and the loop carries on."""

    def __init__(self, runtime: Runtime, scheduler: DagScheduler, detector: Detector | None = None):
        self.runtime = runtime
        self.scheduler = scheduler
        self.detector = detector
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fate_flow-scheduler", daemon=True)
        self._last_detect = 0.0

    def start(self) -> "SchedulerLoop":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.runtime.wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        interval = self.runtime.settings.scheduler.interval
        detect_every = self.runtime.settings.scheduler.detect_interval
        while not self._stop.is_set():
            self.runtime.wake.wait(interval)
            self.runtime.wake.clear()
            if self._stop.is_set():
                return
            now = self.runtime.clock.time()
            if self.detector is not None and now - self._last_detect >= detect_every:
                self._last_detect = now
                self._guarded(self.detector.run, now)
            self._guarded(self.scheduler.tick, now)

    def _guarded(self, step: Callable[[float], None], now: float) -> None:
        try:
            step(now)
        except Exception as e:
            full = as_disk_full(e, self.runtime.settings)
            if full is not None:  # said once per round, without a traceback; the next round tries again
                LOG.warning("scheduler round failed: %s", full.message)
            else:
                LOG.exception("scheduler round failed; carrying on")
