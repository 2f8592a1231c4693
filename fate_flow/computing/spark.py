"""The Spark computing engine: the Table API over pyspark RDDs, with the standalone engine's semantics.

Rows travel through Spark encoded (fate_flow.serde.codec), as (key bytes, value bytes) pairs, exactly as the
standalone engine stores them: keys are equal when their encodings are (so 1 and True are two keys, as in
LMDB), and a key lands in partition `crc32(key) % partitions`, the standalone engine's own partitioning. Every
table's RDD carries that partitioner, so key-preserving operations (map_values, filter, sample) keep it
without a shuffle, and join/union/subtract_by_key shuffle both sides into the left table's partitioning.

A table is materialized when it is made (persisted, DISK_ONLY by default, and counted): functions run once, their
errors surface at the call that made the table, and a table made from random choices (sample without seed)
does not change when it is read again. `stop()` unpersists the session's tables and deletes its staging data.

Stored Spark tables are Parquet datasets with two binary columns, `key` and `value` (codec-encoded: values
may be Instances, numpy arrays, Paillier vectors, ...), under a root that is a local path or any Hadoop
URI (hdfs://, s3a://); their address is {"path", "home", "namespace", "name", "storage_type": "PARQUET",
"partitions"}. Rows streamed in from the driver (from_rows, from_standalone) pass through staging pickle files
under the root, several times faster to write than Parquet.

pyspark is an optional dependency (`pip install -e .[spark]`, and a Java runtime): it is imported inside
functions only, so this module imports without it.
"""
from __future__ import annotations

import hashlib
import random
import uuid
import zlib
from functools import reduce as fold
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from fate_flow.computing.spark_driver import run_job, stop_spark
from fate_flow.computing.spark_rows import Encoded, check_partitions, decoded, keep_first, runs, tag_mine, tag_other
from fate_flow.computing.table import KV, ComputingSession, Table
from fate_flow.serde.codec import Codec

if TYPE_CHECKING:  # pragma: no cover
    from pyspark import RDD, SparkContext
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

    from fate_flow.computing.standalone import StandaloneComputingTable, StandaloneSession

STORAGE_TYPE = "PARQUET"
ENGINE = "SPARK"
KEY_COLUMN, VALUE_COLUMN = "key", "value"
BATCH_ROWS = 100_000  # rows per batch when streaming rows in or out of Spark through the driver
# where made tables are kept: on the executors' local disks by default (the OS page cache keeps hot ones in
# memory), so the JVM heap does not grow with the data; MEMORY_AND_DISK is faster when the heap is sized for it
DEFAULT_STORAGE_LEVEL = "DISK_ONLY"
_STORAGE_LEVELS = ("DISK_ONLY", "MEMORY_AND_DISK", "MEMORY_ONLY", "DISK_ONLY_2", "MEMORY_AND_DISK_2")

