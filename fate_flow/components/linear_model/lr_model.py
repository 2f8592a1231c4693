"""The LR model buffers (FATE's LRModelMeta/LRModelParam under module-specific buffer names) and the
prediction rows an LR writes."""
from __future__ import annotations

import numpy as np

from fate_flow.components.linear_model.lr_params import LogisticParams
from fate_flow.proto.lr_model_pb2 import LRModelMeta, LRModelParam

BUFFER_PREFIX = {"HeteroLR": "HeteroLogisticRegression", "HomoLR": "HomoLogisticRegression"}


def model_buffers(module: str, params: LogisticParams, header: list[str], coef: np.ndarray, intercept: float,
                  iters: int, losses: list[float], converged: bool, aggregate_iters: int = 0) -> dict:
    prefix = BUFFER_PREFIX[module]
    meta = LRModelMeta(penalty=params.penalty, tol=params.tol, alpha=params.alpha, optimizer=params.optimizer,
                       batch_size=params.batch_size, learning_rate=params.learning_rate, max_iter=params.max_iter,
                       early_stop=params.early_stop, fit_intercept=params.init.fit_intercept, module=module,
                       threshold=params.threshold, aggregate_iters=aggregate_iters, key_length=params.key_length)
    param = LRModelParam(iters=iters, loss_history=[float(x) for x in losses], is_converged=converged,
                         intercept=float(intercept), header=list(header), best_iteration=iters - 1)
    param.weight.update({name: float(w) for name, w in zip(header, coef)})
    return {f"{prefix}Meta": meta, f"{prefix}Param": param}


def read_model(module: str, buffers: dict) -> tuple[LRModelMeta, LRModelParam, np.ndarray]:
    """Meta, param and the coefficients in header order, from a model given to a predict task."""
    prefix = BUFFER_PREFIX[module]
    try:
        meta, param = buffers[f"{prefix}Meta"], buffers[f"{prefix}Param"]
    except KeyError as e:
        raise ValueError(f"the model given to {module} has no {e.args[0]} buffer (is it a {module} model?)") from None
    coef = np.array([param.weight[name] for name in param.header], dtype=np.float64)
    return meta, param, coef
