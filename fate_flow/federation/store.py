"""The receiver's store of data-plane values, kept until the reader acknowledges them.

Layout under FATE_FLOW_HOME/federation/: `index/` is an LMDB environment mapping a value key (job, name,
tag, source, destination) to its metadata; values that fit one chunk live inline in the index, bigger ones
in `values/<id>.val` as length-prefixed chunks, read back with plain reads (no mmap), so serving a 200 MB
value keeps the process small. A stream is written to `<id>.part` and only renamed and indexed once its
signed trailer checked out, so an interrupted stream is never visible; leftovers are removed at start.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import lmdb
import msgpack

from fate_flow.federation.errors import FederationError, MessageTooLargeError
from fate_flow.federation.framing import ChunkDigest

LOG = logging.getLogger("fate_flow.federation")

_MAP_SIZE = 1 << 36
_LEN = 4


class AlreadyStoredError(FederationError):
    """A different value is already waiting under the same key."""


@dataclass(frozen=True)
class StoredValue:
    kind: int
    total_bytes: int
    chunks: int
    sha256: bytes
    header: bytes        # the sender's serialized ValueHeader, signature included
    trailer: bytes       # the sender's serialized ValueTrailer
    inline: bytes | None
    file: str | None

    def pack(self) -> bytes:
        return msgpack.packb([self.kind, self.total_bytes, self.chunks, self.sha256, self.header, self.trailer,
                              self.inline, self.file], use_bin_type=True)

    @classmethod
    def unpack(cls, data: bytes) -> "StoredValue":
        return cls(*msgpack.unpackb(data, raw=False))


class ValueWriter:
    """Receives the chunks of one stream into a .part file, enforcing the size limit as it goes."""

    def __init__(self, store: "MessageStore", max_bytes: int):
        self._store = store
        self._max = max_bytes
        self.id = uuid.uuid4().hex
        self.part = store.values_dir / f"{self.id}.part"
        self._file: BinaryIO | None = open(self.part, "wb")
        self.digest = ChunkDigest()

    def write(self, chunk: bytes) -> None:
        if self.digest.total_bytes + len(chunk) > self._max:
            raise MessageTooLargeError(f"value is larger than max_value_bytes ({self._max} bytes) of the receiver")
        self.digest.update(chunk)
        self._file.write(len(chunk).to_bytes(_LEN, "big"))
        self._file.write(chunk)

    def commit(self, index_key: bytes, kind: int, header: bytes, trailer: bytes) -> bool:
        """Make the value visible. False when the same value was already stored (a retried send)."""
        f, self._file = self._file, None
        f.flush()
        if self._store.fsync:
            os.fsync(f.fileno())
        f.close()
        final = self._store.values_dir / f"{self.id}.val"
        os.rename(self.part, final)
        value = StoredValue(kind, self.digest.total_bytes, self.digest.chunks, self.digest.digest(), header,
                            trailer, None, final.name)
        try:
            stored = self._store._index_put(index_key, value)
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        if not stored:
            final.unlink(missing_ok=True)
        return stored

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.part.unlink(missing_ok=True)


class MessageStore:
    def __init__(self, root: Path, fsync: bool = False):
        self.root = Path(root)
        self.values_dir = self.root / "values"
        self.values_dir.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self._env = lmdb.open(str(self.root / "index"), map_size=_MAP_SIZE, subdir=True, sync=fsync,
                              metasync=fsync)
        self._changed = threading.Condition()
        self._closed = False
        self._recover()

    # ------------------------------------------------------------------ writing
    def writer(self, max_bytes: int) -> ValueWriter:
        return ValueWriter(self, max_bytes)

    def put_inline(self, index_key: bytes, kind: int, data: bytes, sha256: bytes, header: bytes, trailer: bytes) -> bool:
        """Store a one-chunk value in the index itself; `sha256` is its ChunkDigest."""
        value = StoredValue(kind, len(data), 1, sha256, header, trailer, data, None)
        return self._index_put(index_key, value)

    def _index_put(self, index_key: bytes, value: StoredValue) -> bool:
        with self._env.begin(write=True) as txn:
            existing = txn.get(index_key)
            if existing is not None:
                if StoredValue.unpack(existing).sha256 == value.sha256:
                    return False
                raise AlreadyStoredError("a different value under the same name, tag, source and destination is"
                                         " already waiting to be read")
            txn.put(index_key, value.pack())
        with self._changed:
            self._changed.notify_all()
        return True

    # ------------------------------------------------------------------ reading
    def get(self, index_key: bytes) -> StoredValue | None:
        with self._env.begin() as txn:
            data = txn.get(index_key)
        return StoredValue.unpack(data) if data is not None else None

    def wait(self, index_key: bytes, timeout: float, still_wanted=lambda: True) -> StoredValue | None:
        """The value once it is stored, or None after `timeout` seconds (or when the reader went away)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = self.get(index_key)
                remaining = deadline - time.monotonic()
                if value is not None or remaining <= 0 or self._closed or not still_wanted():
                    return value
                self._changed.wait(min(remaining, 0.5))

    def chunks(self, value: StoredValue) -> Iterator[bytes]:
        if value.inline is not None:
            yield value.inline
            return
        with open(self.values_dir / value.file, "rb") as f:
            for _ in range(value.chunks):
                size = int.from_bytes(f.read(_LEN), "big")
                chunk = f.read(size)
                if len(chunk) != size:
                    raise FederationError(f"stored value file {value.file} is shorter than its index says")
                yield chunk

    def delete(self, index_key: bytes, sha256: bytes) -> bool:
        """Remove a value that was read; only the exact value the reader saw."""
        with self._env.begin(write=True) as txn:
            data = txn.get(index_key)
            if data is None:
                return False
            value = StoredValue.unpack(data)
            if value.sha256 != sha256:
                return False
            txn.delete(index_key)
        if value.file:
            (self.values_dir / value.file).unlink(missing_ok=True)
        return True

    def count(self) -> int:
        with self._env.begin() as txn:
            return txn.stat()["entries"]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._env.close()

    def _recover(self) -> None:
        """Drop streams cut off by a crash and value files whose index entry never got written."""
        referenced = set()
        with self._env.begin() as txn:
            for _, data in txn.cursor():
                file = StoredValue.unpack(data).file
                if file:
                    referenced.add(file)
        for path in self.values_dir.iterdir():
            if path.suffix == ".part" or (path.suffix == ".val" and path.name not in referenced):
                LOG.info("removing incomplete federation value %s", path)
                path.unlink(missing_ok=True)
