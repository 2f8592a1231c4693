"""Upload throughput: generate an N-row, 20-column numeric CSV, upload it through the HTTP API of a real
server (gunicorn, embedded SQLite + LMDB), print rows/s and the server's peak RSS.

    .venv/bin/python bench/upload.py              # 250,000 and 1,000,000 rows
    .venv/bin/python bench/upload.py --rows 1000000

Peak RSS and peak anonymous RSS are sampled every 20 ms from the server's worker process; the anonymous
peak staying the same for both sizes shows memory flat in the file size (the file is streamed, never read
whole); plain RSS also counts LMDB's file-backed mmap pages, which the kernel can drop at will.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_server import PeakRss  # noqa: E402
from fate_flow.client.http_client import FlowHttpClient  # noqa: E402
from tests.server_process import make_server  # noqa: E402

COLUMNS = 20


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    values = [f"{rnd.uniform(-3, 3):.6f}" for _ in range(4096)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("id," + ",".join(f"x{i}" for i in range(COLUMNS)) + "\n")
        batch = []
        for i in range(rows):
            batch.append(f"{i}," + ",".join(rnd.choices(values, k=COLUMNS)) + "\n")
            if len(batch) == 50000:
                f.writelines(batch)
                batch = []
        f.writelines(batch)


def run(rows_list: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="fate_flow_bench_") as tmp:
        tmp = Path(tmp)
        server = make_server(tmp / "server").start()
        client = FlowHttpClient("127.0.0.1", server.http_port, timeout=900)
        results = []
        try:
            worker = psutil.Process(server.process.pid).children()[0]
            idle_rss = worker.memory_info().rss
            for rows in rows_list:
                csv = tmp / f"bench_{rows}.csv"
                write_csv(csv, rows)
                size_mb = csv.stat().st_size / 1e6
                with PeakRss(worker.pid) as rss:
                    start = time.perf_counter()
                    response = client.upload({"namespace": "bench", "table_name": f"t{rows}", "head": 1,
                                              "partition": 4, "drop": 1}, csv)
                    elapsed = time.perf_counter() - start
                if response.get("retcode") != 0:
                    raise SystemExit(f"upload failed: {response}")
                assert response["data"]["count"] == rows
                results.append((rows, size_mb, elapsed, rows / elapsed, rss.peak / 2**20, rss.peak_anon / 2**20))
                csv.unlink()
        finally:
            server.stop()
    print(f"server worker RSS when idle: {idle_rss / 2**20:.0f} MiB")
    print(f"{'rows':>10} {'csv MB':>8} {'seconds':>8} {'rows/s':>10} {'peak RSS MiB':>13} {'peak anon MiB':>14}")
    for rows, size_mb, elapsed, rate, peak, anon in results:
        print(f"{rows:>10,} {size_mb:>8.1f} {elapsed:>8.2f} {rate:>10,.0f} {peak:>13.0f} {anon:>14.0f}")
    print("peak RSS includes LMDB's file-backed mmap pages (page cache); peak anon is the server's own memory")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows to upload (repeatable)")
    args = parser.parse_args()
    run(args.rows or [250_000, 1_000_000])
