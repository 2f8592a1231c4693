"""Replay protection for signed requests: each (signer, nonce) is accepted once, and only with a timestamp
near this server's clock. Nonces are kept in LMDB under FATE_FLOW_HOME/federation/nonces, so a message
captured before a restart cannot be replayed after it either."""
from __future__ import annotations

import struct
import threading
import time
from pathlib import Path
from typing import Callable

import lmdb

from fate_flow.federation.errors import AuthenticationError

_MAP_SIZE = 1 << 32
_PRUNE_EVERY = 4096


class ReplayGuard:
    def __init__(self, path: Path, max_skew: float, clock: Callable[[], float] = time.time):
        path.mkdir(parents=True, exist_ok=True)
        self._env = lmdb.open(str(path), map_size=_MAP_SIZE, subdir=True, sync=False, metasync=False)
        self._max_skew = max_skew
        self._clock = clock
        self._lock = threading.Lock()
        self._inserts = 0

    def check(self, signer: str, timestamp_ms: int, nonce: bytes) -> None:
        """Raise AuthenticationError if the timestamp is stale or the nonce was seen before; else record it."""
        now = self._clock()
        skew = abs(now - timestamp_ms / 1000)
        if skew > self._max_skew:
            raise AuthenticationError(f"stale message from party {signer}: its timestamp is {skew:.0f} s away from"
                                      f" this server's clock (max_clock_skew {self._max_skew:g} s)")
        if len(nonce) < 12:
            raise AuthenticationError(f"message from party {signer} has no valid nonce")
        key = signer.encode() + b"\0" + nonce
        # one write transaction at a time: py-lmdb refuses a second one from another thread (EBUSY)
        with self._lock, self._env.begin(write=True) as txn:
            if not txn.put(key, struct.pack(">q", timestamp_ms), overwrite=False):
                raise AuthenticationError(f"replayed message from party {signer}: nonce {nonce.hex()} was already used")
        with self._lock:
            self._inserts += 1
            prune = self._inserts % _PRUNE_EVERY == 0
        if prune:
            self.prune(now)

    def prune(self, now: float | None = None) -> int:
        """Forget nonces too old to pass the timestamp check anyway."""
        limit = int(((now if now is not None else self._clock()) - 2 * self._max_skew) * 1000)
        removed = 0
        with self._lock, self._env.begin(write=True) as txn:
            cursor = txn.cursor()
            for key, value in list(cursor):
                if struct.unpack(">q", value)[0] < limit:
                    txn.delete(key)
                    removed += 1
        return removed

    def close(self) -> None:
        self._env.close()
