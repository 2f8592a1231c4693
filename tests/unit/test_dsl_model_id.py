"""Model id and version (contract §0.5)."""
import json
from pathlib import Path

import pytest

from fate_flow.entity.errors import MissingParametersError
from fate_flow.dsl.model_id import gen_model_id, gen_party_model_id, job_model_info, predict_model_info
from fate_flow.dsl.runtime_conf import parse_runtime_conf

EXAMPLES = Path(__file__).parent / "dsl_examples"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.mark.parametrize("roles,model_id", [
    ({"guest": [9999], "host": [10000, 10001], "arbiter": [10000]}, "arbiter-10000#guest-9999#host-10000_10001#model"),
    ({"host": [10001, "10000", 10001], "guest": ["9999"], "arbiter": [10000]},
     "arbiter-10000#guest-9999#host-10000_10001#model"),
    ({"host": [10000, 9999], "guest": [9999]}, "guest-9999#host-9999_10000#model"),
    ({"local": [0]}, "local-0#model"),
])
def test_gen_model_id(roles, model_id):
    assert gen_model_id(roles) == model_id


def test_party_model_id():
    assert gen_party_model_id("arbiter-10000#guest-9999#host-10000#model", "guest", 9999) == \
        "guest#9999#arbiter-10000#guest-9999#host-10000#model"


def test_train_job_model_info():
    conf = parse_runtime_conf(example("v2_train_conf"))
    info = job_model_info(conf, "202103311200000123451")
    assert info.model_id == "arbiter-9999#guest-10000#host-9999#model"
    assert info.model_version == "202103311200000123451"


def test_predict_job_model_info_comes_from_conf():
    conf = parse_runtime_conf(example("v2_predict_conf"))
    info = job_model_info(conf, "202103311200000123452")
    assert (info.model_id, info.model_version) == ("arbiter-9999#guest-10000#host-9999#model", "202009222324412188755")
    v1 = parse_runtime_conf(example("v1_predict_conf"))
    assert predict_model_info(v1).model_version == "20190810154805024303_1"


def test_predict_job_without_model_version():
    raw = example("v1_predict_conf")
    del raw["job_parameters"]["model_version"]
    with pytest.raises(MissingParametersError) as info:
        job_model_info(parse_runtime_conf(raw), "1")
    assert info.value.message == "required parameters are missing: model_version;"
