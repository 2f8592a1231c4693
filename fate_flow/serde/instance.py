"""Row values of feature tables: an Instance (features, label, weight) with dense or sparse features.

They are encoded by fate_flow.serde.codec as extension types, so tables of instances cross processes and
parties without pickle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SparseVector:
    """Features given as (index -> value) with a known dimension; absent indices are 0."""

    indices: np.ndarray
    values: np.ndarray
    shape: int

    def to_dense(self) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=self.values.dtype if len(self.values) else np.float64)
        dense[self.indices] = self.values
        return dense

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, SparseVector) and self.shape == other.shape
                and np.array_equal(self.indices, other.indices) and np.array_equal(self.values, other.values))


@dataclass
class Instance:
    features: np.ndarray | SparseVector
    label: Any = None
    weight: float | None = None
    extra: dict = field(default_factory=dict)

    def dense_features(self) -> np.ndarray:
        return self.features.to_dense() if isinstance(self.features, SparseVector) else self.features

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Instance):
            return False
        same_features = (self.features == other.features if isinstance(self.features, SparseVector)
                         else isinstance(other.features, np.ndarray) and np.array_equal(self.features, other.features))
        return same_features and (self.label, self.weight, self.extra) == (other.label, other.weight, other.extra)
