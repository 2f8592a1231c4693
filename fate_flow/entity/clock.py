"""The clock the server reads: every time it writes (status times, resource times, job ids, the scheduler's
`now`, timeouts, retries) comes from one Clock held by the runtime, so a test can drive time without sleeping."""
from __future__ import annotations

import datetime
import time


class Clock:
    """The wall clock. A test passes a subclass whose `time()` it sets."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def now_ms(self) -> int:
        return int(self.time() * 1000)

    def local_datetime(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.time())

    def log_stamp(self) -> str:
        """Local time as the log lines a server writes show it (2026-01-01 08:00:00,000)."""
        return self.local_datetime().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
