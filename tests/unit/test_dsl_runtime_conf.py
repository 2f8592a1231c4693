"""Runtime conf v1/v2 checks and the resolution of component and job parameters per party."""
import copy
import json
from pathlib import Path

import pytest

from fate_flow.entity.dsl_errors import DSLError, RuntimeConfError
from fate_flow.entity.errors import MissingParametersError, ParameterError
from fate_flow.dsl.component_parameters import (args_inputs, check_args_inputs, component_parameters,
                                                      component_parties, resolve_component_parameters)
from fate_flow.dsl.dsl_parser import parse_dsl
from fate_flow.dsl.job_parameters import (common_job_parameters, party_job_parameters,
                                                resolve_job_parameters)
from fate_flow.dsl.runtime_conf import parse_runtime_conf

EXAMPLES = Path(__file__).parent / "dsl_examples"
MODULES = frozenset({"Reader", "DataIO", "Intersection", "HeteroFeatureBinning", "HeteroFeatureSelection",
                     "HeteroLR", "Evaluation"})
MODULE_ROLES = {"Reader": ["guest|host"], "DataIO": ["guest|host"], "Intersection": ["guest|host"],
                "HeteroLR": ["guest", "host", "arbiter"], "Evaluation": ["guest|host"]}
DEFAULTS = {"job_type": "train", "work_mode": 0, "task_cores": 4, "task_parallelism": 1, "timeout": 259200,
            "auto_retries": 0, "computing_partitions": 4, "eggroll_run": {}}


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def conf_error(conf, exc=RuntimeConfError, **kwargs) -> ParameterError:
    with pytest.raises(exc) as info:
        parse_runtime_conf(conf, **kwargs)
    return info.value


def v2_multi_host() -> dict:
    """§3.5's conf with three hosts and index keys "0", "1|2", "all"."""
    conf = example("v2_train_conf")
    conf["role"]["host"] = [9999, "10001", 10002]
    conf["component_parameters"]["role"]["host"] = {
        "all": {"dataio_0": {"with_label": False, "output_format": "sparse"}},
        "0": {"reader_0": {"table": {"name": "h0", "namespace": "experiment"}}},
        "1|2": {"reader_0": {"table": {"name": "h12", "namespace": "experiment"}},
                "dataio_0": {"output_format": "dense"}},
        "2": {"reader_0": {"table": {"namespace": "other"}}},
    }
    conf["job_parameters"]["common"]["task_cores"] = 8
    conf["job_parameters"]["role"] = {"host": {"0|2": {"task_cores": 2}, "all": {"timeout": 100}},
                                      "arbiter": {"0": {"task_parallelism": 3}}}
    return conf


# ---- required fields and normalisation ---------------------------------------------------------------------

def test_v2_example_parses_and_normalises():
    conf = parse_runtime_conf(example("v2_train_conf"))
    assert conf.version == 2
    assert (conf.initiator_role, conf.initiator_party_id) == ("guest", 10000)
    assert dict(conf.roles) == {"guest": (10000,), "host": (9999,), "arbiter": (9999,)}
    assert conf.job_type == "train"
    assert conf.to_dict() == example("v2_train_conf")


def test_v1_example_parses():
    conf = parse_runtime_conf(example("v1_train_conf"))
    assert conf.version == 1 and conf.common_job_parameters["work_mode"] == 1


def test_party_ids_as_strings_become_ints():
    raw = example("v2_train_conf")
    raw["initiator"]["party_id"] = "10000"
    raw["role"] = {"guest": ["10000"], "host": [" 9999", 10001], "arbiter": ["9999"]}
    conf = parse_runtime_conf(raw)
    assert conf.initiator_party_id == 10000
    assert dict(conf.roles) == {"guest": (10000,), "host": (9999, 10001), "arbiter": (9999,)}
    assert conf.to_dict()["role"] == {"guest": [10000], "host": [9999, 10001], "arbiter": [9999]}
    assert conf.to_dict()["initiator"] == {"role": "guest", "party_id": 10000}
    assert raw["role"]["guest"] == ["10000"]  # the caller's conf is untouched


