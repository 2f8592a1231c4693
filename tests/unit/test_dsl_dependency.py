"""/v1/pipeline/dag/dependency data (contract §1.4)."""
import json
from pathlib import Path

import pytest

from fate_flow.entity.dsl_errors import DSLError
from fate_flow.dsl.dag_dependency import dag_dependency
from fate_flow.dsl.dsl_parser import parse_dsl
from fate_flow.dsl.runtime_conf import parse_runtime_conf

EXAMPLES = Path(__file__).parent / "dsl_examples"
MODULES = frozenset({"Reader", "DataIO", "Intersection", "HeteroFeatureBinning", "HeteroFeatureSelection",
                     "HeteroLR", "Evaluation"})
MODULE_ROLES = {"Reader": ["guest|host"], "DataIO": ["guest|host"], "Intersection": ["guest|host"],
                "HeteroFeatureBinning": ["guest|host"], "HeteroFeatureSelection": ["guest|host"],
                "HeteroLR": ["guest", "host", "arbiter"], "Evaluation": ["guest|host"]}


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def dependency(dsl, conf, role, party_id, version=2, **kwargs):
    return dag_dependency(parse_dsl(dsl, MODULES, version=version), parse_runtime_conf(conf), role, party_id,
                          **kwargs)


def test_v2_example_for_guest():
    data = dependency(example("v2_train_dsl"), example("v2_train_conf"), "guest", 10000, module_roles=MODULE_ROLES)
    assert data == {
        "component_list": ["reader_0", "dataio_0", "intersection_0", "hetero_lr_0", "evaluation_0"],
        "dependencies": {
            "dataio_0": [{"component_name": "reader_0", "type": "data", "up_output_info": ["data", 0]}],
            "intersection_0": [{"component_name": "dataio_0", "type": "data", "up_output_info": ["data", 0]}],
            "hetero_lr_0": [{"component_name": "intersection_0", "type": "train_data",
                             "up_output_info": ["data", 0]}],
            "evaluation_0": [{"component_name": "hetero_lr_0", "type": "data", "up_output_info": ["data", 0]}],
        },
        "component_module": {"reader_0": "Reader", "dataio_0": "DataIO", "intersection_0": "Intersection",
                             "hetero_lr_0": "HeteroLR", "evaluation_0": "Evaluation"},
        "component_need_run": {"reader_0": True, "dataio_0": True, "intersection_0": True, "hetero_lr_0": True,
                               "evaluation_0": True},
    }


def test_arbiter_does_not_run_guest_host_modules():
    data = dependency(example("v2_train_dsl"), example("v2_train_conf"), "arbiter", "9999",
                      module_roles=MODULE_ROLES)
    assert data["component_need_run"] == {"reader_0": False, "dataio_0": False, "intersection_0": False,
                                          "hetero_lr_0": True, "evaluation_0": False}
    # without module roles every module runs everywhere
    data = dependency(example("v2_train_dsl"), example("v2_train_conf"), "arbiter", 9999)
    assert all(data["component_need_run"].values())


def test_model_and_isometric_model_dependencies():
    data = dependency(example("v2_hetero_lr_job_dsl"), example("v2_hetero_lr_job_conf"), "host", 10000)
    assert data["dependencies"]["hetero_feature_selection_0"] == [
        {"component_name": "hetero_feature_binning_0", "type": "data", "up_output_info": ["data", 0]},
        {"component_name": "hetero_feature_binning_0", "type": "model", "up_output_info": ["model", 0]}]
    assert "reader_0" not in data["dependencies"]
    assert data["component_list"] == ["reader_0", "dataio_0", "intersection_0", "hetero_feature_binning_0",
                                      "hetero_feature_selection_0", "hetero_lr_0", "evaluation_0"]


def test_validate_data_type_and_output_index():
    dsl = example("v2_train_dsl")
    dsl["components"]["intersection_0"]["output"]["data"] = ["train", "data"]
    dsl["components"]["hetero_lr_0"]["input"]["data"] = {"train_data": ["intersection_0.train"],
                                                         "validate_data": ["intersection_0.data"]}
    dsl["components"]["evaluation_0"]["input"]["data"] = {"eval_data": ["hetero_lr_0.data"],
                                                          "test_data": ["intersection_0.data"]}
    data = dependency(dsl, example("v2_train_conf"), "guest", 10000)
    assert data["dependencies"]["hetero_lr_0"] == [
        {"component_name": "intersection_0", "type": "train_data", "up_output_info": ["data", 0]},
        {"component_name": "intersection_0", "type": "validate_data", "up_output_info": ["data", 1]}]
    assert [d["type"] for d in data["dependencies"]["evaluation_0"]] == ["validate_data", "validate_data"]


def test_v1_need_run_false_for_host_evaluation_and_args_not_listed():
    conf = example("v1_train_conf")
    conf["role_parameters"]["host"]["evaluation_0"] = {"need_run": [False]}
    dsl = example("v1_train_dsl")
    host = dependency(dsl, conf, "host", 10000, version=1, module_roles=MODULE_ROLES)
    guest = dependency(dsl, conf, "guest", 9999, version=1, module_roles=MODULE_ROLES)
    assert host["component_need_run"]["evaluation_0"] is False
    assert guest["component_need_run"]["evaluation_0"] is True
    assert "dataio_0" not in host["dependencies"]  # its only input is args.train_data


def test_need_run_per_party_and_inherited_through_model_input():
    dsl = example("v2_train_dsl")
    dsl["components"]["hetero_lr_1"] = {"module": "HeteroLR",
                                        "input": {"data": {"test_data": ["intersection_0.data"]},
                                                  "model": ["hetero_lr_0.model"]},
                                        "output": {"data": ["data"]}}
    conf = example("v2_train_conf")
    conf["role"]["host"] = [9999, 10001]
    conf["component_parameters"]["role"]["host"]["1"] = {"hetero_lr_0": {"need_run": False},
                                                         "dataio_0": {"need_run": False}}
    first = dependency(dsl, conf, "host", 9999)
    second = dependency(dsl, conf, "host", 10001)
    assert first["component_need_run"]["hetero_lr_1"] is True
    assert second["component_need_run"]["dataio_0"] is False
    assert second["component_need_run"]["hetero_lr_0"] is False
    assert second["component_need_run"]["hetero_lr_1"] is False
    assert second["dependencies"]["hetero_lr_1"] == [
        {"component_name": "intersection_0", "type": "validate_data", "up_output_info": ["data", 0]},
        {"component_name": "hetero_lr_0", "type": "model", "up_output_info": ["model", 0]}]


def test_predict_dsl_pipeline_models_not_listed():
    dag = parse_dsl(example("v2_predict_dsl"), MODULES, mode="predict")
    data = dag_dependency(dag, parse_runtime_conf(example("v2_predict_conf")), "guest", 10000)
    assert data["dependencies"]["dataio_0"] == [
        {"component_name": "reader_0", "type": "data", "up_output_info": ["data", 0]}]
    assert data["dependencies"]["hetero_lr_0"][0]["type"] == "validate_data"  # test_data


@pytest.mark.parametrize("role,party_id,message", [
    ("local", 0, "role local is unknown, can not extract component dependency"),
    ("guest", 9999, "party id 9999 is unknown, can not extract component dependency"),
    ("guest", "abc", "party id abc is unknown, can not extract component dependency"),
])
def test_unknown_role_or_party(role, party_id, message):
    with pytest.raises(DSLError) as info:
        dependency(example("v2_train_dsl"), example("v2_train_conf"), role, party_id)
    assert info.value.message == message and info.value.retcode == 100
