"""The online model of one party, built from transfer-shaped buffers (`<cpn>.<alias>:<buffer>` -> bytes):
missing-value fill and outliers, binning (bin index and WOE), selection and the LR, each against a plain
reference; and the refusals for what the serving cannot run. No servers."""
import json

import numpy as np
import pytest

from fate_flow.entity.errors import DataError
from fate_flow.model.pipeline import build_pipeline
from fate_flow.proto.data_transform_pb2 import DataTransformMeta, DataTransformParam
from fate_flow.proto.feature_binning_pb2 import BinningTransformMeta, FeatureBinningMeta, FeatureBinningParam
from fate_flow.proto.feature_selection_pb2 import FeatureSelectionMeta, FeatureSelectionParam, LeftCols
from fate_flow.proto.lr_model_pb2 import LRModelMeta, LRModelParam
from fate_flow.serving.online_model import UnsupportedModelError, build_online_model, probability

HEADER = ["a", "b", "c"]
SPLITS = [0.0, 1.0, 5.0]          # bins: (-inf, 0], (0, 1], (1, +inf) for column b
WOE = [-0.5, 0.25, 1.5]


def buffers(binning_type="bin_num", modules=None, missing_fill=True):
    dsl = {"reader_0": {"module": "Reader"}}
    data = {}
    chain = modules or ["DataIO", "HeteroFeatureBinning", "HeteroFeatureSelection", "HeteroLR"]
    previous = "reader_0"
    for k, module in enumerate(chain):
        name = f"c{k}"
        dsl[name] = {"module": module, "input": {"data": {"data": [f"{previous}.data"]}}}
        previous = name
        if module == "DataIO":
            param = DataTransformParam(header=HEADER)
            if missing_fill:
                param.missing_replace_value.update({"a": 7.0, "b": 8.0, "c": 9.0})
            param.outlier_replace_value.update({"a": -1.0, "b": -1.0, "c": -1.0})
            meta = DataTransformMeta(missing_fill=missing_fill, outlier_replace=True, outlier_impute=["-999"])
            data[f"{name}.m:DataIOMeta"], data[f"{name}.m:DataIOParam"] = meta, param
        elif module == "HeteroFeatureBinning":
            param = FeatureBinningParam(header=HEADER)
            result = param.binning_result.binning_result["b"]
            result.split_points.extend(SPLITS)
            result.woe_array.extend(WOE)
            meta = FeatureBinningMeta(transform_param=BinningTransformMeta(transform_cols=[1],
                                                                           transform_type=binning_type))
            data[f"{name}.m:FeatureBinningMeta"], data[f"{name}.m:FeatureBinningParam"] = meta, param
        elif module == "HeteroFeatureSelection":
            param = FeatureSelectionParam(header=HEADER, final_left_cols=LeftCols(
                left_cols={"a": True, "b": True, "c": False}))
            data[f"{name}.m:FeatureSelectionMeta"], data[f"{name}.m:FeatureSelectionParam"] = \
                FeatureSelectionMeta(), param
        else:
            selected = "HeteroFeatureSelection" in chain   # drops c
            param = LRModelParam(header=["a", "b"] if selected else HEADER, intercept=0.5)
            param.weight.update({"a": 2.0, "b": -3.0} if selected else {"a": 2.0, "b": -3.0, "c": 0.5})
            prefix = "HeteroLogisticRegression" if module == "HeteroLR" else "HomoLogisticRegression"
            data[f"{name}.m:{prefix}Meta"], data[f"{name}.m:{prefix}Param"] = LRModelMeta(threshold=0.5), param
    pipeline = build_pipeline(inference_dsl={"components": dsl}, train_dsl={}, train_runtime_conf={}, model_id="m",
                              model_version="v", parent=False, roles={}, work_mode=0, initiator_role="guest",
                              initiator_party_id=9999, runtime_conf_on_party={})
    out = {k: v.SerializeToString() for k, v in data.items()}
    out["pipeline.pipeline:Pipeline"] = pipeline.SerializeToString()
    return out


