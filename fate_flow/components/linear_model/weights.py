"""Initial weights as FATE's init_param makes them (the intercept, when fitted, is the last element)."""
from __future__ import annotations

import numpy as np

from fate_flow.components.linear_model.lr_params import InitParam


def initial_weights(init: InitParam, features: int, with_intercept: bool) -> np.ndarray:
    size = features + (1 if with_intercept else 0)
    rng = np.random.default_rng(init.random_seed)
    if init.init_method == "zeros":
        return np.zeros(size)
    if init.init_method == "ones":
        return np.ones(size)
    if init.init_method == "const":
        return np.full(size, float(init.init_const))
    if init.init_method == "random_normal":
        return rng.normal(0.0, 1.0, size)
    return rng.random(size)  # random_uniform: U[0, 1), as FATE draws it
