"""Evaluation arithmetic on numpy arrays: single values, and the curves FATE 1.6 draws from a limited set of
score thresholds.

Binary inputs are `labels` (1 for the positive class, 0 otherwise) and `scores` (the positive-class
probability). Curves are not drawn at every distinct score but at about a hundred cut points, as FATE does:
- "rank" cuts: the score found at each percentile of the rows sorted by score (KS);
- "step" cuts: the same percentiles taken over the distinct scores (lift, gain, accuracy, precision, recall,
  confusion matrix, F1);
- "quantile" cuts: the 0, 5, ..., 100th percentiles of the scores (quantile PR, PSI bins).
At a cut threshold t a row is predicted positive when its score is strictly above t, so the cut c of a "rank"
threshold predicts about the top c of the rows positive. ROC and AUC use "score >= t" at every distinct score,
as scikit-learn does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CUT_COUNT = 100  # cut points 0, 0.01, ..., 0.99
QUANTILES = [round(i * 0.05, 3) for i in range(20)] + [1.0]


@dataclass
class Confusion:
    """Counts per threshold (arrays aligned with the thresholds they were computed at)."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    @property
    def total(self) -> int:
        return int(self.tp[0] + self.fp[0] + self.fn[0] + self.tn[0])

    def precision(self) -> np.ndarray:
        """tp / (tp + fp); 1.0 where nothing is predicted positive (how FATE draws the PR curve's end)."""
        predicted = self.tp + self.fp
        return np.where(predicted == 0, 1.0, self.tp / np.maximum(predicted, 1))

    def recall(self) -> np.ndarray:
        positives = self.tp + self.fn
        return np.where(positives == 0, 0.0, self.tp / np.maximum(positives, 1))

    def fpr(self) -> np.ndarray:
        negatives = self.fp + self.tn
        return np.where(negatives == 0, 0.0, self.fp / np.maximum(negatives, 1))

    def accuracy(self) -> np.ndarray:
        return (self.tp + self.tn) / self.total


def cut_points() -> list[float]:
    return [i / CUT_COUNT for i in range(CUT_COUNT)]


def _percentile_picks(values_desc: np.ndarray) -> np.ndarray:
    size = len(values_desc)
    return values_desc[[int(size * cut) for cut in cut_points()]]


def rank_thresholds(scores: np.ndarray) -> np.ndarray:
    """The score at each percentile cut of the rows sorted by descending score."""
    return _percentile_picks(np.sort(scores)[::-1])


def step_thresholds(scores: np.ndarray) -> np.ndarray:
    """The score at each percentile cut of the distinct scores in descending order."""
    return _percentile_picks(np.unique(scores)[::-1])


def quantile_thresholds(scores: np.ndarray, distinct: bool = False) -> np.ndarray:
    """The 0, 5, ..., 100th percentiles of the scores (the nearest observed score), ascending."""
    values = np.quantile(scores, QUANTILES, method="nearest")
    if distinct:
        values = np.unique(values)
        if len(values) == 1:
            values = np.array([scores.min(), scores.max()])
    return np.sort(values)


