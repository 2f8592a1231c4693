"""The receiver's store of data-plane values, kept until the reader acknowledges them.

Layout under FATE_FLOW_HOME/federation/: `index/` is an LMDB environment with two databases: `index` maps a
value key (job, name, tag, source, destination) to its metadata, and `chunks` holds a value's first chunks,
up to `inline_bytes` (key: value id + chunk number). They are held in memory as they arrive and written with
the index entry, in one transaction, once the trailer checked out, so a small value costs one LMDB commit
and no file. The rest of a bigger value goes to `values/<id>.part` as length-prefixed chunks, renamed to
`<id>.val` at commit and read back with plain reads (no mmap), so serving a 200 MB value keeps the process
small; an interrupted stream is never visible, and its .part file is removed at start. A value sent in one
call (PushSmall) is held in memory until its MAC checked out, and only then written. Nothing is
acknowledged before it is written (and fsynced, with `fsync`), so a stored value survives a restart.

Why a file beyond 256 KiB (the default inline_bytes): in a receiving server a 1 MB put into LMDB took about
0.5 ms (LMDB copies it into freshly allocated dirty pages, then writes them), a write over a spare file's
pages about 0.12 ms (SpareFiles).

Everything runs in the receiving thread: on a busy machine a hand-off to a writer thread costs more than it
saves (measured with bench/federation.py).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
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
    digest: bytes
    header: bytes        # the sender's serialized ValueHeader
    trailer: bytes       # the sender's serialized ValueTrailer
    id: bytes            # names its chunk records and its file values/<id hex>.val
    inline_chunks: int   # the first chunks, in LMDB; the others are in the file

    def pack(self) -> bytes:
        return msgpack.packb([self.kind, self.total_bytes, self.chunks, self.digest, self.header, self.trailer,
                              self.id, self.inline_chunks], use_bin_type=True)

    @classmethod
    def unpack(cls, data: bytes) -> "StoredValue":
        return cls(*msgpack.unpackb(data, raw=False))

    @property
    def file(self) -> str | None:
        return f"{self.id.hex()}.val" if self.chunks > self.inline_chunks else None


def _chunk_key(value_id: bytes, number: int) -> bytes:
    return value_id + number.to_bytes(4, "big")


class SpareFiles:
    """Files of values that were read, kept for the next values to overwrite: writing over a file's pages costs
    about a third of allocating new ones (1 MB here: 0.04 against 0.13 ms), and a job's values mostly recur at
    the same size, one per iteration. At most MAX_FILES of at most MAX_FILE_BYTES each (64 MiB of disk in
    all); the store removes them at start. A file being read is never kept: a reader must not see it overwritten."""
    SUFFIX = ".spare"
    MAX_FILES = 8
    MAX_FILE_BYTES = 8 << 20

    def __init__(self, directory: Path):
        self._dir = directory
        self._files: list[Path] = []
        self._reading: dict[Path, int] = {}
        self._lock = threading.Lock()

    def take(self, path: Path) -> bool:
        """Move the most recently given spare file to `path`; False when there is none."""
        with self._lock:
            if not self._files:
                return False
            os.rename(self._files.pop(), path)
        return True

    @contextmanager
    def reading(self, path: Path) -> Iterator[BinaryIO]:
        """`path` opened for reading; meanwhile give() deletes it rather than keep it."""
        with self._lock:
            self._reading[path] = self._reading.get(path, 0) + 1
        try:
            with open(path, "rb") as f:
                yield f
        finally:
            with self._lock:
                if self._reading[path] == 1:
                    del self._reading[path]
                else:
                    self._reading[path] -= 1

    def give(self, path: Path) -> None:
        """Keep the file at `path` for reuse, or delete it when there are enough, it is too big or being read."""
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return
        with self._lock:
            if len(self._files) < self.MAX_FILES and size <= self.MAX_FILE_BYTES and path not in self._reading:
                spare = self._dir / f"{os.urandom(8).hex()}{self.SUFFIX}"
                os.rename(path, spare)
                self._files.append(spare)
                return
        path.unlink(missing_ok=True)


class ValueWriter:
    """Receives the chunks of one stream, enforcing the size limit as it goes: the first ones, up to the
    store's inline_bytes, are held for the index transaction, the others written to a .part file."""

    def __init__(self, store: "MessageStore", max_bytes: int):
        self._store = store
        self._max = max_bytes
        self.id = os.urandom(16)
        self._held: list[bytes | memoryview] = []
        self._file: BinaryIO | None = None
        self.digest = ChunkDigest()

    @property
    def part(self) -> Path:
        return self._store.values_dir / f"{self.id.hex()}.part"

    def write(self, chunk: bytes | memoryview, hold: bool = False) -> None:
        """`hold`: keep the chunk for the index transaction even beyond inline_bytes, so nothing is written
        before commit (a small value's one chunk, whose sender is authenticated by its trailer only)."""
        total = self.digest.total_bytes + len(chunk)
        if total > self._max:
            raise MessageTooLargeError(f"value is larger than max_value_bytes ({self._max} bytes) of the receiver")
        self.digest.update(chunk)
        if self._file is None and (hold or total <= self._store.inline_bytes):
            self._held.append(chunk)
            return
        self._append(chunk)

    def _append(self, chunk: bytes | memoryview) -> None:
        if self._file is None:
            self._file = open(self.part, "r+b" if self._store.spares.take(self.part) else "wb")
        self._file.write(len(chunk).to_bytes(_LEN, "big"))
        self._file.write(chunk)

    def commit(self, index_key: bytes, kind: int, header: bytes, trailer: bytes) -> bool:
        """Make the value visible. False when the same value was already stored (a retried send)."""
        inline, size = 0, 0
        for chunk in self._held:  # held beyond inline_bytes (a small value's one chunk): to the file now
            size += len(chunk)
            if size > self._store.inline_bytes:
                break
            inline += 1
        for chunk in self._held[inline:]:
            self._append(chunk)
        value = StoredValue(kind, self.digest.total_bytes, self.digest.chunks, self.digest.digest(), header,
                            trailer, self.id, inline)
        if self._file is not None:
            f, self._file = self._file, None
            f.truncate()  # a spare file may have been longer
            f.flush()
            if self._store.fsync:
                os.fsync(f.fileno())
            f.close()
            os.rename(self.part, self._store.values_dir / value.file)
        held, self._held = self._held[:inline], []
        try:
            stored = self._store._index_put(index_key, value, held)
        except BaseException:
            self._store._remove_file(value)
            raise
        if not stored:
            self._store._remove_file(value)
        return stored

    def abort(self) -> None:
        self._held = []
        if self._file is not None:
            self._file.close()
            self._file = None
            self.part.unlink(missing_ok=True)


