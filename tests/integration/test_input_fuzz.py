"""Every route of the API against hostile input, on a real server (gunicorn, its own FATE_FLOW_HOME): wrong types,
huge and tiny numbers, deep nesting, lone surrogates, 1 MB strings, missing and malformed bodies, through the JSON
body, the upload query string and multipart fields. Every answer must be a JSON envelope (or a file), never a
5xx, and the server's ERROR.log must hold no traceback afterwards: a refusal is not a server fault."""
from __future__ import annotations

import json
import time

import pytest
import requests

from fate_flow.entity import api_paths
from tests.server_process import make_server

pytestmark = pytest.mark.slow

# every field name some route reads; each case sets some of them to a hostile value
FIELDS = ("job_id", "role", "party_id", "component_name", "task_id", "task_version", "model_id", "model_version",
          "namespace", "table_name", "name", "file", "output_path", "filename", "notes", "description", "delimiter",
          "delimitor", "id_delimiter", "limit", "head", "partition", "drop", "query_filters", "tag_name",
          "new_tag_name", "tag_desc", "metric_namespace", "metric_name", "meric_name", "status", "stop_status",
          "service_id", "servings", "train_dsl", "cpn_str", "version", "job_dsl", "job_runtime_conf", "initiator",
          "job_parameters", "migrate_role", "execute_party", "unify_model_version", "address", "engine", "module",
          "timeout", "force_update", "with_model", "use_local_data", "work_mode", "cpn_list", "predict_dsl",
          "deployment_type", "deployment_parameters", "framework_name", "feature_name", "storage_engine")
ONE_MB = "x" * (1 << 20)
HOSTILE = (None, [], {}, [[1]], True, False, 1.5, -1, 0, 10 ** 40, -10 ** 40, 2 ** 63, "\ud800x", "\x00", "",
           "../../../../tmp/fuzz", "/etc/passwd", "名字.json", "a\r\nb", "%s%n", "' OR 1=1 --", {"$gt": ""},
           ["\ud800"], {"\ud800": 1})
# a body most routes would accept, so that each hostile field meets the code behind the checks
BASE = {"job_id": "202101010000000000000", "role": "guest", "party_id": 9999, "component_name": "reader_0",
        "task_id": "202101010000000000000_reader_0", "task_version": 0,
        "model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202101010000000000000",
        "namespace": "experiment", "table_name": "fuzz", "head": 1, "partition": 1, "limit": 10,
        "output_path": "/nonexistent-fuzz-dir/out.csv", "file": "/nonexistent-fuzz-dir/in.csv",
        "metric_namespace": "train", "metric_name": "loss", "tag_name": "fuzz", "filename": "fuzz.json"}
DEEP = b'{"x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
TIME_BUDGET = 240.0


def endpoints() -> list[api_paths.Endpoint]:
    found = [v for v in vars(api_paths).values() if isinstance(v, api_paths.Endpoint)]
    return [api_paths.Endpoint(e.path.replace("<operation>", "fuzz"), e.methods, e.streams_file) for e in found]


LONG_FIELDS = ("file", "output_path", "model_id", "model_version", "notes", "delimiter", "job_id", "filename")


