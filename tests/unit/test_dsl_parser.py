"""DSL v1/v2 parsing: the contract's examples (§3.4, §3.5) and every validation error."""
import copy
import json
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from fate_flow.entity.dsl_errors import DSLError
from fate_flow.entity.errors import ParameterError
from fate_flow.entity.retcode import RetCode
from fate_flow.dsl.dag import SOURCE_ARGS, SOURCE_COMPONENT, SOURCE_PIPELINE
from fate_flow.dsl.dsl_parser import parse_dsl, parse_dsl_text, parse_dsl_version

EXAMPLES = Path(__file__).parent / "dsl_examples"
MODULES = frozenset({"Reader", "DataIO", "Intersection", "HeteroFeatureBinning", "HeteroFeatureSelection",
                     "HeteroLR", "Evaluation"})


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def error(dsl, version=2, mode="train", modules=MODULES) -> DSLError:
    with pytest.raises(DSLError) as info:
        parse_dsl(dsl, modules, version=version, mode=mode)
    return info.value


def two(a_input=None, b_input=None, a_module="DataIO", b_module="Intersection") -> dict:
    a = {"module": a_module, "output": {"data": ["data"], "model": ["model"]}}
    b = {"module": b_module, "output": {"data": ["data"], "model": ["model"]}}
    if a_input is not None:
        a["input"] = a_input
    if b_input is not None:
        b["input"] = b_input
    return {"components": {"a_0": a, "b_0": b}}


# ---- the contract's examples ---------------------------------------------------------------------------------

def test_v2_example_order_and_edges():
    dag = parse_dsl(example("v2_train_dsl"), MODULES, version=2)
    assert dag.version == 2 and dag.mode == "train"
    assert dag.order == ("reader_0", "dataio_0", "intersection_0", "hetero_lr_0", "evaluation_0")
    assert dag.upstream["reader_0"] == ()
    assert dag.upstream["hetero_lr_0"] == ("intersection_0",)
    assert dag.downstream["dataio_0"] == ("intersection_0",)
    assert dag.downstream["evaluation_0"] == ()
    lr = dag.component("hetero_lr_0")
    assert lr.module == "HeteroLR"
    assert lr.output_data == ("data",) and lr.output_model == ("model",)
    (ref,) = lr.inputs
    assert (ref.kind, ref.key, ref.source, ref.component, ref.output) == \
        ("data", "train_data", SOURCE_COMPONENT, "intersection_0", "data")
    assert dag.args_keys == ()


def test_v1_example_order_edges_and_args():
    dag = parse_dsl(example("v1_train_dsl"), MODULES, version=1)
    assert dag.order == ("dataio_0", "hetero_feature_binning_0", "hetero_feature_selection_0", "hetero_lr_0",
                         "evaluation_0")
    assert dag.args_keys == ("train_data",)
    (arg,) = dag.component("dataio_0").inputs
    assert (arg.source, arg.output, arg.text) == (SOURCE_ARGS, "train_data", "args.train_data")
    assert not arg.is_edge
    assert dag.component("dataio_0").need_deploy is True
    assert dag.component("hetero_lr_0").need_deploy is None
    selection = dag.component("hetero_feature_selection_0")
    assert [(r.kind, r.component, r.output) for r in selection.inputs] == [
        ("data", "hetero_feature_binning_0", "train"),
        ("isometric_model", "hetero_feature_binning_0", "hetero_feature_binning")]
    # the same upstream through two inputs is one edge
    assert dag.upstream["hetero_feature_selection_0"] == ("hetero_feature_binning_0",)
    assert dag.downstream["hetero_feature_binning_0"] == ("hetero_feature_selection_0",)
    # isometric models do not make a component reuse another's parameters
    assert selection.train_model_source is None


def test_dag_is_immutable_and_round_trips():
    source = example("v2_train_dsl")
    dag = parse_dsl(source, MODULES)
    with pytest.raises(FrozenInstanceError):
        dag.order = ()
    with pytest.raises(TypeError):
        dag.components["x"] = None
    assert dag.to_dsl() == source
    # parsing does not keep references into the caller's dict
    source["components"]["reader_0"]["module"] = "Changed"
    assert dag.component("reader_0").module == "Reader"