def test_conf_is_immutable():
    conf = parse_runtime_conf(example("v2_train_conf"))
    with pytest.raises(TypeError):
        conf.data["role"]["guest"] = (1,)
    mutable = conf.to_dict()
    mutable["role"]["guest"].append(1)
    assert conf.roles["guest"] == (10000,)


@pytest.mark.parametrize("work_mode", [None, 2, "1", True, -1])
def test_work_mode_checked_first(work_mode):
    raw = example("v2_train_conf")
    del raw["initiator"]  # the work_mode check comes before the missing fields
    if work_mode is None:
        del raw["job_parameters"]["common"]["work_mode"]
    else:
        raw["job_parameters"]["common"]["work_mode"] = work_mode
    e = conf_error(raw)
    assert e.message == "required parameter values: work_mode=(0, 1)" and e.field == "work_mode"


def test_work_mode_v1_is_in_flat_job_parameters():
    raw = example("v1_train_conf")
    raw["job_parameters"]["work_mode"] = 3
    assert conf_error(raw).field == "work_mode"
    raw = example("v1_train_conf")
    del raw["job_parameters"]
    assert conf_error(raw).field == "work_mode"
    # not required for previews
    e = conf_error(raw, exc=MissingParametersError, require_work_mode=False)
    assert e.message == "required parameters are missing: job_parameters;"


def test_missing_top_level_fields():
    raw = example("v2_train_conf")
    del raw["initiator"], raw["role"]
    e = conf_error(raw, exc=MissingParametersError)
    assert e.message == "required parameters are missing: initiator,role;"
    assert e.retcode == 100


def test_missing_initiator_fields():
    raw = example("v2_train_conf")
    raw["initiator"] = {"role": "guest"}
    e = conf_error(raw, exc=MissingParametersError)
    assert e.message == "required parameters are missing: party_id;"


def test_v2_requires_common():
    raw = example("v2_train_conf")
    raw["job_parameters"] = {"work_mode": 0}
    e = conf_error(raw, require_work_mode=False)
    assert e.message == "the configuration format for v2 version must be job_parameters:common"


@pytest.mark.parametrize("initiator", [{"role": "guest", "party_id": 9999}, {"role": "local", "party_id": 10000},
                                       {"role": "guest", "party_id": "9999"}])
def test_initiator_must_be_in_its_role(initiator):
    raw = example("v2_train_conf")
    raw["initiator"] = initiator
    e = conf_error(raw)
    assert e.message == f"initiator party id error {initiator['party_id']}" and e.field == "initiator"


def test_bad_dsl_version_in_conf():
    raw = example("v2_train_conf")
    raw["dsl_version"] = 3
    with pytest.raises(DSLError) as info:
        parse_runtime_conf(raw)
    assert info.value.field == "dsl_version"


@pytest.mark.parametrize("role,field", [
    ({}, "role"), ([9999], "role"), ({"guest": []}, "role.guest"), ({"guest": 10000}, "role.guest"),
    ({"guest": [10000, "abc"]}, "party id of role guest"), ({"guest": [10000, None]}, "party id of role guest"),
    ({"guest": [10000, 1.5]}, "party id of role guest"),
])
def test_bad_role_section(role, field):
    raw = example("v2_train_conf")
    raw["role"] = role
    assert conf_error(raw).field == field


def test_v1_conf_with_dsl_version_inside_job_parameters_stays_v1():
    # the malformed 1.6.0 examples/test_predict_conf.json (contract §11)
    raw = {"initiator": {"role": "guest", "party_id": 9999},
           "job_parameters": {"work_mode": 1, "job_type": "predict", "model_id": "m", "model_version": "v",
                              "dsl_version": "2"},
           "role": {"guest": [9999], "host": [10000], "arbiter": [10000]},
           "role_parameters": {"guest": {"0": {"reader_0": {"table": {"name": "t", "namespace": "n"}}}}}}
    conf = parse_runtime_conf(raw)
    assert conf.version == 1 and conf.job_type == "predict"


# ---- unknown roles and party indexes -------------------------------------------------------------------------

