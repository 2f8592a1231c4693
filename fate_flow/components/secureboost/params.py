"""FATE 1.6's HeteroSecureBoostParam and its nested DecisionTreeParam, ObjectiveParam, EncryptParam, PredictParam,
EncryptedModeCalculatorParam and CrossValidationParam: names, defaults and checks, with errors naming the field.

What this implementation does not do is refused by name rather than ignored: missing-value handling
(use_missing, zero_as_missing), validation during training (validation_freqs, early_stopping_rounds), cross
validation, encryption other than Paillier, FATE's approximate encryption modes, sparse optimisation and cipher
compression. Options that only tune FATE's own execution (max_split_nodes, deterministic, binning_error) are
accepted: results here are deterministic and the quantile bins exact; so are those FATE itself leaves unused here
(tree_param's n_iter_no_change and tol; metrics and use_first_metric_only, which only serve validation). The guest's
num_trees, task_type and objective decide; a host follows the guest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fate_flow.components.nested_params import parse_nested
from fate_flow.components.params import ComponentParams, PaillierEncryptParams
from fate_flow.entity.errors import ParameterError

CLASSIFICATION, REGRESSION = "classification", "regression"
CROSS_ENTROPY, LSE = "cross_entropy", "lse"
FATE_OBJECTIVES = {CLASSIFICATION: ("cross_entropy",),
                   REGRESSION: ("lse", "lae", "huber", "fair", "log_cosh", "tweedie")}
SUPPORTED_OBJECTIVES = (CROSS_ENTROPY, LSE)
MAX_SPLIT_NODES = 2 ** 16
KEY_LENGTH_MIN = 512


def _refuse_true(where: str, name: str, value: bool, why: str) -> None:
    if value:
        raise ParameterError(f"{where}parameter {name}: {why} is not supported; set it to false")


@dataclass
class ObjectiveParams(ComponentParams):
    objective: str | None = CROSS_ENTROPY
    params: list | None = None


@dataclass
class TreeParams(ComponentParams):
    criterion_method: str = "xgboost"
    criterion_params: Any = field(default_factory=lambda: [0.1, 0])
    max_depth: int = 3
    min_sample_split: int = 2
    min_impurity_split: float = 1e-3
    min_leaf_node: int = 1
    max_split_nodes: int = MAX_SPLIT_NODES
    feature_importance_type: str = "split"
    n_iter_no_change: bool = True
    tol: float = 1e-3
    min_child_weight: float = 0.0
    use_missing: bool = False
    zero_as_missing: bool = False
    deterministic: bool = False
    # filled by check()
    l2: float = field(default=0.1, init=False)
    l1: float = field(default=0.0, init=False)

    def check(self, where: str) -> None:
        if str(self.criterion_method).lower() != "xgboost":
            raise ParameterError(f"{where}parameter criterion_method must be xgboost, got {self.criterion_method!r}")
        self.criterion_method = "xgboost"
        reg = self.criterion_params
        if isinstance(reg, dict):
            if set(reg) != {"l1", "l2"}:
                raise ParameterError(f"{where}parameter criterion_params as an object needs exactly the keys l1 "
                                     f"and l2, got {sorted(reg)}")
            reg = [reg["l2"], reg["l1"]]
        if not isinstance(reg, list) or len(reg) not in (1, 2) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in reg):
            raise ParameterError(f"{where}parameter criterion_params must be [l2, l1] (non-negative numbers) or "
                                 f"{{\"l1\": .., \"l2\": ..}}, got {self.criterion_params!r}")
        self.l2, self.l1 = float(reg[0]), float(reg[1]) if len(reg) > 1 else 0.0
        if self.max_depth < 1:
            raise ParameterError(f"{where}parameter max_depth must be at least 1, got {self.max_depth}")
        if self.min_sample_split < 1:
            raise ParameterError(f"{where}parameter min_sample_split must be at least 1, got {self.min_sample_split}")
        if self.min_leaf_node < 1:
            raise ParameterError(f"{where}parameter min_leaf_node must be at least 1, got {self.min_leaf_node}")
        if not 1 <= self.max_split_nodes <= MAX_SPLIT_NODES:
            raise ParameterError(f"{where}parameter max_split_nodes must be between 1 and {MAX_SPLIT_NODES}, "
                                 f"got {self.max_split_nodes}")
        if self.min_child_weight < 0:
            raise ParameterError(f"{where}parameter min_child_weight must not be negative")
        self.feature_importance_type = str(self.feature_importance_type).lower()
        if self.feature_importance_type not in ("split", "gain"):
            raise ParameterError(f"{where}parameter feature_importance_type must be split or gain, "
                                 f"got {self.feature_importance_type!r}")
        _refuse_true(where, "use_missing", self.use_missing, "training with missing values")
        _refuse_true(where, "zero_as_missing", self.zero_as_missing, "treating zeros as missing values")


class EncryptParams(PaillierEncryptParams):
    COMPONENT = "HeteroSecureBoost"
    KEY_LENGTH_MIN = KEY_LENGTH_MIN


@dataclass
class EncryptedModeParams(ComponentParams):
    mode: str = "strict"
    re_encrypted_rate: float = 1.0

    def check(self, where: str) -> None:
        if str(self.mode).lower() != "strict":
            raise ParameterError(f"{where}parameter mode: only strict (a fresh encryption of every value) is "
                                 f"supported, got {self.mode!r}")


@dataclass
class PredictParams(ComponentParams):
    threshold: float = 0.5

    def check(self, where: str) -> None:
        if not 0 <= self.threshold <= 1:
            raise ParameterError(f"{where}parameter threshold must be between 0 and 1, got {self.threshold}")


@dataclass
class CrossValidationParams(ComponentParams):
    n_splits: int = 5
    mode: str = "hetero"
    role: str = "guest"
    shuffle: bool = True
    random_seed: int = 1
    need_cv: bool = False
    output_fold_history: bool = True
    history_value_type: str = "score"

    def check(self, where: str) -> None:
        _refuse_true(where, "need_cv", self.need_cv, "cross validation")


@dataclass
class HeteroSecureBoostParams(ComponentParams):
    tree_param: Any = None
    task_type: str = CLASSIFICATION
    objective_param: Any = None
    learning_rate: float = 0.3
    num_trees: int = 5
    subsample_feature_rate: float = 1.0
    n_iter_no_change: bool = True
    tol: float = 1e-4
    encrypt_param: Any = None
    bin_num: int = 32
    encrypted_mode_calculator_param: Any = None
    predict_param: Any = None
    cv_param: Any = None
    validation_freqs: Any = None
    early_stopping_rounds: int | None = None
    use_missing: bool = False
    zero_as_missing: bool = False
    complete_secure: bool = False
    metrics: list | None = None
    use_first_metric_only: bool = False
    random_seed: int | None = 100
    binning_error: float = 1e-4
    sparse_optimization: bool = False
    run_goss: bool = False
    top_rate: float = 0.2
    other_rate: float = 0.1
    cipher_compress_error: int | None = None
    new_ver: bool = True

    def check(self, where: str) -> None:
        self.tree_param = parse_nested(TreeParams, self.tree_param, where, "tree_param")
        self.objective_param = parse_nested(ObjectiveParams, self.objective_param, where, "objective_param")
        self.encrypt_param = parse_nested(EncryptParams, self.encrypt_param, where, "encrypt_param")
        self.encrypted_mode_calculator_param = parse_nested(EncryptedModeParams, self.encrypted_mode_calculator_param,
                                                            where, "encrypted_mode_calculator_param")
        self.predict_param = parse_nested(PredictParams, self.predict_param, where, "predict_param")
        self.cv_param = parse_nested(CrossValidationParams, self.cv_param, where, "cv_param")
        self.task_type = str(self.task_type).lower()
        if self.task_type not in FATE_OBJECTIVES:
            raise ParameterError(f"{where}parameter task_type must be classification or regression, "
                                 f"got {self.task_type!r}")
        self._check_objective(where)
        if self.learning_rate <= 0:
            raise ParameterError(f"{where}parameter learning_rate must be positive, got {self.learning_rate}")
        if self.num_trees < 1:
            raise ParameterError(f"{where}parameter num_trees must be at least 1, got {self.num_trees}")
        if not 0 < self.subsample_feature_rate <= 1:
            raise ParameterError(f"{where}parameter subsample_feature_rate must be in (0, 1], "
                                 f"got {self.subsample_feature_rate}")
        if self.tol < 0:
            raise ParameterError(f"{where}parameter tol must not be negative, got {self.tol}")
        if not 2 <= self.bin_num <= 4096:
            raise ParameterError(f"{where}parameter bin_num must be between 2 and 4096, got {self.bin_num}")
        if self.random_seed is not None and self.random_seed < 0:
            raise ParameterError(f"{where}parameter random_seed must be a non-negative integer")
        if not 0 < self.binning_error < 1:
            raise ParameterError(f"{where}parameter binning_error must be between 0 and 1, got {self.binning_error}")
        if self.metrics is not None and not all(isinstance(m, str) for m in self.metrics):
            raise ParameterError(f"{where}parameter metrics must be a list of metric names")
        if self.validation_freqs is not None:
            raise ParameterError(f"{where}parameter validation_freqs: validation during training is not supported; "
                                 f"leave it null (validate_data is scored once the model is trained)")
        if self.early_stopping_rounds is not None:
            raise ParameterError(f"{where}parameter early_stopping_rounds: early stopping on validation metrics is "
                                 f"not supported; leave it null (n_iter_no_change stops on the training loss)")
        _refuse_true(where, "use_missing", self.use_missing, "training with missing values")
        _refuse_true(where, "zero_as_missing", self.zero_as_missing, "treating zeros as missing values")
        _refuse_true(where, "sparse_optimization", self.sparse_optimization, "FATE's sparse-data binning")
        if self.cipher_compress_error is not None:
            raise ParameterError(f"{where}parameter cipher_compress_error: cipher compression is not supported "
                                 f"(hosts send exact packed sums); leave it null")
        if not self.new_ver:
            raise ParameterError(f"{where}parameter new_ver: only the current protocol (true) is supported")
        if self.run_goss:
            for name in ("top_rate", "other_rate"):
                value = getattr(self, name)
                if not 0 < value < 1:
                    raise ParameterError(f"{where}parameter {name} must be between 0 and 1, got {value}")
            if self.top_rate + self.other_rate >= 1:
                raise ParameterError(f"{where}parameters top_rate + other_rate must be below 1, got "
                                     f"{self.top_rate} + {self.other_rate}")

    def _check_objective(self, where: str) -> None:
        objective = self.objective_param.objective
        if objective is None:  # FATE lets a host leave it out
            self.objective_param.objective = CROSS_ENTROPY if self.task_type == CLASSIFICATION else LSE
            return
        objective = str(objective).lower()
        if objective not in FATE_OBJECTIVES[self.task_type]:
            raise ParameterError(f"{where}parameter objective_param.objective {objective!r} does not fit task_type "
                                 f"{self.task_type} (allowed: {', '.join(FATE_OBJECTIVES[self.task_type])})")
        if objective not in SUPPORTED_OBJECTIVES:
            raise ParameterError(f"{where}parameter objective_param.objective {objective!r} is not supported; "
                                 f"use {' or '.join(SUPPORTED_OBJECTIVES)}")
        self.objective_param.objective = objective

    @property
    def tree(self) -> TreeParams:
        return self.tree_param

    @property
    def key_length(self) -> int:
        return self.encrypt_param.key_length

    @property
    def threshold(self) -> float:
        return self.predict_param.threshold