def confusion(labels: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> Confusion:
    """Counts when rows scoring strictly above each threshold are predicted positive."""
    thresholds = np.asarray(thresholds, dtype=float)
    positive = np.sort(scores[labels == 1])
    negative = np.sort(scores[labels != 1])
    tp = len(positive) - np.searchsorted(positive, thresholds, side="right")
    fp = len(negative) - np.searchsorted(negative, thresholds, side="right")
    return Confusion(tp=tp, fp=fp, fn=len(positive) - tp, tn=len(negative) - fp)


# ------------------------------------------------------------------------------------------------ ROC, AUC, KS
@dataclass
class Roc:
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def roc(labels: np.ndarray, scores: np.ndarray) -> Roc:
    """The ROC at every distinct score ("score >= t" is positive), without the points that lie inside a
    straight vertical or horizontal run. Starts at (0, 0) with threshold max score + 1, ends at (1, 1)."""
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_labels = scores[order], labels[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(sorted_scores) - 1]
    tps = np.cumsum(sorted_labels == 1)[last_of_group]
    fps = last_of_group + 1 - tps
    thresholds = sorted_scores[last_of_group]
    if len(tps) > 2:
        corner = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        tps, fps, thresholds = tps[corner], fps[corner], thresholds[corner]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[thresholds[0] + 1, thresholds]
    return Roc(fpr=fps / fps[-1], tpr=tps / tps[-1], thresholds=thresholds)


def auc(curve: Roc) -> float:
    """Area under the ROC (trapezoids; ties between a positive and a negative count one half)."""
    return float(np.sum(np.diff(curve.fpr) * (curve.tpr[1:] + curve.tpr[:-1]) / 2))


def ks(curve: Roc) -> float:
    """Kolmogorov-Smirnov: the largest tpr - fpr over all thresholds."""
    return float(np.max(curve.tpr - curve.fpr))


def sampled_roc(curve: Roc) -> Roc:
    """About a hundred ROC points picked at the percentile cuts of the curve's thresholds (FATE's way of
    keeping the curve small), duplicates removed, ending at (1, 1) with the lowest score as threshold."""
    size = len(curve.thresholds)
    picks, seen = [], set()
    for index in (int(size * cut) for cut in cut_points()):
        point = (curve.fpr[index], curve.tpr[index], curve.thresholds[index])
        if point not in seen:
            seen.add(point)
            picks.append(index)
    if (curve.fpr[picks[-1]], curve.tpr[picks[-1]]) != (1.0, 1.0):
        picks.append(size - 1)
    return Roc(fpr=curve.fpr[picks], tpr=curve.tpr[picks], thresholds=curve.thresholds[picks])


@dataclass
class KsCurve:
    cuts: list[float]  # one more than thresholds: the curves end at cut 1.0 with fpr = tpr = 1
    fpr: list[float]
    tpr: list[float]
    thresholds: list[float]


def ks_curve(labels: np.ndarray, scores: np.ndarray) -> KsCurve:
    """fpr and tpr when the top c of the rows (by score) are predicted positive, for each percentile cut c."""
    thresholds = rank_thresholds(scores)
    counts = confusion(labels, scores, thresholds)
    return KsCurve(cuts=cut_points() + [1.0], fpr=[*counts.fpr().tolist(), 1.0],
                   tpr=[*counts.recall().tolist(), 1.0], thresholds=thresholds.tolist())


# ------------------------------------------------------------------------------------------------ cut curves
@dataclass
class Curve:
    """Points (x, y) with the score threshold each was computed at."""

    x: list[float]
    y: list[float]
    thresholds: list[float]


def _best_y_per_x(x: np.ndarray, y: np.ndarray) -> list[int]:
    """For each distinct x (in order of first appearance), the index of its largest y."""
    best: dict[float, int] = {}
    for i, (xi, yi) in enumerate(zip(x.tolist(), y.tolist())):
        if xi not in best or y[best[xi]] < yi:
            best[xi] = i
    return list(best.values())


def _population_curve(labels: np.ndarray, scores: np.ndarray, kind: str) -> Curve:
    thresholds = step_thresholds(scores)
    counts = confusion(labels, scores, thresholds)
    predicted_share = (counts.tp + counts.fp) / len(labels)
    if kind == "lift":
        y = counts.precision() / (np.sum(labels == 1) / len(labels))
    else:
        y = counts.recall()
    keep = _best_y_per_x(predicted_share, y)
    # every row predicted positive: lift 1, gain 1
    return Curve(x=[*predicted_share[keep].tolist(), 1.0], y=[*y[keep].tolist(), 1.0],
                 thresholds=[*thresholds[keep].tolist(), 0.0])


def lift_curve(labels: np.ndarray, scores: np.ndarray) -> Curve:
    """(share of rows predicted positive, precision / positive rate) at each step cut."""
    return _population_curve(labels, scores, "lift")


def gain_curve(labels: np.ndarray, scores: np.ndarray) -> Curve:
    """(share of rows predicted positive, recall) at each step cut."""
    return _population_curve(labels, scores, "gain")


def accuracy_curve(labels: np.ndarray, scores: np.ndarray) -> Curve:
    """(cut, accuracy) at each step cut."""
    thresholds = step_thresholds(scores)
    return Curve(x=cut_points(), y=confusion(labels, scores, thresholds).accuracy().tolist(),
                 thresholds=thresholds.tolist())


def precision_recall_curves(labels: np.ndarray, scores: np.ndarray) -> tuple[Curve, Curve]:
    """(cut, precision) and (cut, recall) at each step cut plus one cut below every score (cut 1: all rows
    positive); of the cuts sharing a recall only the one with the best precision is kept."""
    steps = step_thresholds(scores)
    thresholds = np.r_[steps, steps.min() - 0.001]
    cuts = np.array(cut_points() + [1.0])
    counts = confusion(labels, scores, thresholds)
    precision, recall = counts.precision(), counts.recall()
    keep = _best_y_per_x(recall, precision)
    return (Curve(x=cuts[keep].tolist(), y=precision[keep].tolist(), thresholds=thresholds[keep].tolist()),
            Curve(x=cuts[keep].tolist(), y=recall[keep].tolist(), thresholds=thresholds[keep].tolist()))


def table_thresholds(scores: np.ndarray) -> np.ndarray:
    """The thresholds of the confusion-matrix and F1 tables: the step cuts and 0."""
    return np.r_[step_thresholds(scores), 0.0]


def f1_scores(counts: Confusion) -> np.ndarray:
    precision, recall = counts.precision(), counts.recall()
    denominator = precision + recall
    return 2 * precision * recall / np.where(denominator == 0, 1e-6, denominator)


@dataclass
class QuantilePr:
    precision: list[float]
    recall: list[float]
    thresholds: list[float]  # ascending


def quantile_pr(labels: np.ndarray, scores: np.ndarray) -> QuantilePr:
    """Precision and recall at the 0, 5, ..., 100th score percentiles."""
    thresholds = quantile_thresholds(scores)
    counts = confusion(labels, scores, thresholds)
    return QuantilePr(counts.precision().tolist(), counts.recall().tolist(), thresholds.tolist())


# ------------------------------------------------------------------------------------------------ PSI
@dataclass
class Psi:
    """Population stability of the scores between a train and a validate set, over train-quantile bins."""

    psi_scores: list[float]
    total_psi: float
    expected_interval: list[int]
    expected_percentage: list[float]
    actual_interval: list[int]
    actual_percentage: list[float]
    train_pos_perc: list[float]
    validate_pos_perc: list[float]
    intervals: list[str]


def _bin_counts(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin [e0, e1), [e1, e2), ..., [e(k-1), ek] (the last bin closed; scores outside ignored)."""
    counts = np.zeros(len(edges) - 1, dtype=int)
    inside = (scores >= edges[0]) & (scores <= edges[-1])
    index = np.minimum(np.searchsorted(edges, scores[inside], side="right") - 1, len(counts) - 1)
    np.add.at(counts, index, 1)
    return counts


def psi(train_scores: np.ndarray, validate_scores: np.ndarray, train_labels: np.ndarray,
        validate_labels: np.ndarray) -> Psi:
    edges = quantile_thresholds(train_scores, distinct=True)
    expected, actual = _bin_counts(train_scores, edges), _bin_counts(validate_scores, edges)
    # an empty bin counts as 1e-6 rows so the logarithm stays finite
    expected_share = np.where(expected == 0, 1e-6, expected) / len(train_scores)
    actual_share = np.where(actual == 0, 1e-6, actual) / len(validate_scores)
    scores = (actual_share - expected_share) * np.log(actual_share / expected_share)
    train_pos = _bin_counts(train_scores[train_labels == 1], edges)
    validate_pos = _bin_counts(validate_scores[validate_labels == 1], edges)
    intervals = [f"[{round(float(lo), 6)}, {round(float(hi), 6)}{']' if i == len(edges) - 2 else ')'}"
                 for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]
    return Psi(psi_scores=scores.tolist(), total_psi=float(scores.sum()), expected_interval=expected.tolist(),
               expected_percentage=expected_share.tolist(), actual_interval=actual.tolist(),
               actual_percentage=actual_share.tolist(),
               train_pos_perc=(train_pos / np.maximum(expected, 1)).tolist(),
               validate_pos_perc=(validate_pos / np.maximum(actual, 1)).tolist(), intervals=intervals)


# ------------------------------------------------------------------------------------------------ multi-class
def multi_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(labels == predicted))


def per_class_precision_recall(labels: list, predicted: list) -> tuple[list, np.ndarray, np.ndarray]:
    """Classes (sorted union of true and predicted) with each one's precision and recall (0 where undefined)."""
    classes = sorted(set(labels) | set(predicted), key=lambda c: (isinstance(c, str), c))
    truth, guess = np.array(labels, dtype=object), np.array(predicted, dtype=object)
    precision, recall = [], []
    for c in classes:
        hit = np.sum((truth == c) & (guess == c))
        predicted_c, actual_c = np.sum(guess == c), np.sum(truth == c)
        precision.append(hit / predicted_c if predicted_c else 0.0)
        recall.append(hit / actual_c if actual_c else 0.0)
    return classes, np.array(precision, dtype=float), np.array(recall, dtype=float)


# ------------------------------------------------------------------------------------------------ regression
def regression_metrics(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    error = labels - predicted
    mse = float(np.mean(error ** 2))
    return {
        "explained_variance": _share_explained(float(np.var(error)), float(np.var(labels))),
        "mean_absolute_error": float(np.mean(np.abs(error))),
        "mean_squared_error": mse,
        "median_absolute_error": float(np.median(np.abs(error))),
        "r2_score": _share_explained(mse, float(np.var(labels))),
        "root_mean_squared_error": float(np.sqrt(mse)),
    }


def _share_explained(residual: float, total: float) -> float:
    """1 - residual / total; for constant labels 1.0 when the residual is 0, else 0.0 (as scikit-learn)."""
    if total == 0:
        return 1.0 if residual == 0 else 0.0
    return 1.0 - residual / total
