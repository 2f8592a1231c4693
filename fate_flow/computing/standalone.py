"""The standalone computing engine: the Table API over tables of the standalone storage engine.

Every table is an LMDB table on disk (so memory does not grow with the data); an operation runs partition
by partition and writes a new table. Key-preserving operations (map_values, filter, join, union, ...) keep
partition i's keys in partition i, so each partition is worked on alone; tables with different partition
counts are repartitioned before a join.
"""
from __future__ import annotations

import random
from functools import reduce as fold
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

from fate_flow.computing.storage.standalone import StandaloneStore, StandaloneTable, partition_of
from fate_flow.computing.table import KV, ComputingSession, Table
from fate_flow.serde.codec import Codec


class StandaloneSession(ComputingSession):
    def __init__(self, store: StandaloneStore, codec: Codec | None = None):
        self.store = store
        self.codec = codec or Codec()
        self._made: list[StandaloneTable] = []
        self._kept: set[str] = set()

    def parallelize(self, rows: Iterable, partitions: int, include_key: bool = True) -> "StandaloneComputingTable":
        pairs = rows if include_key else enumerate(rows)
        return self._write(pairs, partitions)

    def load(self, address: dict, partitions: int) -> "StandaloneComputingTable":
        """A stored table (e.g. an upload) as a computing table; the session never destroys it."""
        return StandaloneComputingTable(self, self.store.open(address, partitions))

    def keep(self, table: "StandaloneComputingTable") -> dict:
        """Keep `table` after the session stops; returns its storage address fields for a table meta."""
        self._kept.add(str(table.stored.path))
        return {"path": str(table.stored.path), "home": str(self.store.root), "storage_type": "LMDB"}

    def stop(self) -> None:
        for stored in self._made:
            if str(stored.path) not in self._kept:
                stored.destroy()
        self._made.clear()

    # --- writing ----------------------------------------------------------------------------------
    def _new(self, partitions: int) -> StandaloneTable:
        stored = self.store.create(partitions)
        self._made.append(stored)
        return stored

    def _write(self, pairs: Iterable[KV], partitions: int) -> "StandaloneComputingTable":
        """A new table of `pairs` (any keys: each lands in its own partition)."""
        dumps = self.codec.dumps
        encoded = ((dumps(k), dumps(v)) for k, v in pairs)
        return self._fill(partitions, iter(lambda: list(islice(encoded, 100_000)), []))

    def _per_partition(self, partitions: int, produce: Callable[[int], Iterable[tuple[bytes, bytes]]]) \
            -> "StandaloneComputingTable":
        """A new table from `produce(i)`, the encoded pairs made from partition i of the inputs."""
        return self._fill(partitions, (produce(p) for p in range(partitions)))

    def _fill(self, partitions: int, batches: Iterable[Iterable[tuple[bytes, bytes]]]) -> "StandaloneComputingTable":
        """Write encoded pairs batch by batch (each batch flushed) into a new table of this session."""
        stored = self._new(partitions)
        writer = stored.writer(overwrite=True)
        try:
            for batch in batches:
                writer.put_all(batch)
                writer.flush()
            writer.close()
        except BaseException:
            writer.abort()
            raise
        return StandaloneComputingTable(self, stored)


