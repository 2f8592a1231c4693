"""What only the Spark engine has: Parquet storage, conversion to and from the standalone engine, agreement
with the standalone engine on a larger table, and a stop() that leaves no JVM behind."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import psutil
import pytest

from fate_flow.computing import spark as spark_engine
from fate_flow.computing.spark import SparkComputingSession
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.serde.codec import Codec
from tests.computing.conftest import require_spark


@pytest.fixture
def sessions(spark, tmp_path):
    """(Spark session with a file:// root, standalone session)."""
    s = SparkComputingSession(spark, f"file://{tmp_path}/spark", stop_spark=False)
    standalone = StandaloneSession(StandaloneStore(tmp_path / "lmdb"))
    yield s, standalone
    s.stop()
    standalone.stop()


def features(i: int) -> np.ndarray:
    return np.arange(5, dtype=np.float64) + i


def same_rows(a, b) -> bool:
    left, right = dict(a), dict(b)
    return left.keys() == right.keys() and all(np.array_equal(left[k], right[k]) for k in left)


def test_parquet_keep_load_round_trip(sessions, spark, tmp_path):
    s, _ = sessions
    table = s.parallelize([(f"id{i}", features(i)) for i in range(300)], 4)
    address = s.keep(table, "ns", "name")
    assert address["storage_type"] == "PARQUET" and address["path"].startswith(f"file://{tmp_path}/spark/")
    assert (address["namespace"], address["name"], address["partitions"]) == ("ns", "name", 4)
    # on disk: Parquet with binary key/value columns holding codec-encoded rows
    frame = spark.read.parquet(address["path"])
    columns = [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]
    assert columns == [("key", "binary"), ("value", "binary")]
    assert frame.count() == 300
    row = frame.first()
    assert np.array_equal(Codec().loads(bytes(row.value)), features(int(Codec().loads(bytes(row.key))[2:])))
    # loaded with another partition count, still the same rows; still there after the session stops
    loaded = s.load(address, 3)
    assert loaded.partitions == 3 and same_rows(loaded.collect(), table.collect())
    assert loaded.join(table, lambda a, b: float((a - b).sum())).reduce(lambda a, b: a + b) == 0.0
    s.stop()
    assert s.load(address, 2).count() == 300
    with pytest.raises(FileNotFoundError, match="missing"):
        s.load({"path": f"file://{tmp_path}/missing", "storage_type": "PARQUET"}, 2)
    with pytest.raises(ValueError, match="LMDB"):
        s.load({"path": address["path"], "storage_type": "LMDB"}, 2)


def test_conversion_between_engines(sessions):
    s, standalone = sessions
    lmdb_table = standalone.parallelize([(i, features(i)) for i in range(1000)], 3)
    on_spark = s.from_standalone(lmdb_table)
    assert on_spark.partitions == 3 and on_spark.count() == 1000
    assert same_rows(on_spark.collect(), lmdb_table.collect())
    back = s.to_standalone(on_spark.map_values(lambda v: v * 2), standalone)
    assert isinstance(back.session, StandaloneSession) and back.partitions == 3
    assert same_rows(back.collect(), [(i, features(i) * 2) for i in range(1000)])


def test_from_rows_streams_in_batches(sessions, monkeypatch):
    s, _ = sessions
    monkeypatch.setattr(spark_engine, "BATCH_ROWS", 300)  # many staging batches for a small table
    table = s.from_rows(((i % 500, i) for i in range(1000)), 4)  # keys repeat across batches: one row each
    assert table.count() == 500 and {k for k, _ in table.collect()} == set(range(500))
    assert all(v % 500 == k for k, v in table.collect())
    assert sorted(s.from_rows("abc", 2, include_key=False).collect()) == [(0, "a"), (1, "b"), (2, "c")]
    assert s.from_rows([], 2).count() == 0


def test_engines_agree_on_a_larger_table(sessions):
    s, standalone = sessions
    rng = np.random.default_rng(7)
    left_rows = [(int(k), rng.normal(size=4)) for k in rng.choice(8000, 2000, replace=False)]
    right_rows = [(int(k), float(k)) for k in rng.choice(8000, 2000, replace=False)]
    results = []
    for engine in (s, standalone):
        left, right = engine.parallelize(left_rows, 4), engine.parallelize(right_rows, 3)
        joined = left.join(right, lambda a, b: float(a.sum()) * b)
        results.append((
            sorted(joined.collect()),
            sorted(left.union(right.map_values(lambda v: np.full(4, v)), lambda a, b: a + b)
                   .map_values(lambda v: round(float(v.sum()), 9)).collect()),
            sorted(k for k, _ in left.subtract_by_key(right).collect()),
            round(joined.reduce(lambda a, b: a + b), 6),
            sorted(left.map(lambda k, v: (k % 97, 1)).collect()),
        ))
    assert results[0] == results[1]


@pytest.mark.slow
def test_stop_leaves_no_java_process(tmp_path):
    require_spark()
    script = textwrap.dedent(f"""
        import json, psutil
        from fate_flow.computing.spark import SparkComputingSession
        from fate_flow.computing.spark_driver import start_spark

        def java_children():  # live (not zombie) descendants running java
            pids = []
            for p in psutil.Process().children(recursive=True):
                try:
                    if p.status() != psutil.STATUS_ZOMBIE and "java" in " ".join(p.cmdline()):
                        pids.append(p.pid)
                except psutil.Error:
                    continue  # exited meanwhile
            return pids

        seen = []
        for run in range(2):  # a second Spark after stop() starts a new JVM
            session = SparkComputingSession(start_spark("local[1]", "stop_test", {{}}), "{tmp_path}/spark")
            assert session.parallelize([(1, 1), (2, 2)], 2).count() == 2
            seen.append(java_children())
            session.stop()
        print(json.dumps({{"seen": seen, "after": java_children()}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(report["seen"]) and report["seen"][0] != report["seen"][1]
    assert report["after"] == []
    assert not any(psutil.pid_exists(pid) for pids in report["seen"] for pid in pids)


def test_the_engine_module_imports_without_pyspark():
    script = textwrap.dedent("""
        import sys
        sys.modules["pyspark"] = None  # any `import pyspark...` now fails, as when it is not installed
        from fate_flow.computing import spark, spark_driver, spark_rows
        print(spark_driver.spark_unavailable_reason())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "pyspark is not installed (pip install -e '.[spark]')"
