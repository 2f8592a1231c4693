"""Job scheduling latency on a real server (gunicorn + gRPC + scheduler thread + worker processes), from
submit to success as a client sees it (polling /v1/job/query every 10 ms), and /v1/job/query on a database
holding 10,000 jobs.

    .venv/bin/python bench/schedule.py            # 20 runs of each job
    .venv/bin/python bench/schedule.py --runs 5

Jobs: "reader" is one Reader component at the guest (FATE 2.2 standalone: median 4.5 s); "chain4" is
reader -> data_transform -> secure_add -> secure_add on a 100-row table with guest, host and arbiter on one
server (FATE 2.2 standalone: 17 s for reader + intersection). Targets: reader <= 1.0 s median, chain4 <= 3 s
median, query <= 20 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_server import Server, run_job  # noqa: E402


def conf_of(components: dict, roles: dict, params: dict) -> dict:
    return {"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}, "role": roles,
            "job_parameters": {"common": {"work_mode": 0}}, "component_parameters": params}


def reader_params(roles) -> dict:
    return {"role": {role: {"0": {"reader_0": {"table": {"name": "bench", "namespace": "bench"}}}} for role in roles}}


READER = ({"components": {"reader_0": {"module": "Reader", "output": {"data": ["data"]}}}},
          conf_of({}, {"guest": [9999]}, reader_params(["guest"])))
CHAIN4 = ({"components": {
    "reader_0": {"module": "Reader", "output": {"data": ["data"]}},
    "data_transform_0": {"module": "DataTransform", "input": {"data": {"data": ["reader_0.data"]}},
                         "output": {"data": ["data"], "model": ["model"]}},
    "secure_add_0": {"module": "SecureAddExample", "input": {"data": {"data": ["data_transform_0.data"]}},
                     "output": {"model": ["model"]}},
    "secure_add_1": {"module": "SecureAddExample", "input": {"model": ["secure_add_0.model"]}}}},
    conf_of({}, {"guest": [9999], "host": [10000], "arbiter": [10000]},
            {**reader_params(["guest", "host"]),
             "common": {"secure_add_0": {"data_num": 100, "partition": 2}}}))


def seed_jobs(server: Server, count: int) -> str:
    """Insert `count` ended job rows straight into the server's database (as if they had run)."""
    from fate_flow.db.base import DB, init_db
    from fate_flow.db.migrations import migrate
    from fate_flow.db.models import Job
    db = init_db(f"sqlite:///{server.home}/fate_flow.db")
    migrate()
    base = int(time.time() * 1000) - count * 1000
    rows = [dict(f_job_id=f"2020010100000000{i:06d}", f_role="guest", f_party_id="9999", f_dsl={}, f_runtime_conf={},
                 f_runtime_conf_on_party={}, f_roles={"guest": [9999]}, f_initiator_role="guest",
                 f_initiator_party_id="9999", f_is_initiator=True, f_status="success", f_tag="job_end",
                 f_progress=100, f_end_scheduling_updates=1, f_create_time=base + i, f_end_time=base + i)
            for i in range(count)]
    with db.atomic():
        for i in range(0, count, 500):
            Job.insert_many(rows[i:i + 500]).execute()
    DB.obj.close()
    return rows[count // 2]["f_job_id"]


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fate_flow_bench_") as tmp:
        server = Server(Path(tmp))
        probe = seed_jobs(server, 10_000)
        server.start()
        try:
            csv = server.home / "data_in" / "bench.csv"  # the server reads local files from file_access.read_dirs
            csv.parent.mkdir(exist_ok=True)
            csv.write_text("id,y,x0,x1,x2\n" + "".join(f"{i},{i % 2},{i * 0.5},{i % 7},{i / 3:.3f}\n"
                                                        for i in range(100)))
            up = server.post("/v1/data/upload", {"file": str(csv), "namespace": "bench", "table_name": "bench",
                                                 "head": 1, "partition": 2})
            assert up["retcode"] == 0, up
            results = {}
            run_job(server, READER)  # warm-up: starts the fork server
            for name, job in (("reader (1 component)", READER), ("chain4 (guest+host+arbiter)", CHAIN4)):
                results[name] = [run_job(server, job)[0] for _ in range(args.runs)]
            query = []
            for _ in range(args.runs):
                started = time.perf_counter()
                rows = server.post("/v1/job/query", {"job_id": probe})["data"]
                query.append(time.perf_counter() - started)
                assert len(rows) == 1
            results["/v1/job/query, 10,000 jobs"] = query
        finally:
            server.stop()
    targets = {"reader (1 component)": 1.0, "chain4 (guest+host+arbiter)": 3.0, "/v1/job/query, 10,000 jobs": 0.020}
    print(f"{'measure':32} {'runs':>4} {'median':>10} {'p95':>10} {'target':>10}")
    for name, samples in results.items():
        median, p95 = stats(samples)
        print(f"{name:32} {len(samples):>4} {median * 1000:>8.1f}ms {p95 * 1000:>8.1f}ms "
              f"{targets[name] * 1000:>8.0f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
