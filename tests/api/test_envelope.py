"""The envelope and error handling every endpoint shares (contract §0.2, §0.3)."""

from tests.conftest import runtime_of


def test_success_envelope_omits_null_members(client):
    body = client.post("/v1/version/get").get_json()
    assert body == {"retcode": 0, "retmsg": "success", "data": body["data"]}
    assert "jobId" not in body and "meta" not in body


def test_version_answers_get_and_a_named_module(client):
    assert client.get("/v1/version/get").get_json()["data"]["FATE"] == "1.6.1"
    assert client.post("/v1/version/get", json={"module": "FATE"}).get_json()["data"] == {"FATE": "1.6.1"}


def test_unknown_path_is_a_json_envelope_not_html(client):
    response = client.post("/v1/nothing/here", json={})
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json() == {"retcode": 100, "retmsg": "no such endpoint: POST /v1/nothing/here"}


def test_wrong_method_names_the_allowed_ones(client):
    response = client.delete("/v1/table/table_info")
    assert response.status_code == 405 and response.is_json
    assert response.get_json()["retmsg"] == "method DELETE is not allowed on /v1/table/table_info; use POST"


def test_malformed_json_gets_retcode_with_http_200(client):
    response = client.post("/v1/table/table_info", data=b'{"namespace": ', content_type="application/json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["retcode"] == 100 and body["retmsg"].startswith("request body is not valid JSON")


def test_body_that_is_not_an_object_is_refused(client):
    body = client.post("/v1/table/table_info", json=[1, 2]).get_json()
    assert body == {"retcode": 100, "retmsg": "request body must be a JSON object, got list"}


def test_oversized_json_body_is_refused_as_envelope(app, client):
    limit = runtime_of(app).settings.http.max_json_bytes
    response = client.post("/v1/table/table_info", data=b" " * (limit + 1), content_type="application/json")
    assert response.status_code == 413 and response.is_json
    assert response.get_json()["retmsg"] == f"request body is larger than the limit of {limit} bytes"


def test_unknown_keys_are_ignored_and_party_ids_may_be_strings_or_ints(client):
    for party in (0, "0"):
        body = client.post("/v1/job/query", json={"party_id": party, "role": "local", "function": "query_job",
                                                  "config": "/x.json"}).get_json()
        assert body == {"retcode": 0, "retmsg": "no job could be found", "data": []}


def test_job_query_with_no_filter_returns_nothing(client):
    assert client.post("/v1/job/query", json={}).get_json() == {
        "retcode": 0, "retmsg": "no job could be found", "data": []}
