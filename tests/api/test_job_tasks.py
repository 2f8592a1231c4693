"""/v1/job/task/query, /v1/job/list/task, /v1/job/data/view/query (contract §1.2.9-§1.2.11)."""
import pytest

from tests.api.job_rows import MS_2021, add_output, add_task

# the filters and latest-version joins are SQL: run them on MariaDB too (bin/test.sh's db pass)
pytestmark = pytest.mark.db

JOB = "202103311200000000001"


@pytest.fixture
def tasks(app):
    add_task(JOB, "reader_0", 0, created=MS_2021)
    add_task(JOB, "hetero_lr_0", 0, status="failed", created=MS_2021 + 10)
    add_task(JOB, "hetero_lr_0", 1, status="running", created=MS_2021 + 20)
    add_task(JOB, "hetero_lr_0", 0, role="host", party_id="9999", status="failed", created=MS_2021 + 11)
    add_task(JOB, "hetero_lr_0", 1, role="host", party_id="9999", status="running", created=MS_2021 + 21)


def post(client, path, **body):
    response = client.post(path, json=body)
    assert response.status_code == 200
    return response.get_json()


def versions(body):
    return [(r["f_component_name"], r["f_role"], r["f_task_version"], r["f_status"]) for r in body["data"]]


def test_only_the_latest_version_of_each_task_and_party(client, tasks):
    body = post(client, "/v1/job/task/query", job_id=JOB)
    assert body["retcode"] == 0
    assert versions(body) == [("reader_0", "guest", 0, "success"), ("hetero_lr_0", "guest", 1, "running"),
                              ("hetero_lr_0", "host", 1, "running")]
    assert body["data"][0]["f_party_id"] == "10000" and body["data"][0]["f_task_id"] == f"{JOB}_reader_0"


def test_filters_apply_before_picking_the_latest(client, tasks):
    body = post(client, "/v1/job/task/query", job_id=JOB, role="guest", party_id=10000, status="running",
                component_name="hetero_lr_0", function="query_task")
    assert versions(body) == [("hetero_lr_0", "guest", 1, "running")]
    assert versions(post(client, "/v1/job/task/query", job_id=JOB, task_version=0, party_id="9999")) == [
        ("hetero_lr_0", "host", 0, "failed")]


def test_empty_body_means_every_latest_task(client, tasks):
    assert len(post(client, "/v1/job/task/query")["data"]) == 3


def test_no_task(client, tasks):
    assert post(client, "/v1/job/task/query", job_id="nope") == {"retcode": 101, "retmsg": "find task failed"}
    assert post(client, "/v1/job/task/query", task_version="x") == {
        "retcode": 101, "retmsg": "parameter task_version must be a task version (an integer), got 'x'"}
    assert post(client, "/v1/job/task/query", task_version=10 ** 30)["retcode"] == 101


def test_list_task_is_every_version_newest_first(client, tasks):
    body = post(client, "/v1/job/list/task", limit=2)
    assert versions(body) == [("hetero_lr_0", "host", 1, "running"), ("hetero_lr_0", "guest", 1, "running")]
    assert len(post(client, "/v1/job/list/task", limit=10000)["data"]) == 5
    assert len(post(client, "/v1/job/list/task")["data"]) == 5  # no limit: FATE clients' 10


def test_list_task_refusals(client, app):
    assert post(client, "/v1/job/list/task", limit=10) == {"retcode": 100, "retmsg": "No task found"}
    assert post(client, "/v1/job/list/task", limit=0) == {
        "retcode": 101, "retmsg": "parameter limit must be between 1 and 10000, got 0"}


@pytest.fixture
def outputs(app):
    add_output(JOB, "reader_0", 0)
    add_output(JOB, "hetero_lr_0", 0, table="old")
    add_output(JOB, "hetero_lr_0", 1, table="new")
    add_output(JOB, "hetero_lr_0", 0, role="host", party_id="9999", table="host_only_v0")


def test_data_view_keeps_the_latest_version_per_task_party_and_data_name(client, outputs):
    body = post(client, "/v1/job/data/view/query", job_id=JOB, status="success")
    assert body["retcode"] == 0
    tables = sorted((r["f_component_name"], r["f_role"], r["f_task_version"], r["f_table_name"]) for r in body["data"])
    assert tables == [("hetero_lr_0", "guest", 1, "new"), ("hetero_lr_0", "host", 0, "host_only_v0"),
                      ("reader_0", "guest", 0, "reader_0_0")]
    row = body["data"][0]
    assert {"f_job_id", "f_task_id", "f_data_name", "f_table_namespace", "f_party_id"} <= set(row)


def test_data_view_filters(client, outputs):
    body = post(client, "/v1/job/data/view/query", job_id=JOB, role="host", party_id=9999)
    assert [r["f_table_name"] for r in body["data"]] == ["host_only_v0"]


def test_data_view_refusals(client, outputs):
    assert post(client, "/v1/job/data/view/query", job_id="nope") == {
        "retcode": 101, "retmsg": "find data view failed"}
    assert post(client, "/v1/job/data/view/query", role="nobody") == {
        "retcode": 101, "retmsg": "find data view failed"}


def test_data_view_without_a_job_id_filters_every_job(client, outputs):
    add_output("202103311200000000009", "reader_0", 0, table="other_job")
    body = post(client, "/v1/job/data/view/query", component_name="reader_0")
    assert body["retcode"] == 0
    assert sorted(r["f_job_id"] for r in body["data"]) == [JOB, "202103311200000000009"]
