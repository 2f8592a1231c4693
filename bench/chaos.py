"""Chaos: three servers (guest 9999, host 10000, arbiter 10001, each its own process and home, talking over
signed gRPC on loopback) run a mix of jobs while this script kills task workers (kill -9) and the host's
server (kill -9, restarted a few seconds later) at random moments and holds slow HTTP clients open on every
server. At the end every job must be in an end state and no process of a job may be left.

    .venv/bin/python bench/chaos.py                        # 100 jobs
    .venv/bin/python bench/chaos.py --jobs 30 --seed 7

The mix, in random order: SecureAddExample (guest + host), Reader + DataTransform (guest + host), the breast
hetero LR (guest, host and arbiter; 3 iterations) and uploads (local jobs of the guest). Jobs use the default
3 automatic retries and a 15 minute timeout. Printed: jobs submitted / ended / succeeded / failed / retried
(a task of the job ran more than once), workers and servers killed, processes leaked (a process that carries
a server's FATE_FLOW_HOME and is not that server's own: master, worker, fork server; counted once every job
has ended, and again after the servers are stopped), p50 / p99 of /v1/job/query on the guest during the run
and the machine's load.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from slow_clients import SlowClients, percentile  # noqa: E402
from fate_flow.client.http_client import FlowHttpClient  # noqa: E402
from tests.federation.servers import make_federated_servers  # noqa: E402
from tests.server_process import home_processes  # noqa: E402

EXAMPLES = ROOT / "examples"
END = {"success", "failed", "canceled", "timeout"}
GUEST, HOST, ARBITER = "9999", "10000", "10001"


def job_files() -> dict[str, tuple[dict, dict]]:
    def load(conf: str, dsl: str) -> tuple[dict, dict]:
        return json.loads((EXAMPLES / dsl).read_text()), json.loads((EXAMPLES / conf).read_text())

    lr_dsl, lr_conf = load("hetero_lr_breast_conf.json", "hetero_lr_simple_dsl.json")
    lr_conf["role"]["arbiter"] = [int(ARBITER)]
    lr_conf["component_parameters"]["common"]["hetero_lr_0"]["max_iter"] = 3
    return {"secure_add": load("toy_example_conf.json", "toy_example_dsl.json"),
            "data_transform": load("data_transform_conf.json", "data_transform_dsl.json"), "hetero_lr": (lr_dsl, lr_conf)}


def own_processes(server) -> set[int]:
    """The server's own processes: gunicorn's master and worker, and the worker's fork server."""
    own = set()
    try:
        master = psutil.Process(server.process.pid)
        own.add(master.pid)
        for worker in master.children():
            own.add(worker.pid)
            own.update(c.pid for c in worker.children() if "fate_flow.worker.fork_server" in " ".join(c.cmdline()))
    except psutil.Error:
        pass
    return own


def leaked(servers: dict) -> list[str]:
    out = []
    for name, server in servers.items():
        own = own_processes(server) if server.process and server.process.poll() is None else set()
        for proc in home_processes(server.home):
            if proc.pid not in own:
                try:
                    out.append(f"{name}: {proc.pid} {' '.join(proc.cmdline())[:100]}")
                except psutil.Error:
                    pass
    return out


class QueryProbe:
    """Asks /v1/job/query on one server every 0.2 s and keeps the latencies (and the failures)."""

    def __init__(self, server):
        self.server = server
        self.latencies: list[float] = []
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def _run(self):
        while not self._stop.wait(0.2):
            started = time.monotonic()
            try:
                answer = requests.post(self.server.base_url + "/v1/job/query", json={"job_id": "chaos-probe"},
                                       timeout=10)
                ok = answer.status_code == 200 and answer.json().get("retcode") in (0, 102)
            except (requests.RequestException, ValueError):
                ok = False
            if ok:
                self.latencies.append(time.monotonic() - started)
            else:
                self.failed += 1


