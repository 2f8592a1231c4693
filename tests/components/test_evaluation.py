"""Evaluation against scikit-learn on real prediction scores (LogisticRegression / LinearRegression fitted on the
shared data sets), run through the harness the way a worker runs it."""
import csv
import itertools
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression

from fate_flow.components.predict_result import binary_row, predict_row
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.entity.task_spec import TableRef
from tests.components.harness import run_component, spec

DATA = Path("/work/shared/data")
CPN = "hetero_lr_0"


@pytest.fixture
def session(tmp_path):
    s = StandaloneSession(StandaloneStore(tmp_path / "store"))
    yield s
    s.stop()


def read_csv(path: Path, limit: int | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    with open(path) as f:
        rows = list(itertools.islice(csv.reader(f), 1, None if limit is None else limit + 1))
    features = np.array([[float(v) for v in r[2:]] for r in rows])
    return [r[0] for r in rows], np.array([int(r[1]) for r in rows]), features


@pytest.fixture(scope="module")
def credit():
    """Scores of a logistic regression on 6000 default-credit rows: 4000 train, 2000 validate (AUC ~0.68)."""
    ids, y, x = read_csv(DATA / "default_credit_hetero_guest.csv", 6000)
    scores = LogisticRegression(max_iter=500).fit(x[:4000], y[:4000]).predict_proba(x)[:, 1]
    return ids, y, scores


def prediction_table(session, rows, source=CPN, partitions=3) -> TableRef:
    table = session.parallelize(rows, partitions)
    return TableRef("output", f"{source}_out", "STANDALONE", session.keep(table), partitions,
                    {"header": ["label", "predict_result", "predict_score", "predict_detail", "type"],
                     "sid_name": "id"}, source=source)


def evaluate(session, refs, **params):
    return run_component(spec("Evaluation", parameters=params, input_data={"data": refs}), session)


def binary_rows(ids, labels, scores, types):
    return [(i, binary_row(int(l), float(s), 0.5, t)) for i, l, s, t in zip(ids, labels, scores, types)]


def test_binary_single_values_and_curves_match_scikit_learn(session, credit):
    ids, y, s = credit
    types = ["train"] * 4000 + ["validate"] * 2000
    out, tracker = evaluate(session, [prediction_table(session, binary_rows(ids, y, s, types))])
    assert out.data == {}
    for ns, part in (("train", slice(0, 4000)), ("validate", slice(4000, 6000))):
        yy, ss = y[part], s[part]
        fpr, tpr, _ = skm.roc_curve(yy, ss)
        expected = {"auc": skm.roc_auc_score(yy, ss), "ks": float(np.max(tpr - fpr))}
        assert out.summary[CPN][ns] == pytest.approx(expected, abs=1e-6)
        assert tracker.metas[(ns, CPN)] == {"name": CPN, "metric_type": "EVALUATION_SUMMARY"}
        assert [k for k, _ in tracker.data[(ns, CPN)]] == ["auc", "ks"]
        assert dict(tracker.data[(ns, CPN)]) == pytest.approx(expected, abs=1e-6)
        check_roc(tracker, ns, yy, ss)
        check_cut_curves(tracker, ns, yy, ss)
        check_tables(tracker, ns, yy, ss)
    check_psi(tracker, s[:4000], s[4000:], y[:4000], y[4000:])


def check_roc(tracker, ns, y, s):
    points, meta = tracker.data[(ns, f"{CPN}_roc")], tracker.metas[(ns, f"{CPN}_roc")]
    assert meta["metric_type"] == "ROC_EVALUATION" and meta["unit_name"] == "fpr" and meta["ordinate_name"] == "tpr"
    assert meta["curve_name"] == CPN and len(meta["thresholds"]) == len(points)
    fpr, tpr = np.array(points).T
    assert 20 < len(points) <= 101, "a limited number of cut points, not every distinct score"
    assert points[0] == (0.0, 0.0) and points[-1] == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    # each point is a corner of scikit-learn's ROC, at the same threshold (score >= threshold is positive)
    ref_fpr, ref_tpr, ref_thresholds = skm.roc_curve(y, s)
    for (x, t_rate), threshold in zip(points[1:], meta["thresholds"][1:]):
        i = int(np.argmin(np.abs(ref_thresholds - threshold)))
        assert (x, t_rate, threshold) == pytest.approx((ref_fpr[i], ref_tpr[i], ref_thresholds[i]), abs=1e-6)


def above(s, threshold, exact):
    """Predicted positive: score strictly above the threshold, where a 6-decimal threshold of the meta is taken
    back to the exact threshold (of `exact`, computed here independently) it was rounded from."""
    exact = np.asarray(exact)
    nearest = exact[np.argmin(np.abs(exact - threshold))]
    assert abs(nearest - threshold) <= 5e-7
    return (s > nearest).astype(int)


def percentile_picks(values_desc):
    return values_desc[[int(len(values_desc) * i / 100) for i in range(100)]]


def check_cut_curves(tracker, ns, y, s):
    cuts = [i / 100 for i in range(100)]
    rank = percentile_picks(np.sort(s)[::-1])
    step = percentile_picks(np.unique(s)[::-1])
    # KS: fpr and tpr at 100 rank cuts, then (1, 1)
    for rate in ("fpr", "tpr"):
        points, meta = tracker.data[(ns, f"{CPN}_ks_{rate}")], tracker.metas[(ns, f"{CPN}_ks_{rate}")]
        assert meta == {"name": f"{CPN}_ks_{rate}", "metric_type": "KS_EVALUATION", "curve_name": f"{CPN}_{rate}",
                        "pair_type": CPN, "thresholds": meta["thresholds"]}
        assert [k for k, _ in points] == cuts + [1.0] and points[-1] == (1.0, 1.0)
        # thresholds: the score at each percentile of the rows sorted by score
        assert meta["thresholds"] == pytest.approx(rank, abs=1e-6)
        for (_, value), t in zip(points, meta["thresholds"]):
            assert value == pytest.approx(np.mean(above(s, t, rank)[y == (1 if rate == "tpr" else 0)]), abs=1e-6)
    # accuracy, precision and recall at each threshold equal scikit-learn's for "score > threshold"
    acc, meta = tracker.data[(ns, f"{CPN}_accuracy")], tracker.metas[(ns, f"{CPN}_accuracy")]
    assert meta["metric_type"] == "ACCURACY_EVALUATION" and [k for k, _ in acc] == cuts
    # thresholds: the score at each percentile of the distinct scores
    assert meta["thresholds"] == pytest.approx(step, abs=1e-6)
    for (_, value), t in zip(acc, meta["thresholds"]):
        assert value == pytest.approx(skm.accuracy_score(y, above(s, t, step)), abs=1e-6)
    for metric, reference in (("precision", skm.precision_score), ("recall", skm.recall_score)):
        points, meta = tracker.data[(ns, f"{CPN}_{metric}")], tracker.metas[(ns, f"{CPN}_{metric}")]
        assert meta["metric_type"] == f"{metric.upper()}_BINARY_EVALUATION" and meta["pair_type"] == CPN
        assert meta["ordinate_name"] == metric.capitalize() and len(points) == len(meta["thresholds"]) > 10
        # the step cuts and one below every score (all rows positive)
        for (_, value), t in zip(points, meta["thresholds"]):
            predicted = above(s, t, [*step, step.min() - 0.001])
            assert value == pytest.approx(reference(y, predicted, zero_division=1), abs=1e-6)
    recalls = [v for _, v in tracker.data[(ns, f"{CPN}_recall")]]
    assert len(set(recalls)) == len(recalls), "one point per recall value"
    # lift and gain: x = share predicted positive, ending at (1, 1)
    for metric in ("lift", "gain"):
        points, meta = tracker.data[(ns, f"{CPN}_{metric}")], tracker.metas[(ns, f"{CPN}_{metric}")]
        assert meta["metric_type"] == f"{metric.upper()}_EVALUATION" and points[-1] == (1.0, 1.0)
        for (share, value), t in zip(points[:-1], meta["thresholds"]):
            predicted = above(s, t, step)
            assert share == pytest.approx(np.mean(predicted), abs=1e-6)
            recall = skm.recall_score(y, predicted)
            expected = recall if metric == "gain" else skm.precision_score(y, predicted, zero_division=1) / y.mean()
            assert value == pytest.approx(expected, abs=1e-6)


def check_tables(tracker, ns, y, s):
    step = [*percentile_picks(np.unique(s)[::-1]), 0.0]
    meta = tracker.metas[(ns, f"{CPN}_confusion_mat")]
    assert meta["metric_type"] == "CONFUSION_MAT" and (ns, f"{CPN}_confusion_mat") not in tracker.data
    assert len(meta["thresholds"]) == 101 and meta["thresholds"][-1] == 0.0
    for i in (0, 10, 50, 99):
        tn, fp, fn, tp = skm.confusion_matrix(y, above(s, meta["thresholds"][i], step), labels=[0, 1]).ravel()
        assert (meta["tp"][i], meta["fp"][i], meta["fn"][i], meta["tn"][i]) == (tp, fp, fn, tn)
    f1 = tracker.metas[(ns, f"{CPN}_f1_score")]
    assert f1["metric_type"] == "F1_SCORE"
    for value, t in zip(f1["f1_scores"], f1["thresholds"]):
        assert value == pytest.approx(skm.f1_score(y, above(s, t, step), zero_division=0), abs=1e-6)
    pr = tracker.metas[(ns, f"{CPN}_quantile_pr")]
    quantiles = np.quantile(s, [i * 0.05 for i in range(21)], method="nearest")
    assert pr["metric_type"] == "QUANTILE_PR" and pr["thresholds"] == pytest.approx(quantiles, abs=1e-6)
    for (_, p), (_, r), t in zip(pr["p_scores"], pr["r_scores"], pr["thresholds"]):
        assert p == pytest.approx(skm.precision_score(y, above(s, t, quantiles), zero_division=1), abs=1e-6)
        assert r == pytest.approx(skm.recall_score(y, above(s, t, quantiles)), abs=1e-6)


def check_psi(tracker, train, validate, train_y, validate_y):
    meta = tracker.metas[("validate", f"{CPN}_psi")]
    assert ("train", f"{CPN}_psi") not in tracker.metas
    edges = np.unique(np.quantile(train, [i * 0.05 for i in range(21)], method="nearest"))
    expected = np.histogram(train, edges)[0]
    actual = np.histogram(validate, edges)[0]
    e = np.maximum(expected, 1e-6) / len(train)
    a = np.maximum(actual, 1e-6) / len(validate)
    assert meta["expected_interval"] == expected.tolist() and meta["actual_interval"] == actual.tolist()
    assert meta["total_psi"] == pytest.approx(np.sum((a - e) * np.log(a / e)), abs=1e-6)
    assert meta["train_pos_perc"] == pytest.approx(np.histogram(train[train_y == 1], edges)[0] / expected, abs=1e-6)
    assert len(meta["intervals"]) == len(edges) - 1 and meta["intervals"][-1].endswith("]")


def test_rows_without_labels_are_skipped_and_each_type_gets_its_namespace(session, credit):
    ids, y, s = credit
    rows = binary_rows(ids[:1000], y[:1000], s[:1000], ["train"] * 1000)
    rows += binary_rows(ids[1000:1500], y[1000:1500], s[1000:1500], ["test"] * 500)
    rows += [(i, binary_row(None, float(v), 0.5, "predict")) for i, v in zip(ids[1500:1800], s[1500:1800])]
    rows += [(i, binary_row(None, float(v), 0.5, "train")) for i, v in zip(ids[1800:1850], s[1800:1850])]
    unlabelled_only = [(i, binary_row(None, float(v), 0.5, "predict")) for i, v in zip(ids[:40], s[:40])]
    out, tracker = evaluate(session, [prediction_table(session, rows),
                                      prediction_table(session, unlabelled_only, source="homo_lr_0")],
                            metrics=["auc", "ks"])
    assert out.summary[CPN]["train"]["auc"] == pytest.approx(skm.roc_auc_score(y[:1000], s[:1000]), abs=1e-6)
    assert out.summary[CPN]["test"]["auc"] == pytest.approx(skm.roc_auc_score(y[1000:1500], s[1000:1500]), abs=1e-6)
    assert set(out.summary[CPN]) == {"train", "test"} and "homo_lr_0" not in out.summary
    assert out.summary["unlabelled_rows_skipped"] == {CPN: {"predict": 300, "train": 50}, "homo_lr_0": {"predict": 40}}
    assert {ns for ns, _ in tracker.metas} == {"train", "test"}
    assert ("test", f"{CPN}_ks_tpr") in tracker.data and ("train", f"{CPN}_roc") not in tracker.data


def test_a_subset_of_metrics_and_a_string_pos_label(session):
    ids, y, x = read_csv(DATA / "breast_homo_guest.csv")
    s = LogisticRegression(C=0.05).fit(x[:, :3], y).predict_proba(x[:, :3])[:, 1]
    labels = np.where(y == 1, "malignant", "benign")
    rows = [(i, predict_row(str(l), str(l), float(v), {}, "train")) for i, l, v in zip(ids, labels, s)]
    out, tracker = evaluate(session, [prediction_table(session, rows)], metrics=["AUC", "recall"],
                            pos_label="malignant")
    assert out.summary == {CPN: {"train": {"auc": pytest.approx(skm.roc_auc_score(y, s), abs=1e-6)}}}
    assert sorted(name for _, name in tracker.metas) == sorted([CPN, f"{CPN}_precision", f"{CPN}_recall"])
    # with pos_label "benign" the scores rank the positive class last
    out, _ = evaluate(session, [prediction_table(session, rows)], metrics=["auc"], pos_label="benign")
    assert out.summary[CPN]["train"]["auc"] == pytest.approx(1 - skm.roc_auc_score(y, s), abs=1e-6)
    with pytest.raises(DataError, match="pos_label 'yes'"):
        evaluate(session, [prediction_table(session, rows)], pos_label="yes")


def test_multi_class_accuracy_precision_recall_and_one_vs_rest(session):
    wine = load_wine()
    x, y = wine.data, wine.target
    order = np.random.default_rng(7).permutation(len(y))
    x, y = x[order], y[order]
    x = (x - x[:120].mean(axis=0)) / x[:120].std(axis=0)
    # strongly regularized: it makes mistakes and never predicts class 2 on the validate rows
    model = LogisticRegression(C=0.001, max_iter=1000).fit(x[:120], y[:120])
    proba, predicted = model.predict_proba(x), model.predict(x)
    rows = [(f"w{i}", predict_row(int(y[i]), int(predicted[i]), float(proba[i].max()),
                                  {str(c): float(p) for c, p in enumerate(proba[i])},
                                  "train" if i < 120 else "validate")) for i in range(len(y))]
    out, tracker = evaluate(session, [prediction_table(session, rows, source="hetero_sbt_0")], eval_type="multi",
                            unfold_multi_result=True)
    for ns, part in (("train", slice(0, 120)), ("validate", slice(120, None))):
        yy, pp = y[part], predicted[part]
        assert out.summary["hetero_sbt_0"][ns] == pytest.approx({
            "accuracy": skm.accuracy_score(yy, pp),
            "precision": skm.precision_score(yy, pp, average="macro", zero_division=0),
            "recall": skm.recall_score(yy, pp, average="macro")}, abs=1e-6)
        for metric, reference in (("precision", skm.precision_score), ("recall", skm.recall_score)):
            points = tracker.data[(ns, f"hetero_sbt_0_{metric}")]
            assert [k for k, _ in points] == [0, 1, 2]
            assert [v for _, v in points] == pytest.approx(
                reference(yy, pp, average=None, labels=[0, 1, 2], zero_division=0), abs=1e-6)
            assert tracker.metas[(ns, f"hetero_sbt_0_{metric}")]["metric_type"] == f"{metric.upper()}_MULTI_EVALUATION"
        for c in range(3):
            ovr = tracker.metas[(ns, f"hetero_sbt_0_class_{c}_ovr")]
            assert ovr["metric_type"] == "ovr"
            assert ovr["auc"] == pytest.approx(skm.roc_auc_score(yy == c, proba[part][:, c]), abs=1e-6)
            assert out.summary[f"hetero_sbt_0_class_{c}"][ns]["auc"] == ovr["auc"]
    assert skm.accuracy_score(y[120:], predicted[120:]) < 0.7 and 2 not in predicted[120:]
    assert tracker.data[("validate", "hetero_sbt_0_precision")][2] == (2, 0.0)


def test_regression_metrics_match_scikit_learn(session):
    data = load_diabetes()
    predicted = LinearRegression().fit(data.data[:300], data.target[:300]).predict(data.data)
    rows = [(f"d{i}", predict_row(float(t), float(p), float(p), {}, "train" if i < 300 else "validate"))
            for i, (t, p) in enumerate(zip(data.target, predicted))]
    ref = prediction_table(session, rows, source="hetero_linr_0")
    out, tracker = evaluate(session, [ref], eval_type="regression")
    for ns, part in (("train", slice(0, 300)), ("validate", slice(300, None))):
        yy, pp = data.target[part], predicted[part]
        expected = {"explained_variance": skm.explained_variance_score(yy, pp),
                    "mean_absolute_error": skm.mean_absolute_error(yy, pp),
                    "mean_squared_error": skm.mean_squared_error(yy, pp),
                    "median_absolute_error": skm.median_absolute_error(yy, pp),
                    "r2_score": skm.r2_score(yy, pp),
                    "root_mean_squared_error": np.sqrt(skm.mean_squared_error(yy, pp))}
        assert out.summary["hetero_linr_0"][ns] == pytest.approx(expected, abs=1e-6)
        assert [k for k, _ in tracker.data[(ns, "hetero_linr_0")]] == list(expected)
    out, _ = evaluate(session, [ref], eval_type="Regression", metrics=["rmse", "l1"])
    assert list(out.summary["hetero_linr_0"]["train"]) == ["root_mean_squared_error", "mean_absolute_error"]


def test_several_inputs_are_named_by_their_component(session, credit):
    ids, y, s = credit
    first = prediction_table(session, binary_rows(ids[:500], y[:500], s[:500], ["train"] * 500))
    second = prediction_table(session, binary_rows(ids[:500], y[:500], 1 - s[:500], ["train"] * 500), "homo_lr_0")
    out, _ = evaluate(session, [first, second], metrics=["auc"])
    assert out.summary[CPN]["train"]["auc"] == pytest.approx(1 - out.summary["homo_lr_0"]["train"]["auc"], abs=2e-6)
    with pytest.raises(DataError, match="hetero_lr_0 feeds more than one input"):
        evaluate(session, [first, first])


@pytest.mark.parametrize("params, field", [
    ({"eval_type": "binaryx"}, "eval_type"),
    ({"eval_type": "clustering"}, "eval_type"),
    ({"pos_label": [1]}, "pos_label"),
    ({"pos_label": True}, "pos_label"),
    ({"metrics": ["auc", "bogus"]}, "metrics"),
    ({"eval_type": "multi", "metrics": ["auc"]}, "metrics"),
    ({"unfold_multi_result": "yes"}, "unfold_multi_result"),
    ({"need_run": 3}, "need_run"),
    ({"eval_typ": "binary"}, "eval_typ"),
])
def test_bad_parameters_name_the_field(session, params, field):
    with pytest.raises(ParameterError, match=field):
        evaluate(session, [], **params)


def test_need_run_false_and_no_input_evaluate_nothing(session, credit):
    ids, y, s = credit
    ref = prediction_table(session, binary_rows(ids[:100], y[:100], s[:100], ["train"] * 100))
    out, tracker = evaluate(session, [ref], need_run=False)
    assert out.summary == {} and tracker.metas == {}
    out, tracker = evaluate(session, [])
    assert out.summary == {} and tracker.metas == {}
