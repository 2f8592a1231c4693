"""Predict DSL derivation (§3.8, §1.2.14) and predict jobs (§3.9)."""
import json
from pathlib import Path

import pytest

from fate_flow.entity.dsl_errors import DeployError, DSLError
from fate_flow.entity.errors import MissingParametersError
from fate_flow.dsl.component_parameters import component_parameters
from fate_flow.dsl.dsl_parser import parse_dsl, parse_dsl_text
from fate_flow.dsl.predict_dsl import (add_code_paths, derive_inference_dsl_v1, dsl_generate,
                                             generate_predict_dsl, parse_cpn_list)
from fate_flow.dsl.predict_job import merge_predict_conf, predict_conf_template, prepare_predict_job

EXAMPLES = Path(__file__).parent / "dsl_examples"
MODULES = frozenset({"Reader", "DataIO", "Intersection", "HeteroFeatureBinning", "HeteroFeatureSelection",
                     "HeteroLR", "Evaluation"})


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def v2_dag(name="v2_train_dsl"):
    return parse_dsl(example(name), MODULES, version=2)


# ---- cpn_str ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cpn_str", [["dataio_0", "hetero_lr_0"], "dataio_0, hetero_lr_0", "[dataio_0,hetero_lr_0]",
                                     "dataio_0,\nhetero_lr_0,", "['dataio_0', \"hetero_lr_0\"]",
                                     ("dataio_0", " hetero_lr_0 ", "dataio_0")])
def test_parse_cpn_list(cpn_str):
    assert parse_cpn_list(cpn_str) == ("dataio_0", "hetero_lr_0")


def test_component_list_txt_example():
    # examples/component_list.txt (contract §11)
    assert parse_cpn_list("dataio_0, hetero_feature_binning_0, hetero_feature_selection_0, evaluation_0") == (
        "dataio_0", "hetero_feature_binning_0", "hetero_feature_selection_0", "evaluation_0")


@pytest.mark.parametrize("cpn_str", ["", "[]", " , ", [], "a\\b", 5, ["a", 1], None])
def test_bad_cpn_list(cpn_str):
    with pytest.raises(DeployError) as info:
        parse_cpn_list(cpn_str)
    assert info.value.field == "cpn_str"


# ---- v2 deploy ----------------------------------------------------------------------------------------------

def test_generate_matches_contract_predict_dsl():
    predict = generate_predict_dsl(v2_dag(), ["reader_0", "dataio_0", "intersection_0", "hetero_lr_0"])
    assert predict == example("v2_predict_dsl")
    assert list(predict["components"]) == ["reader_0", "dataio_0", "intersection_0", "hetero_lr_0"]


def test_generated_dsl_parses_in_predict_mode():
    predict = generate_predict_dsl(v2_dag(), ["reader_0", "dataio_0", "intersection_0", "hetero_lr_0"])
    dag = parse_dsl_text(json.dumps(predict), MODULES, mode="predict")
    assert dag.order == ("reader_0", "dataio_0", "intersection_0", "hetero_lr_0")


def test_unknown_components_cannot_be_deployed():
    with pytest.raises(DeployError) as info:
        generate_predict_dsl(v2_dag(), ["dataio_0", "zz_0", "nope_0"])
    assert info.value.message == "components {'nope_0', 'zz_0'} not exist in training dsl, can not deploy!!!"
    assert info.value.retcode == 100


@pytest.mark.parametrize("train_dsl", [json.dumps(example("v2_train_dsl")), example("v2_train_dsl")])
def test_dsl_generate_endpoint_inputs(train_dsl):
    predict = dsl_generate(train_dsl, "[reader_0, dataio_0,intersection_0, hetero_lr_0]")
    assert predict == example("v2_predict_dsl")


@pytest.mark.parametrize("kwargs,exc,field", [
    ({"cpn_str": "dataio_0", "version": "1"}, DeployError, "version"),
    ({"cpn_str": ""}, DeployError, "cpn_str"),
    ({"cpn_str": "nope_0"}, DeployError, "cpn_str"),
])
def test_dsl_generate_errors(kwargs, exc, field):
    with pytest.raises(exc) as info:
        dsl_generate(json.dumps(example("v2_train_dsl")), **kwargs)
    assert info.value.field == field


