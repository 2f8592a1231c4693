"""Evaluation: score the prediction rows of upstream models (FATE 1.6's Evaluation module).

Each input table holds prediction rows (fate_flow.components.predict_result) of one component, whose name
becomes the metric name. Rows are split by their type (train, validate, test, predict) and each type is
evaluated under the metric namespace of that name; rows without a label are counted and skipped.

binary: single values auc and ks, curves roc, ks, lift, gain, accuracy, precision/recall, and the
confusion-matrix, F1, quantile-PR and PSI tables (PSI compares the train and validate scores of one input);
multi: accuracy and per-class precision/recall (their single values are the class averages), optionally
one-vs-rest auc/ks per class; regression: explained variance, MAE, MSE, median absolute error, R2, RMSE.
Parameter names, defaults and allowed values follow FATE 1.6's EvaluateParam. Evaluation outputs no table.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fate_flow.components import evaluation_metrics as em
from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.params import ComponentParams
from fate_flow.components.evaluation_records import BINARY_CURVES, MetricRecorder, record_psi, rounded
from fate_flow.components.predict_result import DATA_TYPES, DETAIL, LABEL, PREDICT_HEADER, RESULT, SCORE, TYPE
from fate_flow.entity.errors import DataError, ParameterError

BINARY, MULTI, REGRESSION, CLUSTERING = "binary", "multi", "regression", "clustering"
EVAL_TYPES = (BINARY, MULTI, REGRESSION, CLUSTERING)
METRICS = {
    BINARY: ("auc", "ks", "lift", "gain", "accuracy", "precision", "recall", "roc", "confusion_mat", "psi",
             "f1_score", "quantile_pr"),
    MULTI: ("accuracy", "precision", "recall"),
    REGRESSION: ("explained_variance", "mean_absolute_error", "mean_squared_error", "median_absolute_error",
                 "r2_score", "root_mean_squared_error"),
    CLUSTERING: ("jaccard_similarity_score", "fowlkes_mallows_score", "adjusted_rand_score", "davies_bouldin_index",
                 "distance_measure", "contingency_matrix"),
}
KNOWN_METRICS = frozenset(m for names in METRICS.values() for m in names) | {"mean_squared_log_error"}
ALIASES = {"l1": "mean_absolute_error", "mae": "mean_absolute_error", "regression_l1": "mean_absolute_error",
           "l2": "mean_squared_error", "mse": "mean_squared_error", "regression_l2": "mean_squared_error",
           "regression": "mean_squared_error", "l2_root": "root_mean_squared_error",
           "rmse": "root_mean_squared_error", "msle": "mean_squared_log_error", "r2": "r2_score", "acc": "accuracy",
           "dbi": "davies_bouldin_index", "fmi": "fowlkes_mallows_score", "ri": "adjusted_rand_score",
           "jaccard": "jaccard_similarity_score"}
SKIPPED_KEY = "unlabelled_rows_skipped"


@dataclass
class EvaluateParams(ComponentParams):
    eval_type: str = BINARY
    unfold_multi_result: bool = False
    pos_label: Any = 1
    need_run: bool = True
    # empty: every metric of the eval_type
    metrics: list | None = None
    # FATE's switch for the arbiter's clustering metrics; accepted, clustering is refused anyway
    run_clustering_arbiter_metric: bool = False

    def check(self, where: str) -> None:
        self.eval_type = self.eval_type.lower()
        if self.eval_type not in EVAL_TYPES:
            raise ParameterError(f"{where}parameter eval_type must be one of {', '.join(EVAL_TYPES)}, "
                                 f"got {self.eval_type!r}")
        if self.eval_type == CLUSTERING:
            raise ParameterError(f"{where}parameter eval_type 'clustering' is not supported: no clustering "
                                 f"component here writes cluster results to evaluate")
        if isinstance(self.pos_label, bool) or not isinstance(self.pos_label, (str, int, float)):
            raise ParameterError(f"{where}parameter pos_label must be a string or a number, got {self.pos_label!r}")
        self.metrics = self._resolved_metrics(where)

    def _resolved_metrics(self, where: str) -> list[str]:
        """Full metric names (aliases resolved, duplicates dropped); precision and recall always come together."""
        if not self.metrics:
            return list(METRICS[self.eval_type])
        names: list[str] = []
        for metric in self.metrics:
            if not isinstance(metric, str):
                raise ParameterError(f"{where}parameter metrics must list metric names, got {metric!r}")
            name = ALIASES.get(metric.lower(), metric.lower())
            if name not in KNOWN_METRICS:
                raise ParameterError(f"{where}parameter metrics: metric {metric!r} is not supported")
            if name not in METRICS[self.eval_type]:
                raise ParameterError(f"{where}parameter metrics: metric {metric!r} is not used for {self.eval_type} "
                                     f"evaluation (allowed: {', '.join(METRICS[self.eval_type])})")
            if name not in names:
                names.append(name)
        for one, other in (("precision", "recall"), ("recall", "precision")):
            if one in names and other not in names:
                names.append(other)
        return names


@dataclass
class _Labelled:
    """The labelled prediction rows of one type."""

    labels: list = field(default_factory=list)
    results: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    details: list = field(default_factory=list)


class Evaluation(Component):
    module = "Evaluation"
    params_class = EvaluateParams

    def run(self, ctx: ComponentContext, params: EvaluateParams) -> ComponentOutput:
        if not params.need_run:
            ctx.log.info("%s: need_run is false, nothing evaluated", self.module)
            return ComponentOutput()
        refs = ctx.input_tables("data")
        if not refs:
            ctx.log.info("%s: no prediction table given to %s %s, nothing to evaluate", self.module, ctx.role,
                         ctx.party_id)
            return ComponentOutput()
        names = [ref.source or ref.name for ref in refs]
        repeated = sorted(n for n, c in Counter(names).items() if c > 1)
        if repeated:
            raise DataError(f"{self.module} metrics are named by the component that made each input, and "
                            f"{', '.join(repeated)} feeds more than one input; give each component's output once")
        recorder = MetricRecorder(ctx)
        skipped: dict[str, dict[str, int]] = {}
        for name, ref in zip(names, refs):
            by_type, unlabelled = _split_by_type(ctx.load_table(ref).collect(), name)
            for data_type, count in unlabelled.items():
                ctx.log.warning("%s: %s %s rows of %s have no label and were not evaluated", self.module, count,
                                data_type, name)
            if unlabelled:
                skipped[name] = {t: unlabelled[t] for t in DATA_TYPES if t in unlabelled}
            if not by_type:
                ctx.log.info("%s: %s has no labelled prediction rows, nothing evaluated", self.module, name)
            _evaluate_input(recorder, params, name, by_type)
        summary = recorder.summary
        if skipped:
            summary[SKIPPED_KEY] = skipped
        return ComponentOutput(summary=summary)


# ------------------------------------------------------------------------------------------------ reading rows
def _split_by_type(rows: Any, name: str) -> tuple[dict[str, _Labelled], Counter]:
    by_type: dict[str, _Labelled] = {}
    unlabelled: Counter = Counter()
    for key, row in rows:
        if not isinstance(row, (list, tuple)) or len(row) != len(PREDICT_HEADER):
            raise DataError(f"row {key!r} of {name} is not a prediction row (expected "
                            f"[{', '.join(PREDICT_HEADER)}], got {row!r:.200})")
        data_type = row[TYPE]
        if data_type not in DATA_TYPES:
            raise DataError(f"row {key!r} of {name} has prediction type {data_type!r}; expected one of "
                            f"{', '.join(DATA_TYPES)}")
        if row[LABEL] is None:
            unlabelled[data_type] += 1
            continue
        part = by_type.setdefault(data_type, _Labelled())
        part.labels.append(row[LABEL])
        part.results.append(row[RESULT])
        part.scores.append(row[SCORE])
        part.details.append(row[DETAIL])
    return {t: by_type[t] for t in DATA_TYPES if t in by_type}, unlabelled


def _numbers(values: list, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        bad = next((v for v in values if not _is_number(v)), values[0])
        raise DataError(f"{what} must be numbers; found {bad!r}") from None
    if not np.all(np.isfinite(array)):
        raise DataError(f"{what} must be finite numbers; found {array[~np.isfinite(array)][0]}")
    return array


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _matches(label: Any, pos_label: Any) -> bool:
    return label == pos_label or str(label) == str(pos_label)


# ------------------------------------------------------------------------------------------------ evaluating
def _evaluate_input(rec: MetricRecorder, params: EvaluateParams, name: str, by_type: dict[str, _Labelled]) -> None:
    if params.eval_type == BINARY:
        binary = {t: _binary_arrays(part, params.pos_label, f"{name} ({t} rows)", rec)
                  for t, part in by_type.items()}
        for data_type, (labels, scores) in binary.items():
            _evaluate_binary(rec, params.metrics, name, data_type, labels, scores)
        if "psi" in params.metrics:
            record_psi(rec, name, binary)
    elif params.eval_type == MULTI:
        for data_type, part in by_type.items():
            _evaluate_multi(rec, params.metrics, name, data_type, part)
            if params.unfold_multi_result:
                _evaluate_one_vs_rest(rec, name, data_type, part)
    else:
        for data_type, part in by_type.items():
            labels = _numbers(part.labels, f"regression labels of {name} ({data_type} rows)")
            predicted = _numbers(part.scores, f"predicted values of {name} ({data_type} rows)")
            values = em.regression_metrics(labels, predicted)
            rec.single_values(data_type, name, {m: values[m] for m in params.metrics})


def _binary_arrays(part: _Labelled, pos_label: Any, what: str, rec: MetricRecorder) -> tuple[np.ndarray, np.ndarray]:
    labels = np.array([1 if _matches(label, pos_label) else 0 for label in part.labels])
    positives = int(labels.sum())
    if positives == 0 or positives == len(labels):
        seen = sorted({str(label) for label in part.labels})
        raise DataError(f"binary evaluation of {what} needs positive and negative rows, but "
                        f"{'none' if positives == 0 else 'all'} of the {len(labels)} labelled rows have "
                        f"pos_label {pos_label!r} (labels seen: {', '.join(seen[:10])})")
    distinct = {str(label) for label in part.labels}
    if len(distinct) > 2:
        rec.log.warning("Evaluation of %s: %s distinct labels in a binary evaluation; every label other than "
                        "pos_label %r counts as negative", what, len(distinct), pos_label)
    return labels, _numbers(part.scores, f"predict_score of {what}")


def _evaluate_binary(rec: MetricRecorder, metrics: list[str], name: str, ns: str, labels: np.ndarray,
                     scores: np.ndarray) -> None:
    roc = em.roc(labels, scores)
    singles: dict[str, float] = {}
    for metric in metrics:
        if metric == "auc":
            singles["auc"] = em.auc(roc)
        elif metric == "ks":
            singles["ks"] = em.ks(roc)
    if singles:
        rec.single_values(ns, name, singles)
    done = set()
    for metric in metrics:
        recorder = BINARY_CURVES.get(metric)
        if recorder is not None and recorder not in done:
            done.add(recorder)
            recorder(rec, f"{name}_{metric}", ns, name, labels, scores, roc)


def _evaluate_multi(rec: MetricRecorder, metrics: list[str], name: str, ns: str, part: _Labelled) -> None:
    classes, precision, recall = em.per_class_precision_recall(part.labels, part.results)
    singles = {}
    for metric in metrics:
        if metric == "accuracy":
            singles["accuracy"] = em.multi_accuracy(np.array(part.labels, dtype=object),
                                                    np.array(part.results, dtype=object))
        else:
            singles[metric] = float(np.mean(precision if metric == "precision" else recall))
    rec.single_values(ns, name, singles)
    if "precision" in metrics:
        for metric, values, ordinate in (("precision", precision, "Precision"), ("recall", recall, "Recall")):
            keys, padded = _class_axis(classes, values.tolist())
            rec.curve(ns, f"{name}_{metric}", f"{metric.upper()}_MULTI_EVALUATION", keys, padded,
                      ordinate_name=ordinate, curve_name=name, pair_type=name)


def _class_axis(classes: list, values: list[float]) -> tuple[list, list[float]]:
    """Integer classes 0..max with 0.0 for a class that occurs nowhere (FATE pads them); other classes as is."""
    if all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in classes):
        by_class = dict(zip(classes, values))
        keys = list(range(max(classes) + 1))
        return keys, [by_class.get(c, 0.0) for c in keys]
    return [str(c) for c in classes], values


def _evaluate_one_vs_rest(rec: MetricRecorder, name: str, ns: str, part: _Labelled) -> None:
    """auc and ks of each class against the rest, from the per-class probabilities in predict_detail."""
    classes = sorted({str(c) for detail in part.details if isinstance(detail, dict) for c in detail})
    for cls in classes:
        labels = np.array([1 if str(label) == cls else 0 for label in part.labels])
        if labels.sum() in (0, len(labels)):
            rec.log.info("Evaluation of %s (%s rows): class %s is %s, no one-vs-rest auc/ks", name, ns, cls,
                         "absent" if labels.sum() == 0 else "the only class")
            continue
        scores = _numbers([detail.get(cls, 0.0) if isinstance(detail, dict) else math.nan
                           for detail in part.details], f"predict_detail of {name} ({ns} rows)")
        roc = em.roc(labels, scores)
        values = {"auc": rounded(em.auc(roc)), "ks": rounded(em.ks(roc))}
        rec.table(ns, f"{name}_class_{cls}_ovr", "ovr", **values)
        rec.summary.setdefault(f"{name}_class_{cls}", {}).setdefault(ns, {}).update(values)
