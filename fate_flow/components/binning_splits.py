"""Split points of a feature column and the bin each value falls in, as FATE 1.6's binning defines them.

A column's split points are the upper bounds of its bins, the last one being the column maximum; a value goes to
the first bin whose upper bound is >= the value, and values above every bound go to the last bin.

Quantile splits are exact: the split point for quantile q is the value of rank ceil(q * n) in the sorted column
(q <= error gives the minimum, q >= 1 - error the maximum). FATE builds a Greenwald-Khanna summary with relative
error `error` instead; on columns where n * error <= 1 that summary answers exactly this value, and otherwise FATE's
answer lies within its error bound of it.
"""
from __future__ import annotations

import math

import numpy as np


def quantile_value(sorted_column: np.ndarray, q: float, error: float) -> float:
    """The value of rank ceil(q * n) of an ascending column."""
    n = len(sorted_column)
    if q <= error:
        return float(sorted_column[0])
    if q >= 1 - error:
        return float(sorted_column[-1])
    rank = min(max(math.ceil(q * n), 1), n)
    return float(sorted_column[rank - 1])


def quantile_split_points(column: np.ndarray, bin_num: int, error: float) -> list[float]:
    """Split points at quantiles 1/bin_num, 2/bin_num, ..., 1 (duplicates dropped, so ties give fewer bins)."""
    ordered = np.sort(column)
    step = 1.0 / bin_num
    rates = [i * step for i in range(1, bin_num)] + [1.0]
    return _distinct([quantile_value(ordered, q, error) for q in rates])


def bucket_split_points(column: np.ndarray, bin_num: int) -> list[float]:
    """Equal-width bins between the column's minimum and maximum."""
    low, high = float(np.min(column)), float(np.max(column))
    width = (high - low) / bin_num
    return [low + (k + 1) * width for k in range(bin_num - 1)] + [high]


def category_split_points(column: np.ndarray) -> list[float]:
    """A category column's distinct values, ascending: each value is its own bin."""
    return [float(v) for v in np.unique(column)]


def bin_indices(values: np.ndarray, split_points: list[float] | np.ndarray) -> np.ndarray:
    """The bin of each value: the first split point >= the value; above all of them, the last bin."""
    bounds = np.asarray(split_points, dtype=np.float64)[:-1]
    return np.searchsorted(bounds, values, side="left")


def _distinct(points: list[float]) -> list[float]:
    kept: list[float] = []
    for p in points:
        if p not in kept:
            kept.append(p)
    return kept