class SparkComputingSession(ComputingSession):
    """Makes Spark tables for one task. `root` is where kept tables and staging data go (a local path or a
    Hadoop URI every executor can reach). With `stop_spark=True` (the default) stop() also stops the
    SparkSession and its JVM; pass False to share one SparkSession between computing sessions."""

    def __init__(self, spark: "SparkSession", root: str, codec: Codec | None = None, stop_spark: bool = True,
                 storage_level: str = DEFAULT_STORAGE_LEVEL):
        self.spark = spark
        self.root = str(root).rstrip("/")
        self.codec = codec or Codec()
        self.stop_spark = stop_spark
        if storage_level not in _STORAGE_LEVELS:
            raise ValueError(f"storage_level must be one of {', '.join(_STORAGE_LEVELS)}, got {storage_level!r}")
        self.storage_level = storage_level
        self._made: list["RDD"] = []
        self._staging: list[str] = []

    @property
    def sc(self) -> "SparkContext":
        return self.spark.sparkContext

    # --- making tables ------------------------------------------------------------------------------
    def parallelize(self, rows: Iterable, partitions: int, include_key: bool = True) -> "SparkTable":
        """A table from rows held in memory (small data: they are sent to Spark in one piece)."""
        dumps = self.codec.dumps
        pairs = rows if include_key else enumerate(rows)
        encoded = [(dumps(k), dumps(v)) for k, v in pairs]
        check_partitions(partitions)
        return self._table(self.sc.parallelize(encoded, min(partitions, max(len(encoded), 1))), partitions,
                           dedupe=True)

    def from_rows(self, rows: Iterable[KV], partitions: int, include_key: bool = True) -> "SparkTable":
        """A table from any number of (key, value) rows (or values keyed 0, 1, ... when include_key is
        False), streamed to Spark in batches of BATCH_ROWS so the driver's memory stays bounded."""
        dumps = self.codec.dumps
        pairs = rows if include_key else enumerate(rows)
        return self.from_encoded(((dumps(k), dumps(v)) for k, v in pairs), partitions)

    def from_encoded(self, pairs: Iterable[Encoded], partitions: int, unique_keys: bool = False) -> "SparkTable":
        """A table from codec-encoded (key, value) pairs, e.g. a standalone table's `stored.items()`, streamed
        in batches of BATCH_ROWS into staging files under the root (Spark's pickle files, written and read
        only by this session; stop() deletes them). When a key repeats, one row is kept; `unique_keys=True`
        (the pairs of a stored table) skips that step."""
        check_partitions(partitions)
        staging = f"{self.root}/_staging/{uuid.uuid4().hex}"
        self._staging.append(staging)
        pairs = iter(pairs)
        batches = 0
        for batch in iter(lambda: list(islice(pairs, BATCH_ROWS)), []):
            rdd = self.sc.parallelize(batch, max(1, min(partitions, len(batch))))
            run_job(lambda: rdd.saveAsPickleFile(f"{staging}/{batches}"))
            batches += 1
        if not batches:
            return self._table(self.sc.parallelize([], 1), partitions)
        return self._table(self.sc.pickleFile(f"{staging}/*"), partitions, dedupe=not unique_keys)

    def from_standalone(self, table: "StandaloneComputingTable", partitions: int | None = None) -> "SparkTable":
        """A Spark copy of a standalone (LMDB) table; the encoded rows are passed through as they are."""
        return self.from_encoded(table.stored.items(), partitions or table.partitions, unique_keys=True)

    def load(self, address: dict, partitions: int) -> "SparkTable":
        """A stored Parquet table (address from keep()) as a table; the session never deletes it."""
        path = address.get("path")
        if not path:
            raise ValueError(f"the table address has no path: {address}")
        if address.get("storage_type", STORAGE_TYPE) != STORAGE_TYPE:
            raise ValueError(f"the Spark engine reads {STORAGE_TYPE} tables, not {address.get('storage_type')} "
                             f"({path})")
        if not self._exists(path):
            raise FileNotFoundError(f"table data {path} does not exist")
        check_partitions(partitions)
        return self._table(self._read_parquet(path), partitions)

    def keep(self, table: "SparkTable", namespace: str = "", name: str = "") -> dict:
        """Write `table` as Parquet under the root (a new directory, never derived from the name) and return its
        address fields for a table meta. The data outlives the session."""
        path = f"{self.root}/{uuid.uuid4().hex}"
        self._write_parquet(table.rdd, path)
        return {"path": path, "home": self.root, "namespace": namespace, "name": name,
                "storage_type": STORAGE_TYPE, "partitions": table.partitions}

    def to_standalone(self, table: "SparkTable", session: "StandaloneSession") -> "StandaloneComputingTable":
        """A standalone copy of a Spark table, made in `session` (rows streamed partition by partition)."""
        loads = self.codec.loads
        return session.parallelize(((loads(k), loads(v)) for k, v in table.iter_encoded()), table.partitions)

    def stop(self) -> None:
        """Unpersist this session's tables, delete its staging data and, if it owns it, stop Spark."""
        try:
            for rdd in self._made:
                rdd.unpersist()
            for path in self._staging:
                self._delete(path)
        finally:
            self._made.clear()
            self._staging.clear()
            if self.stop_spark:
                self.stop_spark = False  # stop() may be called again: Spark is stopped once
                stop_spark(self.spark)

    # --- internals ----------------------------------------------------------------------------------
    def _table(self, rdd: "RDD", partitions: int, dedupe: bool = False) -> "SparkTable":
        """The table of encoded pairs `rdd`, partitioned by crc32(key) % partitions and materialized. With
        dedupe, keys may repeat in `rdd` and one row per key is kept."""
        if dedupe:
            rdd = rdd.reduceByKey(keep_first, partitions, zlib.crc32)
        else:
            rdd = rdd.partitionBy(partitions, zlib.crc32)
        return self._materialize(rdd, partitions)

    def _materialize(self, rdd: "RDD", partitions: int) -> "SparkTable":
        from pyspark import StorageLevel

        rdd = rdd.persist(getattr(StorageLevel, self.storage_level))
        self._made.append(rdd)
        return SparkTable(self, rdd, partitions, run_job(rdd.count))

    def _schema(self) -> "StructType":
        from pyspark.sql.types import BinaryType, StructField, StructType

        return StructType([StructField(KEY_COLUMN, BinaryType(), False),
                           StructField(VALUE_COLUMN, BinaryType(), False)])

    def _write_parquet(self, rdd: "RDD", path: str) -> None:
        self.spark.createDataFrame(rdd, self._schema(), verifySchema=False).write.mode("errorifexists").parquet(path)

    def _read_parquet(self, path: str) -> "RDD":
        return self.spark.read.parquet(path).rdd.map(lambda row: (bytes(row[0]), bytes(row[1])))

    def _hadoop_path(self, path: str):
        jvm = self.sc._jvm
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        return hadoop_path.getFileSystem(self.sc._jsc.hadoopConfiguration()), hadoop_path

    def _exists(self, path: str) -> bool:
        fs, hadoop_path = self._hadoop_path(path)
        return bool(fs.exists(hadoop_path))

    def _delete(self, path: str) -> None:
        fs, hadoop_path = self._hadoop_path(path)
        fs.delete(hadoop_path, True)


