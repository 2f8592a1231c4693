"""Gradient steps for linear models: FATE 1.6's optimizers (sgd, rmsprop, adam, adagrad, nesterov
momentum), learning-rate decay and the L1/L2 penalties, on a numpy weight vector.

The intercept, when fitted, is the last element of the vector and is never penalised.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-8


class Optimizer:
    def __init__(self, method: str, learning_rate: float, penalty: str, alpha: float, decay: float = 1.0,
                 decay_sqrt: bool = True, fit_intercept: bool = True):
        self.method = method
        self.learning_rate = learning_rate
        self.penalty = penalty
        self.alpha = alpha
        self.decay = decay
        self.decay_sqrt = decay_sqrt
        self.fit_intercept = fit_intercept
        self._m: np.ndarray | None = None
        self._v: np.ndarray | None = None
        self._steps = 0

    def learning_rate_at(self, iteration: int) -> float:
        """FATE's decay: lr / (1 + decay * t), or its square root when decay_sqrt."""
        factor = 1.0 + self.decay * iteration
        return self.learning_rate / (np.sqrt(factor) if self.decay_sqrt else factor)

    def _coef_mask(self, size: int) -> np.ndarray:
        mask = np.ones(size)
        if self.fit_intercept:
            mask[-1] = 0.0
        return mask

    def step(self, weights: np.ndarray, gradient: np.ndarray, iteration: int) -> np.ndarray:
        """New weights after one step with `gradient` (of the unpenalised loss) at epoch `iteration`."""
        mask = self._coef_mask(weights.size)
        grad = np.asarray(gradient, dtype=np.float64)
        if self.penalty == "L2":
            grad = grad + self.alpha * weights * mask
        lr = self.learning_rate_at(iteration)
        if self._m is None:
            self._m = np.zeros_like(weights)
            self._v = np.zeros_like(weights)
        self._steps += 1
        if self.method == "sgd":
            delta = lr * grad
        elif self.method == "rmsprop":
            self._v = 0.99 * self._v + 0.01 * grad * grad
            delta = lr * grad / np.sqrt(self._v + 1e-6)
        elif self.method == "adam":
            self._m = 0.9 * self._m + 0.1 * grad
            self._v = 0.999 * self._v + 0.001 * grad * grad
            m_hat = self._m / (1 - 0.9 ** self._steps)
            v_hat = self._v / (1 - 0.999 ** self._steps)
            delta = lr * m_hat / (np.sqrt(v_hat) + EPS)
        elif self.method == "adagrad":
            self._v = self._v + grad * grad
            delta = lr * grad / np.sqrt(self._v + 1e-7)
        elif self.method == "nesterov_momentum_sgd":
            previous = self._m
            self._m = 0.9 * self._m - lr * grad
            # Nesterov's look-ahead written on the current weights: w += -0.9 v_old + 1.9 v_new
            delta = 0.9 * previous - 1.9 * self._m
        else:
            raise ValueError(f"unknown optimizer {self.method}")
        updated = weights - delta
        if self.penalty == "L1":
            shrink = lr * self.alpha * mask
            updated = np.sign(updated) * np.maximum(np.abs(updated) - shrink, 0.0)
        return updated


def logistic_loss(linear: np.ndarray, labels: np.ndarray) -> float:
    """Mean log loss of logits `linear` for labels in {0, 1} (numerically stable)."""
    return float(np.mean(np.logaddexp(0.0, linear) - labels * linear))


def penalty_loss(penalty: str, alpha: float, weights: np.ndarray, fit_intercept: bool) -> float:
    coef = weights[:-1] if fit_intercept else weights
    if penalty == "L2":
        return 0.5 * alpha * float(coef @ coef)
    if penalty == "L1":
        return alpha * float(np.abs(coef).sum())
    return 0.0


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
