"""The column judgements of HeteroFeatureSelection (FATE 1.6's filters), as plain functions over numpy columns.

Each filter gives every judged column a value and keeps some of them; when a filter would keep none, the column
with the best value is kept (FATE's "keep one feature" rule).
"""
from __future__ import annotations

import math

import numpy as np

from fate_flow.components.binning_splits import quantile_value

FLOAT_ZERO = 1e-8
QUANTILE_ERROR = 1e-4


def pick_threshold(values: list[float], thresholds: list[float], take_high: bool = True) -> list[int]:
    """Positions whose value reaches its threshold (>= when taking high values, <= otherwise)."""
    return [i for i, (v, t) in enumerate(zip(values, thresholds)) if (v >= t if take_high else v <= t)]


def pick_top_k(values: list[float], k: int, take_high: bool = True) -> list[int]:
    """Positions of the k highest (or lowest) values; ties go to the earlier position."""
    order = sorted(range(len(values)), key=lambda i: (-values[i] if take_high else values[i], i))
    return order[:max(int(k), 0)]


def pick_top_percentile(values: list[float], percentile: float, take_high: bool = True) -> list[int]:
    """The top ceil(percentile * n) positions."""
    return pick_top_k(values, math.ceil(percentile * len(values)), take_high)


def keep_one(kept: list[int], values: list[float], take_high: bool = True) -> list[int]:
    """`kept`, or the position of the best value when nothing is kept (and something was judged)."""
    if kept or not values:
        return kept
    return [pick_top_k(values, 1, take_high)[0]]


def value_ranges(x: np.ndarray) -> np.ndarray:
    """unique_value: |max - min| of each column."""
    return np.abs(x.max(axis=0) - x.min(axis=0))


def coefficients_of_variation(x: np.ndarray) -> np.ndarray:
    """|std / mean| of each column (population std; a mean within 1e-8 of 0 counts as 1e-8)."""
    mean = x.mean(axis=0)
    variance = ((x - mean) ** 2).mean(axis=0)
    std = np.sqrt(np.where(np.abs(variance) < FLOAT_ZERO, 0.0, variance))
    return np.abs(std / np.where(np.abs(mean) < FLOAT_ZERO, FLOAT_ZERO, mean))


def quantile_points(x: np.ndarray, percentile: float) -> np.ndarray:
    """outlier_cols: each column's value at `percentile` (rank ceil(percentile * n))."""
    ordered = np.sort(x, axis=0)
    return np.array([quantile_value(ordered[:, k], percentile, QUANTILE_ERROR) for k in range(x.shape[1])])


def mode_counts(x: np.ndarray) -> np.ndarray:
    """percentage_value: how often each column's most frequent value occurs (values rounded to 8 decimals)."""
    rounded = np.round(x, 8)
    return np.array([np.unique(rounded[:, k], return_counts=True)[1].max() for k in range(x.shape[1])])