class SparkTable(Table):
    def __init__(self, session: SparkComputingSession, rdd: "RDD", partitions: int, count: int):
        self.session = session
        self.rdd = rdd
        self.partitions = partitions
        self._count = count

    # --- helpers ------------------------------------------------------------------------------------
    def _keyed(self, rdd: "RDD") -> "SparkTable":
        """A table from an RDD that kept my keys in my partitions (no shuffle, no duplicates)."""
        return self.session._materialize(rdd, self.partitions)

    def _rekeyed(self, rdd: "RDD") -> "SparkTable":
        """A table from encoded pairs with any keys (repartitioned, one row per key kept)."""
        return self.session._table(rdd, self.partitions, dedupe=True)

    def _beside(self, other: Table) -> "RDD":
        """Both tables' rows tagged (0: mine, 1: other's), shuffled into my partitioning and sorted by key
        within each partition, so the rows of one key are adjacent."""
        if not isinstance(other, SparkTable):
            raise TypeError(f"cannot combine a Spark table with a {type(other).__name__}")
        tagged = self.rdd.mapValues(tag_mine).union(other.rdd.mapValues(tag_other))
        return tagged.repartitionAndSortWithinPartitions(self.partitions, zlib.crc32)

    def iter_encoded(self) -> Iterator[Encoded]:
        """All encoded pairs: a small table in one job, a large one streamed to the driver partition by
        partition (one job each) so the driver holds one partition at a time."""
        if self._count <= BATCH_ROWS:
            return iter(run_job(self.rdd.collect))
        return self.rdd.toLocalIterator()

    # --- Table API ----------------------------------------------------------------------------------
    def map_values(self, func: Callable[[Any], Any]) -> Table:
        loads, dumps = self.session.codec.loads, self.session.codec.dumps
        return self._keyed(self.rdd.mapValues(lambda v: dumps(func(loads(v)))))

    def map(self, func: Callable[[Any, Any], KV]) -> Table:
        codec = self.session.codec

        def encode(kv: Encoded) -> Encoded:
            k, v = func(codec.loads(kv[0]), codec.loads(kv[1]))
            return codec.dumps(k), codec.dumps(v)
        return self._rekeyed(self.rdd.map(encode))

    def flat_map(self, func: Callable[[Any, Any], Iterable[KV]]) -> Table:
        codec = self.session.codec

        def encode(kv: Encoded) -> Iterator[Encoded]:
            return ((codec.dumps(k), codec.dumps(v)) for k, v in func(codec.loads(kv[0]), codec.loads(kv[1])))
        return self._rekeyed(self.rdd.flatMap(encode))

    def map_partitions(self, func: Callable[[Iterator[KV]], Iterable[KV]]) -> Table:
        codec = self.session.codec

        def produce(rows: Iterator[Encoded]) -> Iterator[Encoded]:
            return ((codec.dumps(k), codec.dumps(v)) for k, v in func(decoded(codec, rows)))
        return self._rekeyed(self.rdd.mapPartitions(produce))

    def apply_partitions(self, func: Callable[[Iterator[KV]], Any]) -> list[Any]:
        codec = self.session.codec
        return run_job(self.rdd.mapPartitions(lambda rows: [func(decoded(codec, rows))]).collect)

    def filter(self, func: Callable[[Any, Any], bool]) -> Table:
        loads = self.session.codec.loads
        return self._keyed(self.rdd.filter(lambda kv: func(loads(kv[0]), loads(kv[1]))))

    def join(self, other: Table, func: Callable[[Any, Any], Any]) -> Table:
        return self._combined(other, func, keep_unmatched=False)

    def union(self, other: Table, func: Callable[[Any, Any], Any] = lambda v1, v2: v1) -> Table:
        return self._combined(other, func, keep_unmatched=True)

    def _combined(self, other: Table, func: Callable[[Any, Any], Any], keep_unmatched: bool) -> Table:
        """func(mine, theirs) for the keys in both tables; with keep_unmatched, the other keys as they are."""
        loads, dumps = self.session.codec.loads, self.session.codec.dumps

        def produce(rows: Iterator[tuple[bytes, tuple[int, bytes]]]) -> Iterator[Encoded]:
            for k, values in runs(rows):
                if len(values) == 2:
                    (_, mine), (_, theirs) = sorted(values)
                    yield k, dumps(func(loads(mine), loads(theirs)))
                elif keep_unmatched:
                    yield k, values[0][1]
        return self._keyed(self._beside(other).mapPartitions(produce, preservesPartitioning=True))

    def subtract_by_key(self, other: Table) -> Table:
        def produce(rows: Iterator[tuple[bytes, tuple[int, bytes]]]) -> Iterator[Encoded]:
            for k, values in runs(rows):
                if len(values) == 1 and values[0][0] == 0:
                    yield k, values[0][1]
        return self._keyed(self._beside(other).mapPartitions(produce, preservesPartitioning=True))

    def reduce(self, func: Callable[[Any, Any], Any]) -> Any:
        loads = self.session.codec.loads

        def partial(rows: Iterator[Encoded]) -> list[Any]:
            values = (loads(v) for _, v in rows)
            first = next(values, _EMPTY)
            return [] if first is _EMPTY else [fold(func, values, first)]
        partials = run_job(self.rdd.mapPartitions(partial).collect)
        return fold(func, partials) if partials else None

    def sample(self, fraction: float, seed: int | None = None) -> Table:
        """Each row is kept when a hash of (seed, key) falls below `fraction`: the same seed keeps the same keys
        whatever the partitioning or the order rows arrive in."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
        salt = str(random.getrandbits(64) if seed is None else seed).encode() + b"\0"
        threshold = int(fraction * 2 ** 64)

        def keep(kv: Encoded) -> bool:
            return int.from_bytes(hashlib.blake2b(salt + kv[0], digest_size=8).digest(), "big") < threshold
        return self._keyed(self.rdd.filter(keep))

    def count(self) -> int:
        return self._count

    def collect(self) -> Iterator[KV]:
        return decoded(self.session.codec, self.iter_encoded())

    def first(self) -> KV | None:
        return next(iter(self.take(1)), None)

    def take(self, n: int) -> list[KV]:
        if n <= 0:
            return []
        return list(decoded(self.session.codec, iter(run_job(lambda: self.rdd.take(n)))))


_EMPTY = object()
__all__ = ["SparkComputingSession", "SparkTable"]