def test_dsl_generate_bad_train_dsl():
    with pytest.raises(DSLError):
        dsl_generate("{not json", "dataio_0")
    with pytest.raises(DSLError) as info:
        dsl_generate('{"components": {"a": {"module": "Reader"}, "a": {"module": "Reader"}}}', "a")
    assert info.value.component == "a"


def test_only_v2_deploys():
    with pytest.raises(DeployError):
        generate_predict_dsl(parse_dsl(example("v1_train_dsl"), MODULES, version=1), ["dataio_0"])


def test_deploy_without_reader_bypasses_skipped_components():
    """The examples/component_list.txt selection on the 1.6 test_hetero_lr_job DSL."""
    dag = v2_dag("v2_hetero_lr_job_dsl")
    cpns = parse_cpn_list("dataio_0, hetero_feature_binning_0, hetero_feature_selection_0, evaluation_0")
    assert generate_predict_dsl(dag, cpns) == {"components": {
        # top component: its Reader is not deployed, so its data input is dropped
        "dataio_0": {"module": "DataIO", "input": {"model": ["pipeline.dataio_0.dataio"]},
                     "output": {"data": ["train"]}},
        # intersection_0 is skipped: its output stands for its own input
        "hetero_feature_binning_0": {"module": "HeteroFeatureBinning",
                                     "input": {"model": ["pipeline.hetero_feature_binning_0.hetero_feature_binning"],
                                               "data": {"data": ["dataio_0.train"]}},
                                     "output": {"data": ["train"]}},
        # the isometric model input of training is not kept
        "hetero_feature_selection_0": {"module": "HeteroFeatureSelection",
                                       "input": {"model": ["pipeline.hetero_feature_selection_0.selected"],
                                                 "data": {"data": ["hetero_feature_binning_0.train"]}},
                                       "output": {"data": ["train"]}},
        # hetero_lr_0 is skipped: evaluation reads what hetero_lr_0 was trained on
        "evaluation_0": {"module": "Evaluation", "input": {"data": {"data": ["hetero_feature_selection_0.train"]}},
                         "output": {"data": ["evaluate"]}},
    }}


def test_reader_inputs_are_kept_when_the_reader_is_deployed():
    dag = v2_dag("v2_hetero_lr_job_dsl")
    predict = generate_predict_dsl(dag, ["reader_0", "dataio_0", "hetero_lr_0"])
    assert predict["components"]["dataio_0"]["input"]["data"] == {"data": ["reader_0.table"]}
    # skipped intersection/binning/selection trace back to dataio_0
    assert predict["components"]["hetero_lr_0"]["input"] == {"model": ["pipeline.hetero_lr_0.hetero_lr"],
                                                             "data": {"test_data": ["dataio_0.train"]}}


def test_only_the_first_predict_data_key_is_kept():
    dsl = example("v2_train_dsl")
    dsl["components"]["hetero_lr_0"]["input"]["data"] = {"validate_data": ["dataio_0.data"],
                                                         "train_data": ["intersection_0.data"]}
    predict = generate_predict_dsl(parse_dsl(dsl, MODULES), ["dataio_0", "intersection_0", "hetero_lr_0"])
    assert predict["components"]["hetero_lr_0"]["input"]["data"] == {"test_data": ["intersection_0.data"]}


def test_input_that_cannot_be_traced_back():
    dsl = {"components": {
        "reader_0": {"module": "Reader", "output": {"data": ["data"]}},
        "dataio_0": {"module": "DataIO", "input": {"data": {"data": ["reader_0.data"]}},
                     "output": {"data": ["data"], "model": ["model"]}},
        "dataio_1": {"module": "DataIO", "input": {"model": ["dataio_0.model"]}, "output": {"data": ["data"]}},
        "evaluation_0": {"module": "Evaluation", "input": {"data": {"data": ["dataio_0.data", "dataio_1.data"]}}},
    }}
    with pytest.raises(DeployError) as info:
        generate_predict_dsl(parse_dsl(dsl, MODULES), ["dataio_0", "evaluation_0"])
    assert (info.value.component, info.value.field) == ("evaluation_0", "input.data.data")
    assert "dataio_1.data" in info.value.message


