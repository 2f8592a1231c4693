"""Each party's features as quantile bins (FATE's QuantileBinning with bin_num bins, exact quantiles): a split
candidate "bin <= k" of a feature is the rule "value <= split_points[k]", so a trained split is applied to new rows
by its split value alone."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fate_flow.components.binning_splits import bin_indices, quantile_split_points


@dataclass
class BinnedFeatures:
    bins: np.ndarray                 # (rows, features): the bin of each value
    split_points: list[np.ndarray]   # per feature: ascending upper bounds of its bins

    @property
    def bin_counts(self) -> np.ndarray:
        return np.array([len(s) for s in self.split_points], dtype=np.int64)

    @property
    def features(self) -> int:
        return self.bins.shape[1]


def bin_features(x: np.ndarray, bin_num: int, error: float) -> BinnedFeatures:
    splits = [np.asarray(quantile_split_points(column, bin_num, error), dtype=np.float64) for column in x.T]
    dtype = np.uint8 if bin_num <= 256 else np.uint16
    bins = np.empty(x.shape, dtype=dtype)
    for j, points in enumerate(splits):
        bins[:, j] = bin_indices(x[:, j], points)
    return BinnedFeatures(bins, splits)


def sampled_features(features: int, rate: float, seed: int | None, round_index: int, klass: int) -> np.ndarray:
    """Which of a party's features a tree may split on (subsample_feature_rate), drawn per tree from the party's
    random_seed; a mask."""
    rng = np.random.default_rng(None if seed is None else seed + 7919 * round_index + klass)
    valid = np.zeros(features, dtype=bool)
    if features:
        valid[rng.choice(features, size=max(1, int(rate * features)), replace=False)] = True
    return valid
