"""The board's speed on a real server (gunicorn, SQLite by default) and in headless Chromium.

    .venv/bin/python bench/board.py                         # SQLite
    .venv/bin/python bench/board.py --mysql "$(bash bin/mariadb.sh url)"   # the job list on MariaDB too
    .venv/bin/python bench/board.py --list-only --mysql ...                # only the job list (both databases)

1. /v1/job/list/page over 10,000 jobs (30,000 rows: guest, host and arbiter of each, with real-sized DSLs and
   confs): the first page, filtered, searched, sorted and a deep page; target < 300 ms. The query plans are printed.
2. The flagship job's page (#/details of evaluation_0): from navigation start until the DAG is drawn, its statuses
   are shown and the ROC chart is drawn (performance marks the page sets); target < 1 s.
3. A 5,000-point loss curve: time to draw it, the longest main-thread task and the blocking time meanwhile, and a
   zoom on it.
4. What a page open on a job costs the server: one polling round (job and task statuses, the job log and a
   component log from their offsets) in server CPU time and wall time; a page polls every 2 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_server import Server  # noqa: E402
from tests import browser  # noqa: E402

EXAMPLES = ROOT / "examples"
JOBS = 10_000
STATUSES = ("success",) * 6 + ("failed", "canceled", "running", "waiting")
LOSS_POINTS = 5_000
LOSS_JOB = "2099010100000000000001"


def seed(url: str, count: int = JOBS) -> None:
    """`count` jobs with guest, host and arbiter rows (as a server hosting all three keeps them), and one job whose
    arbiter recorded a LOSS_POINTS-point loss curve."""
    from fate_flow.db.base import DB, init_db
    from fate_flow.db.migrations import migrate
    from fate_flow.db.models import Job, Task
    from fate_flow.services.tracking import records as tracking
    db = init_db(url)
    migrate()
    dsl = json.loads((EXAMPLES / "test_hetero_lr_job_dsl.json").read_text())
    conf = json.loads((EXAMPLES / "test_hetero_lr_job_conf.json").read_text())
    roles = conf["role"]
    base = int(time.time() * 1000) - count * 60_000
    rows = []
    for i in range(count):
        status = STATUSES[i % len(STATUSES)]
        created = base + i * 60_000
        ended = status not in ("running", "waiting")
        for role, party in (("guest", "9999"), ("host", "10000"), ("arbiter", "10000")):
            rows.append(dict(
                f_job_id=f"2020010100000{i:09d}", f_role=role, f_party_id=party, f_dsl=dsl, f_runtime_conf=conf,
                f_runtime_conf_on_party=conf["job_parameters"]["common"], f_train_runtime_conf={}, f_roles=roles,
                # running and waiting rows are no one's to schedule: the scheduler leaves them as they are
                f_initiator_role="guest", f_initiator_party_id="9999", f_is_initiator=role == "guest" and ended,
                f_status=status, f_tag="job_end", f_progress=100 if ended else 40, f_end_scheduling_updates=1,
                f_description=f"run {i} lr 0.{i % 7}" if i % 10 == 0 else "", f_cores=8,
                f_create_time=created, f_start_time=created + 500 if status != "waiting" else None,
                f_end_time=created + 30_000 + (i % 97) * 100 if ended else None,
                f_elapsed=29_500 + (i % 97) * 100 if ended else None))
    with db.atomic():
        for start in range(0, len(rows), 300):
            Job.insert_many(rows[start:start + 300]).execute()
    loss_job = dict(rows[0], f_job_id=LOSS_JOB, f_role="arbiter", f_party_id="10000", f_status="success")
    Job.insert(**loss_job).execute()
    Task.insert(f_job_id=LOSS_JOB, f_component_name="hetero_lr_0", f_task_id=f"{LOSS_JOB}_hetero_lr_0",
                f_task_version=0, f_initiator_role="guest", f_initiator_party_id="9999", f_status="success",
                f_party_status="success", f_role="arbiter", f_party_id="10000", f_run_on_this_party=True,
                f_create_time=base).execute()
    task = tracking.TaskRef(LOSS_JOB, "hetero_lr_0", f"{LOSS_JOB}_hetero_lr_0", 0, "arbiter", "10000")
    tracking.save_metric_meta(task, "train", "loss", {"name": "train", "metric_type": "LOSS", "unit_name": "iters",
                                                      "curve_name": "loss"})
    tracking.save_metric_data(task, "train", "loss", [(i, 0.7 * 0.999 ** i + 0.01 * ((i * 7919) % 13) / 13)
                                                      for i in range(LOSS_POINTS)])
    DB.obj.close()


def query_plans(url: str) -> list[str]:
    """The database's plan for the first page and for a status filter, as /v1/job/list/page runs them."""
    from fate_flow.db.base import DB, init_db
    from fate_flow.services.jobs import browse as job_browse
    db = init_db(url)
    plans = []
    for title, query in (("first page", job_browse.JobPageQuery()),
                         ("status=failed", job_browse.JobPageQuery(statuses=("failed",)))):
        for kind, sql in zip(("count", "page"), job_browse.page_sql(query)):
            explain = "EXPLAIN QUERY PLAN " if url.startswith("sqlite") else "EXPLAIN "
            cursor = db.execute_sql(explain + sql[0], sql[1])
            plans.append(f"  {title} / {kind}: " + " | ".join(" ".join(str(c) for c in row if c not in (None, ""))
                                                            for row in cursor.fetchall()))
    DB.obj.close()
    return plans


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def bench_list(server: Server, runs: int) -> list[tuple]:
    cases = {
        "first page (20, newest first)": {},
        "status=failed": {"status": "failed"},
        "status running+waiting, role guest": {"status": ["running", "waiting"], "role": "guest"},
        "job id search '0000077'": {"job_id": "0000077"},
        "notes search 'lr 0.3'": {"notes": "lr 0.3"},
        "created in a 2-day range": {"create_time": [int(time.time() * 1000) - 4 * 86_400_000,
                                                     int(time.time() * 1000) - 2 * 86_400_000]},
        "sorted by duration, ascending": {"sort": "elapsed", "order": "asc"},
        "page 1000 of 1500": {"page": 1000},
    }
    results = []
    for name, body in cases.items():
        def call():
            answer = requests.post(server.url("/v1/job/list/page"), json=body, timeout=30).json()
            assert answer["retcode"] == 0, answer
        call()  # warm
        results.append((name, *timed(call, runs)))
    return results