# ---- v1 automatic inference DSL ---------------------------------------------------------------------------

def test_v1_inference_dsl_all_deployed():
    dag = parse_dsl(example("v1_train_dsl"), MODULES, version=1)
    assert derive_inference_dsl_v1(dag) == {"components": {
        "dataio_0": {"module": "DataIO", "input": {"model": ["pipeline.dataio_0.dataio"],
                                                   "data": {"data": ["args.eval_data"]}},
                     "output": {"data": ["train"]}},
        "hetero_feature_binning_0": {"module": "HeteroFeatureBinning",
                                     "input": {"model": ["pipeline.hetero_feature_binning_0.hetero_feature_binning"],
                                               "data": {"data": ["dataio_0.train"]}},
                                     "output": {"data": ["train"]}},
        "hetero_feature_selection_0": {"module": "HeteroFeatureSelection",
                                       "input": {"model": ["pipeline.hetero_feature_selection_0.selected"],
                                                 "data": {"data": ["hetero_feature_binning_0.train"]}},
                                       "output": {"data": ["train"]}},
        "hetero_lr_0": {"module": "HeteroLR", "input": {"model": ["pipeline.hetero_lr_0.hetero_lr"],
                                                        "data": {"test_data": ["hetero_feature_selection_0.train"]}},
                        "output": {"data": ["train"]}},
        "evaluation_0": {"module": "Evaluation", "input": {"data": {"data": ["hetero_lr_0.train"]}},
                         "output": {"data": ["evaluate"]}},
    }}


def test_v1_inference_dsl_respects_need_deploy():
    dsl = example("v1_train_dsl")
    dsl["components"]["hetero_feature_selection_0"]["need_deploy"] = False
    dag = parse_dsl(dsl, MODULES, version=1)
    # module defaults: Evaluation is not deployed; DataIO's own flag (true) beats its module default
    predict = derive_inference_dsl_v1(dag, {"Evaluation": False, "DataIO": False})
    assert list(predict["components"]) == ["dataio_0", "hetero_feature_binning_0", "hetero_lr_0"]
    assert predict["components"]["hetero_lr_0"]["input"]["data"] == {
        "test_data": ["hetero_feature_binning_0.train"]}


def test_v1_args_are_renamed_through_skipped_components():
    dsl = example("v1_train_dsl")
    dsl["components"]["dataio_0"]["need_deploy"] = False
    predict = derive_inference_dsl_v1(parse_dsl(dsl, MODULES, version=1))
    assert predict["components"]["hetero_feature_binning_0"]["input"]["data"] == {"data": ["args.eval_data"]}


def test_add_code_paths():
    predict = example("v2_predict_dsl")
    with_paths = add_code_paths(predict, {"DataIO": "federatedml/util/data_io.py/DataIO"})
    assert with_paths["components"]["dataio_0"]["CodePath"] == "federatedml/util/data_io.py/DataIO"
    assert "CodePath" not in with_paths["components"]["reader_0"]
    assert "CodePath" not in predict["components"]["dataio_0"]


# ---- predict jobs -------------------------------------------------------------------------------------------

def test_merge_predict_conf_predict_wins():
    merged = merge_predict_conf(example("v2_train_conf"), example("v2_predict_conf"))
    common = merged["job_parameters"]["common"]
    assert common["job_type"] == "predict" and common["model_version"] == "202009222324412188755"
    # training parameters survive where the predict conf says nothing
    assert merged["component_parameters"]["common"]["hetero_lr_0"]["max_iter"] == 30
    assert merged["component_parameters"]["role"]["guest"]["0"]["dataio_0"] == {"with_label": True}
    assert merged["component_parameters"]["role"]["guest"]["0"]["reader_0"]["table"]["name"] == "breast_hetero_guest"


