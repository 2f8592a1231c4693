"""The table each party's model was trained on, recorded in its Pipeline (`train_input_table`): at the end of
training, and at deploy for a model trained before it was recorded. The bundled serving looks host features up
in it when its conf names no feature table (tests/serving/test_feature_adapter.py)."""
import json

import pytest

from fate_flow.federation import PartyRef
from fate_flow.model.pipeline import build_pipeline, json_field
from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.components.registry import ComponentRegistry
from fate_flow.entity.messages import ModelDeploy
from fate_flow.services.models.deploy import deploy_party
from fate_flow.services.models.local import party_model, proto_sources
from fate_flow.services.models.record import train_input_table
from fate_flow.settings import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "examples"
PARTIES = (("guest", 9999), ("host", "10000"), ("arbiter", 10000))


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.mark.parametrize("conf, dsl, kind", [
    ("test_hetero_lr_job_conf.json", "test_hetero_lr_job_dsl.json", "hetero"),      # v2: reader_0's table
    ("test_hetero_lr_job_conf_v1.json", "test_hetero_lr_job_dsl_v1.json", "hetero"),  # v1: args.train_data
    ("homo_lr_job_conf.json", "homo_lr_job_dsl.json", "homo"),
])
def test_each_party_records_the_table_its_training_data_came_from(conf, dsl, kind):
    tables = [train_input_table(example(dsl), example(conf), role, party) for role, party in PARTIES]
    assert tables == [{"namespace": "experiment", "name": f"breast_{kind}_guest"},
                      {"namespace": "experiment", "name": f"breast_{kind}_host"}, {}]


def test_a_job_that_trains_on_no_table_records_none():
    dsl, conf = example("toy_example_dsl.json"), example("toy_example_conf.json")
    assert [train_input_table(dsl, conf, role, party) for role, party in PARTIES[:2]] == [{}, {}]
    assert train_input_table({"components": "broken"}, conf, "guest", 9999) == {}


def test_deploy_records_the_table_of_a_model_trained_before_it_was_recorded(app, settings):
    dsl, conf = example("test_hetero_lr_job_dsl.json"), example("test_hetero_lr_job_conf.json")
    model_id, version = "arbiter-10000#guest-9999#host-10000#model", "202101011200000000001"
    conf["job_parameters"]["common"].update(model_id=model_id, model_version=version)
    parent = party_model(settings, "host", "10000", model_id, version)
    pipeline = build_pipeline(inference_dsl={}, train_dsl=dsl, train_runtime_conf=conf, model_id=model_id,
                              model_version=version, parent=True, roles=conf["role"], work_mode=0,
                              initiator_role="guest", initiator_party_id=9999, runtime_conf_on_party=conf)
    pipeline.ClearField("train_input_table")  # as a model of an earlier release holds it
    PipelinedModel(parent.root).save_pipeline(pipeline, {"reader_0": "Reader"}, proto_sources())
    child_version = "202101011200000000002"
    with app.app_context():
        deploy_party(settings, ComponentRegistry(), ModelDeploy(model_id, version, child_version, {"role": "guest", "party_id": "9999"},
                                           cpn_list=["dataio_0", "hetero_lr_0"]), "host", "10000", PartyRef("guest", 9999))
    child = party_model(settings, "host", "10000", model_id, child_version).read_pipeline()
    assert json_field(child, "train_input_table") == {"namespace": "experiment", "name": "breast_hetero_host"}