def run_flagship(server: Server) -> str:
    from fate_flow.client.http_client import FlowHttpClient
    client = FlowHttpClient("127.0.0.1", server.port)
    for role in ("guest", "host"):
        answer = client.upload({"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1,
                                "partition": 4, "drop": 1}, EXAMPLES / "data" / f"breast_hetero_{role}.csv")
        assert answer["retcode"] == 0, answer
    answer = server.post("/v1/job/submit", {
        "job_dsl": json.loads((EXAMPLES / "test_hetero_lr_job_dsl.json").read_text()),
        "job_runtime_conf": json.loads((EXAMPLES / "test_hetero_lr_job_conf.json").read_text())})
    job_id = answer["jobId"]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        rows = server.post("/v1/job/query", {"job_id": job_id})["data"]
        if rows and all(r["f_status"] == "success" for r in rows):
            return job_id
        if any(r["f_status"] in ("failed", "canceled", "timeout") for r in rows or []):
            raise RuntimeError(f"flagship job {job_id} ended {rows}")
        time.sleep(0.5)
    raise RuntimeError("flagship job did not end")


MARKS = "return Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, m.startTime]))"
LONG_TASKS = """window.__longTasks = [];
new PerformanceObserver(list => list.getEntries().forEach(e => window.__longTasks.push(e.duration)))
  .observe({type: 'longtask', buffered: true});"""