def test_prepare_v2_predict_job():
    job = prepare_predict_job(example("v2_predict_conf"), example("v2_train_conf"), example("v2_predict_dsl"),
                              MODULES)
    assert job.model.model_id == "arbiter-9999#guest-10000#host-9999#model"
    assert job.model.model_version == "202009222324412188755"
    assert job.conf.job_type == "predict" and job.conf.version == 2
    assert job.dag.mode == "predict" and job.dag.order[0] == "reader_0"
    assert component_parameters(job.dag, job.conf, "dataio_0", "host", 9999) == {"output_format": "dense",
                                                                                "with_label": False}


def test_prepare_v1_predict_job():
    train_conf = example("v1_train_conf")
    predict_conf = example("v1_predict_conf")
    train_conf["initiator"]["party_id"] = 10000
    train_conf["role"] = predict_conf["role"]
    dag = parse_dsl(example("v1_train_dsl"), MODULES, version=1)
    job = prepare_predict_job(predict_conf, train_conf, derive_inference_dsl_v1(dag), MODULES)
    assert job.model.model_version == "20190810154805024303_1"
    assert job.conf.version == 1 and job.dag.args_keys == ("eval_data",)
    assert job.conf.to_dict()["role_parameters"]["guest"]["args"]["data"]["eval_data"][0]["namespace"] == \
        "experiment"


def test_predict_job_requires_model_id_and_version():
    conf = example("v2_predict_conf")
    del conf["job_parameters"]["common"]["model_id"]
    del conf["job_parameters"]["common"]["model_version"]
    with pytest.raises(MissingParametersError) as info:
        prepare_predict_job(conf, example("v2_train_conf"), example("v2_predict_dsl"), MODULES)
    assert info.value.message == "required parameters are missing: model_id,model_version;"


def test_undeployed_v2_model():
    with pytest.raises(DSLError) as info:
        prepare_predict_job(example("v2_predict_conf"), example("v2_train_conf"), {}, MODULES)
    assert info.value.message == "Model arbiter-9999#guest-10000#host-9999#model 202009222324412188755 has not " \
                                 "been deployed yet."


def deployed_without_reader() -> dict:
    """What deploy stores for cpn_list dataio_0, intersection_0, hetero_lr_0: dataio_0 lost its data input."""
    return generate_predict_dsl(v2_dag(), ["dataio_0", "intersection_0", "hetero_lr_0"])


def with_reader(predict_dsl: dict) -> dict:
    """FATE's habit (hetero-lr-normal-predict-dsl.json): the deployed DSL plus reader_0 feeding dataio_0."""
    dsl = json.loads(json.dumps(predict_dsl))
    dsl["components"] = {"reader_0": {"module": "Reader", "output": {"data": ["data"]}}, **dsl["components"]}
    dsl["components"]["dataio_0"]["input"]["data"] = {"data": ["reader_0.data"]}
    return dsl


def test_a_submitted_predict_dsl_with_a_reader_is_the_one_that_runs():
    stored = deployed_without_reader()
    submitted = with_reader(stored)
    job = prepare_predict_job(example("v2_predict_conf"), example("v2_train_conf"), stored, MODULES,
                              submitted_dsl=submitted, train_dsl=example("v2_train_dsl"))
    assert job.dsl == submitted
    assert job.dag.order == ("reader_0", "dataio_0", "intersection_0", "hetero_lr_0")
    assert [r.text for r in job.dag.components["dataio_0"].data_inputs["data"]] == ["reader_0.data"]


@pytest.mark.parametrize("submitted", [None, {}, {"components": {}}])
def test_without_a_submitted_dsl_the_stored_inference_dsl_runs(submitted):
    stored = example("v2_predict_dsl")
    job = prepare_predict_job(example("v2_predict_conf"), example("v2_train_conf"), stored, MODULES,
                              submitted_dsl=submitted, train_dsl=example("v2_train_dsl"))
    assert job.dsl == stored and job.dag.order[0] == "reader_0"


def test_a_stored_dsl_whose_top_component_lost_its_reader_is_refused_at_submit():
    with pytest.raises(DSLError) as info:
        prepare_predict_job(example("v2_predict_conf"), example("v2_train_conf"), deployed_without_reader(),
                            MODULES, train_dsl=example("v2_train_dsl"))
    assert (info.value.component, info.value.field) == ("dataio_0", "input.data")
    assert "Component dataio_0 has no data input in the deployed model's predict DSL" in info.value.message


