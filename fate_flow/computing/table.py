"""The computing Table API: what components use to work on data, the same on every engine (the embedded
standalone engine and Spark).

A table behaves like a distributed dict: keys are unique, rows are spread over `partitions` by a hash of
the key, and every operation returns a new table (tables never change). Functions passed in receive and
return plain decoded values (see fate_flow.serde.codec for what may be stored).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Iterable, Iterator

KV = tuple[Any, Any]


class Table(ABC):
    partitions: int

    @abstractmethod
    def map_values(self, func: Callable[[Any], Any]) -> "Table":
        """Same keys, `func(value)` as values."""

    @abstractmethod
    def map(self, func: Callable[[Any, Any], KV]) -> "Table":
        """`func(key, value) -> (new_key, new_value)`; when two rows map to one key, one of them is kept."""

    @abstractmethod
    def flat_map(self, func: Callable[[Any, Any], Iterable[KV]]) -> "Table":
        """`func(key, value)` yields any number of (key, value) pairs."""

    @abstractmethod
    def map_partitions(self, func: Callable[[Iterator[KV]], Iterable[KV]]) -> "Table":
        """`func(rows of one partition)` yields (key, value) pairs."""

    @abstractmethod
    def apply_partitions(self, func: Callable[[Iterator[KV]], Any]) -> list[Any]:
        """`func(rows of one partition)` for each partition; the results, one per partition."""

    @abstractmethod
    def filter(self, func: Callable[[Any, Any], bool]) -> "Table":
        """The rows for which `func(key, value)` is true."""

    @abstractmethod
    def join(self, other: "Table", func: Callable[[Any, Any], Any]) -> "Table":
        """Inner join on key: `func(my_value, other_value)` for keys in both tables."""

    @abstractmethod
    def union(self, other: "Table", func: Callable[[Any, Any], Any] = lambda v1, v2: v1) -> "Table":
        """Keys of either table; `func(my_value, other_value)` where both have the key."""

    @abstractmethod
    def subtract_by_key(self, other: "Table") -> "Table":
        """My rows whose key is not in `other`."""

    @abstractmethod
    def reduce(self, func: Callable[[Any, Any], Any]) -> Any:
        """Fold all values with the associative, commutative `func`; None for an empty table."""

    @abstractmethod
    def sample(self, fraction: float, seed: int | None = None) -> "Table":
        """Each row kept with probability `fraction`; the same seed gives the same rows."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def collect(self) -> Iterator[KV]:
        """All rows (in no particular order)."""

    def first(self) -> KV | None:
        return next(iter(self.collect()), None)

    def take(self, n: int) -> list[KV]:
        rows = []
        for row in self.collect():
            if len(rows) >= n:
                break
            rows.append(row)
        return rows


class ComputingSession(ABC):
    """Makes tables for one task; `stop()` destroys the tables it made that were not saved."""

    @abstractmethod
    def parallelize(self, rows: Iterable, partitions: int, include_key: bool = True) -> Table:
        """A table from (key, value) pairs, or from values keyed 0, 1, 2... when include_key is False."""

    @abstractmethod
    def stop(self) -> None: ...
