from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DataTransformMeta(_message.Message):
    __slots__ = ("input_format", "delimitor", "data_type", "with_label", "label_name", "label_type", "output_format", "tag_with_value", "tag_value_delimitor", "missing_fill", "missing_fill_method", "missing_impute", "outlier_replace", "outlier_replace_method", "outlier_impute", "need_run")
    INPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    DELIMITOR_FIELD_NUMBER: _ClassVar[int]
    DATA_TYPE_FIELD_NUMBER: _ClassVar[int]
    WITH_LABEL_FIELD_NUMBER: _ClassVar[int]
    LABEL_NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    TAG_WITH_VALUE_FIELD_NUMBER: _ClassVar[int]
    TAG_VALUE_DELIMITOR_FIELD_NUMBER: _ClassVar[int]
    MISSING_FILL_FIELD_NUMBER: _ClassVar[int]
    MISSING_FILL_METHOD_FIELD_NUMBER: _ClassVar[int]
    MISSING_IMPUTE_FIELD_NUMBER: _ClassVar[int]
    OUTLIER_REPLACE_FIELD_NUMBER: _ClassVar[int]
    OUTLIER_REPLACE_METHOD_FIELD_NUMBER: _ClassVar[int]
    OUTLIER_IMPUTE_FIELD_NUMBER: _ClassVar[int]
    NEED_RUN_FIELD_NUMBER: _ClassVar[int]
    input_format: str
    delimitor: str
    data_type: str
    with_label: bool
    label_name: str
    label_type: str
    output_format: str
    tag_with_value: bool
    tag_value_delimitor: str
    missing_fill: bool
    missing_fill_method: str
    missing_impute: _containers.RepeatedScalarFieldContainer[str]
    outlier_replace: bool
    outlier_replace_method: str
    outlier_impute: _containers.RepeatedScalarFieldContainer[str]
    need_run: bool
    def __init__(self, input_format: _Optional[str] = ..., delimitor: _Optional[str] = ..., data_type: _Optional[str] = ..., with_label: _Optional[bool] = ..., label_name: _Optional[str] = ..., label_type: _Optional[str] = ..., output_format: _Optional[str] = ..., tag_with_value: _Optional[bool] = ..., tag_value_delimitor: _Optional[str] = ..., missing_fill: _Optional[bool] = ..., missing_fill_method: _Optional[str] = ..., missing_impute: _Optional[_Iterable[str]] = ..., outlier_replace: _Optional[bool] = ..., outlier_replace_method: _Optional[str] = ..., outlier_impute: _Optional[_Iterable[str]] = ..., need_run: _Optional[bool] = ...) -> None: ...

class DataTransformParam(_message.Message):
    __slots__ = ("header", "sid_name", "label_name", "missing_replace_value", "outlier_replace_value", "sparse_dimension")
    class MissingReplaceValueEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class OutlierReplaceValueEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    HEADER_FIELD_NUMBER: _ClassVar[int]
    SID_NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MISSING_REPLACE_VALUE_FIELD_NUMBER: _ClassVar[int]
    OUTLIER_REPLACE_VALUE_FIELD_NUMBER: _ClassVar[int]
    SPARSE_DIMENSION_FIELD_NUMBER: _ClassVar[int]
    header: _containers.RepeatedScalarFieldContainer[str]
    sid_name: str
    label_name: str
    missing_replace_value: _containers.ScalarMap[str, float]
    outlier_replace_value: _containers.ScalarMap[str, float]
    sparse_dimension: int
    def __init__(self, header: _Optional[_Iterable[str]] = ..., sid_name: _Optional[str] = ..., label_name: _Optional[str] = ..., missing_replace_value: _Optional[_Mapping[str, float]] = ..., outlier_replace_value: _Optional[_Mapping[str, float]] = ..., sparse_dimension: _Optional[int] = ...) -> None: ...
