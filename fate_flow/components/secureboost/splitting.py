"""XGBoost's split criterion on a node's candidates (FATE's criterion_method "xgboost" with criterion_params
[l2, l1]): gain = s(G_L, H_L) + s(G_R, H_R) - s(G, H) with s(g, h) = T(g)^2 / (h + l2) and T the L1 shrinkage;
a leaf's weight is -T(G) / (H + l2)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fate_flow.components.secureboost.params import TreeParams


@dataclass(frozen=True)
class Split:
    party: int          # -1: the guest; else the index of the host
    candidate: int      # the guest's candidate index, or the position in the host's sent order
    gain: float
    left_count: int


def _shrink(g: np.ndarray | float, l1: float) -> np.ndarray | float:
    if l1 == 0:
        return g
    return np.sign(g) * np.maximum(np.abs(g) - l1, 0.0)


def leaf_weight(g: float, h: float, tree: TreeParams) -> float:
    return float(-_shrink(g, tree.l1) / (h + tree.l2))


def gains(g_left: np.ndarray, h_left: np.ndarray, c_left: np.ndarray, total: tuple[float, float, float],
          tree: TreeParams) -> np.ndarray:
    """The gain of each candidate; -inf where the split is not allowed (empty or too small a side, too little
    hessian on a side)."""
    g, h, c = total
    g_right, h_right, c_right = g - g_left, h - h_left, c - c_left

    def score(gs, hs):
        shrunk = _shrink(gs, tree.l1)
        return shrunk * shrunk / (hs + tree.l2)

    with np.errstate(divide="ignore", invalid="ignore"):
        out = score(g_left, h_left) + score(g_right, h_right) - score(g, h)
    allowed = ((c_left >= tree.min_leaf_node) & (c_right >= tree.min_leaf_node)
               & (h_left >= tree.min_child_weight) & (h_right >= tree.min_child_weight) & np.isfinite(out))
    return np.where(allowed, out, -np.inf)


def best_split(candidates: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], total: tuple[float, float, float],
               tree: TreeParams) -> Split | None:
    """The best of every party's candidates [(party, g_left, h_left, count_left)], in that order (ties go to
    the first); None when no gain exceeds min_impurity_split."""
    best: Split | None = None
    for party, g_left, h_left, c_left in candidates:
        if len(g_left) == 0:
            continue
        gain = gains(g_left, h_left, c_left, total, tree)
        k = int(np.argmax(gain))
        if gain[k] > tree.min_impurity_split and (best is None or gain[k] > best.gain):
            best = Split(party, k, float(gain[k]), int(round(c_left[k])))
    return best
