"""FeatureScale on the breast data against scikit-learn's MinMaxScaler and StandardScaler: fitted values in the
ScaleParam buffer, scaled rows, and a prediction on other rows that reuses the training statistics."""
import csv

import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from fate_flow.components.feature_scale import FeatureScaleParams
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.entity.task_spec import TableRef
from fate_flow.serde.instance import Instance
from fate_flow.settings import PROJECT_ROOT
from tests.components.harness import run_component, spec

BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"


def read_breast():
    with open(BREAST) as f:
        rows = list(csv.reader(f))
    ids = [r[0] for r in rows[1:]]
    labels = [int(r[1]) for r in rows[1:]]
    return ids, np.array([[float(v) for v in r[2:]] for r in rows[1:]]), labels, rows[0][2:]


@pytest.fixture
def session(tmp_path):
    s = StandaloneSession(StandaloneStore(tmp_path / "store"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def breast():
    return read_breast()


def table_ref(session, ids, x, labels, header, name="data_transform_0"):
    table = session.parallelize(((i, Instance(row.copy(), label=y)) for i, row, y in zip(ids, x, labels)), 3)
    schema = {"header": list(header), "sid_name": "id", "label_name": "y"}
    return TableRef("job", name, "STANDALONE", session.keep(table), table.partitions, schema, source=name)


def scale(session, ref, models=None, **params):
    task = spec("FeatureScale", parameters=params, input_data={"data": [ref]},
                input_model={"model": ["feature_scale_0"]} if models else None, name="feature_scale_1"
                if models else "feature_scale_0")
    return run_component(task, session, models={"feature_scale_0": models} if models else None)


def rows_of(output):
    return dict(output.data["data"].collect())


def matrix(rows, ids):
    return np.array([rows[i].features for i in ids])


def test_min_max_scale_matches_sklearn_and_keeps_ids_labels_and_schema(session, breast):
    ids, x, labels, header = breast
    out, tracker = scale(session, table_ref(session, ids, x, labels, header), method="min_max_scale")
    rows = rows_of(out)
    assert sorted(rows) == sorted(ids) and all(rows[i].label == y for i, y in zip(ids, labels))
    assert np.allclose(matrix(rows, ids), MinMaxScaler().fit_transform(x), rtol=0, atol=1e-9)
    assert out.schemas["data"] == {"header": header, "sid_name": "id", "label_name": "y"}
    meta, param = out.model["model"]["ScaleMeta"], out.model["model"]["ScaleParam"]
    assert meta.method == "min_max_scale" and list(meta.scale_column) == header and list(meta.feat_upper) == \
        ["None"] * 10
    assert list(param.header) == header
    assert param.col_scale_param["x3"].column_upper == x[:, 3].max()
    assert param.col_scale_param["x3"].column_lower == x[:, 3].min()
    assert out.summary["x0"]["column_lower"] == x[:, 0].min()
    assert tracker.metas[("train", "scale")] == {"name": "scale", "metric_type": "SCALE", "method": "min_max_scale"}


def test_standard_scale_is_the_default_and_matches_sklearn(session, breast):
    ids, x, labels, header = breast
    out, _ = scale(session, table_ref(session, ids, x, labels, header))
    reference = StandardScaler().fit(x)
    assert np.allclose(matrix(rows_of(out), ids), reference.transform(x), rtol=0, atol=1e-9)
    param = out.model["model"]["ScaleParam"]
    assert np.allclose([param.col_scale_param[h].mean for h in header], reference.mean_, rtol=0, atol=1e-12)
    assert np.allclose([param.col_scale_param[h].std for h in header], reference.scale_, rtol=0, atol=1e-12)
    assert out.model["model"]["ScaleMeta"].method == "standard_scale"


def test_only_chosen_columns_are_scaled_and_without_mean_or_std(session, breast):
    ids, x, labels, header = breast
    out, _ = scale(session, table_ref(session, ids, x, labels, header), method="standard_scale",
                   scale_col_indexes=[0, 2], scale_names=["x5"], with_mean=False)
    got = matrix(rows_of(out), ids)
    expected = x.copy()
    chosen = [0, 2, 5]
    expected[:, chosen] = StandardScaler(with_mean=False).fit_transform(x[:, chosen])
    assert np.allclose(got, expected, rtol=0, atol=1e-9)
    assert sorted(out.model["model"]["ScaleParam"].col_scale_param) == ["x0", "x2", "x5"]


def test_feat_bounds_clip_before_scaling(session, breast):
    ids, x, labels, header = breast
    out, _ = scale(session, table_ref(session, ids, x, labels, header), method="min_max_scale",
                   feat_upper=1.0, feat_lower=-1.0)
    clipped = np.clip(x, -1.0, 1.0)
    assert np.allclose(matrix(rows_of(out), ids), MinMaxScaler().fit_transform(clipped), rtol=0, atol=1e-9)
    assert list(out.model["model"]["ScaleMeta"].feat_upper) == ["1.0"] * 10


def test_cap_mode_uses_column_quantiles(session, breast):
    ids, x, labels, header = breast
    out, _ = scale(session, table_ref(session, ids, x, labels, header), method="min_max_scale", mode="cap",
                   feat_lower=0.1, feat_upper=0.9)
    low = np.quantile(x, 0.1, axis=0, method="inverted_cdf")
    high = np.quantile(x, 0.9, axis=0, method="inverted_cdf")
    expected = (np.clip(x, low, high) - low) / (high - low)
    assert np.allclose(matrix(rows_of(out), ids), expected, rtol=0, atol=1e-9)


def test_prediction_on_other_rows_uses_the_training_statistics(session, breast):
    ids, x, labels, header = breast
    train, test = slice(0, 400), slice(400, None)
    for method, reference in (("standard_scale", StandardScaler()), ("min_max_scale", MinMaxScaler())):
        trained, _ = scale(session, table_ref(session, ids[train], x[train], labels[train], header), method=method)
        ref = table_ref(session, ids[test], x[test], labels[test], header, name="data_transform_1")
        predicted, tracker = scale(session, ref, models=trained.model["model"])
        reference.fit(x[train])
        # FATE clips values to the training range before scaling, in prediction too
        expected = reference.transform(np.clip(x[test], x[train].min(axis=0), x[train].max(axis=0)))
        assert np.allclose(matrix(rows_of(predicted), ids[test]), expected, rtol=0, atol=1e-9), method
        assert predicted.model["model"]["ScaleParam"] == trained.model["model"]["ScaleParam"]
        assert tracker.metas[("train", "scale")]["method"] == method
    assert np.any(x[test] > x[train].max(axis=0)), "the prediction rows do leave the training range"


def test_constant_column_is_not_divided_by_zero(session):
    x = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    ref = table_ref(session, ["a", "b", "c"], x, [0, 1, 0], ["f0", "f1"])
    for method in ("min_max_scale", "standard_scale"):
        out, _ = scale(session, ref, method=method)
        assert [rows_of(out)[k].features[1] for k in "abc"] == [0.0, 0.0, 0.0]


def test_null_method_passes_data_through(session, breast):
    ids, x, labels, header = breast
    out, tracker = scale(session, table_ref(session, ids, x, labels, header), method=None)
    assert np.array_equal(matrix(rows_of(out), ids), x) and not tracker.metas


def test_bad_parameters_and_data(session, breast):
    with pytest.raises(ParameterError, match="parameter method must be one of min_max_scale, standard_scale"):
        FeatureScaleParams.from_dict({"method": "max_abs"})
    with pytest.raises(ParameterError, match="parameter mode must be one of normal, cap"):
        FeatureScaleParams.from_dict({"mode": "clip"})
    with pytest.raises(ParameterError, match="parameter feat_upper must be a quantile between 0 and 1"):
        FeatureScaleParams.from_dict({"mode": "cap", "feat_upper": 3})
    with pytest.raises(ParameterError, match=r"feat_upper \(0\) must not be less than feat_lower \(1\)"):
        FeatureScaleParams.from_dict({"feat_upper": 0, "feat_lower": 1})
    with pytest.raises(ParameterError, match="parameter scale_col_indexes must be -1 or a list"):
        FeatureScaleParams.from_dict({"scale_col_indexes": "all"})
    with pytest.raises(ParameterError, match="redundant parameter"):
        FeatureScaleParams.from_dict({"scale_method": "min_max_scale"})
    ids, x, labels, header = breast
    ref = table_ref(session, ids, x, labels, header)
    with pytest.raises(ParameterError, match="scale_col_indexes lists column index 10, but the input has 10"):
        scale(session, ref, scale_col_indexes=[10])
    with pytest.raises(ParameterError, match="feat_upper lists 2 values, the input has 10 columns"):
        scale(session, ref, feat_upper=[1, 2])
    x_nan = x.copy()
    x_nan[3, 4] = np.nan
    with pytest.raises(DataError, match="feature x4 is missing"):
        scale(session, table_ref(session, ids, x_nan, labels, header))