def _edited(edit) -> dict:
    dsl = with_reader(deployed_without_reader())
    edit(dsl["components"])
    return dsl


@pytest.mark.parametrize("edit, component, field, words", [
    (lambda c: c.update(evaluation_0={"module": "Evaluation", "input": {"data": {"data": ["hetero_lr_0.data"]}}}),
     "evaluation_0", "job_dsl", "evaluation_0 (Evaluation) is not a component of the deployed model"),
    (lambda c: c["hetero_lr_0"]["input"].pop("model"), "hetero_lr_0", "input.model",
     "hetero_lr_0's input.model is [], the deployed model gives it ['pipeline.hetero_lr_0.model']"),
    (lambda c: c["dataio_0"]["input"].update(model=["pipeline.hetero_lr_0.model"]), "dataio_0", "input.model",
     "the deployed model gives it ['pipeline.dataio_0.model']"),
    (lambda c: c["intersection_0"].update(module="HeteroFeatureBinning"), "intersection_0", "module",
     "the deployed model's intersection_0 is Intersection"),
    (lambda c: c["dataio_0"]["input"].pop("data"), "dataio_0", "input.data", "has no data input in the submitted"),
])
def test_a_submitted_predict_dsl_uses_only_the_deployed_components_with_their_models(edit, component, field, words):
    with pytest.raises(DSLError) as info:
        prepare_predict_job(example("v2_predict_conf"), example("v2_train_conf"), deployed_without_reader(),
                            MODULES, submitted_dsl=_edited(edit), train_dsl=example("v2_train_dsl"))
    assert (info.value.component, info.value.field) == (component, field)
    assert words in info.value.message


def test_a_submitted_predict_dsl_is_checked_like_any_dsl():
    dsl = with_reader(deployed_without_reader())
    dsl["components"]["dataio_0"]["input"]["data"] = {"data": ["reader_9.data"]}
    with pytest.raises(DSLError) as info:
        prepare_predict_job(example("v2_predict_conf"), example("v2_train_conf"), deployed_without_reader(),
                            MODULES, submitted_dsl=dsl)
    assert "reader_9" in info.value.message


def test_v2_predict_conf_template():
    template = predict_conf_template(example("v2_predict_dsl"), example("v2_train_conf"), "mid", "mv")
    assert template == {
        "dsl_version": 2,
        "role": {"guest": [10000], "host": [9999], "arbiter": [9999]},
        "initiator": {"role": "guest", "party_id": 10000},
        "job_parameters": {"common": {"job_type": "predict", "backend": 0, "work_mode": 0,
                                      "model_id": "mid", "model_version": "mv"}},
        "component_parameters": {"role": {
            "guest": {"0": {"reader_0": {"table": {"name": "name_to_be_filled_0",
                                                   "namespace": "namespace_to_be_filled_0"}}}},
            "host": {"0": {"reader_0": {"table": {"name": "name_to_be_filled_0",
                                                  "namespace": "namespace_to_be_filled_0"}}}}}},
    }


def test_v1_predict_conf_template():
    train_conf = example("v1_train_conf")
    train_conf["role"]["host"] = [10000, 10001]
    dag = parse_dsl(example("v1_train_dsl"), MODULES, version=1)
    template = predict_conf_template(derive_inference_dsl_v1(dag), train_conf, "mid", "mv")
    assert template["job_parameters"] == {**train_conf["job_parameters"], "job_type": "predict",
                                          "model_id": "mid", "model_version": "mv"}
    assert template["role_parameters"]["host"] == {"args": {"data": {"eval_data": [
        {"name": "name_to_be_filled_0", "namespace": "namespace_to_be_filled_0"},
        {"name": "name_to_be_filled_1", "namespace": "namespace_to_be_filled_1"}]}}}
    assert set(template["role_parameters"]) == {"guest", "host"}
    assert "dsl_version" not in template
