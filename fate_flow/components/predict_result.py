"""The rows a model's predictions are written as, FATE's shape, read back by Evaluation.

Each row is keyed by the sample id and holds a list in the order of PREDICT_HEADER:
label (the true label, or None when the data has none), predict_result (the predicted class, or the
predicted value for regression), predict_score (binary: the probability of the positive class;
regression: the predicted value), predict_detail ({class as str: probability}) and type, which says
which input the row came from (train, validate, test or predict).
"""
from __future__ import annotations

from typing import Any

PREDICT_HEADER = ["label", "predict_result", "predict_score", "predict_detail", "type"]
LABEL, RESULT, SCORE, DETAIL, TYPE = range(len(PREDICT_HEADER))
DATA_TYPES = ("train", "validate", "test", "predict")


def predict_row(label: Any, result: Any, score: float, detail: dict[str, float], data_type: str) -> list:
    if data_type not in DATA_TYPES:
        raise ValueError(f"prediction type must be one of {', '.join(DATA_TYPES)}, got {data_type!r}")
    return [label, result, float(score), {str(k): float(v) for k, v in detail.items()}, data_type]


def binary_row(label: Any, probability: float, threshold: float, data_type: str) -> list:
    """A binary classifier's row: class 1 when the positive probability reaches `threshold`."""
    p = float(probability)
    return predict_row(label, 1 if p >= threshold else 0, p, {"0": 1.0 - p, "1": p}, data_type)


def predict_schema(sid_name: str) -> dict:
    return {"header": list(PREDICT_HEADER), "sid_name": sid_name}
