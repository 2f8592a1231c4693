"""/v1/pipeline/dag/dependency (contract §1.4): of a recorded job, or a preview of a DSL + conf."""
import pytest

from tests.api.job_rows import add_job, example

JOB = "202103311200000000001"
PREVIEW_DSL = {"components": {
    "reader_0": {"module": "Reader", "output": {"data": ["data"]}},
    "dataio_0": {"module": "DataIO", "input": {"data": {"data": ["reader_0.data"]}},
                 "output": {"data": ["data"], "model": ["model"]}},
}}


def post(client, **body):
    response = client.post("/v1/pipeline/dag/dependency", json=body)
    assert response.status_code == 200
    return response.get_json()


def test_dependency_of_a_recorded_job(client, app):
    add_job(JOB, "guest", "10000")
    body = post(client, job_id=JOB, role="guest", party_id=10000)
    assert body["retcode"] == 0
    data = body["data"]
    assert data["component_list"] == ["reader_0", "dataio_0", "intersection_0", "hetero_lr_0", "evaluation_0"]
    assert data["dependencies"]["hetero_lr_0"] == [
        {"component_name": "intersection_0", "type": "train_data", "up_output_info": ["data", 0]}]
    assert "reader_0" not in data["dependencies"]
    assert data["component_module"]["hetero_lr_0"] == "HeteroLR"
    assert data["component_need_run"]["reader_0"] is True


def test_arbiter_does_not_run_reader(client, app):
    add_job(JOB, "arbiter", "9999")
    data = post(client, job_id=JOB, role="arbiter", party_id="9999")["data"]
    assert data["component_need_run"]["reader_0"] is False and data["component_need_run"]["dataio_0"] is False


def test_preview_of_an_unsubmitted_dsl(client, app):
    data = post(client, role="host", party_id=9999, job_dsl=PREVIEW_DSL,
                job_runtime_conf=example("v2_train_conf"))["data"]
    assert data == {
        "component_list": ["reader_0", "dataio_0"],
        "dependencies": {"dataio_0": [{"component_name": "reader_0", "type": "data", "up_output_info": ["data", 0]}]},
        "component_module": {"reader_0": "Reader", "dataio_0": "DataIO"},
        "component_need_run": {"reader_0": True, "dataio_0": True},
    }


@pytest.mark.parametrize("body, expected", [
    ({"job_id": JOB, "role": "host", "party_id": 9999},
     {"retcode": 100,
      "retmsg": f"query job {JOB} failed: this server has no job {JOB} for role host and party id 9999"}),
    ({"job_id": JOB}, {"retcode": 100, "retmsg": "required parameters are missing: role,party_id;"}),
    ({"role": "guest", "party_id": 10000},
     {"retcode": 100, "retmsg": "required parameters are missing: job_id, or job_dsl and job_runtime_conf;"}),
    ({"role": "guest", "party_id": 10000, "job_dsl": PREVIEW_DSL},
     {"retcode": 100, "retmsg": "required parameters are missing: job_runtime_conf;"}),
    ({"role": "guest", "party_id": 10000, "job_dsl": "x", "job_runtime_conf": {}},
     {"retcode": 101, "retmsg": "parameter job_dsl must be a JSON object, got str"}),
    ({}, {"retcode": 100, "retmsg": "required parameters are missing: role,party_id,job_id, or job_dsl and "
                                    "job_runtime_conf;"}),
    ({"job_id": "../x", "role": "guest", "party_id": 10000},
     {"retcode": 101, "retmsg": "parameter job_id must be a job id (letters, digits, '_' and '-', starting with a "
                                "letter or digit), got '../x'"}),
    ({"role": "judge", "party_id": 10000, "job_dsl": PREVIEW_DSL, "job_runtime_conf": example("v2_train_conf")},
     {"retcode": 100, "retmsg": "role judge is unknown, can not extract component dependency"}),
    ({"role": "guest", "party_id": 1, "job_dsl": PREVIEW_DSL, "job_runtime_conf": example("v2_train_conf")},
     {"retcode": 100, "retmsg": "party id 1 is unknown, can not extract component dependency"}),
])
def test_refusals(client, app, body, expected):
    add_job(JOB, "guest", "10000")
    assert post(client, **body) == expected


def test_preview_with_a_module_this_server_cannot_run(client, app):
    dsl = example("v2_train_dsl")
    dsl["components"]["evaluation_0"]["module"] = "HeteroNN"
    body = post(client, role="guest", party_id=10000, job_dsl=dsl, job_runtime_conf=example("v2_train_conf"))
    assert body == {"retcode": 100, "retmsg": "Component evaluation_0, module HeteroNN does not exist"}