class StandaloneComputingTable(Table):
    def __init__(self, session: StandaloneSession, stored: StandaloneTable):
        self.session = session
        self.stored = stored
        self.partitions = stored.partitions

    # --- helpers --------------------------------------------------------------------------------
    def _rows(self, partition: int) -> Iterator[KV]:
        loads = self.session.codec.loads
        return ((loads(k), loads(v)) for k, v in self.stored.read_partition(partition))

    def _keyed(self, produce: Callable[[int], Iterable[tuple[bytes, bytes]]]) -> "StandaloneComputingTable":
        return self.session._per_partition(self.partitions, produce)

    def _aligned(self, other: "StandaloneComputingTable") -> "StandaloneComputingTable":
        """`other` with my partition count, so partition i of both holds the same keys."""
        if not isinstance(other, StandaloneComputingTable):
            raise TypeError(f"cannot combine a standalone table with a {type(other).__name__}")
        if other.partitions == self.partitions:
            return other
        return self.session._write(other.collect(), self.partitions)

    # --- Table API ------------------------------------------------------------------------------
    def map_values(self, func: Callable[[Any], Any]) -> Table:
        loads, dumps = self.session.codec.loads, self.session.codec.dumps
        return self._keyed(lambda p: ((k, dumps(func(loads(v)))) for k, v in self.stored.read_partition(p)))

    def map(self, func: Callable[[Any, Any], KV]) -> Table:
        return self.session._write((func(k, v) for k, v in self.collect()), self.partitions)

    def flat_map(self, func: Callable[[Any, Any], Iterable[KV]]) -> Table:
        return self.session._write((kv for k, v in self.collect() for kv in func(k, v)), self.partitions)

    def map_partitions(self, func: Callable[[Iterator[KV]], Iterable[KV]]) -> Table:
        pairs = (kv for p in range(self.partitions) for kv in func(self._rows(p)))
        return self.session._write(pairs, self.partitions)

    def apply_partitions(self, func: Callable[[Iterator[KV]], Any]) -> list[Any]:
        return [func(self._rows(p)) for p in range(self.partitions)]

    def filter(self, func: Callable[[Any, Any], bool]) -> Table:
        loads = self.session.codec.loads
        return self._keyed(lambda p: ((k, v) for k, v in self.stored.read_partition(p) if func(loads(k), loads(v))))

    def join(self, other: Table, func: Callable[[Any, Any], Any]) -> Table:
        right = self._aligned(other)
        loads, dumps = self.session.codec.loads, self.session.codec.dumps

        def produce(p: int):
            right_values = dict(right.stored.read_partition(p))
            for k, v in self.stored.read_partition(p):
                if k in right_values:
                    yield k, dumps(func(loads(v), loads(right_values[k])))
        return self._keyed(produce)

    def union(self, other: Table, func: Callable[[Any, Any], Any] = lambda v1, v2: v1) -> Table:
        right = self._aligned(other)
        loads, dumps = self.session.codec.loads, self.session.codec.dumps

        def produce(p: int):
            mine = dict(self.stored.read_partition(p))
            for k, v in right.stored.read_partition(p):
                mine[k] = dumps(func(loads(mine[k]), loads(v))) if k in mine else v
            return mine.items()
        return self._keyed(produce)

    def subtract_by_key(self, other: Table) -> Table:
        right = self._aligned(other)

        def produce(p: int):
            theirs = {k for k, _ in right.stored.read_partition(p)}
            return ((k, v) for k, v in self.stored.read_partition(p) if k not in theirs)
        return self._keyed(produce)

    def reduce(self, func: Callable[[Any, Any], Any]) -> Any:
        loads = self.session.codec.loads
        partials = []
        for p in range(self.partitions):
            values = (loads(v) for _, v in self.stored.read_partition(p))
            first = next(values, _EMPTY)
            if first is not _EMPTY:
                partials.append(fold(func, values, first))
        return fold(func, partials) if partials else None

    def sample(self, fraction: float, seed: int | None = None) -> Table:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be between 0 and 1, got {fraction}")

        def produce(p: int):
            rnd = random.Random(None if seed is None else seed * 1009 + p)
            return ((k, v) for k, v in self.stored.read_partition(p) if rnd.random() < fraction)
        return self._keyed(produce)

    def count(self) -> int:
        return self.stored.count()

    def collect(self) -> Iterator[KV]:
        loads = self.session.codec.loads
        return ((loads(k), loads(v)) for k, v in self.stored.items())


_EMPTY = object()

__all__ = ["StandaloneSession", "StandaloneComputingTable", "partition_of"]
