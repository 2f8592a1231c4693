"""FATE 1.6's LogisticParam family (names, defaults, allowed values), checked with errors naming the field.

Nested parameter objects (init_param, encrypt_param, predict_param, cv_param, ...) arrive as dicts; the
ones that change what we compute are validated here, the others are accepted as FATE accepts them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import ParameterError

PENALTIES = ("L1", "L2", "NONE")
OPTIMIZERS = ("sgd", "rmsprop", "adam", "adagrad", "nesterov_momentum_sgd")
EARLY_STOP = ("diff", "abs", "weight_diff")
INIT_METHODS = ("random_uniform", "random_normal", "ones", "zeros", "const")
MULTI_CLASS = ("ovr",)


@dataclass(frozen=True)
class InitParam:
    init_method: str = "random_uniform"
    init_const: float = 1.0
    fit_intercept: bool = True
    random_seed: int | None = None


def _sub(where: str, name: str, value: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """A nested parameter object over its defaults; unknown keys refused as FATE does."""
    if value is None:
        return dict(defaults)
    if not isinstance(value, dict):
        raise ParameterError(f"{where}parameter {name} must be an object, got {value!r}")
    unknown = sorted(set(value) - set(defaults))
    if unknown:
        raise ParameterError(f"{where}parameter {name} has redundant key(s) {', '.join(unknown)}")
    return {**defaults, **value}


def _number(where: str, name: str, value: Any, *, minimum: float | None = None, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and float(value) != int(value)):
        raise ParameterError(f"{where}parameter {name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ParameterError(f"{where}parameter {name} must be at least {minimum:g}, got {value!r}")
    return int(value) if integer else float(value)


@dataclass
class LogisticParams(ComponentParams):
    penalty: str | None = "L2"
    tol: float = 1e-4
    alpha: float = 1.0
    optimizer: str = "rmsprop"
    batch_size: int = -1
    learning_rate: float = 0.01
    init_param: dict | None = None
    max_iter: int = 100
    early_stop: str = "diff"
    encrypt_param: dict | None = None
    predict_param: dict | None = None
    cv_param: dict | None = None
    decay: float = 1.0
    decay_sqrt: bool = True
    multi_class: str = "ovr"
    validation_freqs: Any = None
    early_stopping_rounds: int | None = None
    metrics: list | None = None
    use_first_metric_only: bool = False
    floating_point_precision: int | None = 23
    stepwise_param: dict | None = None
    # filled by check(): the nested objects as values
    init: InitParam = field(default=InitParam(), init=False, repr=False)
    threshold: float = field(default=0.5, init=False, repr=False)
    key_length: int = field(default=1024, init=False, repr=False)

    ENCRYPT_DEFAULT = {"method": "Paillier", "key_length": 1024}
    KEY_LENGTH_MIN = 512

    def check(self, where: str) -> None:
        penalty = "NONE" if self.penalty is None else str(self.penalty).upper()
        if penalty not in PENALTIES:
            raise ParameterError(f"{where}parameter penalty must be one of L1, L2, none, got {self.penalty!r}")
        self.penalty = penalty
        self.optimizer = str(self.optimizer).lower()
        if self.optimizer not in OPTIMIZERS:
            raise ParameterError(f"{where}parameter optimizer must be one of {', '.join(OPTIMIZERS)}, "
                                 f"got {self.optimizer!r}")
        self.early_stop = str(self.early_stop).lower()
        if self.early_stop not in EARLY_STOP:
            raise ParameterError(f"{where}parameter early_stop must be one of {', '.join(EARLY_STOP)}, "
                                 f"got {self.early_stop!r}")
        if self.multi_class not in MULTI_CLASS:
            raise ParameterError(f"{where}parameter multi_class must be ovr, got {self.multi_class!r}")
        _number(where, "tol", self.tol, minimum=0)
        _number(where, "alpha", self.alpha, minimum=0)
        _number(where, "decay", self.decay, minimum=0)
        if self.learning_rate <= 0:
            raise ParameterError(f"{where}parameter learning_rate must be positive, got {self.learning_rate!r}")
        if self.max_iter < 1:
            raise ParameterError(f"{where}parameter max_iter must be at least 1, got {self.max_iter!r}")
        if self.batch_size != -1 and self.batch_size < 10:
            raise ParameterError(f"{where}parameter batch_size must be -1 (all rows) or at least 10, "
                                 f"got {self.batch_size!r}")
        init = _sub(where, "init_param", self.init_param, {"init_method": "random_uniform", "init_const": 1,
                                                            "fit_intercept": True, "random_seed": None})
        if init["init_method"] not in INIT_METHODS:
            raise ParameterError(f"{where}parameter init_param.init_method must be one of {', '.join(INIT_METHODS)}, "
                                 f"got {init['init_method']!r}")
        if not isinstance(init["fit_intercept"], bool):
            raise ParameterError(f"{where}parameter init_param.fit_intercept must be true or false")
        seed = init["random_seed"]
        if seed is not None:
            seed = int(_number(where, "init_param.random_seed", seed, integer=True))
        self.init = InitParam(init["init_method"], _number(where, "init_param.init_const", init["init_const"]),
                              init["fit_intercept"], seed)
        predict = _sub(where, "predict_param", self.predict_param, {"threshold": 0.5})
        self.threshold = _number(where, "predict_param.threshold", predict["threshold"], minimum=0)
        if self.threshold > 1:
            raise ParameterError(f"{where}parameter predict_param.threshold must be between 0 and 1")
        encrypt = _sub(where, "encrypt_param", self.encrypt_param, self.ENCRYPT_DEFAULT)
        self.check_encrypt(where, encrypt)
        cv = _sub(where, "cv_param", self.cv_param, {"n_splits": 5, "mode": "hetero", "role": "guest",
                                                     "shuffle": True, "random_seed": 1, "need_cv": False,
                                                     "output_fold_history": True, "history_value_type": "score"})
        if cv["need_cv"]:
            raise ParameterError(f"{where}parameter cv_param.need_cv: cross validation is not supported")

    def check_encrypt(self, where: str, encrypt: dict) -> None:
        method = encrypt.get("method")
        if method is None or str(method).lower() != "paillier":
            raise ParameterError(f"{where}parameter encrypt_param.method must be Paillier, got {method!r}")
        self.key_length = int(_number(where, "encrypt_param.key_length", encrypt.get("key_length", 1024),
                                      minimum=self.KEY_LENGTH_MIN, integer=True))


@dataclass
class HeteroLRParams(LogisticParams):
    sqn_param: dict | None = None
    encrypted_mode_calculator_param: dict | None = None


@dataclass
class HomoLRParams(LogisticParams):
    optimizer: str = "sgd"
    re_encrypt_batches: int = 2
    aggregate_iters: int = 1
    use_proximal: bool = False
    mu: float = 0.1

    def check(self, where: str) -> None:
        super().check(where)
        if self.aggregate_iters < 1:
            raise ParameterError(f"{where}parameter aggregate_iters must be at least 1, got {self.aggregate_iters!r}")

    def check_encrypt(self, where: str, encrypt: dict) -> None:
        # HomoLR's models are protected by secure aggregation (pairwise masks), not by Paillier
        method = encrypt.get("method")
        if method is not None and str(method).lower() != "none":
            raise ParameterError(f"{where}parameter encrypt_param.method: HomoLR protects model updates with secure "
                                 f"aggregation; encrypt_param.method must be null, got {method!r}")

    ENCRYPT_DEFAULT = {"method": None, "key_length": 1024}
