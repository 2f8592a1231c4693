"""Who may call the API (apps/client_auth.py) through the app: unsigned callers by peer address, signed callers
by app key, multipart uploads signed over their form fields only, every refusal answered 109 and audited."""
from __future__ import annotations

import io
import json
import logging
from dataclasses import replace
from types import MappingProxyType

import pytest

from fate_flow.entity import audit
from fate_flow.entity.http_signature import parse_networks, signed_headers
from fate_flow.settings import HttpAuthSettings

APP_KEY, SECRET = "ops", "0123456789abcdef"
REMOTE = {"REMOTE_ADDR": "10.20.30.40"}


@pytest.fixture
def settings(settings):
    return replace(settings, http_auth=HttpAuthSettings(clients=MappingProxyType({APP_KEY: SECRET}),
                                                        unsigned_from=parse_networks(["127.0.0.0/8", "::1"])))


@pytest.fixture
def refusals():
    """The audit records written while the test runs."""
    records: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(json.loads(record.getMessage()))

    handler = Keep()
    logger = logging.getLogger(audit.LOGGER_NAME)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def signed_json(path: str, body: dict, secret: str = SECRET, **kwargs) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    return raw, signed_headers(APP_KEY, secret, path, raw, **kwargs)


def test_unsigned_calls_pass_from_loopback_and_are_refused_from_elsewhere(client, refusals):
    assert client.post("/v1/version/get", json={}).get_json()["retcode"] == 0
    answer = client.post("/v1/version/get", json={}, environ_base=REMOTE).get_json()
    assert answer["retcode"] == 109 and "unsigned request from 10.20.30.40" in answer["retmsg"], answer
    [record] = refusals
    assert record == {"event": "refused", "client": "10.20.30.40", "route": "/v1/version/get",
                      "reason": answer["retmsg"]}


def test_forwarding_headers_do_not_make_a_remote_caller_local(client):
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        value = "for=127.0.0.1" if header == "Forwarded" else "127.0.0.1"
        answer = client.post("/v1/version/get", json={}, headers={header: value}, environ_base=REMOTE).get_json()
        assert answer["retcode"] == 109 and "from 10.20.30.40" in answer["retmsg"], (header, answer)


def test_a_signed_call_passes_from_anywhere_and_a_tampered_one_is_refused(client, refusals):
    raw, headers = signed_json("/v1/job/query", {"job_id": "nothing"})
    answer = client.post("/v1/job/query", data=raw, content_type="application/json", headers=headers,
                         environ_base=REMOTE).get_json()
    assert answer["retcode"] != 109, answer
    raw2, headers2 = signed_json("/v1/job/query", {"job_id": "a"})
    answer = client.post("/v1/job/query", data=b'{"job_id": "b"}', content_type="application/json",
                         headers=headers2, environ_base=REMOTE).get_json()
    assert (answer["retcode"], answer["retmsg"]) == (109, "signature does not match the request")
    [record] = refusals
    assert record["app_key"] == APP_KEY and record["client"] == "10.20.30.40"
    assert headers2["SIGNATURE"] not in json.dumps(record) and SECRET not in json.dumps(record)


def test_a_signed_call_from_loopback_is_checked_too(client):
    raw, headers = signed_json("/v1/version/get", {}, secret="not-the-secret")
    answer = client.post("/v1/version/get", data=raw, content_type="application/json", headers=headers).get_json()
    assert answer["retcode"] == 109, answer


def test_no_route_is_revealed_to_an_unauthenticated_caller(client):
    answer = client.post("/v1/no/such/route", json={}, environ_base=REMOTE).get_json()
    assert answer["retcode"] == 109, answer


def test_with_unsigned_from_empty_even_loopback_must_sign(app, client, settings):
    from tests.conftest import make_app
    from fate_flow.db.base import DB
    strict = replace(settings, http_auth=replace(settings.http_auth, unsigned_from=()))
    strict_client = make_app(strict).test_client()
    try:
        assert strict_client.post("/v1/version/get", json={}).get_json()["retcode"] == 109
        raw, headers = signed_json("/v1/version/get", {})
        answer = strict_client.post("/v1/version/get", data=raw, content_type="application/json",
                                    headers=headers).get_json()
        assert answer["retcode"] == 0, answer
    finally:
        DB.obj.close()


