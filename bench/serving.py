"""Online inference latency of the bundled serving: one row scored across guest 9999 and host 10000 on loopback.

    .venv/bin/python bench/serving.py                  # 500 requests, one client, then 4 concurrent clients
    .venv/bin/python bench/serving.py --requests 2000

A real flow server (hosting guest 9999, host and arbiter 10000) trains the flagship hetero LR job
(examples/test_hetero_lr_job_*), deploys it, loads it (/v1/model/load) and binds it (/v1/model/bind) to the
bundled serving (`python -m fate_flow.serving`, its own process). Each request is FATE-Serving's
POST /federation/v1/inference with a breast guest row's features and its id: the guest's serving computes its
partial score and asks the host party's serving for its own over signed gRPC (the host looks its row up by id in
its uploaded table). Both parties share one conf here, so the guest-to-host call goes over loopback gRPC to the
same serving process: the same code path as two machines, minus the network. Latency is what the client sees
(requests.Session, keep-alive). Target: p50 under 20 ms.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_server import Server, free_port, run_job  # noqa: E402

EXAMPLES = ROOT / "examples"
SERVICE_ID = "bench-breast-lr"
TARGET_P50_MS = 20.0
CPN_LIST = ["reader_0", "dataio_0", "intersection_0", "hetero_feature_binning_0", "hetero_feature_selection_0",
            "hetero_lr_0"]


def guest_rows() -> list[tuple[str, dict]]:
    with open(EXAMPLES / "data" / "breast_hetero_guest.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return [(r[0], {n: float(v) for n, v in zip(header[2:], r[2:])}) for r in reader]


def start_serving(server: Server, http_port: int) -> subprocess.Popen:
    log = open(server.home / "serving.console.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "fate_flow.serving", "--conf", str(server.conf)],
                            env=server.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serving exited with {proc.returncode}; see {server.home / 'serving.console.log'}")
        try:
            if requests.post(f"http://127.0.0.1:{http_port}/serving/status", json={}, timeout=2).json()["retcode"] == 0:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("serving did not start within 60 s")


def prepare(server: Server) -> None:
    """Upload, train the flagship job, deploy, load and bind."""
    import json

    from fate_flow.client.http_client import FlowHttpClient
    client = FlowHttpClient("127.0.0.1", server.port)
    for role in ("guest", "host"):
        answer = client.upload({"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1,
                                "partition": 4}, EXAMPLES / "data" / f"breast_hetero_{role}.csv")
        assert answer["retcode"] == 0, answer
    dsl = json.loads((EXAMPLES / "test_hetero_lr_job_dsl.json").read_text())
    conf = json.loads((EXAMPLES / "test_hetero_lr_job_conf.json").read_text())
    seconds, job_id = run_job(server, (dsl, conf), timeout=300)
    model_id = server.post("/v1/job/query", {"job_id": job_id, "role": "guest"})["data"][0]["f_runtime_conf_on_party"][
        "job_parameters"]["model_id"]
    deployed = server.post("/v1/model/deploy", {"model_id": model_id, "model_version": job_id, "cpn_list": CPN_LIST})
    assert deployed["retcode"] == 0, deployed
    params = {"work_mode": 0, "model_id": model_id, "model_version": deployed["data"]["model_version"]}
    publish = {"initiator": {"role": "guest", "party_id": "9999"},
               "role": {"guest": ["9999"], "host": ["10000"], "arbiter": ["10000"]}, "job_parameters": params}
    loaded = server.post("/v1/model/load", publish)
    assert loaded["retcode"] == 0, loaded
    bound = server.post("/v1/model/bind", {**publish, "service_id": SERVICE_ID})
    assert bound["retcode"] == 0, bound
    print(f"trained the flagship job in {seconds:.1f} s; model {params['model_version']} loaded and bound as "
          f"{SERVICE_ID}")


def one_client(url: str, rows: list[tuple[str, dict]], count: int, offset: int = 0) -> list[float]:
    times = []
    with requests.Session() as session:
        for i in range(count):
            sample_id, features = rows[(offset + i) % len(rows)]
            body = {"head": {"serviceId": SERVICE_ID},
                    "body": {"featureData": features, "sendToRemoteFeatureData": {"id": sample_id}}}
            started = time.perf_counter()
            answer = session.post(url, json=body, timeout=30).json()
            times.append((time.perf_counter() - started) * 1000)
            if answer.get("retcode") != 0:
                raise RuntimeError(f"inference failed: {answer}")
    return times


def concurrent(url: str, rows: list, clients: int, per_client: int) -> tuple[list[float], float]:
    results: list[list[float]] = [[] for _ in range(clients)]
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, one_client(url, rows, per_client,
                                                                                       k * 97)))
               for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return [x for r in results for x in r], time.perf_counter() - started


def row(name: str, times: list[float], wall: float) -> str:
    q = statistics.quantiles(times, n=100)
    return (f"| {name} | {len(times)} | {q[49]:.2f} | {q[89]:.2f} | {q[98]:.2f} | {statistics.fmean(times):.2f} | "
            f"{len(times) / wall:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fate_flow_bench_serving_") as tmp:
        server = Server(Path(tmp))
        http_port = free_port()
        conf = yaml.safe_load(server.conf.read_text())
        conf["serving"] = {"host": "127.0.0.1", "grpc_port": free_port(), "http_port": http_port,
                           "feature_tables": {"10000": {"namespace": "experiment", "name": "breast_hetero_host"}}}
        server.conf.write_text(yaml.safe_dump(conf))
        serving = None
        try:
            server.start()
            serving = start_serving(server, http_port)
            prepare(server)
            url = f"http://127.0.0.1:{http_port}/federation/v1/inference"
            rows = guest_rows()
            one_client(url, rows, 50)  # warm up: channels, table handles, code paths
            started = time.perf_counter()
            single = one_client(url, rows, args.requests)
            single_wall = time.perf_counter() - started
            many, many_wall = concurrent(url, rows, args.clients, args.requests // args.clients)
            print()
            print("| clients | requests | p50 ms | p90 ms | p99 ms | mean ms | requests/s |")
            print("|---|---|---|---|---|---|---|")
            print(row("1", single, single_wall))
            print(row(str(args.clients), many, many_wall))
            p50 = statistics.median(single)
            print(f"\none-row inference across guest and host, p50 {p50:.2f} ms "
                  f"({'meets' if p50 < TARGET_P50_MS else 'MISSES'} the {TARGET_P50_MS:g} ms target)")
        finally:
            if serving is not None and serving.poll() is None:
                serving.terminate()
                serving.wait(30)
            server.stop()


if __name__ == "__main__":
    main()