def test_topological_order_follows_dsl_where_free():
    dsl = {"components": {
        "eval": {"module": "Evaluation", "input": {"data": {"data": ["b.data", "a.data"]}}},
        "b": {"module": "DataIO", "input": {"data": {"data": ["r2.data"]}}, "output": {"data": ["data"]}},
        "a": {"module": "DataIO", "input": {"data": {"data": ["r1.data"]}}, "output": {"data": ["data"]}},
        "r2": {"module": "Reader", "output": {"data": ["data"]}},
        "r1": {"module": "Reader", "output": {"data": ["data"]}},
    }}
    dag = parse_dsl(dsl, MODULES)
    assert dag.order == ("r2", "b", "r1", "a", "eval")
    assert dag.upstream["eval"] == ("b", "a")


def test_model_input_sets_train_model_source():
    dsl = example("v2_train_dsl")
    dsl["components"]["hetero_lr_1"] = {"module": "HeteroLR",
                                        "input": {"data": {"test_data": ["intersection_0.data"]},
                                                  "model": ["hetero_lr_0.model"]},
                                        "output": {"data": ["data"]}}
    dag = parse_dsl(dsl, MODULES)
    assert dag.component("hetero_lr_1").train_model_source == "hetero_lr_0"
    assert dag.upstream["hetero_lr_1"] == ("intersection_0", "hetero_lr_0")
    assert dag.order.index("hetero_lr_1") > dag.order.index("hetero_lr_0")


def test_predict_mode_pipeline_model_inputs_are_not_edges():
    dag = parse_dsl(example("v2_predict_dsl"), MODULES, version=2, mode="predict")
    model_ref = dag.component("dataio_0").model_inputs()[0]
    assert (model_ref.source, model_ref.component, model_ref.output) == (SOURCE_PIPELINE, "dataio_0", "model")
    assert dag.upstream["dataio_0"] == ("reader_0",)
    assert dag.component("dataio_0").train_model_source is None


def test_known_modules_none_skips_module_check():
    dsl = example("v2_train_dsl")
    dsl["components"]["reader_0"]["module"] = "SomethingNew"
    assert parse_dsl(dsl, None).component("reader_0").module == "SomethingNew"


# ---- dsl_version ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [(None, 1), (1, 1), ("1", 1), (2, 2), ("2", 2)])
def test_dsl_version_accepted(value, expected):
    assert parse_dsl_version(value) == expected


@pytest.mark.parametrize("value", [3, "3", 0, "v2", 2.0, True, [], ""])
def test_bad_dsl_version(value):
    with pytest.raises(DSLError) as info:
        parse_dsl_version(value)
    assert info.value.field == "dsl_version" and "dsl_version" in info.value.message
    with pytest.raises(DSLError):
        parse_dsl(example("v2_train_dsl"), MODULES, version=value)


def test_errors_are_parameter_errors_with_retcode_100():
    e = error({"components": {"a_0": {"module": "Nope"}}})
    assert isinstance(e, ParameterError) and e.retcode == RetCode.EXCEPTION_ERROR == 100
    assert str(e) == e.message


# ---- structure -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dsl", [{}, None, [], "dsl"])
def test_no_dsl(dsl):
    assert error(dsl).field == "dsl"


@pytest.mark.parametrize("dsl", [{"x": 1}, {"components": []}, {"components": {}}])
def test_bad_components_field(dsl):
    assert error(dsl).field == "components"


def test_unknown_module_names_component_and_module():
    dsl = example("v2_train_dsl")
    dsl["components"]["intersection_0"]["module"] = "Intersect"
    e = error(dsl)
    assert e.message == "Component intersection_0, module Intersect does not exist"
    assert (e.component, e.field) == ("intersection_0", "module")


