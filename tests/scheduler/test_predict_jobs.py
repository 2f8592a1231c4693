"""Predict jobs (contract §3.9) on one server hosting guest 9999 and host 10000: train with the test
components, deploy (v2) or not (v1), predict with the model, and compare the rows it outputs."""
from __future__ import annotations

import pytest

from fate_flow.db.base import DB
from fate_flow.db.models import MachineLearningModelInfo, StorageTableMeta, TrackingOutputDataInfo
from tests.scheduler.flow import dsl_conf

pytestmark = pytest.mark.slow

SOURCE = {"module": "TestSource", "output": {"data": ["data"]}}
TRAINER = {"module": "TestModelTrainer", "input": {"data": {"train_data": ["source_0.data"]}},
           "output": {"data": ["data"], "model": ["model"]}}
MODEL_ID = "guest-9999#host-10000#model"
CODE_PATH = "tests/scheduler/components.py"
PARTIES = (("guest", "9999"), ("host", "10000"))


def run_job(flow, dsl: dict, conf: dict) -> str:
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 0, answer
    job_id = answer["jobId"]
    flow.run_until(lambda: flow.job_status(job_id) in ("success", "failed"), timeout=60)
    assert flow.job_status(job_id) == "success", [(t.f_task_id, t.f_role, t.f_fail_reason) for t in flow.tasks(job_id)]
    flow.run_until(lambda: all(j.f_status == "success" for j in flow.jobs(job_id)), timeout=10)
    return job_id


def output_rows(job_id: str, role: str, party_id: str, component: str = "trainer_0") -> dict:
    """key -> value of a component's output table (the stored sample holds every row of these small tables)."""
    with DB.obj.connection_context():
        info = TrackingOutputDataInfo.get(TrackingOutputDataInfo.f_job_id == job_id,
                                          TrackingOutputDataInfo.f_component_name == component,
                                          TrackingOutputDataInfo.f_role == role,
                                          TrackingOutputDataInfo.f_party_id == party_id)
        meta = StorageTableMeta.get(StorageTableMeta.f_name == info.f_table_name,
                                    StorageTableMeta.f_namespace == info.f_table_namespace)
    assert len(meta.f_part_of_data) == meta.f_count
    return {key: value for key, value in meta.f_part_of_data}


def v2_train(flow) -> str:
    dsl, conf = dsl_conf({"source_0": SOURCE, "trainer_0": TRAINER}, params={"trainer_0": {"scale": 2.0}},
                         role_params={"guest": {"0": {"source_0": {"rows": 8}}},
                                      "host": {"0": {"source_0": {"rows": 6}}}})
    return run_job(flow, dsl, conf)


def predict_conf_v2(model_version: str | None, guest_rows: int | None = None) -> dict:
    common = {"work_mode": 0, "job_type": "predict", "model_id": MODEL_ID}
    if model_version is not None:
        common["model_version"] = model_version
    conf = {"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999},
            "role": {"guest": [9999], "host": [10000]}, "job_parameters": {"common": common}}
    if guest_rows is not None:
        conf["component_parameters"] = {"role": {"guest": {"0": {"source_0": {"rows": guest_rows}}}}}
    return conf


