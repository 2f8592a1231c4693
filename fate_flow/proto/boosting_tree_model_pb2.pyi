from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ObjectiveMeta(_message.Message):
    __slots__ = ("objective", "param")
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    PARAM_FIELD_NUMBER: _ClassVar[int]
    objective: str
    param: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, objective: _Optional[str] = ..., param: _Optional[_Iterable[float]] = ...) -> None: ...

class CriterionMeta(_message.Message):
    __slots__ = ("criterion_method", "criterion_param")
    CRITERION_METHOD_FIELD_NUMBER: _ClassVar[int]
    CRITERION_PARAM_FIELD_NUMBER: _ClassVar[int]
    criterion_method: str
    criterion_param: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, criterion_method: _Optional[str] = ..., criterion_param: _Optional[_Iterable[float]] = ...) -> None: ...

class DecisionTreeModelMeta(_message.Message):
    __slots__ = ("criterion_meta", "max_depth", "min_sample_split", "min_impurity_split", "min_leaf_node", "use_missing", "zero_as_missing")
    CRITERION_META_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    MIN_SAMPLE_SPLIT_FIELD_NUMBER: _ClassVar[int]
    MIN_IMPURITY_SPLIT_FIELD_NUMBER: _ClassVar[int]
    MIN_LEAF_NODE_FIELD_NUMBER: _ClassVar[int]
    USE_MISSING_FIELD_NUMBER: _ClassVar[int]
    ZERO_AS_MISSING_FIELD_NUMBER: _ClassVar[int]
    criterion_meta: CriterionMeta
    max_depth: int
    min_sample_split: int
    min_impurity_split: float
    min_leaf_node: int
    use_missing: bool
    zero_as_missing: bool
    def __init__(self, criterion_meta: _Optional[_Union[CriterionMeta, _Mapping]] = ..., max_depth: _Optional[int] = ..., min_sample_split: _Optional[int] = ..., min_impurity_split: _Optional[float] = ..., min_leaf_node: _Optional[int] = ..., use_missing: _Optional[bool] = ..., zero_as_missing: _Optional[bool] = ...) -> None: ...

class QuantileMeta(_message.Message):
    __slots__ = ("quantile_method", "bin_num")
    QUANTILE_METHOD_FIELD_NUMBER: _ClassVar[int]
    BIN_NUM_FIELD_NUMBER: _ClassVar[int]
    quantile_method: str
    bin_num: int
    def __init__(self, quantile_method: _Optional[str] = ..., bin_num: _Optional[int] = ...) -> None: ...

class BoostingTreeModelMeta(_message.Message):
    __slots__ = ("tree_meta", "learning_rate", "num_trees", "quantile_meta", "objective_meta", "task_type", "n_iter_no_change", "tol", "use_missing", "zero_as_missing", "work_mode", "module")
    TREE_META_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    NUM_TREES_FIELD_NUMBER: _ClassVar[int]
    QUANTILE_META_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_META_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    N_ITER_NO_CHANGE_FIELD_NUMBER: _ClassVar[int]
    TOL_FIELD_NUMBER: _ClassVar[int]
    USE_MISSING_FIELD_NUMBER: _ClassVar[int]
    ZERO_AS_MISSING_FIELD_NUMBER: _ClassVar[int]
    WORK_MODE_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    tree_meta: DecisionTreeModelMeta
    learning_rate: float
    num_trees: int
    quantile_meta: QuantileMeta
    objective_meta: ObjectiveMeta
    task_type: str
    n_iter_no_change: bool
    tol: float
    use_missing: bool
    zero_as_missing: bool
    work_mode: str
    module: str
    def __init__(self, tree_meta: _Optional[_Union[DecisionTreeModelMeta, _Mapping]] = ..., learning_rate: _Optional[float] = ..., num_trees: _Optional[int] = ..., quantile_meta: _Optional[_Union[QuantileMeta, _Mapping]] = ..., objective_meta: _Optional[_Union[ObjectiveMeta, _Mapping]] = ..., task_type: _Optional[str] = ..., n_iter_no_change: _Optional[bool] = ..., tol: _Optional[float] = ..., use_missing: _Optional[bool] = ..., zero_as_missing: _Optional[bool] = ..., work_mode: _Optional[str] = ..., module: _Optional[str] = ...) -> None: ...

class NodeParam(_message.Message):
    __slots__ = ("id", "sitename", "fid", "bid", "weight", "is_leaf", "left_nodeid", "right_nodeid", "missing_dir")
    ID_FIELD_NUMBER: _ClassVar[int]
    SITENAME_FIELD_NUMBER: _ClassVar[int]
    FID_FIELD_NUMBER: _ClassVar[int]
    BID_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    IS_LEAF_FIELD_NUMBER: _ClassVar[int]
    LEFT_NODEID_FIELD_NUMBER: _ClassVar[int]
    RIGHT_NODEID_FIELD_NUMBER: _ClassVar[int]
    MISSING_DIR_FIELD_NUMBER: _ClassVar[int]
    id: int
    sitename: str
    fid: int
    bid: float
    weight: float
    is_leaf: bool
    left_nodeid: int
    right_nodeid: int
    missing_dir: int
    def __init__(self, id: _Optional[int] = ..., sitename: _Optional[str] = ..., fid: _Optional[int] = ..., bid: _Optional[float] = ..., weight: _Optional[float] = ..., is_leaf: _Optional[bool] = ..., left_nodeid: _Optional[int] = ..., right_nodeid: _Optional[int] = ..., missing_dir: _Optional[int] = ...) -> None: ...

