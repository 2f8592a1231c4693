"""The computing engines side by side: standalone (LMDB) vs Spark local[2] on one N-row table whose values
are 20-column float64 numpy arrays (as DataTransform's Instance features), keyed by row id.

    .venv/bin/python bench/engines.py                     # 5,000,000 rows, both engines
    .venv/bin/python bench/engines.py --rows 500000 --engines spark

Operations, each timed on its own: load (the rows streamed from the driver into a new table: standalone
`parallelize`, Spark `from_rows` through staging pickle files), count, map_values+reduce (scale every vector,
then sum them all) and join (the table with a map_values of itself, same keys and partitions, then count).
Each engine runs in its own child process; peak RSS is sampled every 50 ms over that process and all its
descendants (for Spark: the driver, the JVM and its Python workers), per operation; "anon" leaves out
file-backed pages (LMDB's mmap), which the kernel can drop at will.

Measured on the 2-core development machine (shared with other work, so +-30%), 16 partitions, Spark local[2]
with a 2g heap and DISK_ONLY tables (wall s / peak RSS MB of the process tree):

    rows        engine      load         count     map_values+reduce   join
    100,000     standalone  0.6 / 116    0 / 71    1.2 / 116           1.8 / 103
    100,000     spark       9.2 / 775    0 / 641   5.7 / 660           7.8 / 786
    1,000,000   standalone  5.0 / 182    0 / 89    11.6 / 304          19.7 / 166
    1,000,000   spark       74 / 1,699   0 / 1,060 18.8 / 1,074        28.5 / 1,271  (machine busier)
    5,000,000   standalone  27.9 / 268   0 / 93    64.4 / 1,171        120.6 / 474
    5,000,000   spark       168 / 3,595  0 / 2,089 31.1 / 2,103        56.2 / 2,627

Spark's count is free because a table is counted when it is made. With MEMORY_AND_DISK tables, 5,000,000
rows ran the JVM out of heap (2g with 4 partitions, 4g with 16), hence DISK_ONLY as the engine's default.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import psutil  # noqa: E402
from bench_server import PeakRss, _rss_anon  # noqa: E402

COLUMNS = 20


def rows_of(n: int, seed: int = 7):
    import numpy as np
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        block = rng.normal(size=(min(50_000, n - done), COLUMNS))
        for i, row in enumerate(block, start=done):
            yield str(i), row
        done += len(block)


def tree_memory() -> tuple[int, int]:
    """(RSS, anonymous RSS) of this process and its descendants now."""
    root = psutil.Process()
    rss = anon = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            rss += proc.memory_info().rss
            anon += _rss_anon(proc.pid)
        except psutil.Error:
            continue
    return rss, anon


def measure(name: str, rows: int, action):
    with PeakRss(os.getpid(), tree=True, interval=0.05) as rss:
        start = time.perf_counter()
        result = action()
        wall = time.perf_counter() - start
    peak, anon = rss.peak, rss.peak_anon
    if not peak:  # faster than one sampling interval: the memory right after it
        peak, anon = tree_memory()
    print(json.dumps({"operation": name, "rows": rows, "wall_s": round(wall, 2), "peak_rss_mb": peak // 2**20,
                      "peak_anon_mb": anon // 2**20}), flush=True)
    return result


def run_engine(engine: str, rows: int, partitions: int, spark_memory: str, storage_level: str) -> None:
    """One engine's measurements, as JSON lines on stdout (runs in its own process)."""
    with tempfile.TemporaryDirectory(prefix="fate_flow_bench_engines_") as tmp:
        if engine == "spark":
            from fate_flow.computing.spark import SparkComputingSession
            from fate_flow.computing.spark_driver import start_spark
            spark = start_spark("local[2]", "bench_engines", {"spark.driver.memory": spark_memory,
                                                              "spark.local.dir": f"{tmp}/spark-local"})
            session = SparkComputingSession(spark, f"{tmp}/spark", storage_level=storage_level)
            table = measure("load", rows, lambda: session.from_rows(rows_of(rows), partitions))
        else:
            from fate_flow.computing.standalone import StandaloneSession
            from fate_flow.computing.storage.standalone import StandaloneStore
            session = StandaloneSession(StandaloneStore(Path(tmp) / "lmdb"))
            table = measure("load", rows, lambda: session.parallelize(rows_of(rows), partitions))
        try:
            assert measure("count", rows, table.count) == rows
            total = measure("map_values+reduce", rows,
                            lambda: table.map_values(lambda v: v * 0.5).reduce(lambda a, b: a + b))
            assert total.shape == (COLUMNS,)
            joined = measure("join", rows,
                             lambda: table.join(table.map_values(lambda v: v[:2]), lambda a, b: a[:2] - b).count())
            assert joined == rows
        finally:
            session.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--engines", nargs="+", default=["standalone", "spark"], choices=["standalone", "spark"])
    parser.add_argument("--spark-memory", default="2g", help="spark.driver.memory (the JVM heap in local mode)")
    parser.add_argument("--storage-level", default="DISK_ONLY", help="where Spark keeps made tables")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_engine(args.child, args.rows, args.partitions, args.spark_memory, args.storage_level)
        return
    print(f"{args.rows:,} rows x {COLUMNS} float64 columns, {args.partitions} partitions; Spark: local[2], "
          f"driver memory {args.spark_memory}, tables kept {args.storage_level}")
    print(f"{'engine':<11} {'operation':<18} {'rows':>10} {'wall s':>8} {'peak RSS MB':>12} {'anon MB':>8}")
    failed = False
    for engine in args.engines:
        child = subprocess.Popen([sys.executable, __file__, "--child", engine, "--rows", str(args.rows),
                                  "--partitions", str(args.partitions), "--spark-memory", args.spark_memory,
                                  "--storage-level", args.storage_level],
                                 stdout=subprocess.PIPE, text=True)
        for line in child.stdout:
            if line.startswith("{"):
                r = json.loads(line)
                print(f"{engine:<11} {r['operation']:<18} {r['rows']:>10,} {r['wall_s']:>8.2f} "
                      f"{r['peak_rss_mb']:>12,} {r['peak_anon_mb']:>8,}", flush=True)
        if child.wait() != 0:
            print(f"{engine}: the benchmark process failed (exit {child.returncode})", flush=True)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