@pytest.mark.parametrize("section", ["component_parameters", "job_parameters"])
def test_unknown_role_in_v2_role_section(section):
    raw = example("v2_train_conf")
    if section == "component_parameters":
        raw["component_parameters"]["role"]["local"] = {"0": {"reader_0": {}}}
    else:
        raw["job_parameters"]["role"] = {"local": {"0": {"task_cores": 1}}}
    e = conf_error(raw)
    assert e.field == f"{section}.role.local" and "role local is unknown" in e.message


@pytest.mark.parametrize("key,message", [("1", "party index 1 of role host is out of range"),
                                         ("0|3", "party index 3 of role host is out of range"),
                                         ("first", "party index key 'first' of role host is invalid"),
                                         ("0|", "is invalid"), ("-1", "is invalid")])
def test_bad_party_index(key, message):
    raw = example("v2_train_conf")
    raw["component_parameters"]["role"]["host"][key] = {"dataio_0": {"with_label": False}}
    e = conf_error(raw)
    assert message in e.message and e.field == f"component_parameters.role.host.{key}"
    raw = example("v2_train_conf")
    raw["job_parameters"]["role"] = {"host": {key: {"task_cores": 1}}}
    assert conf_error(raw).field == f"job_parameters.role.host.{key}"


def test_unknown_role_in_v1_role_parameters():
    raw = example("v1_train_conf")
    raw["role_parameters"]["local"] = {"dataio_0": {"with_label": [True]}}
    e = conf_error(raw)
    assert e.field == "role_parameters.local"


@pytest.mark.parametrize("tables,message", [
    ({"name": "t", "namespace": "n"}, "Role guest role parameter args.data.train_data should be list"),
    ([{"name": "a", "namespace": "n"}, {"name": "b", "namespace": "n"}],
     "Role guest role parameter args.data.train_data should be a list of same length with roles"),
])
def test_v1_args_lists(tables, message):
    raw = example("v1_train_conf")
    raw["role_parameters"]["guest"]["args"]["data"]["train_data"] = tables
    assert conf_error(raw).message == message


@pytest.mark.parametrize("path,value,field", [
    (("component_parameters",), [], "component_parameters"),
    (("component_parameters", "common", "dataio_0"), "dense", "component_parameters.common.dataio_0"),
    (("component_parameters", "role", "guest", "0", "dataio_0"), [], "component_parameters.role.guest.0.dataio_0"),
    (("job_parameters", "common"), [], "job_parameters.common"),
])
def test_v2_shape_errors(path, value, field):
    raw = example("v2_train_conf")
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert conf_error(raw, require_work_mode=False).field == field


# ---- component parameters ---------------------------------------------------------------------------------

def test_v2_component_parameters_example():
    dag = parse_dsl(example("v2_train_dsl"), MODULES)
    conf = parse_runtime_conf(example("v2_train_conf"))
    assert component_parameters(dag, conf, "dataio_0", "guest", 10000) == {"output_format": "dense",
                                                                           "with_label": True}
    assert component_parameters(dag, conf, "dataio_0", "host", "9999") == {"output_format": "dense",
                                                                           "with_label": False}
    assert component_parameters(dag, conf, "reader_0", "host", 9999) == {
        "table": {"name": "breast_hetero_host", "namespace": "experiment"}}
    lr = component_parameters(dag, conf, "hetero_lr_0", "arbiter", 9999)
    assert lr["penalty"] == "L2" and lr["cv_param"]["n_splits"] == 5
    assert component_parameters(dag, conf, "intersection_0", "guest", 10000) == {}


def test_v2_several_hosts_index_keys():
    dag = parse_dsl(example("v2_train_dsl"), MODULES)
    conf = parse_runtime_conf(v2_multi_host())
    params = resolve_component_parameters(dag, conf, MODULE_ROLES)
    host = params["dataio_0"]["host"]
    assert host[9999] == {"output_format": "sparse", "with_label": False}
    assert host[10001] == host[10002] == {"output_format": "dense", "with_label": False}
    readers = params["reader_0"]["host"]
    assert readers[9999]["table"] == {"name": "h0", "namespace": "experiment"}
    assert readers[10001]["table"] == {"name": "h12", "namespace": "experiment"}
    # index keys apply in conf order and merge objects key by key
    assert readers[10002]["table"] == {"name": "h12", "namespace": "other"}
    # roles the module does not run are absent
    assert "arbiter" not in params["dataio_0"] and set(params["hetero_lr_0"]) == {"guest", "host", "arbiter"}
    assert list(params) == list(dag.order)


