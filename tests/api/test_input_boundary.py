"""The input boundary of the HTTP API: the hostile and careless requests that once reached an unhandled exception
(nesting, surrogates, numbers, 1 MB strings, wrong types), the caps of the service conf's `limits:` section,
every missing field named at once, optional fields that are optional, and the audit line of each refusal."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from urllib.parse import unquote

import pytest
import requests

from fate_flow.apps.file_response import content_disposition
from fate_flow.entity import identifiers
from fate_flow.settings import LimitSettings
from tests.conftest import make_app, runtime_of
from tests.api.job_rows import MS_2021, add_job, add_task
from tests.api.upload_helpers import multipart_upload, upload_config

ONE_MB = "x" * (1 << 20)


def post(client, path, body=None, **kwargs):
    response = client.post(path, json=body, **kwargs) if body is not None or kwargs else client.post(path)
    assert response.status_code < 500 and response.is_json, (response.status_code, response.data[:200])
    return response.get_json()


def raw(client, path, data: bytes):
    response = client.post(path, data=data, content_type="application/json")
    assert response.status_code < 500 and response.is_json, (response.status_code, response.data[:200])
    return response.get_json()


# ------------------------------------------------------------------------------------------ structure
def test_a_body_nested_200000_deep_is_refused_with_the_cap_not_a_recursion_error(client):
    for body in (b'{"limit": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", b'{"a":' * 200_000 + b"1" + b"}" * 200_000):
        assert raw(client, "/v1/job/list/job", body) == {
            "retcode": 101, "retmsg": "request body is nested deeper than the limit of 100 levels (limits.json_depth)"}


def test_nesting_is_counted_to_the_cap_and_the_deepest_field_is_named(client):
    shallow = {"x": json.loads("[" * 99 + "]" * 99)}  # the body object and 99 lists: 100 levels
    assert post(client, "/v1/job/query", shallow)["retcode"] == 0
    deep = {"x": json.loads("[" * 100 + "]" * 100)}
    answer = post(client, "/v1/job/query", deep)
    assert answer["retcode"] == 101
    assert re.fullmatch(r"parameter x(\[0\]){99} is nested deeper than the limit of 100 levels \(limits.json_depth\)",
                        answer["retmsg"]), answer


@pytest.mark.parametrize("path, body, field", [
    ("/v1/job/query", {"job_id": "\ud800x"}, "job_id"),
    ("/v1/table/table_info", {"namespace": "ok", "table_name": "\udfffx"}, "table_name"),
    ("/v1/model/tag/create", {"tag_name": "a\ud800"}, "tag_name"),
    ("/v1/job/submit", {"job_dsl": {}, "job_runtime_conf": {"initiator": {"role": "\ud800"}}},
     "job_runtime_conf.initiator.role"),
    ("/v1/job/query", {"\ud800": 1}, "'\\ud800'"),
])
def test_a_lone_surrogate_in_any_string_is_refused_naming_the_field(client, path, body, field):
    answer = post(client, path, body)
    assert answer["retcode"] == 101 and answer["retmsg"].startswith(f"parameter {field}: "), answer
    assert "lone surrogate" in answer["retmsg"]


def test_a_nul_character_is_refused(client):
    answer = post(client, "/v1/data/download", {"namespace": "n", "table_name": "t", "output_path": "/tmp/a\x00b"})
    assert answer == {"retcode": 101, "retmsg": "parameter output_path: a string must not contain a NUL character"}


@pytest.mark.parametrize("path, body, field", [
    ("/v1/job/list/job", {"limit": 10 ** 40}, "limit"),
    ("/v1/job/list/task", {"limit": 10 ** 40}, "limit"),
    ("/v1/model/tag/list", {"limit": -10 ** 40}, "limit"),
    ("/v1/job/task/query", {"task_version": 10 ** 30}, "task_version"),
    ("/v1/job/query", {"progress": 2 ** 63}, "progress"),
])
def test_numbers_beyond_64_bits_are_refused_naming_the_field(client, path, body, field):
    answer = post(client, path, body)
    assert answer["retcode"] == 101, answer
    assert answer["retmsg"].startswith(f"parameter {field} must be a number between -9223372036854775808 and "
                                       f"9223372036854775807"), answer


@pytest.mark.parametrize("data, message", [
    (b'{"limit": NaN}', "request holds NaN, which is not a number JSON allows"),
    (b'{"limit": -Infinity}', "request holds -Infinity, which is not a number JSON allows"),
    (b'{"limit": 1e400}', "parameter limit must be a finite number, got inf"),
    (b'{"limit": 1' + b"0" * 5000 + b"}", "request holds a number of 5001 digits; no field takes more than 19"),
])
def test_numbers_json_does_not_have_are_refused(client, data, message):
    assert raw(client, "/v1/job/list/job", data) == {"retcode": 101, "retmsg": message}


# ------------------------------------------------------------------------------------------ lengths and types
@pytest.mark.parametrize("path, body, message", [
    ("/v1/data/upload", {"file": ONE_MB, "namespace": "n", "table_name": "t", "head": 1, "partition": 1},
     "parameter file is longer than the limit of 4096 characters (limits.path_length), got 1048576"),
    ("/v1/data/download", {"namespace": "n", "table_name": "t", "output_path": ONE_MB},
     "parameter output_path is longer than the limit of 4096 characters (limits.path_length), got 1048576"),
    ("/v1/model/export", {"model_id": ONE_MB, "model_version": "1", "role": "guest", "party_id": 9999},
     "parameter model_id must be a model id of at most 100 characters, got 1048576"),
    ("/v1/model/get/predict/dsl", {"model_id": "m", "model_version": ONE_MB},
     "parameter model_version must be a model version of at most 100 characters, got 1048576"),
    ("/v1/data/download", {"namespace": "n", "table_name": "t", "output_path": "/tmp/x", "delimiter": ONE_MB},
     "parameter delimiter is longer than the limit of 8 characters (limits.delimiter_length), got 1048576"),
    ("/v1/job/update", {"job_id": "j", "role": "guest", "party_id": 9999, "notes": ONE_MB},
     "parameter notes is longer than the limit of 10000 characters (limits.text_length), got 1048576"),
    ("/v1/table/table_info", {"namespace": ONE_MB, "table_name": "t"},
     "parameter namespace must be a table namespace of at most 100 characters, got 1048576"),
])
def test_a_one_megabyte_string_is_refused_naming_the_field_and_its_cap(client, settings, path, body, message):
    response = client.post(path, json=body)
    assert response.get_json() == {"retcode": 101, "retmsg": message}
    assert str(settings.home) not in response.get_data(as_text=True)


def test_a_megabyte_delimiter_on_an_existing_table_writes_nothing(client, tmp_path):
    assert multipart_upload(client, upload_config("t"), b"id,x\n1,2\n").get_json()["retcode"] == 0
    out = tmp_path / "out.csv"
    answer = post(client, "/v1/data/download", {"namespace": "experiment", "table_name": "t",
                                                "output_path": str(out), "delimiter": ONE_MB})
    assert answer["retcode"] == 101 and not out.exists()
    assert len(post(client, "/v1/job/list/job", {"limit": 10})["data"]) == 1  # the upload's job only


@pytest.mark.parametrize("path, body, message", [
    ("/v1/data/upload", {"file": -1, "namespace": "n", "table_name": "t", "head": 1, "partition": 1},
     "parameter file must be a file path (a string), got int"),
    ("/v1/model/query", {"model_version": "1", "query_filters": 0},
     "parameter query_filters must be a list of column names, e.g. [\"model_id\", \"role\"]"),
    ("/v1/model/get/predict/dsl", {"model_id": "m", "model_version": "1", "role": "/etc"},
     "parameter role must be a role (letters, digits and '_', starting with a letter, e.g. guest, host, arbiter, "
     "local), got '/etc'"),
    ("/v1/job/log", {"job_id": ["a"]}, "parameter job_id must be a job id (a string), got list"),
    ("/v1/model/store", {"model_id": "m", "model_version": "1", "role": "guest", "party_id": 10 ** 12},
     "parameter party_id must be a party id of at most 10 digits, got 1000000000000"),
])
def test_wrong_types_are_refused_naming_the_field(client, path, body, message):
    answer = client.post(path, json=body).get_json()
    assert answer == {"retcode": 101, "retmsg": message}


@pytest.mark.parametrize("job_id", ["../../../../tmp/x", "..", ".hidden", "a/b", "a\\b", "x" * 26, "j\n1"])
def test_ids_that_could_leave_a_directory_are_refused_everywhere(client, job_id):
    for path, body in (("/v1/job/log", {"job_id": job_id}), ("/v1/job/stop", {"job_id": job_id}),
                       ("/v1/tracking/component/list", {"job_id": job_id}),
                       ("/v1/job/rerun", {"job_id": job_id, "component_name": "c"})):
        answer = client.post(path, json=body).get_json()
        assert answer["retcode"] == 101 and answer["retmsg"].startswith("parameter job_id must be a job id"), answer


def test_the_job_ids_this_server_makes_are_job_ids(app):
    job_id = runtime_of(app).job_ids.next_id()
    assert identifiers.JOB_ID.check("job_id", job_id) == job_id


def test_content_disposition_keeps_the_plain_name_fate_clients_parse():
    assert content_disposition("guest#9999#m_1.zip") == "attachment; filename=guest#9999#m_1.zip"
    assert content_disposition("名字.json") == "attachment; filename*=UTF-8''%E5%90%8D%E5%AD%97.json; filename=__.json"


@pytest.mark.parametrize("value", ["arbiter-10000#guest-9999#host-10000#model", "local-0#model",
                                   "guest-9999#host-10000_10001#model"])
def test_the_model_ids_fate_makes_are_accepted(client, value):
    answer = post(client, "/v1/model/query", {"model_version": "20200901_0001", "model_id": value})
    assert answer["retcode"] == 100 and answer["retmsg"].startswith("Query model info failed"), answer


# ------------------------------------------------------------------------------------------ missing fields
@pytest.mark.parametrize("path, body, missing", [
    ("/v1/data/upload", {"head": 1, "partition": 1, "table_name": "t"}, "file,namespace"),
    ("/v1/data/upload", {}, "file,namespace,table_name,head,partition"),
    ("/v1/data/download", {"table_name": "t"}, "namespace,output_path"),
    ("/v1/table/table_info", {}, "namespace,table_name"),
    ("/v1/table/delete", {}, "namespace,table_name"),
    ("/v1/job/update", {}, "job_id,role,party_id"),
    ("/v1/job/rerun", {}, "job_id,component_name"),
    ("/v1/tracking/component/metric_data", {"job_id": "j"}, "component_name,metric_namespace,metric_name"),
    ("/v1/tracking/component/metrics", {}, "job_id,component_name"),
    ("/v1/tracking/job/data_view", {"role": "guest"}, "job_id,party_id"),
    ("/v1/model/store", {"role": "guest"}, "model_id,model_version,party_id"),
    ("/v1/model/model_tag/create", {}, "job_id,tag_name"),
    ("/v1/model/get/predict/conf", {}, "model_id,model_version"),
])
def test_every_missing_field_is_named_in_one_message(client, path, body, missing):
    assert post(client, path, body) == {"retcode": 100, "retmsg": f"required parameters are missing: {missing};"}


def test_a_multipart_upload_without_its_file_part_and_namespace_names_both(client):
    response = client.post("/v1/data/upload?" + json.dumps({"table_name": "t", "head": 1, "partition": 1}),
                           data={"x": "1"}, content_type="multipart/form-data")
    assert response.get_json() == {"retcode": 100, "retmsg": "required parameters are missing: file,namespace;"}


# ------------------------------------------------------------------------------------------ optional fields
def test_clean_without_a_job_id_cleans_every_ended_job_and_leaves_running_ones(client):
    add_job("202103311200000000001", "guest", "9999", f_status="success")
    add_task("202103311200000000001", "reader_0", role="guest", party_id="9999", f_run_on_this_party=True)
    add_job("202103311200000000002", "guest", "9999", f_status="running")
    add_task("202103311200000000002", "reader_0", role="guest", party_id="9999", status="running",
             f_run_on_this_party=True)
    answer = post(client, "/v1/job/clean", {})
    assert answer["retcode"] == 0, answer
    assert [c["task_id"] for c in answer["data"]["cleaned"]] == ["202103311200000000001_reader_0"]
    answer = post(client, "/v1/job/clean", {"job_id": "202103311200000000002"})
    assert answer["retcode"] == 103 and "is running" in answer["retmsg"], answer


def test_upload_history_without_a_limit_answers_every_upload(client):
    for i in range(12):
        assert multipart_upload(client, upload_config(f"h{i}"), b"id,x\n1,2\n").get_json()["retcode"] == 0
    assert len(post(client, "/v1/data/upload/history", {})["data"]) == 12
    assert len(post(client, "/v1/data/upload/history", {"limit": 3})["data"]) == 3


# ------------------------------------------------------------------------------------------ file names
@pytest.mark.parametrize("filename, fallback", [("名字.json", "__.json"), ("résumé dsl.json", "r_sum_ dsl.json")])
def test_a_non_ascii_file_name_is_sent_as_rfc5987_beside_the_plain_name_fate_clients_read(served, filename,
                                                                                           fallback):
    train_dsl = json.dumps({"components": {"reader_0": {"module": "Reader", "output": {"data": ["data"]}}}})
    response = requests.post(f"http://127.0.0.1:{served}/v1/job/dsl/generate", timeout=30,
                             json={"train_dsl": train_dsl, "cpn_str": "reader_0", "filename": filename})
    assert response.status_code == 200, response.text
    header = response.headers["Content-Disposition"]
    assert re.findall("filename=(.+)", header)[0] == fallback  # what fate-client's regex takes
    assert unquote(re.search(r"filename\*=UTF-8''([^;]+)", header).group(1)) == filename
    assert json.loads(response.content)["components"]["reader_0"]["module"] == "Reader"


def test_an_unencodable_file_name_is_refused_with_a_json_envelope(served):
    response = requests.post(f"http://127.0.0.1:{served}/v1/job/dsl/generate", timeout=30,
                             data=b'{"train_dsl": "{}", "cpn_str": "a", "filename": "\\ud800x.json"}',
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 210 and response.headers["Content-Type"] == "application/json"
    assert response.json()["retcode"] == 101 and "lone surrogate" in response.json()["retmsg"]


# ------------------------------------------------------------------------------------------ faults and records
def test_a_server_fault_is_answered_without_exception_class_or_server_path(app, client, monkeypatch, caplog):
    from fate_flow.services.jobs import queries as job_queries

    def broken(limit):
        raise OSError(2, "No such file or directory", "/srv/secret/server/path")

    monkeypatch.setattr(job_queries, "list_jobs", broken)
    with caplog.at_level(logging.ERROR, logger="fate_flow.app"):
        answer = post(client, "/v1/job/list/job", {"limit": 1})
    assert answer == {"retcode": 100, "retmsg": "internal error: the server could not complete POST /v1/job/list/job; "
                                                "its administrator finds the cause in the server's ERROR.log"}
    assert any(r.exc_info and "/srv/secret/server/path" in str(r.exc_info[1]) for r in caplog.records)


def test_a_refused_identifier_is_written_to_the_audit_log(client, caplog):
    with caplog.at_level(logging.WARNING, logger="fate_flow.audit"):
        post(client, "/v1/job/log", {"job_id": "../../keys"})
    [record] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "fate_flow.audit"]
    assert record == {"event": "refused", "client": "127.0.0.1", "route": "POST /v1/job/log", "field": "job_id",
                      "reason": "parameter job_id must be a job id (letters, digits, '_' and '-', starting with a "
                                "letter or digit), got '../../keys'"}


def test_the_caps_come_from_the_service_conf(settings):
    capped = replace(settings, limits=LimitSettings(json_depth=10, id_length=20, text_length=5, path_length=30,
                                                    list_limit=50, default_list_limit=2, delimiter_length=1))
    client = make_app(capped).test_client()
    answer = post(client, "/v1/job/query", {"x": [[[[[[[[[[1]]]]]]]]]]})
    assert answer["retcode"] == 101 and answer["retmsg"].endswith("the limit of 10 levels (limits.json_depth)")
    assert post(client, "/v1/model/query", {"model_version": "v" * 21}) == {
        "retcode": 101, "retmsg": "parameter model_version must be a model version of at most 20 characters, got 21"}
    assert post(client, "/v1/job/list/job", {"limit": 51}) == {
        "retcode": 101, "retmsg": "parameter limit must be between 1 and 50, got 51"}
    assert post(client, "/v1/data/download", {"namespace": "n", "table_name": "t", "output_path": "/" + "p" * 30,
                                              "delimiter": ";;"})["retmsg"].startswith(
        "parameter output_path is longer than the limit of 30 characters")
    for i in range(3):
        add_job(f"20210331120000000000{i}", created=MS_2021 + i)
    assert len(post(client, "/v1/job/list/job", {})["data"]) == 2