def test_missing_module_field():
    e = error({"components": {"a_0": {"output": {"data": ["x"]}}}})
    assert "Component a_0, module field does not exist" in e.message and e.field == "module"


def test_component_must_be_object():
    assert error({"components": {"a_0": ["DataIO"]}}).component == "a_0"


def test_reader_not_allowed_in_v1():
    e = error({"components": {"reader_0": {"module": "Reader", "output": {"data": ["data"]}}}}, version=1)
    assert e.component == "reader_0" and "dsl_version 2" in e.message


@pytest.mark.parametrize("body,field", [
    ({"module": "DataIO", "input": ["x"]}, "input"),
    ({"module": "DataIO", "input": {"data": ["a_0.data"]}}, "input.data"),
    ({"module": "DataIO", "input": {"data": {"data": "a_0.data"}}}, "input.data.data"),
    ({"module": "DataIO", "input": {"model": "a_0.model"}}, "input.model"),
    ({"module": "DataIO", "input": {"isometric_model": [1]}}, "input.isometric_model"),
    ({"module": "DataIO", "output": ["data"]}, "output"),
    ({"module": "DataIO", "output": {"data": "data"}}, "output.data"),
    ({"module": "DataIO", "output": {"model": [""]}}, "output.model"),
    ({"module": "DataIO", "need_deploy": "yes"}, "need_deploy"),
])
def test_shape_errors_name_component_and_field(body, field):
    dsl = {"components": {"a_0": {"module": "DataIO", "output": {"data": ["data"], "model": ["model"]}},
                          "b_0": body}}
    e = error(dsl)
    assert (e.component, e.field) == ("b_0", field)
    assert "b_0" in e.message


@pytest.mark.parametrize("text", ["a_0", "a_0.data.x", ".data", "a_0.", "args.", "args.x.y",
                                  "pipeline.a_0.model"])
def test_malformed_data_reference(text):
    e = error(two(b_input={"data": {"data": [text]}}))
    assert (e.component, e.field) == ("b_0", "input.data.data") and repr(text) in e.message


def test_args_not_allowed_in_model_inputs():
    e = error(two(b_input={"model": ["args.model"]}))
    assert (e.component, e.field) == ("b_0", "input.model")


# ---- dangling inputs ---------------------------------------------------------------------------------------------

def test_data_input_from_unknown_component():
    e = error(two(b_input={"data": {"train_data": ["c_0.data"]}}))
    assert e.message.startswith("Component b_0's data input c_0 does not exist")
    assert (e.component, e.field) == ("b_0", "input.data.train_data")


def test_data_input_with_undeclared_output():
    e = error(two(b_input={"data": {"data": ["a_0.train"]}}))
    assert e.message.startswith("Component b_0' data input a_0's output data train does not exist")
    assert (e.component, e.field) == ("b_0", "input.data.data")


def test_model_input_from_unknown_component():
    e = error(two(b_input={"model": ["c_0.model"]}))
    assert e.message.startswith("Component b_0's model input c_0 does not exist")
    assert (e.component, e.field) == ("b_0", "input.model")


def test_model_input_with_undeclared_alias():
    e = error(two(b_input={"isometric_model": ["a_0.other"]}))
    assert "Component b_0' model input a_0's output model other does not exist" in e.message
    assert (e.component, e.field) == ("b_0", "input.isometric_model")


def test_model_input_from_component_without_model_output():
    dsl = example("v2_train_dsl")
    dsl["components"]["evaluation_0"]["input"]["model"] = ["intersection_0.model"]
    e = error(dsl)
    assert (e.component, e.field) == ("evaluation_0", "input.model")


# ---- loops ---------------------------------------------------------------------------------------------------

def test_two_component_loop():
    e = error(two(a_input={"data": {"data": ["b_0.data"]}}, b_input={"data": {"data": ["a_0.data"]}}))
    assert e.message == "a_0->b_0->a_0 form a loop"
    assert e.component == "a_0"


