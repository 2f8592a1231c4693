"""/v1/table: table_info, delete, add/bind, list."""
import os

import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.api.upload_helpers import multipart_upload, upload_config

GOOD = b"id,y,x0\n1,0,0.5\n2,1,0.25\n3,0,-1.5\n"
HOST_CSV = PROJECT_ROOT / "examples" / "data" / "breast_hetero_host.csv"


def info(client, name, namespace="experiment"):
    return client.post("/v1/table/table_info", json={"namespace": namespace, "table_name": name}).get_json()


def test_unknown_table_info_is_not_an_error(client):
    assert info(client, "nothing") == {"retcode": 0, "retmsg": "success", "data": {
        "table_name": "nothing", "namespace": "experiment", "exist": 0, "count": 0, "partition": None,
        "schema": None}}


def test_table_info_accepts_name_for_table_name_and_names_missing_fields(client):
    multipart_upload(client, upload_config("t"), GOOD)
    assert client.post("/v1/table/table_info", json={"namespace": "experiment", "name": "t"}).get_json()["data"][
        "count"] == 3
    assert client.post("/v1/table/table_info", json={"table_name": "t"}).get_json() == {
        "retcode": 100, "retmsg": "required parameters are missing: namespace;"}


def test_delete_removes_meta_and_data(client):
    multipart_upload(client, upload_config("t"), GOOD)
    path = info(client, "t")["data"]["address"]["path"]
    body = client.post("/v1/table/delete", json={"namespace": "experiment", "table_name": "t"}).get_json()
    assert body == {"retcode": 0, "retmsg": "success", "data": {"table_name": "t", "namespace": "experiment"}}
    assert info(client, "t")["data"]["exist"] == 0
    assert not os.path.exists(path)


def test_delete_missing_table_is_101_no_find_table(client):
    body = client.post("/v1/table/delete", json={"namespace": "experiment", "table_name": "ghost"}).get_json()
    assert body == {"retcode": 101, "retmsg": "no find table"}


def test_delete_by_job_id_removes_the_jobs_tables(client):
    job_id = multipart_upload(client, upload_config("by_job"), GOOD).get_json()["jobId"]
    body = client.post("/v1/table/delete", json={"job_id": job_id}).get_json()
    assert body["data"] == [{"table_name": "by_job", "namespace": "experiment"}]
    assert info(client, "by_job")["data"]["exist"] == 0


def test_list_a_jobs_tables(client):
    job_id = multipart_upload(client, upload_config("listed"), GOOD).get_json()["jobId"]
    body = client.post("/v1/table/list", json={"job_id": job_id, "role": "local", "party_id": 0}).get_json()
    assert body["data"] == {"upload_0": {"input": {}, "output": {"upload": {"name": "listed",
                                                                             "namespace": "experiment"}}}}
    body = client.post("/v1/table/list", json={"job_id": "nope", "role": "local", "party_id": 0}).get_json()
    assert body == {"retcode": 101, "retmsg": "no find job"}


def add_file(client, name="added", **extra):
    body = {"engine": "FILE", "address": {"path": str(HOST_CSV)}, "namespace": "experiment", "name": name,
            "head": 1, "id_delimiter": ",", **extra}
    return client.post("/v1/table/add", json=body).get_json()


def test_add_file_registers_without_copy_and_delete_keeps_the_file(client):
    assert add_file(client)["data"] == {"table_name": "added", "namespace": "experiment"}
    data = info(client, "added")["data"]
    assert data["count"] == 569 and data["engine"] == "FILE"
    assert data["schema"]["sid"] == "id" and data["schema"]["header"].startswith("x0,x1,")
    assert add_file(client)["retmsg"].startswith("The data table already exists")
    assert add_file(client, drop=1)["retcode"] == 0
    client.post("/v1/table/delete", json={"namespace": "experiment", "table_name": "added"})
    assert HOST_CSV.exists(), "a registered file is its owner's: deleting the table keeps it"


