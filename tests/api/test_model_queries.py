"""/v1/model/query (contract §1.5.8), /v1/model/get/predict/dsl (§1.5.10) and /v1/model/get/predict/conf
(§1.5.11, §3.9) over a real server with a trained and a deployed model."""
from __future__ import annotations

import json
import re

import pytest
import requests

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.db.base import DB
from fate_flow.db.models import MachineLearningModelInfo
from tests.scheduler.flow import start_flow
from tests.scheduler.test_predict_jobs import CODE_PATH, MODEL_ID, v2_train

pytestmark = pytest.mark.slow

NOT_FOUND = ("Query model info failed, cannot find model from db. Try use both model id and model version to "
             "query model info from local models")
NO_MODEL = "No model found, please check if arguments are specified correctly."


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(flow, parent version, child version): a v2 model and its deployment of source_0 + trainer_0."""
    flow = start_flow(tmp_path_factory.mktemp("model_queries"))
    try:
        parent = v2_train(flow)
        answer = flow.post("/v1/model/deploy", {"model_id": MODEL_ID, "model_version": parent,
                                                "cpn_list": ["source_0", "trainer_0"]})
        assert answer["retcode"] == 0, answer
        yield flow, parent, answer["data"]["model_version"]
    finally:
        flow.stop()


def test_query_answers_the_rows_of_every_party_with_plain_dates(models):
    flow, parent, child = models
    answer = flow.post("/v1/model/query", {"model_version": parent})
    assert answer["retcode"] == 0 and answer["retmsg"] == "Query model info from db success.", answer
    rows = {(r["f_role"], r["f_party_id"]): r for r in answer["data"]}
    assert set(rows) == {("guest", "9999"), ("host", "10000")}
    guest = rows[("guest", "9999")]
    assert (guest["f_model_id"], guest["f_model_version"], guest["f_job_id"]) == (MODEL_ID, parent, parent)
    assert guest["f_parent"] is True and guest["f_inference_dsl"] == {} and guest["f_roles"] == {
        "guest": [9999], "host": [10000]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", guest["f_create_date"]), guest["f_create_date"]

    answer = flow.post("/v1/model/query", {"model_version": child, "model_id": MODEL_ID, "role": "host",
                                           "party_id": 10000, "query_filters": ["role", "parent", "parent_info"]})
    assert answer["data"] == [{"f_role": "host", "f_parent": False,
                               "f_parent_info": {"parent_model_id": MODEL_ID, "parent_model_version": parent}}]


def test_query_refusals(models):
    flow, parent, _ = models
    assert flow.post("/v1/model/query", {"model_version": "20200101000000000000"}) == {
        "retcode": 100, "retmsg": NOT_FOUND, "data": []}
    assert flow.post("/v1/model/query", {"model_id": MODEL_ID}) == {
        "retcode": 100, "retmsg": "required parameters are missing: model_version;"}
    answer = flow.post("/v1/model/query", {"model_version": parent, "query_filters": ["role", "colour"]})
    assert answer["retcode"] == 101 and "colour" in answer["retmsg"], answer
    answer = flow.post("/v1/model/query", {"model_version": parent, "query_filters": 0})
    assert answer == {"retcode": 101, "retmsg": "parameter query_filters must be a list of column names, e.g. "
                                                "[\"model_id\", \"role\"]"}


def test_query_falls_back_to_the_model_files_and_records_them(models):
    flow, parent, _ = models
    M = MachineLearningModelInfo
    with DB.obj.connection_context():
        saved = {(r.f_role, r.f_party_id): r.f_inference_dsl for r in M.select().where(M.f_model_version == parent)}
        M.delete().where(M.f_model_version == parent).execute()
    answer = flow.post("/v1/model/query", {"model_version": parent, "model_id": MODEL_ID, "role": "guest"})
    assert answer["retcode"] == 0 and answer["retmsg"] == "Query model info from local model success.", answer
    [record] = answer["data"]
    assert (record["f_role"], record["f_party_id"], record["f_model_version"]) == ("guest", "9999", parent)
    assert record["f_parent"] is True and record["f_initiator_role"] == "guest"
    assert "f_inference_dsl" in record and "f_loaded_times" not in record  # protobuf defaults are left out
    with DB.obj.connection_context():
        [row] = M.select().where(M.f_model_version == parent)
    assert (row.f_role, row.f_party_id, row.f_inference_dsl) == ("guest", "9999", saved[("guest", "9999")])
    # from the database again now
    assert flow.post("/v1/model/query", {"model_version": parent})["retmsg"] == "Query model info from db success."


def test_get_predict_dsl_answers_the_stored_inference_dsl_or_a_file(models):
    flow, parent, child = models
    answer = flow.post("/v1/model/get/predict/dsl", {"model_id": MODEL_ID, "model_version": child,
                                                     "role": "host", "party_id": "10000"})
    assert answer["retcode"] == 0, answer
    assert answer["data"]["components"]["trainer_0"] == {
        "module": "TestModelTrainer", "input": {"model": ["pipeline.trainer_0.model"],
                                                "data": {"test_data": ["source_0.data"]}},
        "output": {"data": ["data"]}, "CodePath": f"{CODE_PATH}/TestModelTrainer"}
    assert flow.post("/v1/model/get/predict/dsl", {"model_id": MODEL_ID, "model_version": parent})["data"] == {}

    response = requests.post(flow.url + "/v1/model/get/predict/dsl", timeout=30, json={
        "model_id": MODEL_ID, "model_version": child, "filename": "predict_dsl_20210331120000.json"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=predict_dsl_20210331120000.json"
    assert json.loads(response.content) == answer["data"]

    response = requests.post(flow.url + "/v1/model/get/predict/dsl", timeout=30,
                             json={"model_id": MODEL_ID, "model_version": "20200101000000000000"})
    assert response.status_code == 210 and response.json() == {"retcode": 210, "retmsg": NO_MODEL}
    assert flow.post("/v1/model/get/predict/dsl", {"model_id": MODEL_ID}) == {
        "retcode": 100, "retmsg": "required parameters are missing: model_version;"}
    # model_id is optional (seed 000): the first local model of that version
    without_id = flow.post("/v1/model/get/predict/dsl", {"model_version": child, "role": "host", "party_id": 10000})
    assert without_id == answer


@pytest.mark.parametrize("path", ["/v1/model/get/predict/dsl", "/v1/model/get/predict/conf"])
def test_a_non_ascii_file_name_is_sent_as_rfc5987_and_as_a_plain_stand_in(models, path):
    flow, parent, child = models
    response = requests.post(flow.url + path, timeout=30,
                             json={"model_id": MODEL_ID, "model_version": child, "filename": "预测.json"})
    assert response.status_code == 200, response.text
    header = response.headers["Content-Disposition"]
    assert header == "attachment; filename*=UTF-8''%E9%A2%84%E6%B5%8B.json; filename=__.json"
    assert re.findall("filename=(.+)", header)[0] == "__.json"
    assert json.loads(response.content)


def test_get_predict_conf_answers_a_template_to_fill(models):
    flow, parent, child = models
    answer = flow.post("/v1/model/get/predict/conf", {"model_id": MODEL_ID, "model_version": child})
    assert answer["retcode"] == 0, answer
    conf = answer["data"]
    assert conf["dsl_version"] == 2 and conf["initiator"] == {"role": "guest", "party_id": 9999}
    assert conf["role"] == {"guest": [9999], "host": [10000]}
    common = conf["job_parameters"]["common"]
    assert (common["job_type"], common["model_id"], common["model_version"]) == ("predict", MODEL_ID, child)
    assert conf["component_parameters"] == {"role": {"guest": {"0": {}}, "host": {"0": {}}}}  # no Reader to fill

    response = requests.post(flow.url + "/v1/model/get/predict/conf", timeout=30,
                             json={"model_id": MODEL_ID, "model_version": "20200101000000000000"})
    assert response.status_code == 210 and response.json() == {"retcode": 210, "retmsg": NO_MODEL}
    assert flow.post("/v1/model/get/predict/conf", {"model_version": child}) == {
        "retcode": 100, "retmsg": "required parameters are missing: model_id;"}


def test_the_http_client_calls_the_model_endpoints(models):
    flow, parent, child = models
    client = FlowHttpClient("127.0.0.1", flow.settings.fateflow.http_port, timeout=30)
    assert client.model_query({"model_version": child})["retcode"] == 0
    assert client.model_get_predict_dsl({"model_id": MODEL_ID, "model_version": child})["data"]["components"]
    assert client.model_get_predict_conf({"model_id": MODEL_ID, "model_version": child})["data"]["role"]
    answer = client.model_deploy({"model_id": MODEL_ID, "model_version": parent, "cpn_list": ["source_0", "trainer_0"]})
    assert answer["retcode"] == 0 and answer["data"]["model_version"] not in (parent, child)