class Chaos:
    """Kills random running task workers every few seconds, and the host's server once (restarted)."""

    def __init__(self, servers: dict, rnd: random.Random, worker_kills: int, server_kill_at: float):
        self.servers = servers
        self.rnd = rnd
        self.worker_kills_left = worker_kills
        self.server_kill_at = server_kill_at
        self.workers_killed = 0
        self.servers_killed = 0
        self.log: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(120)

    def _run(self):
        while not self._stop.wait(self.rnd.uniform(2, 8)):
            if self.servers_killed == 0 and time.monotonic() - self.started >= self.server_kill_at:
                self._kill_server("host")
            elif self.worker_kills_left > 0:
                self._kill_worker()

    def _kill_worker(self):
        name = self.rnd.choice(list(self.servers))
        server = self.servers[name]
        try:
            tasks = server.post("/v1/job/task/query", json={"party_status": "running"},
                                timeout=10).json().get("data") or []
        except (requests.RequestException, ValueError):
            return
        running = [t for t in tasks if t.get("f_run_pid") and t.get("f_run_on_this_party")
                   and t.get("f_party_status") == "running"]
        if not running:
            return
        task = self.rnd.choice(running)
        try:
            os.kill(task["f_run_pid"], signal.SIGKILL)
        except OSError:
            return
        self.worker_kills_left -= 1
        self.workers_killed += 1
        self.log.append(f"{time.monotonic() - self.started:6.1f}s kill -9 worker {task['f_run_pid']} "
                        f"({task['f_component_name']} of {task['f_role']} {task['f_party_id']} on {name})")

    def _kill_server(self, name: str):
        server = self.servers[name]
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        self.servers_killed += 1
        self.log.append(f"{time.monotonic() - self.started:6.1f}s kill -9 server {name}")
        time.sleep(self.rnd.uniform(3, 8))
        server.start(timeout=120)
        self.log.append(f"{time.monotonic() - self.started:6.1f}s restarted server {name}")


def configure(servers: dict) -> None:
    for server in servers.values():
        conf = yaml.safe_load(server.conf_path.read_text())
        conf.update({"scheduler": {"interval": 0.5, "detect_interval": 1},
                     "job_default": {"task_cores": 4, "timeout": 900, "auto_retries": 3, "auto_retry_delay": 1},
                     "log": {"level": "INFO"}, "http": {"threads": 16}})
        server.conf_path.write_text(yaml.safe_dump(conf))


def submit_all(guest, kinds: list[str], files: dict, upload_csv: Path, pace: float) -> list[tuple[str, str]]:
    client = FlowHttpClient("127.0.0.1", guest.http_port, timeout=120)
    submitted = []
    for i, kind in enumerate(kinds):
        try:
            if kind == "upload":
                answer = client.upload({"namespace": "chaos", "table_name": f"up_{i}", "head": 1, "partition": 2},
                                       upload_csv)
            else:
                dsl, conf = files[kind]
                answer = guest.post("/v1/job/submit", json={"job_dsl": dsl, "job_runtime_conf": conf},
                                    timeout=120).json()
        except (requests.RequestException, ValueError, OSError) as e:
            print(f"submit {i} ({kind}) failed: {e}", flush=True)
            continue
        if answer.get("jobId"):
            submitted.append((kind, answer["jobId"]))
        else:
            print(f"submit {i} ({kind}) answered no job: {answer.get('retmsg')}", flush=True)
        time.sleep(pace)
    return submitted


def job_state(guest, job_id: str) -> str | None:
    try:
        rows = guest.post("/v1/job/query", json={"job_id": job_id}, timeout=30).json().get("data") or []
    except (requests.RequestException, ValueError):
        return None
    mine = [r for r in rows if r["f_is_initiator"]] or rows
    return mine[0]["f_status"] if mine else None


def fail_reason(guest, job_id: str) -> str:
    try:
        rows = guest.post("/v1/job/query", json={"job_id": job_id}, timeout=30).json().get("data") or []
    except (requests.RequestException, ValueError):
        return "?"
    return next((r.get("f_fail_reason") or "" for r in rows if r["f_is_initiator"]), "")