def test_bind_is_add_with_id_and_feature_names(client):
    body = {"engine": "FILE", "address": {"path": str(HOST_CSV)}, "namespace": "experiment", "name": "bound",
            "head": 1, "id_delimiter": ",", "id_name": "uid", "feature_name": ["a", "b"]}
    assert client.post("/v1/table/bind", json=body).get_json()["retcode"] == 0
    assert info(client, "bound")["data"]["schema"] == {"header": "a,b", "sid": "uid"}


@pytest.mark.parametrize("change,retcode,message", [
    ({"engine": "HDFS"}, 100, "parameter engine: HDFS cannot be added; use one of FILE, PATH, MYSQL"),
    ({"address": "x"}, 101, "parameter address must be a JSON object"),
    ({"address": {}}, 100, "parameter address.path is required for engine FILE"),
    ({"address": {"path": "/etc/passwd"}}, 100, "parameter address.path: /etc/passwd is outside the directories"),
    ({"engine": "MYSQL", "address": {"host": "127.0.0.1"}}, 100,
     "required parameters are missing: address.user,address.passwd,address.port,address.db,address.name;"),
    ({"name": "../x"}, 101, "parameter name must be a table name"),
    ({"namespace": "a" * 101}, 101, "parameter namespace must be a table namespace of at most 100 characters"),
    ({"id_delimiter": "x" * 9}, 101, "parameter id_delimiter is longer than the limit of 8 characters"),
])
def test_add_bad_input(client, change, retcode, message):
    body = {"engine": "FILE", "address": {"path": str(HOST_CSV)}, "namespace": "experiment", "name": "x",
            "head": 1, "id_delimiter": ",", **change}
    answer = client.post("/v1/table/add", json=body).get_json()
    assert answer["retcode"] == retcode and answer["retmsg"].startswith(message), answer
    assert info(client, "x")["data"]["exist"] == 0


def test_add_mysql_that_cannot_be_reached_names_the_address_not_the_password(client):
    address = {"user": "fate", "passwd": "s3cret-pw", "host": "127.0.0.1", "port": 1, "db": "d", "name": "t"}
    body = {"engine": "MYSQL", "address": address, "namespace": "experiment", "name": "m", "head": 1,
            "id_delimiter": ","}
    answer = client.post("/v1/table/add", json=body).get_json()
    assert answer["retcode"] == 100
    assert answer["retmsg"].startswith("cannot open MySQL database d at 127.0.0.1:1 as user fate")
    assert "s3cret-pw" not in answer["retmsg"]


@pytest.mark.db
@pytest.mark.skipif(not os.environ.get("FATE_FLOW_TEST_DB", "").startswith("mysql"),
                    reason="needs the MariaDB named by FATE_FLOW_TEST_DB")
def test_add_mysql_table_counts_rows_and_hides_the_password(client):
    from urllib.parse import urlparse
    import pymysql
    url = urlparse(os.environ["FATE_FLOW_TEST_DB"])
    conn = pymysql.connect(host=url.hostname, port=url.port or 3306, user=url.username, password=url.password,
                           database=url.path.lstrip("/"), autocommit=True)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS ext_rows")
        cur.execute("CREATE TABLE ext_rows (id VARCHAR(10), a DOUBLE, b DOUBLE)")
        cur.execute("INSERT INTO ext_rows VALUES ('1', 0.5, 1.5), ('2', 0.1, 0.2)")
    address = {"user": url.username, "passwd": url.password, "host": url.hostname, "port": url.port or 3306,
               "db": url.path.lstrip("/"), "name": "ext_rows"}
    body = {"engine": "MYSQL", "address": address, "namespace": "experiment", "name": "ext", "head": 1,
            "id_delimiter": ","}
    assert client.post("/v1/table/add", json=body).get_json()["retcode"] == 0
    data = info(client, "ext")["data"]
    assert data["count"] == 2 and data["schema"] == {"header": "a,b", "sid": "id"}
    assert data["address"]["passwd"] == "***"
    with conn.cursor() as cur:
        cur.execute("DROP TABLE ext_rows")
    conn.close()