@pytest.mark.parametrize("b, expected_bin", [(-3.0, 0), (0.0, 0), (0.5, 1), (1.0, 1), (4.0, 2), (99.0, 2)])
def test_bin_index_then_selection_then_lr(b, expected_bin):
    model = build_online_model(buffers(), "guest")
    assert model.components == ["reader_0", "c0", "c1", "c2", "c3"]
    score = model.partial_score({"a": 1.5, "b": b, "c": 123.0}, with_intercept=True)
    assert score == pytest.approx(2.0 * 1.5 - 3.0 * expected_bin + 0.5, abs=1e-12)


def test_woe_on_the_guest_but_not_on_a_host():
    guest = build_online_model(buffers("woe"), "guest")
    assert guest.partial_score({"a": 0, "b": 0.5, "c": 0}, with_intercept=False) == pytest.approx(-3.0 * WOE[1])
    host_buffers = buffers("woe")
    host = build_online_model(host_buffers, "host")
    assert host.partial_score({"a": 0, "b": 0.5, "c": 0}, with_intercept=False) == pytest.approx(-3.0 * 0.5)


def test_missing_values_are_filled_and_outliers_replaced_as_trained():
    model = build_online_model(buffers(modules=["DataIO", "HeteroLR"]), "guest")
    # a absent -> filled with 7; b is the outlier -999 -> replaced by -1; c "NA" -> filled with 9
    assert model.partial_score({"b": -999, "c": "NA"}, with_intercept=False) == pytest.approx(2 * 7 - 3 * -1 + 0.5 * 9)
    assert model.partial_score({"a": "", "b": "NA"}, with_intercept=False) == pytest.approx(2 * 7 - 3 * 8 + 0.5 * 9)


def test_without_missing_fill_absent_features_are_named():
    model = build_online_model(buffers(modules=["DataIO", "HeteroLR"], missing_fill=False), "guest")
    with pytest.raises(DataError, match=r"missing feature\(s\) a, c"):
        model.partial_score({"b": 1.0}, with_intercept=False)
    with pytest.raises(DataError, match="feature b: value 'x' is not a number"):
        model.partial_score({"a": 1, "b": "x", "c": 1}, with_intercept=False)


def test_homo_lr_scores_alone_on_the_guest():
    model = build_online_model(buffers(modules=["DataIO", "HomoLR"]), "guest")
    assert not model.federated
    assert probability(model.partial_score({"a": 1, "b": 1, "c": 1}, True)) == pytest.approx(
        1 / (1 + np.exp(-(2.0 - 3.0 + 0.5 + 0.5))))
    with pytest.raises(UnsupportedModelError, match="served by its guest alone"):
        build_online_model(buffers(modules=["DataIO", "HomoLR"]), "host")


def test_refusals():
    with pytest.raises(UnsupportedModelError, match=r"component c1 \(module FeatureImputation\) cannot run"):
        build_online_model(buffers(modules=["DataIO", "FeatureImputation", "HeteroLR"]), "guest")
    with pytest.raises(UnsupportedModelError, match="needs a DataIO/DataTransform and a HeteroLR"):
        build_online_model(buffers(modules=["DataIO"]), "guest")
    no_pipeline = buffers()
    del no_pipeline["pipeline.pipeline:Pipeline"]
    with pytest.raises(DataError, match="no pipeline.pipeline:Pipeline buffer"):
        build_online_model(no_pipeline, "guest")
    broken = buffers()
    broken["c3.m:HeteroLogisticRegressionParam"] = b"\xff\xff\xff"
    with pytest.raises(DataError, match="does not parse"):
        build_online_model(broken, "guest")
    assert json.loads(build_online_model(buffers(), "guest").pipeline.inference_dsl)["components"]