def cases(route: int):
    """(label, request kwargs) for the route-th route: raw bodies, every hostile value in every field at once, and
    each field alone set to a hostile value (the values rotate over the routes, so each field meets each value
    on some route); one 1 MB string per route."""
    yield "no body", {}
    yield "empty object", {"json": {}}
    yield "array", {"json": [1, 2]}
    yield "string", {"json": "x"}
    yield "malformed", {"data": b'{"job_id": ', "headers": {"Content-Type": "application/json"}}
    yield "not utf-8", {"data": b'{"job_id": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}}
    yield "deep arrays", {"data": DEEP, "headers": {"Content-Type": "application/json"}}
    yield "deep objects", {"data": DEEP_OBJECT, "headers": {"Content-Type": "application/json"}}
    yield "NaN", {"data": b'{"limit": NaN, "timeout": Infinity}', "headers": {"Content-Type": "application/json"}}
    yield "long number", {"data": b'{"limit": 1' + b"0" * 5000 + b"}", "headers": {"Content-Type": "application/json"}}
    yield "1e400", {"data": b'{"limit": 1e400, "task_version": -1e400}',
                    "headers": {"Content-Type": "application/json"}}
    long_field = LONG_FIELDS[route % len(LONG_FIELDS)]
    yield f"{long_field}=1MB", {"json": {**BASE, long_field: ONE_MB}}
    for value in HOSTILE:
        yield f"every field={value!r:.30}", {"json": {field: value for field in FIELDS}}
    for i, field in enumerate(FIELDS):
        value = HOSTILE[(route + i) % len(HOSTILE)]
        yield f"{field}={value!r:.30}", {"json": {**BASE, field: value}}


def multipart_cases():
    """The upload's parameters in the query string (within gunicorn's 4094-byte request line) and the import's
    multipart fields."""
    upload, model_import = api_paths.DATA_UPLOAD.path, api_paths.MODEL_IMPORT.path
    files = {"file": ("in.csv", b"id,x\n1,2\n")}
    hostile_query = ['{"namespace": "\\ud800x", "table_name": "t", "head": 1, "partition": 1}',
                     '{"namespace": ' + "[" * 300 + "]" * 300 + "}", "{bad json", "[1]",
                     '{"namespace": "n", "table_name": "t", "head": 1, "partition": 10000000000000000000000}',
                     json.dumps({"namespace": "../../x", "table_name": "t", "head": 1, "partition": 1}),
                     "namespace=n&table_name=" + "x" * 2000 + "&head=1&partition=1"]
    for query in hostile_query:
        yield upload, f"upload query {query[:30]}", {"params": query, "files": files}
    for field, value in (("namespace", "../x"), ("table_name", "\x00"), ("head", "yes"), ("partition", "-1"),
                         ("description", "x" * 20000), ("id_delimiter", "x" * 100)):
        form = {"namespace": "n", "table_name": "t", "head": "1", "partition": "1", field: value}
        yield upload, f"upload form {field}", {"data": form, "files": files}
    yield upload, "upload file part with a 10 KB name", {"data": {"namespace": "n", "table_name": "t", "head": "1",
                                                                    "partition": "1"},
                                                           "files": {"file": ("n" * 10_000, b"id,x\n1,2\n")}}
    for field, value in (("model_id", "../../../../tmp/x"), ("model_version", "a" * 5000), ("role", "/etc"),
                         ("party_id", "9" * 40)):
        form = {"model_id": "m", "model_version": "1", "role": "guest", "party_id": "9999", field: value}
        empty_zip = b"PK\x05\x06" + b"\0" * 18
        yield model_import, f"import form {field}", {"data": form, "files": {"file": ("m.zip", empty_zip)}}


def check_answer(response: requests.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: HTTP {response.status_code}: {response.text[:300]}"
    if response.status_code == 200 and response.headers.get("Content-Disposition"):
        return  # a file answer
    assert response.headers.get("Content-Type", "").startswith("application/json"), \
        f"{what}: not JSON: {response.status_code} {response.headers.get('Content-Type')} {response.text[:200]}"
    body = response.json()
    assert isinstance(body.get("retcode"), int) and isinstance(body.get("retmsg"), str), f"{what}: {body}"
    for leak in ("Traceback", "Error:", "/fate_flow/", "Exception"):
        assert leak not in body["retmsg"] or body["retcode"] == 0, f"{what}: leaks {leak!r}: {body['retmsg'][:300]}"


def test_every_route_answers_hostile_input_with_an_envelope_and_logs_no_traceback(tmp_path):
    server = make_server(tmp_path / "fuzz", party_ids=(9999,)).start()
    sent = 0
    started = time.monotonic()
    try:
        with requests.Session() as http:
            for route, endpoint in enumerate(endpoints()):
                for label, kwargs in cases(route):
                    response = http.request(endpoint.method, server.base_url + endpoint.path, timeout=60, **kwargs)
                    check_answer(response, f"{endpoint.method} {endpoint.path} [{label}]")
                    sent += 1
                assert time.monotonic() - started < TIME_BUDGET, f"fuzz over budget after {sent} requests"
            for path, label, kwargs in multipart_cases():
                check_answer(http.post(server.base_url + path, timeout=60, **kwargs), f"POST {path} [{label}]")
                sent += 1
            assert http.post(server.base_url + api_paths.VERSION_GET.path, timeout=10).json()["retcode"] == 0
    finally:
        server.stop()
    error_log = server.home / "logs" / "fate_flow" / "ERROR.log"
    errors = error_log.read_text(encoding="utf-8", errors="replace") if error_log.exists() else ""
    assert "Traceback" not in errors, f"ERROR.log after {sent} hostile requests:\n{errors[:4000]}"
    audit_log = server.home / "logs" / "fate_flow" / "fate_flow_audit.log"
    assert audit_log.exists() and '"event": "refused"' in audit_log.read_text(encoding="utf-8")
