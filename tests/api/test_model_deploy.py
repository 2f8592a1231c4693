"""The pipelined model a training job leaves on each party (contract §8.1, §8.2, §5.6) and /v1/model/deploy
(§1.5.9, §8.4), over a real server hosting guest 9999 and host 10000 (deploy is sent to them over gRPC)."""
from __future__ import annotations

import json

import pytest
import yaml

from fate_flow.db.base import DB
from fate_flow.db.models import MachineLearningModelInfo
from fate_flow.proto.pipeline_pb2 import Pipeline
from tests.scheduler.flow import start_flow
from tests.scheduler.test_predict_jobs import CODE_PATH, MODEL_ID, PARTIES, v2_train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One server and one trained v2 model (source_0 -> trainer_0) for every test here."""
    flow = start_flow(tmp_path_factory.mktemp("model_deploy"))
    try:
        yield flow, v2_train(flow)
    finally:
        flow.stop()


def model_dir(flow, role: str, party_id: str, version: str):
    return flow.settings.home / "model_local_cache" / f"{role}#{party_id}#{MODEL_ID}" / version


def read_pipeline(directory) -> Pipeline:
    pipeline = Pipeline()
    pipeline.ParseFromString((directory / "pipeline.pb").read_bytes())
    return pipeline


def model_rows(version: str) -> dict:
    with DB.obj.connection_context():
        M = MachineLearningModelInfo
        return {(r.f_role, r.f_party_id): r for r in M.select().where(M.f_model_version == version)}


def deploy(flow, **body) -> dict:
    return flow.post("/v1/model/deploy", {"model_id": MODEL_ID, **body})


def test_training_writes_the_pipeline_record_and_definition_on_each_party(trained):
    flow, job_id = trained
    rows = model_rows(job_id)
    for role, party_id in PARTIES:
        directory = model_dir(flow, role, party_id, job_id)
        record = (directory / "pipeline.pb").read_bytes()
        assert record == (directory / "variables/data/pipeline/pipeline/Pipeline").read_bytes()
        pipeline = read_pipeline(directory)
        job = flow.job(job_id, role, party_id)
        assert (pipeline.model_id, pipeline.model_version, pipeline.parent, pipeline.fate_version) == (
            MODEL_ID, job_id, True, "1.6.1")
        assert (pipeline.initiator_role, pipeline.initiator_party_id, pipeline.work_mode) == ("guest", 9999, 0)
        assert json.loads(pipeline.inference_dsl) == {} and json.loads(pipeline.parent_info) == {}
        assert json.loads(pipeline.train_dsl) == job.f_dsl
        assert json.loads(pipeline.train_runtime_conf) == job.f_runtime_conf
        assert json.loads(pipeline.runtime_conf_on_party) == job.f_runtime_conf_on_party
        assert json.loads(pipeline.roles) == {"guest": [9999], "host": [10000]}

        assert yaml.safe_load((directory / "define/define_meta.yaml").read_text()) == {
            "describe": "This is the model definition meta",
            "component_define": {"trainer_0": {"module_name": "TestModelTrainer"},
                                 "pipeline": {"module_name": "Pipeline"}},
            "model_proto": {"trainer_0": {"model": {"TestModelParam": "Struct"}},
                            "pipeline": {"pipeline": {"Pipeline": "Pipeline"}}}}
        assert "message Pipeline" in (directory / "define/proto/pipeline.proto").read_text()

        row = rows[(role, party_id)]
        assert (row.f_job_id, row.f_model_id, row.f_parent, row.f_job_status) == (job_id, MODEL_ID, True, "success")
        assert row.f_inference_dsl == {} and row.f_parent_info == {} and row.f_fate_version == "1.6.1"
        assert row.f_train_dsl == job.f_dsl and row.f_size >= 1


def test_deploy_with_cpn_list_makes_a_child_version_on_every_party(trained):
    flow, job_id = trained
    answer = deploy(flow, model_version=job_id, cpn_list="source_0, trainer_0")
    assert answer["retcode"] == 0 and answer["retmsg"] == "success", answer
    child = answer["data"]["model_version"]
    assert child != job_id and child.isdigit() and len(child) == len(job_id)
    assert answer["data"] == {
        "model_id": MODEL_ID, "model_version": child, "guest": {"9999": 0}, "host": {"10000": 0},
        "detail": {"guest": {"9999": {"retcode": 0, "retmsg": "deploy model of role guest 9999 success"}},
                   "host": {"10000": {"retcode": 0, "retmsg": "deploy model of role host 10000 success"}}}}

    rows = model_rows(child)
    for role, party_id in PARTIES:
        parent_dir, child_dir = model_dir(flow, role, party_id, job_id), model_dir(flow, role, party_id, child)
        pipeline = read_pipeline(child_dir)
        assert (child_dir / "pipeline.pb").read_bytes() == \
               (child_dir / "variables/data/pipeline/pipeline/Pipeline").read_bytes()
        assert (pipeline.model_version, pipeline.parent) == (child, False)
        assert json.loads(pipeline.parent_info) == {"parent_model_id": MODEL_ID, "parent_model_version": job_id}
        assert json.loads(pipeline.train_runtime_conf)["job_parameters"]["common"]["model_version"] == child
        assert json.loads(pipeline.runtime_conf_on_party)["job_parameters"]["model_version"] == child
        assert json.loads(pipeline.inference_dsl) == {"components": {
            "source_0": {"module": "TestSource", "output": {"data": ["data"]}, "CodePath": f"{CODE_PATH}/TestSource"},
            "trainer_0": {"module": "TestModelTrainer",
                          "input": {"model": ["pipeline.trainer_0.model"], "data": {"test_data": ["source_0.data"]}},
                          "output": {"data": ["data"]}, "CodePath": f"{CODE_PATH}/TestModelTrainer"}}}
        buffer = "variables/data/trainer_0/model/TestModelParam"
        assert (child_dir / buffer).read_bytes() == (parent_dir / buffer).read_bytes()
        assert read_pipeline(parent_dir).parent  # the parent is left as it was
        assert not [p.name for p in child_dir.parent.iterdir() if p.name.startswith(".")]  # no staging left
        row = rows[(role, party_id)]
        assert (row.f_job_id, row.f_parent, row.f_parent_info["parent_model_version"]) == (child, False, job_id)
        assert row.f_inference_dsl == json.loads(pipeline.inference_dsl)

    again = deploy(flow, model_version=child)
    assert again["retcode"] == 101 and again["retmsg"] == "failed", again
    assert again["data"]["detail"]["host"]["10000"]["retmsg"] == \
           "deploy model of role host 10000 failed, details: Child model could not be deployed."


def test_deploy_takes_a_predict_dsl_given_as_text_or_defaults_to_every_component(trained):
    flow, job_id = trained
    predict_dsl = {"components": {
        "source_0": {"module": "TestSource", "output": {"data": ["data"]}},
        "trainer_0": {"module": "TestModelTrainer", "input": {"data": {"data": ["source_0.data"]},
                                                                "model": ["pipeline.trainer_0.model"]},
                      "output": {"data": ["data"]}}}}
    answer = deploy(flow, model_version=job_id, dsl=json.dumps(predict_dsl))
    assert answer["retcode"] == 0, answer
    stored = json.loads(read_pipeline(model_dir(flow, "host", "10000", answer["data"]["model_version"])).inference_dsl)
    assert stored["components"]["trainer_0"] == {**predict_dsl["components"]["trainer_0"],
                                                 "CodePath": f"{CODE_PATH}/TestModelTrainer"}

    answer = deploy(flow, model_version=job_id)
    assert answer["retcode"] == 0, answer
    stored = json.loads(read_pipeline(model_dir(flow, "guest", "9999", answer["data"]["model_version"])).inference_dsl)
    assert list(stored["components"]) == ["source_0", "trainer_0"]


@pytest.mark.parametrize("body, retmsg", [
    ({"model_version": "20200101000000000000"},
     f"Deploy model failed, no model {MODEL_ID} 20200101000000000000 found."),
    ({"model_version": "{job_id}", "cpn_list": ["trainer_0", "evaluation_0"]},
     "Deploy model failed, components {'evaluation_0'} not exist in training dsl, can not deploy!!!"),
    ({"model_version": "{job_id}", "cpn_list": []}, None),  # an empty list deploys every component
    ({"model_version": "{job_id}", "predict_dsl": {"components": {"trainer_0": {
        "module": "TestModelTrainer", "input": {"model": ["pipeline.trainer_9.model"]}}}}},
     "Deploy model failed, predict_dsl: Component trainer_0's model input pipeline.trainer_9.model is not a "
     "model of the training job"),
    ({"model_version": "{job_id}", "predict_dsl": {"components": {}}},
     "Deploy model failed, predict_dsl: components of dsl is empty, please have a check!"),
    ({"model_version": "{job_id}", "predict_dsl": {"modules": {}}},
     "Deploy model failed, predict_dsl: No components field in dsl, please have a check!"),
    ({"model_version": "{job_id}", "cpn_list": 7},
     "Deploy model failed, cpn_list: component list should be a list of names or a string, but 7 found"),
    ({"model_version": "{job_id}", "predict_dsl": "{not json"}, "Deploy model failed, predict_dsl is not valid JSON"),
])
def test_deploy_refusals_name_the_model_or_the_component(trained, body, retmsg):
    flow, job_id = trained
    body = {k: v.replace("{job_id}", job_id) if isinstance(v, str) and k == "model_version" else v
            for k, v in body.items()}
    answer = deploy(flow, **body)
    if retmsg is None:
        assert answer["retcode"] == 0, answer
    else:
        assert answer["retcode"] == 100 and answer["retmsg"].startswith(retmsg), answer


def test_a_component_list_that_cuts_the_dag_names_the_component(trained):
    flow, job_id = trained
    answer = deploy(flow, model_version=job_id, cpn_list=["trainer_0"])
    assert answer["retcode"] == 100, answer
    assert answer["retmsg"].startswith("Deploy model failed, Component trainer_0's data input source_0.data comes "
                                       "from source_0, which is not deployed"), answer


def test_deploy_needs_model_id_and_version(trained):
    flow, _ = trained
    answer = flow.post("/v1/model/deploy", {"model_id": MODEL_ID})
    assert answer == {"retcode": 100, "retmsg": "required parameters are missing: model_version;"}
