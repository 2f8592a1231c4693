"""How Evaluation writes its metrics: single values, curves and tables in the shapes FATE's tracker and board
show (values rounded to 6 places), and the recorder of each binary curve or table metric."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from fate_flow.components import evaluation_metrics as em
from fate_flow.components.base import ComponentContext

ROUND = 6


def rounded(value: Any) -> Any:
    return round(float(value), ROUND) if isinstance(value, (float, np.floating)) else value


def rounded_list(values: Any) -> list:
    return [rounded(v) for v in values]


class MetricRecorder:
    """Writes metrics the way FATE's tracker shows them and collects the summary."""

    def __init__(self, ctx: ComponentContext):
        self.tracker = ctx.tracker
        self.log = ctx.log
        self.summary: dict = {}

    def single_values(self, namespace: str, name: str, values: dict[str, float]) -> None:
        values = {metric: rounded(v) for metric, v in values.items()}
        self.tracker.set_metric_meta(namespace, name, {"name": name, "metric_type": "EVALUATION_SUMMARY"})
        self.tracker.log_metric_data(namespace, name, list(values.items()))
        self.summary.setdefault(name, {}).setdefault(namespace, {}).update(values)
        self.log.info("Evaluation %s %s: %s", name, namespace,
                      ", ".join(f"{metric}={value}" for metric, value in values.items()))

    def curve(self, namespace: str, name: str, metric_type: str, x: list, y: list, **meta: Any) -> None:
        """Points (x, y) sorted by x; meta keys with empty values are left out, as FATE does."""
        points = sorted(zip(rounded_list(x), rounded_list(y)), key=lambda p: p[0])
        self.tracker.set_metric_meta(namespace, name, self._meta(name, metric_type, meta))
        self.tracker.log_metric_data(namespace, name, points)

    def table(self, namespace: str, name: str, metric_type: str, **meta: Any) -> None:
        """A metric whose content is all in its meta (no data points)."""
        self.tracker.set_metric_meta(namespace, name, self._meta(name, metric_type, meta))

    @staticmethod
    def _meta(name: str, metric_type: str, extra: dict) -> dict:
        meta = {"name": name, "metric_type": metric_type}
        for key, value in extra.items():
            if value is None or (isinstance(value, (str, list)) and not value):
                continue
            meta[key] = rounded_list(value) if key == "thresholds" else value
        return meta


def _roc(rec: MetricRecorder, metric_name: str, ns: str, name: str, labels: np.ndarray, scores: np.ndarray,
         roc: em.Roc) -> None:
    curve = em.sampled_roc(roc)
    rec.curve(ns, metric_name, "ROC_EVALUATION", curve.fpr.tolist(), curve.tpr.tolist(), unit_name="fpr",
              ordinate_name="tpr", curve_name=name, thresholds=curve.thresholds.tolist())


def _ks(rec: MetricRecorder, metric_name: str, ns: str, name: str, labels: np.ndarray, scores: np.ndarray,
        roc: em.Roc) -> None:
    curve = em.ks_curve(labels, scores)
    for rate, values in (("fpr", curve.fpr), ("tpr", curve.tpr)):
        rec.curve(ns, f"{metric_name}_{rate}", "KS_EVALUATION", curve.cuts, values, curve_name=f"{name}_{rate}",
                  pair_type=name, thresholds=curve.thresholds)


def _cut_curve(compute: Callable[[np.ndarray, np.ndarray], em.Curve], metric_type: str) -> Callable:
    def record(rec: MetricRecorder, metric_name: str, ns: str, name: str, labels: np.ndarray, scores: np.ndarray,
               roc: em.Roc) -> None:
        curve = compute(labels, scores)
        rec.curve(ns, metric_name, metric_type, curve.x, curve.y, curve_name=name, thresholds=curve.thresholds)
    return record


def _precision_recall(rec: MetricRecorder, metric_name: str, ns: str, name: str, labels: np.ndarray,
                      scores: np.ndarray, roc: em.Roc) -> None:
    """Both curves (FATE always draws them as a pair)."""
    precision, recall = em.precision_recall_curves(labels, scores)
    for metric, curve, ordinate in (("precision", precision, "Precision"), ("recall", recall, "Recall")):
        rec.curve(ns, f"{name}_{metric}", f"{metric.upper()}_BINARY_EVALUATION", curve.x, curve.y,
                  ordinate_name=ordinate, curve_name=name, pair_type=name, thresholds=curve.thresholds)


def _confusion_mat(rec: MetricRecorder, metric_name: str, ns: str, name: str, labels: np.ndarray,
                   scores: np.ndarray, roc: em.Roc) -> None:
    thresholds = em.table_thresholds(scores)
    counts = em.confusion(labels, scores, thresholds)
    rec.table(ns, metric_name, "CONFUSION_MAT", tp=counts.tp.tolist(), tn=counts.tn.tolist(),
              fp=counts.fp.tolist(), fn=counts.fn.tolist(), thresholds=thresholds.tolist())


def _f1_score(rec: MetricRecorder, metric_name: str, ns: str, name: str, labels: np.ndarray, scores: np.ndarray,
              roc: em.Roc) -> None:
    thresholds = em.table_thresholds(scores)
    f1 = em.f1_scores(em.confusion(labels, scores, thresholds))
    rec.table(ns, metric_name, "F1_SCORE", f1_scores=rounded_list(f1.tolist()), thresholds=thresholds.tolist())


def _quantile_pr(rec: MetricRecorder, metric_name: str, ns: str, name: str, labels: np.ndarray, scores: np.ndarray,
                 roc: em.Roc) -> None:
    pr = em.quantile_pr(labels, scores)
    # FATE's shape: [[0, value], ...] per threshold, thresholds ascending
    rec.table(ns, metric_name, "QUANTILE_PR", p_scores=[[0, rounded(p)] for p in pr.precision],
              r_scores=[[0, rounded(r)] for r in pr.recall], thresholds=pr.thresholds)


BINARY_CURVES: dict[str, Callable] = {
    "ks": _ks,
    "roc": _roc,
    "lift": _cut_curve(em.lift_curve, "LIFT_EVALUATION"),
    "gain": _cut_curve(em.gain_curve, "GAIN_EVALUATION"),
    "accuracy": _cut_curve(em.accuracy_curve, "ACCURACY_EVALUATION"),
    "precision": _precision_recall,
    "recall": _precision_recall,
    "confusion_mat": _confusion_mat,
    "f1_score": _f1_score,
    "quantile_pr": _quantile_pr,
}


def record_psi(rec: MetricRecorder, name: str, binary: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """PSI of the validate scores against the train scores, under namespace validate."""
    if "train" not in binary or "validate" not in binary:
        rec.log.info("Evaluation of %s: psi needs both train and validate rows, not computed", name)
        return
    (train_labels, train_scores), (validate_labels, validate_scores) = binary["train"], binary["validate"]
    result = em.psi(train_scores, validate_scores, train_labels, validate_labels)
    rec.table("validate", f"{name}_psi", "PSI", psi_scores=rounded_list(result.psi_scores),
              total_psi=rounded(result.total_psi), expected_interval=result.expected_interval,
              expected_percentage=rounded_list(result.expected_percentage),
              actual_interval=result.actual_interval, actual_percentage=rounded_list(result.actual_percentage),
              intervals=result.intervals, train_pos_perc=rounded_list(result.train_pos_perc),
              validate_pos_perc=rounded_list(result.validate_pos_perc))
