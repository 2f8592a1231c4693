from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ValueKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBJECT: _ClassVar[ValueKind]
    PAIRS: _ClassVar[ValueKind]
    BYTES: _ClassVar[ValueKind]
OBJECT: ValueKind
PAIRS: ValueKind
BYTES: ValueKind

class Party(_message.Message):
    __slots__ = ("role", "party_id")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    role: str
    party_id: str
    def __init__(self, role: _Optional[str] = ..., party_id: _Optional[str] = ...) -> None: ...

class SiteAuth(_message.Message):
    __slots__ = ("timestamp_ms", "nonce", "signature")
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    timestamp_ms: int
    nonce: bytes
    signature: bytes
    def __init__(self, timestamp_ms: _Optional[int] = ..., nonce: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class CommandRequest(_message.Message):
    __slots__ = ("command", "verb", "src", "dst", "job_id", "body", "auth")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    VERB_FIELD_NUMBER: _ClassVar[int]
    SRC_FIELD_NUMBER: _ClassVar[int]
    DST_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    command: str
    verb: str
    src: Party
    dst: Party
    job_id: str
    body: bytes
    auth: SiteAuth
    def __init__(self, command: _Optional[str] = ..., verb: _Optional[str] = ..., src: _Optional[_Union[Party, _Mapping]] = ..., dst: _Optional[_Union[Party, _Mapping]] = ..., job_id: _Optional[str] = ..., body: _Optional[bytes] = ..., auth: _Optional[_Union[SiteAuth, _Mapping]] = ...) -> None: ...

class CommandReply(_message.Message):
    __slots__ = ("envelope", "signature")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    envelope: bytes
    signature: bytes
    def __init__(self, envelope: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class ValueKey(_message.Message):
    __slots__ = ("job_id", "name", "tag", "src", "dst")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    SRC_FIELD_NUMBER: _ClassVar[int]
    DST_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    name: str
    tag: str
    src: Party
    dst: Party
    def __init__(self, job_id: _Optional[str] = ..., name: _Optional[str] = ..., tag: _Optional[str] = ..., src: _Optional[_Union[Party, _Mapping]] = ..., dst: _Optional[_Union[Party, _Mapping]] = ...) -> None: ...

class ValueHeader(_message.Message):
    __slots__ = ("key", "kind", "auth", "session_id", "counter")
    KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COUNTER_FIELD_NUMBER: _ClassVar[int]
    key: ValueKey
    kind: ValueKind
    auth: SiteAuth
    session_id: bytes
    counter: int
    def __init__(self, key: _Optional[_Union[ValueKey, _Mapping]] = ..., kind: _Optional[_Union[ValueKind, str]] = ..., auth: _Optional[_Union[SiteAuth, _Mapping]] = ..., session_id: _Optional[bytes] = ..., counter: _Optional[int] = ...) -> None: ...

class ValueTrailer(_message.Message):
    __slots__ = ("total_bytes", "chunks", "digest", "signature", "mac")
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    total_bytes: int
    chunks: int
    digest: bytes
    signature: bytes
    mac: bytes
    def __init__(self, total_bytes: _Optional[int] = ..., chunks: _Optional[int] = ..., digest: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., mac: _Optional[bytes] = ...) -> None: ...

class ValueFrame(_message.Message):
    __slots__ = ("header", "chunk", "trailer")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    TRAILER_FIELD_NUMBER: _ClassVar[int]
    header: ValueHeader
    chunk: bytes
    trailer: ValueTrailer
    def __init__(self, header: _Optional[_Union[ValueHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ..., trailer: _Optional[_Union[ValueTrailer, _Mapping]] = ...) -> None: ...

class ValueBytes(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PushAck(_message.Message):
    __slots__ = ("total_bytes", "mac")
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    total_bytes: int
    mac: bytes
    def __init__(self, total_bytes: _Optional[int] = ..., mac: _Optional[bytes] = ...) -> None: ...

class HandshakeRequest(_message.Message):
    __slots__ = ("src", "dst", "public_key", "auth")
    SRC_FIELD_NUMBER: _ClassVar[int]
    DST_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    src: Party
    dst: Party
    public_key: bytes
    auth: SiteAuth
    def __init__(self, src: _Optional[_Union[Party, _Mapping]] = ..., dst: _Optional[_Union[Party, _Mapping]] = ..., public_key: _Optional[bytes] = ..., auth: _Optional[_Union[SiteAuth, _Mapping]] = ...) -> None: ...

class HandshakeReply(_message.Message):
    __slots__ = ("session_id", "public_key", "lifetime_ms", "signature")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_MS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    session_id: bytes
    public_key: bytes
    lifetime_ms: int
    signature: bytes
    def __init__(self, session_id: _Optional[bytes] = ..., public_key: _Optional[bytes] = ..., lifetime_ms: _Optional[int] = ..., signature: _Optional[bytes] = ...) -> None: ...

class PullRequest(_message.Message):
    __slots__ = ("key", "wait_ms", "auth")
    KEY_FIELD_NUMBER: _ClassVar[int]
    WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    key: ValueKey
    wait_ms: int
    auth: SiteAuth
    def __init__(self, key: _Optional[_Union[ValueKey, _Mapping]] = ..., wait_ms: _Optional[int] = ..., auth: _Optional[_Union[SiteAuth, _Mapping]] = ...) -> None: ...

class AckRequest(_message.Message):
    __slots__ = ("key", "digest", "auth")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    key: ValueKey
    digest: bytes
    auth: SiteAuth
    def __init__(self, key: _Optional[_Union[ValueKey, _Mapping]] = ..., digest: _Optional[bytes] = ..., auth: _Optional[_Union[SiteAuth, _Mapping]] = ...) -> None: ...

class AckReply(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...