class DecisionTreeModelParam(_message.Message):
    __slots__ = ("tree_", "split_maskdict", "missing_dir_maskdict", "leaf_count")
    class SplitMaskdictEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: float
        def __init__(self, key: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...
    class MissingDirMaskdictEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class LeafCountEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    TREE__FIELD_NUMBER: _ClassVar[int]
    SPLIT_MASKDICT_FIELD_NUMBER: _ClassVar[int]
    MISSING_DIR_MASKDICT_FIELD_NUMBER: _ClassVar[int]
    LEAF_COUNT_FIELD_NUMBER: _ClassVar[int]
    tree_: _containers.RepeatedCompositeFieldContainer[NodeParam]
    split_maskdict: _containers.ScalarMap[int, float]
    missing_dir_maskdict: _containers.ScalarMap[int, int]
    leaf_count: _containers.ScalarMap[int, int]
    def __init__(self, tree_: _Optional[_Iterable[_Union[NodeParam, _Mapping]]] = ..., split_maskdict: _Optional[_Mapping[int, float]] = ..., missing_dir_maskdict: _Optional[_Mapping[int, int]] = ..., leaf_count: _Optional[_Mapping[int, int]] = ...) -> None: ...

class FeatureImportanceInfo(_message.Message):
    __slots__ = ("sitename", "fid", "importance", "fullname", "importance2", "main")
    SITENAME_FIELD_NUMBER: _ClassVar[int]
    FID_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    FULLNAME_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE2_FIELD_NUMBER: _ClassVar[int]
    MAIN_FIELD_NUMBER: _ClassVar[int]
    sitename: str
    fid: int
    importance: float
    fullname: str
    importance2: float
    main: str
    def __init__(self, sitename: _Optional[str] = ..., fid: _Optional[int] = ..., importance: _Optional[float] = ..., fullname: _Optional[str] = ..., importance2: _Optional[float] = ..., main: _Optional[str] = ...) -> None: ...

class BoostingTreeModelParam(_message.Message):
    __slots__ = ("tree_num", "trees_", "init_score", "losses", "tree_dim", "num_classes", "classes_", "feature_importances", "feature_name_fid_mapping", "best_iteration", "tree_plan", "model_name", "anonymous_name_mapping")
    class FeatureNameFidMappingEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: str
        def __init__(self, key: _Optional[int] = ..., value: _Optional[str] = ...) -> None: ...
    class AnonymousNameMappingEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TREE_NUM_FIELD_NUMBER: _ClassVar[int]
    TREES__FIELD_NUMBER: _ClassVar[int]
    INIT_SCORE_FIELD_NUMBER: _ClassVar[int]
    LOSSES_FIELD_NUMBER: _ClassVar[int]
    TREE_DIM_FIELD_NUMBER: _ClassVar[int]
    NUM_CLASSES_FIELD_NUMBER: _ClassVar[int]
    CLASSES__FIELD_NUMBER: _ClassVar[int]
    FEATURE_IMPORTANCES_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAME_FID_MAPPING_FIELD_NUMBER: _ClassVar[int]
    BEST_ITERATION_FIELD_NUMBER: _ClassVar[int]
    TREE_PLAN_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_NAME_MAPPING_FIELD_NUMBER: _ClassVar[int]
    tree_num: int
    trees_: _containers.RepeatedCompositeFieldContainer[DecisionTreeModelParam]
    init_score: _containers.RepeatedScalarFieldContainer[float]
    losses: _containers.RepeatedScalarFieldContainer[float]
    tree_dim: int
    num_classes: int
    classes_: _containers.RepeatedScalarFieldContainer[str]
    feature_importances: _containers.RepeatedCompositeFieldContainer[FeatureImportanceInfo]
    feature_name_fid_mapping: _containers.ScalarMap[int, str]
    best_iteration: int
    tree_plan: _containers.RepeatedScalarFieldContainer[str]
    model_name: str
    anonymous_name_mapping: _containers.ScalarMap[str, str]
    def __init__(self, tree_num: _Optional[int] = ..., trees_: _Optional[_Iterable[_Union[DecisionTreeModelParam, _Mapping]]] = ..., init_score: _Optional[_Iterable[float]] = ..., losses: _Optional[_Iterable[float]] = ..., tree_dim: _Optional[int] = ..., num_classes: _Optional[int] = ..., classes_: _Optional[_Iterable[str]] = ..., feature_importances: _Optional[_Iterable[_Union[FeatureImportanceInfo, _Mapping]]] = ..., feature_name_fid_mapping: _Optional[_Mapping[int, str]] = ..., best_iteration: _Optional[int] = ..., tree_plan: _Optional[_Iterable[str]] = ..., model_name: _Optional[str] = ..., anonymous_name_mapping: _Optional[_Mapping[str, str]] = ...) -> None: ...