def test_v1_component_parameters_per_party_lists():
    raw = example("v1_train_conf")
    raw["role"]["host"] = [10000, 10001]
    raw["role_parameters"]["host"] = {
        "args": {"data": {"train_data": [{"name": "h0", "namespace": "n"}, {"name": "h1", "namespace": "n"}]}},
        "dataio_0": {"with_label": [False, False], "output_format": ["dense", "sparse"]},
        "hetero_lr_0": {"init_param": {"init_method": ["zeros", "ones"]}},
    }
    dag = parse_dsl(example("v1_train_dsl"), MODULES, version=1)
    conf = parse_runtime_conf(raw)
    assert component_parameters(dag, conf, "dataio_0", "guest", 9999) == {
        "with_label": True, "label_name": "y", "label_type": "int", "output_format": "dense"}
    assert component_parameters(dag, conf, "dataio_0", "host", 10001) == {"with_label": False,
                                                                          "output_format": "sparse"}
    lr_host1 = component_parameters(dag, conf, "hetero_lr_0", "host", 10001)
    assert lr_host1["init_param"] == {"init_method": "ones"} and lr_host1["penalty"] == "L2"
    assert component_parameters(dag, conf, "hetero_lr_0", "arbiter", 10000)["init_param"] == {
        "init_method": "random_uniform"}
    assert args_inputs(conf) == {
        "guest": {9999: {"train_data": {"name": "breast_hetero_guest", "namespace": "fate_flow_test_breast_hetero"}}},
        "host": {10000: {"train_data": {"name": "h0", "namespace": "n"}},
                 10001: {"train_data": {"name": "h1", "namespace": "n"}}}}
    check_args_inputs(dag, conf)


@pytest.mark.parametrize("value,message", [
    (False, "Role host role parameter dataio_0.with_label should be list"),
    ([False, True], "Role host role parameter dataio_0.with_label should be a list of same length with roles"),
])
def test_v1_role_parameter_lists(value, message):
    raw = example("v1_train_conf")
    raw["role_parameters"]["host"]["dataio_0"]["with_label"] = value
    dag = parse_dsl(example("v1_train_dsl"), MODULES, version=1)
    conf = parse_runtime_conf(raw)
    with pytest.raises(RuntimeConfError) as info:
        resolve_component_parameters(dag, conf)
    assert info.value.message == message
    assert (info.value.component, info.value.field) == ("dataio_0", "role_parameters.host.dataio_0.with_label")


def test_v1_nested_role_parameter_lists_are_checked():
    raw = example("v1_train_conf")
    raw["role_parameters"]["guest"]["hetero_lr_0"] = {"init_param": {"init_method": "zeros"}}
    dag = parse_dsl(example("v1_train_dsl"), MODULES, version=1)
    with pytest.raises(RuntimeConfError) as info:
        resolve_component_parameters(dag, parse_runtime_conf(raw))
    assert "hetero_lr_0.init_param.init_method should be list" in info.value.message


def test_v1_args_key_must_exist():
    dsl = example("v1_train_dsl")
    dsl["components"]["dataio_0"]["input"]["data"]["data"] = ["args.eval_data"]
    dag = parse_dsl(dsl, MODULES, version=1)
    with pytest.raises(RuntimeConfError) as info:
        check_args_inputs(dag, parse_runtime_conf(example("v1_train_conf")))
    assert info.value.message == "eval_data does not exist in submit conf's data, please check!"
    assert info.value.component == "dataio_0"