def test_self_loop():
    e = error(two(b_input={"model": ["b_0.model"]}))
    assert e.message == "b_0->b_0 form a loop"


def test_loop_reported_in_data_flow_order_not_including_bystanders():
    dsl = {"components": {
        "r": {"module": "Reader", "output": {"data": ["data"]}},
        "after": {"module": "Evaluation", "input": {"data": {"data": ["z.data"]}}},
        "x": {"module": "DataIO", "input": {"data": {"data": ["r.data", "z.data"]}}, "output": {"data": ["data"]}},
        "y": {"module": "DataIO", "input": {"data": {"data": ["x.data"]}}, "output": {"data": ["data"]}},
        "z": {"module": "DataIO", "input": {"data": {"data": ["y.data"]}}, "output": {"data": ["data"]}},
    }}
    e = error(dsl)
    assert e.message == "x->y->z->x form a loop"


# ---- names ---------------------------------------------------------------------------------------------------

def test_duplicate_component_name_from_text():
    text = ('{"components": {"reader_0": {"module": "Reader", "output": {"data": ["data"]}},'
            ' "reader_0": {"module": "Reader", "output": {"data": ["x"]}}}}')
    with pytest.raises(DSLError) as info:
        parse_dsl_text(text, MODULES)
    assert info.value.message == "Component reader_0 is duplicated in dsl"
    assert (info.value.component, info.value.field) == ("reader_0", "components")


def test_duplicate_key_inside_component_from_text():
    text = '{"components": {"reader_0": {"module": "Reader", "module": "DataIO"}}}'
    with pytest.raises(DSLError) as info:
        parse_dsl_text(text, MODULES)
    assert info.value.field == "components.reader_0.module"


@pytest.mark.parametrize("text", ["{", "[]", "", b"\xff"])
def test_bad_json_text(text):
    with pytest.raises(DSLError):
        parse_dsl_text(text, MODULES)


def test_parse_text_ok():
    text = json.dumps(example("v1_train_dsl"))
    assert parse_dsl_text(text, MODULES, version=1).order[0] == "dataio_0"


@pytest.mark.parametrize("name", ["reader 0", "reader.0", "reader/0", "a,b"])
def test_v2_name_characters(name):
    e = error({"components": {name: {"module": "Reader"}}})
    assert e.component == name and name in e.message


def test_v2_names_may_be_free_form():
    dag = parse_dsl({"components": {"my-Reader": {"module": "Reader", "output": {"data": ["d"]}},
                                    "x": {"module": "DataIO", "input": {"data": {"data": ["my-Reader.d"]}}}}},
                    MODULES)
    assert dag.order == ("my-Reader", "x")


@pytest.mark.parametrize("names,bad", [
    (["dataio"], "dataio"),
    (["dataio_x"], "dataio_x"),
    (["dataio_1"], "dataio_1"),
    (["dataio_0", "dataio_2"], "dataio_2"),
])
def test_v1_naming(names, bad):
    dsl = {"components": {n: {"module": "DataIO"} for n in names}}
    e = error(dsl, version=1)
    assert e.message == ("Component's name should be format of name_index, index is start from 0 and be "
                         f"consecutive for same module, {bad} is error")
    assert e.component == bad


def test_v1_prefix_for_one_module_only():
    dsl = {"components": {"x_0": {"module": "DataIO"}, "x_1": {"module": "Intersection"}}}
    e = error(dsl, version=1)
    assert e.message.startswith("Component prefix x should be used for only one module, but another")
    assert e.component == "x_1"


def test_v1_naming_not_enforced_in_predict_mode():
    dag = parse_dsl({"components": {"dataio": {"module": "DataIO"}}}, MODULES, version=1, mode="predict")
    assert dag.order == ("dataio",)


def test_bad_mode():
    assert error(example("v2_train_dsl"), mode="test").field == "mode"


def test_parse_does_not_modify_input():
    dsl = example("v1_train_dsl")
    before = copy.deepcopy(dsl)
    parse_dsl(dsl, MODULES, version=1)
    assert dsl == before
