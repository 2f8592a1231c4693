from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScaleMeta(_message.Message):
    __slots__ = ("method", "mode", "area", "scale_column", "feat_upper", "feat_lower", "with_mean", "with_std", "need_run")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    SCALE_COLUMN_FIELD_NUMBER: _ClassVar[int]
    FEAT_UPPER_FIELD_NUMBER: _ClassVar[int]
    FEAT_LOWER_FIELD_NUMBER: _ClassVar[int]
    WITH_MEAN_FIELD_NUMBER: _ClassVar[int]
    WITH_STD_FIELD_NUMBER: _ClassVar[int]
    NEED_RUN_FIELD_NUMBER: _ClassVar[int]
    method: str
    mode: str
    area: str
    scale_column: _containers.RepeatedScalarFieldContainer[str]
    feat_upper: _containers.RepeatedScalarFieldContainer[str]
    feat_lower: _containers.RepeatedScalarFieldContainer[str]
    with_mean: bool
    with_std: bool
    need_run: bool
    def __init__(self, method: _Optional[str] = ..., mode: _Optional[str] = ..., area: _Optional[str] = ..., scale_column: _Optional[_Iterable[str]] = ..., feat_upper: _Optional[_Iterable[str]] = ..., feat_lower: _Optional[_Iterable[str]] = ..., with_mean: _Optional[bool] = ..., with_std: _Optional[bool] = ..., need_run: _Optional[bool] = ...) -> None: ...

class ColumnScaleParam(_message.Message):
    __slots__ = ("column_upper", "column_lower", "mean", "std")
    COLUMN_UPPER_FIELD_NUMBER: _ClassVar[int]
    COLUMN_LOWER_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    STD_FIELD_NUMBER: _ClassVar[int]
    column_upper: float
    column_lower: float
    mean: float
    std: float
    def __init__(self, column_upper: _Optional[float] = ..., column_lower: _Optional[float] = ..., mean: _Optional[float] = ..., std: _Optional[float] = ...) -> None: ...

class ScaleParam(_message.Message):
    __slots__ = ("col_scale_param", "header")
    class ColScaleParamEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ColumnScaleParam
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ColumnScaleParam, _Mapping]] = ...) -> None: ...
    COL_SCALE_PARAM_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    col_scale_param: _containers.MessageMap[str, ColumnScaleParam]
    header: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, col_scale_param: _Optional[_Mapping[str, ColumnScaleParam]] = ..., header: _Optional[_Iterable[str]] = ...) -> None: ...