def test_model_input_reuses_upstream_parameters():
    dsl = example("v2_train_dsl")
    dsl["components"]["hetero_lr_1"] = {"module": "HeteroLR",
                                        "input": {"data": {"test_data": ["intersection_0.data"]},
                                                  "model": ["hetero_lr_0.model"]},
                                        "output": {"data": ["data"]}}
    raw = example("v2_train_conf")
    raw["component_parameters"]["common"]["hetero_lr_1"] = {"max_iter": 1}
    dag = parse_dsl(dsl, MODULES)
    conf = parse_runtime_conf(raw)
    assert component_parameters(dag, conf, "hetero_lr_1", "host", 9999) == \
        component_parameters(dag, conf, "hetero_lr_0", "host", 9999)


def test_unknown_component_role_or_party():
    dag = parse_dsl(example("v2_train_dsl"), MODULES)
    conf = parse_runtime_conf(example("v2_train_conf"))
    with pytest.raises(DSLError) as info:
        component_parameters(dag, conf, "nope_0", "guest", 10000)
    assert info.value.component == "nope_0"
    with pytest.raises(RuntimeConfError):
        component_parameters(dag, conf, "dataio_0", "local", 0)
    with pytest.raises(RuntimeConfError):
        component_parameters(dag, conf, "dataio_0", "guest", 1)


def test_component_parties():
    dag = parse_dsl(example("v2_train_dsl"), MODULES)
    conf = parse_runtime_conf(v2_multi_host())
    parties = component_parties(dag, conf, MODULE_ROLES)
    assert parties["reader_0"] == {"guest": [10000], "host": [9999, 10001, 10002]}
    assert parties["hetero_lr_0"]["arbiter"] == [9999]


def test_resolution_does_not_share_state():
    dag = parse_dsl(example("v2_train_dsl"), MODULES)
    conf = parse_runtime_conf(example("v2_train_conf"))
    first = component_parameters(dag, conf, "hetero_lr_0", "guest", 10000)
    first["init_param"]["init_method"] = "changed"
    assert component_parameters(dag, conf, "hetero_lr_0", "guest", 10000)["init_param"]["init_method"] == "zeros"


# ---- job parameters -------------------------------------------------------------------------------------------

def test_v2_job_parameters_defaults_common_and_role():
    conf = parse_runtime_conf(v2_multi_host())
    common = common_job_parameters(conf, DEFAULTS)
    assert common == {**DEFAULTS, "backend": 0, "work_mode": 0, "task_cores": 8}
    resolved = resolve_job_parameters(conf, DEFAULTS)
    assert resolved["guest"][10000] == common
    assert resolved["host"][9999] == {**common, "task_cores": 2, "timeout": 100}
    assert resolved["host"][10001] == {**common, "timeout": 100}
    assert resolved["host"][10002] == {**common, "task_cores": 2, "timeout": 100}
    assert resolved["arbiter"][9999] == {**common, "task_parallelism": 3}
    assert party_job_parameters(conf, "host", "10002", DEFAULTS) == resolved["host"][10002]


def test_v1_job_parameters_are_flat_and_translate_processors_per_node():
    conf = parse_runtime_conf(example("v1_train_conf"))
    params = common_job_parameters(conf, DEFAULTS)
    # processors_per_node becomes eggroll_run; align_task_input_data_partition is dropped (unknown key)
    assert params == {**DEFAULTS, "work_mode": 1,
                      "eggroll_run": {"eggroll.session.processors.per.node": 1}}
    assert resolve_job_parameters(conf, DEFAULTS)["host"][10000] == params


def test_job_parameters_without_defaults_and_unknown_keys():
    raw = example("v2_train_conf")
    raw["job_parameters"]["common"]["conf_path"] = "/tmp/x"
    raw["job_parameters"]["role"] = {"guest": {"0": {"stray": 1, "task_cores": 2}}}
    conf = parse_runtime_conf(raw)
    assert common_job_parameters(conf) == {"job_type": "train", "backend": 0, "work_mode": 0}
    assert party_job_parameters(conf, "guest", 10000) == {"job_type": "train", "backend": 0, "work_mode": 0,
                                                          "task_cores": 2}


def test_job_parameters_do_not_modify_defaults():
    defaults = copy.deepcopy(DEFAULTS)
    conf = parse_runtime_conf(example("v1_train_conf"))
    common_job_parameters(conf, defaults)["eggroll_run"]["x"] = 1
    assert defaults == DEFAULTS
