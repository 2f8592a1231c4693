from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class LRModelMeta(_message.Message):
    __slots__ = ("penalty", "tol", "alpha", "optimizer", "batch_size", "learning_rate", "max_iter", "early_stop", "fit_intercept", "module", "threshold", "aggregate_iters", "key_length")
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    TOL_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_ITER_FIELD_NUMBER: _ClassVar[int]
    EARLY_STOP_FIELD_NUMBER: _ClassVar[int]
    FIT_INTERCEPT_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_ITERS_FIELD_NUMBER: _ClassVar[int]
    KEY_LENGTH_FIELD_NUMBER: _ClassVar[int]
    penalty: str
    tol: float
    alpha: float
    optimizer: str
    batch_size: int
    learning_rate: float
    max_iter: int
    early_stop: str
    fit_intercept: bool
    module: str
    threshold: float
    aggregate_iters: int
    key_length: int
    def __init__(self, penalty: _Optional[str] = ..., tol: _Optional[float] = ..., alpha: _Optional[float] = ..., optimizer: _Optional[str] = ..., batch_size: _Optional[int] = ..., learning_rate: _Optional[float] = ..., max_iter: _Optional[int] = ..., early_stop: _Optional[str] = ..., fit_intercept: _Optional[bool] = ..., module: _Optional[str] = ..., threshold: _Optional[float] = ..., aggregate_iters: _Optional[int] = ..., key_length: _Optional[int] = ...) -> None: ...

class LRModelParam(_message.Message):
    __slots__ = ("iters", "loss_history", "is_converged", "weight", "intercept", "header", "best_iteration")
    class WeightEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ITERS_FIELD_NUMBER: _ClassVar[int]
    LOSS_HISTORY_FIELD_NUMBER: _ClassVar[int]
    IS_CONVERGED_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    INTERCEPT_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    BEST_ITERATION_FIELD_NUMBER: _ClassVar[int]
    iters: int
    loss_history: _containers.RepeatedScalarFieldContainer[float]
    is_converged: bool
    weight: _containers.ScalarMap[str, float]
    intercept: float
    header: _containers.RepeatedScalarFieldContainer[str]
    best_iteration: int
    def __init__(self, iters: _Optional[int] = ..., loss_history: _Optional[_Iterable[float]] = ..., is_converged: _Optional[bool] = ..., weight: _Optional[_Mapping[str, float]] = ..., intercept: _Optional[float] = ..., header: _Optional[_Iterable[str]] = ..., best_iteration: _Optional[int] = ...) -> None: ...