def upload_form(name: str) -> dict:
    return {"namespace": "experiment", "table_name": name, "head": "1", "partition": "2", "work_mode": "0"}


def test_a_multipart_upload_is_signed_over_its_form_fields_and_not_its_file(client, unique_name, refusals):
    form = upload_form(unique_name)
    headers = signed_headers(APP_KEY, SECRET, "/v1/data/upload", form_fields=form.items())
    content = b"id,x\n1,0.5\n2,0.25\n"
    answer = client.post("/v1/data/upload", data={**form, "file": (io.BytesIO(content), "d.csv")},
                         content_type="multipart/form-data", headers=headers, environ_base=REMOTE).get_json()
    assert answer["retcode"] == 0, answer
    info = client.post("/v1/table/table_info", json={"namespace": "experiment", "table_name": unique_name}).get_json()
    assert info["data"]["count"] == 2, info

    # a form field changed after signing: refused, and no table is made
    other = unique_name + "x"
    headers = signed_headers(APP_KEY, SECRET, "/v1/data/upload", form_fields=form.items())
    answer = client.post("/v1/data/upload", data={**upload_form(other), "file": (io.BytesIO(content), "d.csv")},
                         content_type="multipart/form-data", headers=headers, environ_base=REMOTE).get_json()
    assert answer["retcode"] == 109, answer
    info = client.post("/v1/table/table_info", json={"namespace": "experiment", "table_name": other}).get_json()
    assert not (info.get("data") or {}).get("count"), info
    assert [r["route"] for r in refusals] == ["/v1/data/upload"]


def test_the_worker_channel_is_not_opened_by_a_client_signature(client, refusals):
    body = {"job_id": "j", "task_id": "t", "task_version": 0, "role": "guest", "party_id": 9999, "status": "success"}
    raw, headers = signed_json("/v1/worker/task/status", body)
    answer = client.post("/v1/worker/task/status", data=raw, content_type="application/json", headers=headers,
                         environ_base=REMOTE).get_json()
    assert answer["retcode"] == 109 and "no worker secret" in answer["retmsg"], answer
    assert refusals[0]["route"] == "/v1/worker/task/status"


# ---------------------------------------------------------------------------------------------- the worker channel
JOB = "202401010000000000001"


def test_a_worker_report_needs_the_secret_of_the_very_task_version_it_names(app, client, refusals):
    from fate_flow.db.models import Task
    from fate_flow.entity import worker_secret
    from tests.api.job_rows import add_job, add_task
    secrets = {"a": worker_secret.new_secret(), "b": worker_secret.new_secret()}
    add_job(JOB, role="guest", party_id="9999", f_status="running")
    for name in ("a", "b"):
        add_task(JOB, name, role="guest", party_id="9999", status="running",
                 f_worker_secret_digest=worker_secret.digest(secrets[name]))

    def report(component: str, secret: str | None, **changes) -> dict:
        body = {"job_id": JOB, "component_name": component, "task_id": f"{JOB}_{component}", "task_version": 0,
                "role": "guest", "party_id": "9999", "status": "success", **changes}
        headers = {worker_secret.WORKER_SECRET_HEADER: secret} if secret else {}
        return client.post("/v1/worker/task/status", json=body, headers=headers).get_json()

    assert report("b", None)["retcode"] == 109
    answer = report("b", secrets["a"])
    assert answer["retcode"] == 109 and "not the worker this server launched for task" in answer["retmsg"], answer
    assert report("b", secrets["b"], task_version=1)["retcode"] == 109  # another version of the same task
    assert report("zzz", secrets["a"])["retcode"] == 109  # a task that does not exist answers the same way
    assert {t.f_component_name: t.f_party_status for t in Task.select()} == {"a": "running", "b": "running"}
    assert report("b", secrets["b"])["retcode"] == 0
    assert Task.get(Task.f_component_name == "b").f_party_status == "success"
    assert len(refusals) == 4
    assert not any(secret in json.dumps(refusals) for secret in secrets.values())
