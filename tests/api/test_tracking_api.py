"""/v1/tracking over a job whose rows are made here the way tasks record them (the scheduler writes the
same rows through the same services)."""
import io
import json
import tarfile

import numpy as np
import pytest

from fate_flow.db.models import Job
from fate_flow.serde.instance import Instance
from fate_flow.services.data import table_meta as tables
from fate_flow.services.tracking import records as tracking
from fate_flow.services.tracking.records import TaskRef
from tests.conftest import runtime_of

JOB = "202611231200000000000"
DSL = {"components": {"reader_0": {"module": "Reader", "output": {"data": ["data"]}},
                      "dataio_0": {"module": "DataIO", "input": {"data": {"data": ["reader_0.data"]}},
                                   "output": {"data": ["data"], "model": ["model"]}}}}
CONF = {"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999},
        "role": {"guest": [9999], "host": [10000]},
        "job_parameters": {"common": {"work_mode": 0}},
        "component_parameters": {
            "common": {"dataio_0": {"with_label": True, "output_format": "dense"}},
            "role": {"guest": {"0": {"reader_0": {"table": {"name": "breast_guest", "namespace": "experiment"}}}},
                     "host": {"0": {"reader_0": {"table": {"name": "breast_host", "namespace": "experiment"}},
                                    "dataio_0": {"with_label": False}}}}}}


@pytest.fixture
def job(app):
    ctx = runtime_of(app)
    for role, party, initiator in (("guest", "9999", True), ("host", "10000", False)):
        Job.insert(f_job_id=JOB, f_role=role, f_party_id=party, f_dsl=DSL, f_runtime_conf=CONF,
                   f_runtime_conf_on_party=CONF, f_roles=CONF["role"], f_initiator_role="guest",
                   f_initiator_party_id="9999", f_is_initiator=initiator, f_status="success",
                   **Job.audit_values()).execute()
    task = TaskRef(JOB, "dataio_0", f"{JOB}_dataio_0", 0, "guest", "9999")
    tracking.save_metric_meta(task, "train", "loss", {"name": "train", "metric_type": "LOSS"})
    tracking.save_metric_data(task, "train", "loss", [(1, 0.6), (0, 0.69)])
    tracking.save_summary(task, {"features": 2})
    stored = ctx.store.create(2)
    writer = stored.writer()
    for key, label, x in (("a", 1, [0.5, 1.0]), ("b", 0, [-1.0, 2.0])):
        writer.put(ctx.codec.dumps(key), ctx.codec.dumps(Instance(np.array(x), label=label)))
    writer.close()
    tables.insert_meta(tables.TableMeta(
        namespace=f"output_data_{task.task_id}_0", name="t1", engine="STANDALONE",
        address=ctx.store.address_of(stored, f"output_data_{task.task_id}_0", "t1"), partitions=2,
        schema={"header": ["x0", "x1"], "sid_name": "id", "label_name": "y"}, count=2))
    tracking.save_output_table(task, "data", f"output_data_{task.task_id}_0", "t1")
    return task


def post(client, path, **body):
    return client.post(path, json=body).get_json()


def test_metrics_with_role_and_party_taken_from_the_initiator(client, job):
    assert post(client, "/v1/tracking/component/metrics", job_id=JOB, component_name="dataio_0")["data"] == {
        "train": ["loss"]}
    body = post(client, "/v1/tracking/component/metric_data", job_id=JOB, component_name="dataio_0", role="guest",
                party_id=9999, metric_namespace="train", metric_name="loss")
    assert body["data"] == [[0, 0.69], [1, 0.6]] and body["meta"] == {"name": "train", "metric_type": "LOSS"}
    all_ = post(client, "/v1/tracking/component/metric/all", job_id=JOB, component_name="dataio_0")
    assert all_["data"]["train"]["loss"]["data"] == [[0, 0.69], [1, 0.6]]


def test_metric_data_reads_the_seed_spelling_meric_name(client, job):
    body = post(client, "/v1/tracking/component/metric_data", job_id=JOB, component_name="dataio_0", role="guest",
                party_id=9999, metric_namespace="train", meric_name="loss")
    assert body["retcode"] == 0 and body["data"] == [[0, 0.69], [1, 0.6]]
    assert post(client, "/v1/tracking/component/metric_data", job_id=JOB, component_name="dataio_0",
                metric_namespace="train") == {"retcode": 100, "retmsg": "required parameters are missing: metric_name;"}


