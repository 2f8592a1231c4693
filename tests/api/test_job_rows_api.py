"""/v1/job/list/job, update, config and url/get (contract §1.2.5-§1.2.7, §1.2.15)."""
import pytest

from tests.api.job_rows import MS_2021, add_job

JOB = "202103311200000000001"
NEWER = "202104011200000000002"


@pytest.fixture
def jobs(app):
    add_job(JOB, "guest", "10000")
    add_job(JOB, "host", "9999")
    add_job(NEWER, "guest", "10000", created=MS_2021 + 1000)


def post(client, path, **body):
    response = client.post(path, json=body)
    assert response.status_code == 200
    return response.get_json()


def test_list_is_newest_first_and_limited(client, jobs):
    body = post(client, "/v1/job/list/job", limit=2)
    assert body["retcode"] == 0
    assert [(r["f_job_id"], r["f_create_time"]) for r in body["data"]][0] == (NEWER, MS_2021 + 1000)
    assert len(body["data"]) == 2 and "f_dsl" in body["data"][0]
    assert len(post(client, "/v1/job/list/job", limit=10000)["data"]) == 3


def test_list_without_a_limit_gives_the_newest_ten_as_fate_clients_ask(client, app):
    for i in range(12):
        add_job(f"2021033112000000{i:05d}", "guest", "9999", created=MS_2021 + i)
    body = post(client, "/v1/job/list/job")
    assert body["retcode"] == 0 and len(body["data"]) == 10
    assert body["data"][0]["f_job_id"] == "202103311200000000011"


def test_list_refusals(client, app):
    assert post(client, "/v1/job/list/job", limit=10) == {"retcode": 101, "retmsg": "No job found"}
    assert post(client, "/v1/job/list/job", limit="ten") == {
        "retcode": 101, "retmsg": "parameter limit must be an integer, got 'ten'"}
    for limit in (0, -1, "-1", 10001):
        assert post(client, "/v1/job/list/job", limit=limit) == {
            "retcode": 101, "retmsg": f"parameter limit must be between 1 and 10000, got {int(limit)}"}
    assert post(client, "/v1/job/list/job", limit=10 ** 40)["retcode"] == 101


def test_update_sets_the_notes_of_one_party(client, jobs):
    assert post(client, "/v1/job/update", job_id=JOB, role="host", party_id=9999, notes="good run") == {
        "retcode": 0, "retmsg": "success"}
    rows = post(client, "/v1/job/query", job_id=JOB)["data"]
    assert {r["f_role"]: r["f_description"] for r in rows} == {"guest": "", "host": "good run"}
    post(client, "/v1/job/update", job_id=JOB, role="host", party_id="9999")
    assert post(client, "/v1/job/query", job_id=JOB, role="host")["data"][0]["f_description"] == ""


@pytest.mark.parametrize("body, expected", [
    ({"job_id": JOB, "role": "arbiter", "party_id": 9999}, {"retcode": 101, "retmsg": "find job failed"}),
    ({"notes": "x"}, {"retcode": 100, "retmsg": "required parameters are missing: job_id,role,party_id;"}),
    ({"job_id": JOB, "role": "host", "party_id": "x9"},
     {"retcode": 101, "retmsg": "parameter party_id must be a party id (an integer of at most 10 digits), got 'x9'"}),
    ({"job_id": JOB, "role": "host", "party_id": 9999, "notes": ["a"]},
     {"retcode": 101, "retmsg": "parameter notes must be a string, got list"}),
    ({"job_id": JOB, "role": "host", "party_id": 9999, "notes": "x" * 10001},
     {"retcode": 101, "retmsg": "parameter notes is longer than the limit of 10000 characters (limits.text_length), "
                                "got 10001"}),
])
def test_update_refusals(client, jobs, body, expected):
    assert post(client, "/v1/job/update", **body) == expected


def test_config_of_a_job(client, jobs):
    body = post(client, "/v1/job/config", job_id=JOB, role="guest", party_id=10000, output_path="/tmp/x")
    data = body["data"]
    assert body["retcode"] == 0 and set(data) == {"job_id", "dsl", "runtime_conf", "train_runtime_conf", "model_info"}
    assert data["job_id"] == JOB and data["train_runtime_conf"] == {}
    assert data["dsl"]["components"]["hetero_lr_0"]["module"] == "HeteroLR"
    assert data["runtime_conf"]["job_parameters"]["common"]["work_mode"] == 0
    assert data["model_info"] == {"model_id": "arbiter-9999#guest-10000#host-9999#model", "model_version": JOB}


def test_config_model_info_when_the_conf_has_none(client, app):
    add_job(JOB, "local", "0", f_runtime_conf={"job_parameters": {"common": {}}}, f_roles={"local": [0]})
    data = post(client, "/v1/job/config", job_id=JOB)["data"]
    assert data["model_info"] == {"model_id": "local-0#model", "model_version": JOB}


@pytest.mark.parametrize("body", [{}, {"job_id": "nope"}, {"job_id": JOB, "role": "arbiter"}])
def test_config_not_found(client, jobs, body):
    assert post(client, "/v1/job/config", **body) == {"retcode": 101, "retmsg": "find job failed"}


def test_board_url_is_the_board_of_this_server(client, jobs, settings):
    body = post(client, "/v1/job/url/get", job_id=JOB, role="host", party_id=9999)
    assert body == {"retcode": 0, "retmsg": "success", "data": {"board_url": [
        f"http://127.0.0.1:{settings.fateflow.http_port}/index.html#/dashboard?job_id={JOB}&role=host&party_id=9999"]}}


def test_board_url_of_an_external_fateboard(settings):
    from dataclasses import replace

    from fate_flow.services.jobs.job_locations import board_url
    from fate_flow.settings import settings_from_dict
    external = settings_from_dict({"fateboard": {"host": "10.1.2.3", "port": 8080}}, settings.conf_path, settings.home)
    assert board_url(external, JOB, "guest", "9999") == (
        f"http://10.1.2.3:8080/index.html#/dashboard?job_id={JOB}&role=guest&party_id=9999")
    wildcard = replace(settings, fateflow=replace(settings.fateflow, host="0.0.0.0", http_port=9380))
    assert board_url(wildcard, JOB, "guest", "9999").startswith("http://127.0.0.1:9380/index.html#/dashboard?")


def test_board_url_refusals(client, jobs):
    assert post(client, "/v1/job/url/get", job_id=JOB, role="arbiter", party_id=9999) == {
        "retcode": 101, "retmsg": "no found job"}
    assert post(client, "/v1/job/url/get", job_id=JOB) == {
        "retcode": 100, "retmsg": "required parameters are missing: role,party_id;"}