def bench_job_page(server: Server, job_id: str, runs: int) -> list[float]:
    url = server.url(f"/index.html#/details?job_id={job_id}&role=guest&party_id=9999&component_name=evaluation_0")
    samples = []
    with browser.chromium() as driver:
        for _ in range(runs + 1):
            driver.get("about:blank")
            driver.get(url)
            marks = browser.wait_until(lambda: (lambda m: m if "board:statuses" in m and any(
                k.startswith("board:chart:train:ROC") for k in m) else None)(driver.execute_script(MARKS)),
                timeout=30, what="the job page")
            nodes = driver.execute_script("return [...document.querySelectorAll('.dag-node')]"
                                          ".filter(n => n.dataset.status === 'success').length")
            assert nodes == 7, nodes
            roc = next(v for k, v in marks.items() if k.startswith("board:chart:train:ROC"))
            samples.append(max(marks["board:statuses"], marks["board:dag"], roc))
    return samples[1:]  # the first load fills the browser's cache


def bench_loss_curve(server: Server) -> dict:
    url = server.url(f"/index.html#/details?job_id={LOSS_JOB}&role=arbiter&party_id=10000&component_name=hetero_lr_0")
    with browser.chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LONG_TASKS})
        driver.get(url)
        browser.wait_until(lambda: driver.find_element("css selector", "#component .tabs [data-tab=metrics]"))
        driver.execute_script("window.__longTasks = []; window.__clicked = performance.now();"
                              "document.querySelector('#component .tabs [data-tab=metrics]').click()")
        marks = browser.wait_until(lambda: (lambda m: m if any(k.startswith("board:chart:train:LOSS") for k in m)
                                            else None)(driver.execute_script(MARKS)), timeout=30, what="the loss chart")
        time.sleep(1.0)
        clicked = driver.execute_script("return window.__clicked")
        drawn = next(v for k, v in marks.items() if k.startswith("board:chart:train:LOSS"))
        points = driver.execute_script("return document.querySelector('[data-metric-type=LOSS]').dataset.points")
        tasks = driver.execute_script("return window.__longTasks")
        zoom_ms = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const chart = echarts.getInstanceByDom(document.querySelector('[data-metric-type=LOSS]'));
            const t0 = performance.now();
            chart.on('finished', () => done(performance.now() - t0));
            chart.dispatchAction({type: 'dataZoom', start: 10, end: 60});""")
    return {"points": int(points), "draw_ms": drawn - clicked, "longest_task_ms": max(tasks, default=0.0),
            "blocking_ms": sum(max(0.0, t - 50) for t in tasks), "zoom_ms": zoom_ms}


def bench_polling(server: Server, job_id: str, rounds: int) -> dict:
    """One page's polling round, `rounds` times back to back: server CPU seconds and wall time per round."""
    worker = max(psutil.Process(server.proc.pid).children(recursive=True), key=lambda p: p.cpu_times().user,
                 default=psutil.Process(server.proc.pid))
    session = requests.Session()
    at = {"job_id": job_id, "role": "guest", "party_id": 9999}
    offsets = {}

    def one_round():
        for path, body in (("/v1/job/query", {"job_id": job_id}), ("/v1/job/task/query", at)):
            assert session.post(server.url(path), json=body, timeout=30).json()["retcode"] == 0
        for key, body in (("job", at), ("component", dict(at, component_name="hetero_lr_0", level="INFO"))):
            data = session.post(server.url("/v1/job/log/lines"), json=dict(body, offset=offsets.get(key)),
                                timeout=30).json()["data"]
            offsets[key] = data["offset"]

    one_round()
    cpu = worker.cpu_times()
    started = time.perf_counter()
    for _ in range(rounds):
        one_round()
    wall = (time.perf_counter() - started) / rounds
    after = worker.cpu_times()
    cpu_per_round = ((after.user + after.system) - (cpu.user + cpu.system)) / rounds
    metric_wall, _ = timed(lambda: session.post(server.url("/v1/tracking/component/metric/all"), json={
        "job_id": LOSS_JOB, "role": "arbiter", "party_id": 10000, "component_name": "hetero_lr_0"}, timeout=30), 10)
    return {"cpu_ms": cpu_per_round * 1000, "wall_ms": wall * 1000, "loss_5000_ms": metric_wall}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--mysql", help="also time the job list on this MySQL/MariaDB (mysql://...); its tables are "
                                        "dropped and refilled")
    parser.add_argument("--list-only", action="store_true", help="only the job list, no browser")
    args = parser.parse_args()
    reason = None if args.list_only else browser.missing()
    if reason:
        print(f"board bench: {reason}", file=sys.stderr)
        return 1
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"(1 / 5 / 15 min) when the bench started")
    databases = [("SQLite", None)] + ([("MariaDB", args.mysql)] if args.mysql else [])
    with tempfile.TemporaryDirectory(prefix="fate_flow_bench_board_") as tmp:
        list_rows, plans = [], {}
        for name, url in databases:
            server = Server(Path(tmp) / name)
            url = url or f"sqlite:///{server.home}/fate_flow.db"
            if name == "MariaDB":
                _reset_mysql(url)
                _use_database(server, url)
            seed(url)
            plans[name] = query_plans(url)
            server.start()
            try:
                list_rows += [(name, *row) for row in bench_list(server, args.runs)]
                if name == "SQLite" and not args.list_only:
                    job_id = run_flagship(server)
                    page = bench_job_page(server, job_id, max(3, args.runs // 4))
                    loss = bench_loss_curve(server)
                    polling = bench_polling(server, job_id, 200)
            finally:
                server.stop()
    print(f"\n/v1/job/list/page, {JOBS:,} jobs ({3 * JOBS:,} rows), {args.runs} runs each (target: first page < 300 ms)")
    print(f"{'database':9} {'query':40} {'median ms':>10} {'p95 ms':>8}")
    for name, query, median, p95 in list_rows:
        print(f"{name:9} {query:40} {median:10.1f} {p95:8.1f}")
    for name, lines in plans.items():
        print(f"query plans ({name}):")
        print("\n".join(lines))
    if args.list_only:
        return 0
    print(f"\nflagship job page (#/details of evaluation_0) in headless Chromium, {len(page)} loads after a first one "
          f"(target < 1000 ms): DAG + statuses + ROC drawn at median {statistics.median(page):.0f} ms, "
          f"max {max(page):.0f} ms after navigation start")
    print(f"{loss['points']:,}-point loss curve: drawn {loss['draw_ms']:.0f} ms after the click on Metrics; longest "
          f"main-thread task {loss['longest_task_ms']:.0f} ms, blocking time {loss['blocking_ms']:.0f} ms; a zoom "
          f"re-renders in {loss['zoom_ms']:.0f} ms")
    print(f"one polling round of an open job page: {polling['cpu_ms']:.2f} ms server CPU, {polling['wall_ms']:.1f} ms "
          f"wall; every 2 s that is {polling['cpu_ms'] / 20:.2f}% of one core per open page; "
          f"metric/all of the 5,000-point loss (polled while its component runs): {polling['loss_5000_ms']:.1f} ms")
    return 0


def _reset_mysql(url: str) -> None:
    from fate_flow.db.base import DB, init_db
    from fate_flow.db.models import ALL_MODELS, SchemaVersion
    init_db(url)
    DB.obj.drop_tables([*ALL_MODELS, SchemaVersion], safe=True)
    DB.obj.close()


def _use_database(server: Server, url: str) -> None:
    import yaml
    conf = yaml.safe_load(server.conf.read_text())
    conf["database"] = {"url": url}
    server.conf.write_text(yaml.safe_dump(conf))


if __name__ == "__main__":
    sys.exit(main())
