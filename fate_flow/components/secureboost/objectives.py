"""The losses the trees are boosted on, vectorised over rows: FATE's sigmoid and softmax cross entropy and least
squared error, each with its initial score, gradient, hessian, prediction transform and mean loss.

Scores are a (rows, tree_dim) matrix: one column for binary classification and regression, one per class for
softmax. The softmax hessian is 2 p (1 - p), as XGBoost's multi:softprob.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-12


class Objective:
    name = ""

    def initial_score(self, y: np.ndarray, tree_dim: int) -> np.ndarray:
        return np.zeros(tree_dim)

    def gradients(self, y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def predict(self, score: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def loss(self, y: np.ndarray, score: np.ndarray) -> float:
        raise NotImplementedError


class BinaryCrossEntropy(Objective):
    name = "cross_entropy"

    def gradients(self, y, score):
        p = self.predict(score)
        return p - y[:, None], p * (1.0 - p)

    def predict(self, score):
        return 0.5 * (1.0 + np.tanh(0.5 * score))

    def loss(self, y, score):
        s = score[:, 0]
        return float(np.mean(np.logaddexp(0.0, s) - y * s))


class SoftmaxCrossEntropy(Objective):
    name = "cross_entropy"

    def gradients(self, y, score):
        p = self.predict(score)
        onehot = np.zeros_like(p)
        onehot[np.arange(len(y)), y.astype(np.int64)] = 1.0
        return p - onehot, 2.0 * p * (1.0 - p)

    def predict(self, score):
        shifted = score - score.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)

    def loss(self, y, score):
        p = self.predict(score)
        return float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y.astype(np.int64)], EPS))))


class LeastSquaredError(Objective):
    name = "lse"

    def initial_score(self, y, tree_dim):
        return np.full(tree_dim, float(np.mean(y)))

    def gradients(self, y, score):
        diff = score - y[:, None]
        return 2.0 * diff, np.full_like(diff, 2.0)

    def predict(self, score):
        return score

    def loss(self, y, score):
        return float(np.mean((y - score[:, 0]) ** 2))


def objective_for(task_type: str, objective: str, classes: int) -> Objective:
    if task_type == "regression":
        return LeastSquaredError()
    return BinaryCrossEntropy() if classes <= 2 else SoftmaxCrossEntropy()