def test_a_deployed_v2_model_predicts_what_training_computed(flow):
    train_id = v2_train(flow)
    trained = {p: output_rows(train_id, *p) for p in PARTIES}
    # offset = 2 x mean of the first column: guest rows 0..7 -> 7.0, host rows 0..5 -> 5.0
    assert trained[("guest", "9999")][3] == [10.0, 6] and trained[("host", "10000")][3] == [8.0, 6]

    # a v2 parent has not been deployed: predict is refused with the contract's message
    answer = flow.submit({}, predict_conf_v2(train_id))
    assert answer["retcode"] == 100, answer
    assert answer["retmsg"] == f"Model {MODEL_ID} {train_id} has not been deployed yet."
    # model_version is required, and named
    answer = flow.submit({}, predict_conf_v2(None))
    assert answer["retcode"] == 100 and answer["retmsg"] == "required parameters are missing: model_version;", answer
    # a version nobody trained
    answer = flow.submit({}, predict_conf_v2("20200101000000000000"))
    assert answer["retcode"] == 100 and "does not exist at guest party 9999" in answer["retmsg"], answer

    deployed = flow.post("/v1/model/deploy", {"model_id": MODEL_ID, "model_version": train_id,
                                              "cpn_list": ["source_0", "trainer_0"]})
    assert deployed["retcode"] == 0, deployed
    child = deployed["data"]["model_version"]

    # a submitted predict DSL may only use the deployed components (and Readers)
    answer = flow.submit({"components": {"other_0": {"module": "TestSource", "output": {"data": ["data"]}}}},
                         predict_conf_v2(child, 5))
    assert answer["retcode"] == 100 and "other_0 (TestSource) is not a component of the deployed model" in \
        answer["retmsg"], answer

    # no DSL: the model's own; guest predicts on 5 rows (its predict conf), host on the 6 rows of its training conf
    answer = flow.submit({}, predict_conf_v2(child, 5))
    assert answer["retcode"] == 0, answer
    assert answer["data"]["model_info"] == {"model_id": MODEL_ID, "model_version": child}
    predict_id = answer["jobId"]
    flow.run_until(lambda: flow.job_status(predict_id) in ("success", "failed"), timeout=60)
    assert flow.job_status(predict_id) == "success", [(t.f_task_id, t.f_role, t.f_fail_reason)
                                                      for t in flow.tasks(predict_id)]
    predicted = {p: output_rows(predict_id, *p) for p in PARTIES}
    assert len(predicted[("guest", "9999")]) == 5 and len(predicted[("host", "10000")]) == 6
    for party in PARTIES:
        assert predicted[party] == {k: v for k, v in trained[party].items() if k in predicted[party]}

    job = flow.job(predict_id)
    training_conf = flow.job(train_id).f_runtime_conf  # as the child model holds it: with the child version
    training_conf["job_parameters"]["common"]["model_version"] = child
    assert job.f_train_runtime_conf == training_conf
    assert job.f_dsl["components"]["trainer_0"] == {
        "module": "TestModelTrainer", "input": {"model": ["pipeline.trainer_0.model"],
                                                "data": {"test_data": ["source_0.data"]}},
        "output": {"data": ["data"]}, "CodePath": f"{CODE_PATH}/TestModelTrainer"}
    assert job.f_runtime_conf["job_parameters"]["common"]["job_type"] == "predict"
    # a predict job makes no model of its own
    assert not list((flow.settings.home / "model_local_cache").glob(f"*/{predict_id}"))
    with DB.obj.connection_context():
        assert not MachineLearningModelInfo.select().where(MachineLearningModelInfo.f_job_id == predict_id).exists()


def test_a_v1_model_predicts_without_deploy_with_its_derived_inference_dsl(flow):
    dsl = {"components": {"source_0": SOURCE, "trainer_0": TRAINER}}
    conf = {"initiator": {"role": "guest", "party_id": 9999}, "job_parameters": {"work_mode": 0},
            "role": {"guest": [9999], "host": [10000]},
            "role_parameters": {"guest": {"source_0": {"rows": [8]}}, "host": {"source_0": {"rows": [6]}}},
            "algorithm_parameters": {"trainer_0": {"scale": 3.0}}}
    train_id = run_job(flow, dsl, conf)
    trained = {p: output_rows(train_id, *p) for p in PARTIES}

    info = flow.post("/v1/model/query", {"model_id": MODEL_ID, "model_version": train_id, "role": "host"})
    assert info["retcode"] == 0, info
    [row] = info["data"]
    assert row["f_parent"] is True and row["f_inference_dsl"] == {"components": {
        "source_0": {"module": "TestSource", "output": {"data": ["data"]}, "CodePath": f"{CODE_PATH}/TestSource"},
        "trainer_0": {"module": "TestModelTrainer", "input": {"model": ["pipeline.trainer_0.model"],
                                                              "data": {"test_data": ["source_0.data"]}},
                      "output": {"data": ["data"]}, "CodePath": f"{CODE_PATH}/TestModelTrainer"}}}

    predict = {"initiator": {"role": "guest", "party_id": 9999},
               "job_parameters": {"work_mode": 0, "job_type": "predict", "model_id": MODEL_ID,
                                  "model_version": train_id},
               "role": {"guest": [9999], "host": [10000]},
               "role_parameters": {"host": {"source_0": {"rows": [4]}}}}
    predict_id = run_job(flow, {}, predict)
    predicted = {p: output_rows(predict_id, *p) for p in PARTIES}
    assert len(predicted[("guest", "9999")]) == 8 and len(predicted[("host", "10000")]) == 4
    for party in PARTIES:
        assert predicted[party] == {k: v for k, v in trained[party].items() if k in predicted[party]}
    assert flow.job(predict_id, "host", "10000").f_train_runtime_conf == flow.job(train_id).f_runtime_conf
