"""FATE's mini-batches for the linear models: the rows shuffled once (seeded by init_param.random_seed) and
cut into batches that are reused every epoch; batch_size -1 means one batch of all rows."""
from __future__ import annotations

import numpy as np


def mini_batches(rows: int, batch_size: int, seed: int | None) -> list[np.ndarray]:
    """Row indices of each batch, each in ascending order."""
    if batch_size == -1 or batch_size >= rows:
        return [np.arange(rows)]
    order = np.random.default_rng(seed).permutation(rows)
    return [np.sort(order[i:i + batch_size]) for i in range(0, rows, batch_size)]
