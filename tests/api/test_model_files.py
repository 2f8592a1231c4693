"""PipelinedModel on a plain directory: what is written where, and that an interrupted write never leaves
a model that loads (contract §8.1)."""
from __future__ import annotations

import json

import pytest
from google.protobuf.struct_pb2 import Struct

from fate_flow.entity.errors import NotFoundError
from fate_flow.model.pipeline import build_pipeline, is_deployed, json_field, pipeline_fields
from fate_flow.model.pipelined_model import PipelinedModel

TRAIN_CONF = {"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}, "role": {"guest": [9999]},
              "job_parameters": {"common": {"model_version": "1"}}}


def a_model(root, parent: bool = True) -> tuple[PipelinedModel, object]:
    buffers = root / "variables/data/lr_0/model"
    buffers.mkdir(parents=True)
    weights = Struct()
    weights.update({"w": 0.5})
    (buffers / "Param").write_bytes(weights.SerializeToString())
    (buffers / ".types.json").write_text(json.dumps({"Param": "google.protobuf.Struct"}))
    pipeline = build_pipeline(inference_dsl={}, train_dsl={"components": {"lr_0": {"module": "HeteroLR"}}},
                              train_runtime_conf=TRAIN_CONF, model_id="guest-9999#model", model_version="1",
                              parent=parent, roles={"guest": [9999]}, work_mode=0, initiator_role="guest",
                              initiator_party_id="9999", runtime_conf_on_party={"job_parameters": {}})
    return PipelinedModel(root), pipeline


def test_a_model_without_its_pipeline_record_does_not_load(tmp_path):
    model, _ = a_model(tmp_path / "1")
    assert model.exists() and not model.has_pipeline()
    with pytest.raises(NotFoundError, match="Can not found pipeline file in model."):
        model.read_pipeline()


def test_save_then_read_back(tmp_path):
    model, pipeline = a_model(tmp_path / "1")
    model.save_pipeline(pipeline, {"lr_0": "HeteroLR"})
    assert model.read_pipeline() == pipeline
    assert model.read_buffers("lr_0", "model")["Param"]["w"] == 0.5
    assert model.define_meta()["model_proto"]["lr_0"] == {"model": {"Param": "Struct"}}
    assert not is_deployed(pipeline)  # a v2 parent
    fields = pipeline_fields(pipeline)
    assert fields["f_train_runtime_conf"] == TRAIN_CONF and "f_loaded_times" not in fields
    assert not [p for p in tmp_path.rglob(".*.tmp")]


def test_an_interrupted_deploy_leaves_no_child_and_no_staging(tmp_path):
    parent, pipeline = a_model(tmp_path / "1")
    parent.save_pipeline(pipeline, {"lr_0": "HeteroLR"})
    child = pipeline.__class__()
    child.CopyFrom(pipeline)
    child.model_version = "2"
    with pytest.raises(FileNotFoundError):
        parent.deploy_to(tmp_path / "2", child, {}, [tmp_path / "missing.proto"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1"]

    deployed = parent.deploy_to(tmp_path / "2", child, {})
    assert deployed.read_pipeline().model_version == "2" and json_field(deployed.read_pipeline(), "roles")
    assert (deployed.root / "variables/data/lr_0/model/Param").read_bytes() == \
           (parent.root / "variables/data/lr_0/model/Param").read_bytes()
    with pytest.raises(Exception, match="already exists"):
        parent.deploy_to(tmp_path / "2", child, {})
