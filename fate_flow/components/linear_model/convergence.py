"""FATE's early_stop rules: diff (loss change), abs (loss value) and weight_diff (weight change norm)."""
from __future__ import annotations

import numpy as np


class ConvergeCheck:
    def __init__(self, early_stop: str, tol: float):
        self.early_stop = early_stop
        self.tol = tol
        self._last_loss: float | None = None
        self._last_weights: np.ndarray | None = None

    @property
    def needs_loss(self) -> bool:
        return self.early_stop in ("diff", "abs")

    def converged(self, loss: float | None = None, weights: np.ndarray | None = None) -> bool:
        if self.early_stop == "abs":
            return loss is not None and loss <= self.tol
        if self.early_stop == "diff":
            done = self._last_loss is not None and loss is not None and abs(self._last_loss - loss) < self.tol
            self._last_loss = loss
            return done
        done = self._last_weights is not None and float(np.linalg.norm(weights - self._last_weights)) < self.tol
        self._last_weights = None if weights is None else np.array(weights, copy=True)
        return done
