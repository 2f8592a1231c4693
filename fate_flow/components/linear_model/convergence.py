"""FATE's early_stop rules: diff (loss change), abs (loss value) and weight_diff (norm of the weight change)."""
from __future__ import annotations

import numpy as np


class ConvergeCheck:
    def __init__(self, early_stop: str, tol: float):
        self.early_stop = early_stop
        self.tol = tol
        self._last_loss: float | None = None
        self._last_weights: np.ndarray | None = None

    def converged(self, loss: float | None = None, weights: np.ndarray | None = None,
                  weight_diff: float | None = None) -> bool:
        """loss for diff/abs; for weight_diff either the weights (the change is taken from the last call) or
        the norm of the change when the weights are split between parties."""
        if self.early_stop == "abs":
            return loss is not None and loss <= self.tol
        if self.early_stop == "diff":
            done = self._last_loss is not None and loss is not None and abs(self._last_loss - loss) < self.tol
            self._last_loss = loss
            return done
        if weight_diff is not None:
            return weight_diff < self.tol
        done = self._last_weights is not None and float(np.linalg.norm(weights - self._last_weights)) < self.tol
        self._last_weights = None if weights is None else np.array(weights, copy=True)
        return done
