"""Rows as the Spark engine moves them: codec-encoded (key bytes, value bytes) pairs, and the small functions
Spark runs on them (picklable module functions, so executors import them by name)."""
from __future__ import annotations

from typing import Iterator

from fate_flow.computing.table import KV
from fate_flow.serde.codec import Codec

Encoded = tuple[bytes, bytes]


def check_partitions(partitions: int) -> None:
    if not 1 <= partitions <= 1023:  # the standalone engine's limit, so a table fits either engine
        raise ValueError(f"partitions must be between 1 and 1023, got {partitions}")


def keep_first(a: bytes, b: bytes) -> bytes:
    return a


def tag_mine(v: bytes) -> tuple[int, bytes]:
    return 0, v


def tag_other(v: bytes) -> tuple[int, bytes]:
    return 1, v


def decoded(codec: Codec, rows: Iterator[Encoded]) -> Iterator[KV]:
    loads = codec.loads
    return ((loads(k), loads(v)) for k, v in rows)


def runs(rows: Iterator[tuple[bytes, tuple[int, bytes]]]) -> Iterator[tuple[bytes, list[tuple[int, bytes]]]]:
    """(key, its tagged values) for key-sorted rows; each table holds a key once, so a run has 1 or 2 values."""
    key, values = None, []
    for k, tagged in rows:
        if values and k != key:
            yield key, values
            values = []
        key = k
        values.append(tagged)
    if values:
        yield key, values
