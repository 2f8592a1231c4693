from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Pipeline(_message.Message):
    __slots__ = ("inference_dsl", "train_dsl", "train_runtime_conf", "fate_version", "model_id", "model_version", "parent", "loaded_times", "roles", "work_mode", "initiator_role", "initiator_party_id", "runtime_conf_on_party", "parent_info", "train_input_table")
    INFERENCE_DSL_FIELD_NUMBER: _ClassVar[int]
    TRAIN_DSL_FIELD_NUMBER: _ClassVar[int]
    TRAIN_RUNTIME_CONF_FIELD_NUMBER: _ClassVar[int]
    FATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    LOADED_TIMES_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    WORK_MODE_FIELD_NUMBER: _ClassVar[int]
    INITIATOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    INITIATOR_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_CONF_ON_PARTY_FIELD_NUMBER: _ClassVar[int]
    PARENT_INFO_FIELD_NUMBER: _ClassVar[int]
    TRAIN_INPUT_TABLE_FIELD_NUMBER: _ClassVar[int]
    inference_dsl: bytes
    train_dsl: bytes
    train_runtime_conf: bytes
    fate_version: str
    model_id: str
    model_version: str
    parent: bool
    loaded_times: int
    roles: bytes
    work_mode: int
    initiator_role: str
    initiator_party_id: int
    runtime_conf_on_party: bytes
    parent_info: bytes
    train_input_table: bytes
    def __init__(self, inference_dsl: _Optional[bytes] = ..., train_dsl: _Optional[bytes] = ..., train_runtime_conf: _Optional[bytes] = ..., fate_version: _Optional[str] = ..., model_id: _Optional[str] = ..., model_version: _Optional[str] = ..., parent: _Optional[bool] = ..., loaded_times: _Optional[int] = ..., roles: _Optional[bytes] = ..., work_mode: _Optional[int] = ..., initiator_role: _Optional[str] = ..., initiator_party_id: _Optional[int] = ..., runtime_conf_on_party: _Optional[bytes] = ..., parent_info: _Optional[bytes] = ..., train_input_table: _Optional[bytes] = ...) -> None: ...

class DefaultEmptyFillMessage(_message.Message):
    __slots__ = ("flag",)
    FLAG_FIELD_NUMBER: _ClassVar[int]
    flag: str
    def __init__(self, flag: _Optional[str] = ...) -> None: ...