def retried(guest, job_id: str) -> bool:
    try:
        tasks = guest.post("/v1/job/task/query", json={"job_id": job_id}, timeout=30).json().get("data") or []
    except (requests.RequestException, ValueError):
        return False
    return any(int(t.get("f_task_version") or 0) > 0 for t in tasks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slow-clients", type=int, default=30, help="slow connections held open per server")
    parser.add_argument("--worker-kills", type=int, default=20)
    parser.add_argument("--pace", type=float, default=2.0, help="seconds between submits")
    parser.add_argument("--timeout", type=float, default=2400, help="seconds to wait for every job to end")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    kinds = rnd.choices(["secure_add", "data_transform", "hetero_lr", "upload"], weights=[4, 3, 2, 1], k=args.jobs)
    files = job_files()
    load_before = os.getloadavg()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fate_flow_chaos_") as tmp:
        tmp = Path(tmp)
        servers = make_federated_servers(tmp, {"guest": [GUEST], "host": [HOST], "arbiter": [ARBITER]})
        configure(servers)
        for server in servers.values():
            server.start(timeout=120)
        guest, host = servers["guest"], servers["host"]
        try:
            for server, role in ((guest, "guest"), (host, "host")):
                client = FlowHttpClient("127.0.0.1", server.http_port, timeout=120)
                answer = client.upload({"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1,
                                        "partition": 4}, EXAMPLES / "data" / f"breast_hetero_{role}.csv")
                assert answer["retcode"] == 0, answer
            upload_csv = tmp / "upload.csv"
            upload_csv.write_text("id,x0,x1\n" + "".join(f"{i},{i * 0.5},{i % 7}\n" for i in range(5000)))
            time.sleep(3)
            slow = [SlowClients(s.http_port, args.slow_clients) for s in servers.values()]
            for s in slow:
                s.__enter__()
            try:
                with QueryProbe(guest) as probe, Chaos(servers, rnd, args.worker_kills,
                                                        server_kill_at=rnd.uniform(30, 90)) as chaos:
                    jobs = submit_all(guest, kinds, files, upload_csv, args.pace)
                    deadline = time.monotonic() + args.timeout
                    states: dict[str, str | None] = {}
                    while time.monotonic() < deadline:
                        states = {job_id: job_state(guest, job_id) for _, job_id in jobs}
                        if all(s in END for s in states.values()):
                            break
                        time.sleep(5)
            finally:
                for s in slow:
                    s.__exit__(None, None, None)
            time.sleep(10)  # what a job ended leaves gets a moment to exit
            leaked_running = leaked(servers)
            retries = sum(retried(guest, job_id) for _, job_id in jobs)
            failures = {job_id: fail_reason(guest, job_id) for job_id, state in states.items()
                        if state in END and state != "success"}
        finally:
            for server in servers.values():
                server.stop(timeout=60)
        time.sleep(5)
        leaked_stopped = [f"{name}: {p.pid}" for name, s in servers.items() for p in home_processes(s.home)]
    elapsed = time.monotonic() - started
    ended = [s for s in states.values() if s in END]
    jobs_by_id = [(job_id, kind) for kind, job_id in jobs]
    print()
    for line in chaos.log:
        print(line)
    print()
    print(f"{'jobs submitted':>28}: {len(jobs)} of {args.jobs} "
          f"({', '.join(f'{k} {sum(1 for kk, _ in jobs if kk == k)}' for k in sorted(set(kinds)))})")
    print(f"{'ended':>28}: {len(ended)}")
    print(f"{'succeeded':>28}: {sum(1 for s in ended if s == 'success')}")
    print(f"{'failed / canceled / timeout':>28}: {sum(1 for s in ended if s == 'failed')} / "
          f"{sum(1 for s in ended if s == 'canceled')} / {sum(1 for s in ended if s == 'timeout')}")
    print(f"{'retried':>28}: {retries}")
    print(f"{'workers / servers killed':>28}: {chaos.workers_killed} / {chaos.servers_killed}")
    print(f"{'slow connections held':>28}: {args.slow_clients} per server")
    print(f"{'processes leaked':>28}: {len(leaked_running)} after the jobs ended, {len(leaked_stopped)} after stop")
    print(f"{'/v1/job/query (guest)':>28}: p50 {percentile(probe.latencies, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(probe.latencies, 0.99) * 1000:.1f} ms, {len(probe.latencies)} answered, "
          f"{probe.failed} failed")
    print(f"{'run':>28}: {elapsed / 60:.1f} min; load average before {load_before[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f} (2-core machine shared with other work)")
    for job_id, reason in failures.items():
        print(f"not successful: {job_id} ({dict(jobs_by_id).get(job_id)}): {reason[:300]}")
    for line in leaked_running + leaked_stopped:
        print("leaked:", line)
    unfinished = {job_id: s for job_id, s in states.items() if s not in END}
    if unfinished:
        print("not ended:", unfinished)
    return 0 if not unfinished and not leaked_running and not leaked_stopped else 1


if __name__ == "__main__":
    sys.exit(main())
