"""The standalone storage engine: tables on local disk in LMDB, as upstream's standalone mode keeps them.

A table is a directory `<root>/<uuid>/` holding one LMDB environment per partition (`0/`, `1/`, ...), so
partitions can be read and written by different processes at once. Keys and values are stored encoded
(fate_flow.serde.codec); a key always lands in partition `crc32(key) % partitions`. A table written with
`ordered=True` also keeps its insertion order, so a CSV comes back out in the order it went in.

Tables are write-once: one writer fills a new directory, and from then on the table is only read. Readers
therefore open the environments read-only without LMDB's lock table (several readers, in one process or
many, may read a table at once); code must never write into a table that may be read.

The directory name is never derived from the table's name; the table meta (in the database) maps
(namespace, name) to `address.path`. Writers fill a fresh directory and callers switch the meta to it only
once it is complete, so a failed or interrupted write is never visible.
"""
from __future__ import annotations

import heapq
import shutil
import uuid
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

import lmdb

ENGINE = "STANDALONE"
STORAGE_TYPE = "LMDB"

_DATA_DB = b"data"
_ORDER_DB = b"order"
_MAP_SIZE = 1 << 40  # address space only; files grow as data is written
_SEQ_BYTES = 8


class DuplicateKeyError(ValueError):
    def __init__(self, key: bytes):
        super().__init__("duplicate key")
        self.key = key


def partition_of(key: bytes, partitions: int) -> int:
    return zlib.crc32(key) % partitions


def _open_env(path: Path, readonly: bool) -> lmdb.Environment:
    return lmdb.open(str(path), map_size=_MAP_SIZE, subdir=True, max_dbs=2, readonly=readonly,
                     lock=not readonly, sync=False, metasync=False, readahead=False, create=not readonly)