class MessageStore:
    def __init__(self, root: Path, fsync: bool = False, inline_bytes: int = 2 << 20):
        self.root = Path(root)
        self.values_dir = self.root / "values"
        self.values_dir.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.inline_bytes = inline_bytes
        self.spares = SpareFiles(self.values_dir)
        self._env = lmdb.open(str(self.root / "index"), map_size=_MAP_SIZE, subdir=True, sync=fsync,
                              metasync=fsync, max_dbs=2)
        self._index = self._env.open_db(b"index")
        self._chunks = self._env.open_db(b"chunks")
        self._changed = threading.Condition()
        # py-lmdb refuses (EBUSY) a second write transaction begun from another thread instead of waiting, so
        # concurrent pushes (two hosts sending to one guest) and acknowledges take turns here
        self._write_lock = threading.Lock()
        self._closed = False
        self._recover()

    # ------------------------------------------------------------------ writing
    def writer(self, max_bytes: int) -> ValueWriter:
        return ValueWriter(self, max_bytes)

    def _index_put(self, index_key: bytes, value: StoredValue, chunks: list[bytes | memoryview]) -> bool:
        """Index `value` and write its first `chunks`, in one transaction."""
        with self._write_lock, self._env.begin(write=True) as txn:
            existing = txn.get(index_key, db=self._index)
            if existing is not None:
                if StoredValue.unpack(existing).digest == value.digest:
                    return False
                raise AlreadyStoredError("a different value under the same name, tag, source and destination is"
                                         " already waiting to be read")
            for number, chunk in enumerate(chunks):
                txn.put(_chunk_key(value.id, number), chunk, db=self._chunks)
            txn.put(index_key, value.pack(), db=self._index)
        with self._changed:
            self._changed.notify_all()
        return True

    def _remove_file(self, value: StoredValue) -> None:
        if value.file:
            self.spares.give(self.values_dir / value.file)

    # ------------------------------------------------------------------ reading
    def get(self, index_key: bytes) -> StoredValue | None:
        with self._env.begin() as txn:
            data = txn.get(index_key, db=self._index)
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
        for number in range(value.inline_chunks):
            with self._env.begin(db=self._chunks) as txn:  # one short read transaction per chunk, copied out
                chunk = txn.get(_chunk_key(value.id, number))
            if chunk is None:
                raise FederationError(f"stored value {value.id.hex()} lacks chunk {number}; was it deleted?")
            yield chunk
        if not value.file:
            return
        with self.spares.reading(self.values_dir / value.file) as f:
            for _ in range(value.chunks - value.inline_chunks):
                size = int.from_bytes(f.read(_LEN), "big")
                chunk = f.read(size)
                if len(chunk) != size:
                    raise FederationError(f"stored value file {value.file} is shorter than its index says")
                yield chunk

    def delete(self, index_key: bytes, digest: bytes) -> bool:
        """Remove a value that was read; only the exact value the reader saw."""
        with self._write_lock, self._env.begin(write=True) as txn:
            data = txn.get(index_key, db=self._index)
            if data is None:
                return False
            value = StoredValue.unpack(data)
            if value.digest != digest:
                return False
            txn.delete(index_key, db=self._index)
            for number in range(value.inline_chunks):
                txn.delete(_chunk_key(value.id, number), db=self._chunks)
        self._remove_file(value)
        return True

    def count(self) -> int:
        with self._env.begin() as txn:
            return txn.stat(self._index)["entries"]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._env.close()

    def _recover(self) -> None:
        """Drop streams cut off by a crash, value files whose index entry never got written, and spare files."""
        referenced = set()
        with self._env.begin(db=self._index) as txn:
            for _, data in txn.cursor():
                file = StoredValue.unpack(data).file
                if file:
                    referenced.add(file)
        for path in self.values_dir.iterdir():
            if path.suffix == SpareFiles.SUFFIX:
                path.unlink(missing_ok=True)
            elif path.suffix == ".part" or (path.suffix == ".val" and path.name not in referenced):
                LOG.info("removing incomplete federation value %s", path)
                path.unlink(missing_ok=True)