def test_a_component_without_metrics_says_no_data(client, job):
    body = post(client, "/v1/tracking/component/metrics", job_id=JOB, component_name="reader_0")
    assert body == {"retcode": 0, "retmsg": "no data", "data": {}}
    body = post(client, "/v1/tracking/component/metric_data", job_id=JOB, component_name="reader_0",
                metric_namespace="x", metric_name="y")
    assert body == {"retcode": 0, "retmsg": "no data", "data": [], "meta": {}}


def test_parameters_are_the_effective_ones_for_the_party(client, job):
    guest = post(client, "/v1/tracking/component/parameters", job_id=JOB, component_name="dataio_0")
    assert guest["data"]["module"] == "DataIO"
    assert guest["data"]["DataIOParam"]["with_label"] is True and guest["data"]["DataIOParam"]["label_name"] == "y"
    host = post(client, "/v1/tracking/component/parameters", job_id=JOB, component_name="dataio_0", role="host",
                party_id="10000")
    assert host["data"]["DataIOParam"]["with_label"] is False


def test_output_data_preview_and_table(client, job):
    body = post(client, "/v1/tracking/component/output/data", job_id=JOB, component_name="dataio_0")
    assert sorted(body["data"][0]) == [["a", 1, 0.5, 1.0], ["b", 0, -1.0, 2.0]]
    assert body["meta"] == {"header": [["id", "y", "x0", "x1"]], "total": [2], "names": ["data"]}
    table = post(client, "/v1/tracking/component/output/data/table", job_id=JOB, component_name="dataio_0",
                 role="guest", party_id=9999)
    assert table["data"] == [{"table_name": "t1", "table_namespace": f"output_data_{JOB}_dataio_0_0",
                              "data_name": "data"}]


def test_output_data_download_is_a_tar_gz_with_csv_and_meta(client, job):
    response = client.get("/v1/tracking/component/output/data/download",
                          json={"job_id": JOB, "component_name": "dataio_0", "role": "guest", "party_id": 9999})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f"attachment; filename=job_{JOB}_dataio_0_guest_9999_output_data.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(response.data), mode="r:gz") as tar:
        assert sorted(tar.getnames()) == ["data.csv", "data.meta"]
        lines = tar.extractfile("data.csv").read().decode().splitlines()
        assert lines[0] == "id,y,x0,x1" and sorted(lines[1:]) == ["a,1,0.5,1.0", "b,0,-1.0,2.0"]
        assert json.loads(tar.extractfile("data.meta").read()) == {"header": ["id", "y", "x0", "x1"]}
    one = client.get("/v1/tracking/component/output/data/download",
                     json={"job_id": JOB, "component_name": "dataio_0", "limit": 1, "head": False})
    with tarfile.open(fileobj=io.BytesIO(one.data), mode="r:gz") as tar:
        assert len(tar.extractfile("data.csv").read().decode().splitlines()) == 1


@pytest.mark.parametrize("limit,message", [(0, "limit is 0"), (-5, "parameter limit must be a number of rows"),
                                           ("ten", "parameter limit must be an integer, got 'ten'")])
def test_download_bad_limit_is_a_210_envelope(client, job, limit, message):
    response = client.get("/v1/tracking/component/output/data/download",
                          json={"job_id": JOB, "component_name": "dataio_0", "limit": limit})
    assert response.status_code == 210 and response.get_json()["retcode"] == 101
    assert response.get_json()["retmsg"].startswith(message)


def test_download_of_a_component_without_output(client, job):
    response = client.get("/v1/tracking/component/output/data/download",
                          json={"job_id": JOB, "component_name": "reader_0"})
    assert response.status_code == 210 and response.get_json() == {"retcode": 210, "retmsg": "no data"}
    unknown = client.get("/v1/tracking/component/output/data/download", json={"job_id": "nope", "component_name": "x"})
    assert unknown.status_code == 210 and unknown.get_json() == {"retcode": 210,
                                                                 "retmsg": "can not found this job: nope"}