class StandaloneStore:
    """Creates and opens tables below `root`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def create(self, partitions: int) -> "StandaloneTable":
        if not 1 <= partitions <= 1023:
            raise ValueError(f"partitions must be between 1 and 1023, got {partitions}")
        path = self.root / uuid.uuid4().hex
        path.mkdir(parents=True)
        for i in range(partitions):
            env = _open_env(path / str(i), readonly=False)
            env.open_db(_DATA_DB)
            env.close()
        return StandaloneTable(path, partitions)

    def open(self, address: dict, partitions: int) -> "StandaloneTable":
        path = Path(address["path"])
        if not path.is_dir():
            raise FileNotFoundError(f"table data directory {path} does not exist")
        return StandaloneTable(path, partitions)

    def address_of(self, table: "StandaloneTable", namespace: str, name: str) -> dict:
        return {"home": str(self.root), "namespace": namespace, "name": name, "storage_type": STORAGE_TYPE,
                "path": str(table.path)}


class StandaloneTable:
    def __init__(self, path: Path, partitions: int):
        self.path = Path(path)
        self.partitions = partitions

    def writer(self, ordered: bool = False, overwrite: bool = False) -> "TableWriter":
        return TableWriter(self, ordered, overwrite)

    def _env(self, partition: int, readonly: bool = True) -> lmdb.Environment:
        return _open_env(self.path / str(partition), readonly=readonly)

    def read_partition(self, partition: int) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs of one partition, in key-byte order."""
        env = self._env(partition)
        try:
            db = env.open_db(_DATA_DB, create=False)
            with env.begin(db=db, buffers=False) as txn:
                yield from txn.cursor()
        finally:
            env.close()

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        for p in range(self.partitions):
            yield from self.read_partition(p)

    def ordered_items(self) -> Iterator[tuple[bytes, bytes]]:
        """All pairs in insertion order when the table was written ordered, else merged in key-byte order."""
        if not self.is_ordered():
            return heapq.merge(*(self.read_partition(p) for p in range(self.partitions)))
        return (kv[1:] for kv in heapq.merge(*(self._ordered_partition(p) for p in range(self.partitions))))

    def _ordered_partition(self, partition: int) -> Iterator[tuple[bytes, bytes, bytes]]:
        env = self._env(partition)
        try:
            data, order = env.open_db(_DATA_DB, create=False), env.open_db(_ORDER_DB, create=False)
            with env.begin(buffers=False) as txn:
                get = txn.get
                for seq, key in txn.cursor(db=order):
                    yield seq, key, get(key, db=data)
        finally:
            env.close()

    def is_ordered(self) -> bool:
        env = self._env(0)
        try:
            with env.begin() as txn:
                return txn.get(_ORDER_DB) is not None  # named DBs are keys of the main DB
        finally:
            env.close()

    def get(self, key: bytes) -> bytes | None:
        env = self._env(partition_of(key, self.partitions))
        try:
            db = env.open_db(_DATA_DB, create=False)
            with env.begin(db=db) as txn:
                return txn.get(key)
        finally:
            env.close()

    @contextmanager
    def lookup(self) -> Iterator[Callable[[bytes], bytes | None]]:
        """A `get` that keeps every partition open until the block ends (for many lookups in a row)."""
        envs = [self._env(p) for p in range(self.partitions)]
        txns = []
        try:
            for env in envs:
                txns.append(env.begin(db=env.open_db(_DATA_DB, create=False), buffers=False))
            yield lambda key: txns[partition_of(key, len(txns))].get(key)
        finally:
            for txn in txns:
                txn.abort()
            for env in envs:
                env.close()

    def count(self) -> int:
        total = 0
        for p in range(self.partitions):
            env = self._env(p)
            try:
                db = env.open_db(_DATA_DB, create=False)
                with env.begin() as txn:
                    total += txn.stat(db)["entries"]
            finally:
                env.close()
        return total

    def destroy(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class TableWriter:
    """Buffers pairs per partition and writes them in one LMDB transaction per partition per flush.

    By default a key already present is refused (DuplicateKeyError), so loading data never silently loses a
    row; with `overwrite=True` the last value written for a key wins (computed tables, like a dict).
    """

    def __init__(self, table: StandaloneTable, ordered: bool, overwrite: bool = False):
        self.table = table
        self.ordered = ordered
        self.overwrite = overwrite
        self._envs = [table._env(p, readonly=False) for p in range(table.partitions)]
        self._dbs = [(env.open_db(_DATA_DB), env.open_db(_ORDER_DB) if ordered else None) for env in self._envs]
        self._buffers: list[list[tuple[bytes, bytes]]] = [[] for _ in self._envs]
        self._orders: list[list[tuple[bytes, bytes]]] = [[] for _ in self._envs]
        self._seq = 0
        self.written = 0

    def put(self, key: bytes, value: bytes) -> None:
        p = zlib.crc32(key) % len(self._envs)
        self._buffers[p].append((key, value))
        if self.ordered:
            self._orders[p].append((self._seq.to_bytes(_SEQ_BYTES, "big"), key))
            self._seq += 1

    def put_all(self, pairs: Iterable[tuple[bytes, bytes]]) -> None:
        for k, v in pairs:
            self.put(k, v)

    def flush(self) -> None:
        for p, env in enumerate(self._envs):
            items = self._buffers[p]
            if not items:
                continue
            data_db, order_db = self._dbs[p]
            txn = env.begin(write=True)
            try:
                _, added = txn.cursor(db=data_db).putmulti(items, overwrite=self.overwrite)
                if self.overwrite:
                    added = len(items)
                if added == len(items) and order_db is not None:
                    txn.cursor(db=order_db).putmulti(self._orders[p], append=True)
            except BaseException:
                txn.abort()
                raise
            if added != len(items):
                txn.abort()
                raise DuplicateKeyError(self._first_duplicate(p))
            txn.commit()
            self.written += len(items)
            self._buffers[p] = []
            self._orders[p] = []

    def _first_duplicate(self, partition: int) -> bytes:
        """Which key of the failed batch was already present (in the table or earlier in the batch)."""
        env = self._envs[partition]
        data_db = self._dbs[partition][0]
        txn = env.begin(db=data_db, write=True)
        try:
            for k, v in self._buffers[partition]:
                if not txn.put(k, v, overwrite=False):
                    return k
        finally:
            txn.abort()
        return self._buffers[partition][0][0]

    def close(self) -> None:
        """Flush what is buffered, force it to disk and close the environments."""
        try:
            self.flush()
            for env in self._envs:
                env.sync(True)
        finally:
            self.abort()

    def abort(self) -> None:
        for env in self._envs:
            env.close()
        self._envs = []
