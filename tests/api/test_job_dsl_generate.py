"""/v1/job/dsl/generate (contract §1.2.14): predict DSL from a v2 training DSL, as data or as a file."""
import json

import pytest

from tests.api.job_rows import example

TRAIN_DSL = json.dumps(example("v2_train_dsl"))


def test_generates_the_predict_dsl_as_data(client):
    body = client.post("/v1/job/dsl/generate", json={"train_dsl": TRAIN_DSL, "cpn_str": "reader_0, dataio_0,\n "
                                                     "intersection_0, hetero_lr_0", "version": "2"}).get_json()
    assert body["retcode"] == 0
    components = body["data"]["components"]
    assert set(components) == {"reader_0", "dataio_0", "intersection_0", "hetero_lr_0"}
    assert components["hetero_lr_0"]["input"]["model"] == ["pipeline.hetero_lr_0.model"]
    assert components["dataio_0"]["input"]["model"] == ["pipeline.dataio_0.model"]


def test_list_and_object_forms_are_accepted(client):
    as_text = client.post("/v1/job/dsl/generate", json={"train_dsl": TRAIN_DSL, "cpn_str": "[reader_0,dataio_0]"})
    as_list = client.post("/v1/job/dsl/generate", json={"train_dsl": example("v2_train_dsl"),
                                                        "cpn_str": ["reader_0", "dataio_0"]})
    assert as_text.get_json() == as_list.get_json() and as_text.get_json()["retcode"] == 0


def test_filename_answers_a_json_file(client):
    response = client.post("/v1/job/dsl/generate", json={"train_dsl": TRAIN_DSL, "cpn_str": "reader_0,dataio_0",
                                                         "filename": "predict_dsl_20210331120000.json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == "attachment; filename=predict_dsl_20210331120000.json"
    assert list(json.loads(response.get_data())["components"]) == ["reader_0", "dataio_0"]


@pytest.mark.parametrize("body, reason", [
    ({"train_dsl": TRAIN_DSL, "cpn_str": "evaluation_9"},
     "components {'evaluation_9'} not exist in training dsl, can not deploy!!!"),
    ({"train_dsl": TRAIN_DSL, "cpn_str": ""}, "required parameters are missing: cpn_str;"),
    ({"cpn_str": "reader_0"}, "required parameters are missing: train_dsl;"),
    ({"train_dsl": TRAIN_DSL, "cpn_str": "a\\b"}, "component list should not contain a backslash"),
    ({"train_dsl": TRAIN_DSL, "cpn_str": "reader_0", "version": "1"},
     "dsl version 1 does not support deploying components, use version 2"),
])
def test_failures_are_http_210_with_the_reason(client, body, reason):
    response = client.post("/v1/job/dsl/generate", json=body)
    assert response.status_code == 210
    assert response.get_json() == {"retcode": 210, "retmsg": f"DSL generating failed: {reason}"}


def test_a_filename_that_is_not_plain_is_refused_at_the_boundary_as_http_210(client):
    response = client.post("/v1/job/dsl/generate", json={"train_dsl": TRAIN_DSL, "cpn_str": "reader_0",
                                                         "filename": "../x.json"})
    assert response.status_code == 210
    assert response.get_json() == {"retcode": 101, "retmsg": "parameter filename must be a plain file name (one file "
                                                             "name: no '/', '\\' or control characters, not '.' or "
                                                             "'..'), got '../x.json'"}


def test_dsl_that_is_not_json(client):
    response = client.post("/v1/job/dsl/generate", json={"train_dsl": "{oops", "cpn_str": "reader_0"})
    assert response.status_code == 210 and response.get_json()["retmsg"].startswith("DSL generating failed: ")