def test_summary_download_with_a_non_ascii_file_name(client, job):
    response = client.post("/v1/tracking/component/summary/download",
                           json={"job_id": JOB, "component_name": "dataio_0", "filename": "摘要.json"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        "attachment; filename*=UTF-8''%E6%91%98%E8%A6%81.json; filename=__.json"
    assert json.loads(response.data) == {"features": 2}


def test_summary_and_component_list(client, job, tmp_path):
    body = post(client, "/v1/tracking/component/summary/download", job_id=JOB, component_name="dataio_0")
    assert body["data"] == {"features": 2}
    response = client.post("/v1/tracking/component/summary/download",
                           json={"job_id": JOB, "component_name": "dataio_0", "filename": "s.json"})
    assert response.headers["Content-Disposition"] == "attachment; filename=s.json"
    assert json.loads(response.data) == {"features": 2}
    missing = client.post("/v1/tracking/component/summary/download", json={"job_id": JOB, "component_name": "reader_0"})
    assert missing.status_code == 210
    assert post(client, "/v1/tracking/component/list", job_id=JOB)["data"] == {"components": ["reader_0", "dataio_0"]}


def test_data_view_with_datasets_and_a_real_model_summary(client, job):
    view = post(client, "/v1/tracking/job/data_view", job_id=JOB, role="guest", party_id=9999)["data"]
    assert view["partner"] == {"host": [10000]} and view["roles"] == {"guest": [9999], "host": [10000]}
    assert view["dataset"] == {"guest": {"9999": {"reader_0": "experiment.breast_guest"}},
                               "host": {"10000": {"reader_0": "experiment.breast_host"}}}
    assert view["model_summary"] == {"dataio_0": {"features": 2}}
    host_view = post(client, "/v1/tracking/job/data_view", job_id=JOB, role="host", party_id=10000)["data"]
    assert host_view["roles"] == {"host": [10000]} and list(host_view["dataset"]) == ["host"]


@pytest.mark.parametrize("body,retcode,message", [
    ({"job_id": "nope", "component_name": "dataio_0"}, 101, "can not found this job: nope"),
    ({"job_id": JOB, "component_name": "ghost"}, 101, "component ghost is not in job"),
    ({"job_id": JOB, "component_name": "dataio_0", "role": "arbiter", "party_id": 1}, 101,
     f"can not found this job: {JOB} as arbiter 1"),
    ({"job_id": JOB, "component_name": "dataio_0", "role": "guest"}, 100, "parameters role and party_id go together"),
    ({"component_name": "dataio_0"}, 100, "required parameters are missing: job_id;"),
])
def test_unknown_job_component_role_party(client, job, body, retcode, message):
    answer = post(client, "/v1/tracking/component/metrics", **body)
    assert answer["retcode"] == retcode and answer["retmsg"].startswith(message)


def test_job_summary_shows_evaluation_summaries_as_key_metrics(client, job):
    tracking.save_metric_meta(job, "train", "dataio_0", {"name": "dataio_0", "metric_type": "EVALUATION_SUMMARY"})
    tracking.save_metric_data(job, "train", "dataio_0", [("auc", 0.98), ("ks", 0.81)])
    data = post(client, "/v1/tracking/job/summary", job_id=JOB)["data"]
    assert data["role"] == "guest" and data["status"] == {"guest": {"9999": "success"}, "host": {"10000": "success"}}
    [reader, dataio] = data["components"]
    assert reader["key_metrics"] == {} and reader["runs"] == 0
    assert dataio["key_metrics"] == {"train": {"dataio_0": {"auc": 0.98, "ks": 0.81}}}
    assert post(client, "/v1/tracking/job/summary", job_id=JOB, role="guest")["retmsg"].startswith(
        "parameters role and party_id go together")


def test_output_model_of_a_component_whose_model_files_are_missing(client, job):
    body = post(client, "/v1/tracking/component/output/model", job_id=JOB, component_name="dataio_0")
    assert body["retcode"] == 100 and body["retmsg"].startswith("Can not find model info by filters: job id: " + JOB)
    body = post(client, "/v1/tracking/component/output/model", job_id=JOB, component_name="reader_0")
    assert body == {"retcode": 0, "retmsg": "no data", "data": {}}


@pytest.mark.parametrize("filename", ["../s.json", "a/b.json", "..", "line\nbreak.json"])
def test_summary_download_refuses_a_filename_that_is_not_plain(client, job, filename):
    response = client.post("/v1/tracking/component/summary/download",
                           json={"job_id": JOB, "component_name": "dataio_0", "filename": filename})
    assert response.status_code == 210
    assert response.get_json() == {"retcode": 101, "retmsg": f"parameter filename must be a plain file name (one "
                                                             f"file name: no '/', '\\' or control characters, not '.' "
                                                             f"or '..'), got {filename!r}"}
