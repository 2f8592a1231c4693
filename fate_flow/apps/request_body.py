"""The input boundary of the HTTP API: every field of every request is read and checked here.

A JSON body (and the upload parameters a query string or multipart form carries) is parsed once per request
and checked as a whole before any handler reads it: nesting depth, numbers (finite, within 64-bit), strings
(no lone surrogate, no NUL), then every field that holds an identifier (entity.identifiers) and the length caps
of the service conf's `limits:` section. Handlers then read typed fields with the getters below. Every refusal
names the field: retcode 101 (InvalidParameterError) for a bad value, 100 "required parameters are missing"
naming all of them at once (FATE-Flow 1.6's message). Unknown keys are ignored."""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from flask import g, request

from fate_flow.apps.context import runtime
from fate_flow.entity import audit, identifiers
from fate_flow.entity.errors import InvalidParameterError, MissingParametersError, ParameterError
from fate_flow.entity.identifiers import Identifier, shown
from fate_flow.entity.json_values import check_values
from fate_flow.settings import LimitSettings

_MISSING = object()
# digits of a JSON number the parser turns into an int at all (the fields' own ranges are far smaller)
_MAX_NUMBER_DIGITS = 400

# fields whose length is capped by limits.text_length / path_length / delimiter_length / id_length
TEXT_FIELDS = ("notes", "description", "tag_desc", "new_tag_desc")
PATH_FIELDS = ("file", "output_path", "config_file")
DELIMITER_FIELDS = ("delimiter", "delimitor", "id_delimiter")
NAME_FIELDS = ("name", "framework_name", "deployment_type")
# metric names: the width of t_tracking_metric's columns (components derive them from component names)
METRIC_FIELDS = ("metric_namespace", "metric_name", "meric_name")
METRIC_NAME_WIDTH = 180


def limits() -> LimitSettings:
    return runtime().settings.limits


def json_body() -> dict:
    """The JSON object in the request body, for any method (clients send GET with a JSON body), checked."""
    body = g.get("fate_flow_json_body")
    if body is None:
        body = parse_json_object(request.get_data(cache=True), "request body")
        check_fields(body)
        g.fate_flow_json_body = body
    return body


def parse_json_object(raw: bytes | str, what: str) -> dict:
    """`raw` as a JSON object ({} when blank), refused when malformed (100, as FATE answers a body it cannot
    read) or when it breaks a cap (101): nesting deeper than limits.json_depth, a number beyond 64 bits or not
    finite, a string with a lone surrogate or a NUL."""
    if not raw or not raw.strip():
        return {}
    depth = limits().json_depth
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except RecursionError:
        raise InvalidParameterError(f"{what} is nested deeper than the limit of {depth} levels "
                                    f"(limits.json_depth)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ParameterError(f"{what} is not valid JSON: {e}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParameterError(f"{what} must be a JSON object, got {type(value).__name__}")
    check_values(value, depth)
    return value


def _refuse_constant(name: str) -> None:
    raise InvalidParameterError(f"request holds {name}, which is not a number JSON allows")


def _bounded_int(text: str) -> int:
    if len(text) > _MAX_NUMBER_DIGITS:
        raise InvalidParameterError(f"request holds a number of {len(text)} digits; no field takes more than 19")
    return int(text)


def check_fields(body: Mapping[str, Any]) -> None:
    """The top-level fields every route shares the meaning of: identifiers, and the length caps."""
    caps = limits()
    identifiers.check_fields(body, caps.id_length)
    for fields, cap, key in ((TEXT_FIELDS, caps.text_length, "text_length"),
                             (PATH_FIELDS, caps.path_length, "path_length"),
                             (DELIMITER_FIELDS, caps.delimiter_length, "delimiter_length"),
                             (NAME_FIELDS, caps.id_length, "id_length"),
                             (METRIC_FIELDS, METRIC_NAME_WIDTH, None)):
        for field in fields:
            value = body.get(field)
            if isinstance(value, str) and len(value) > cap:
                source = f" (limits.{key})" if key else ""
                raise InvalidParameterError(f"parameter {field} is longer than the limit of {cap} characters"
                                            f"{source}, got {len(value)}", field=field)


def checked_form(fields: Mapping[str, Any]) -> dict:
    """Parameters that came as a query string or multipart form fields, checked as a JSON body is."""
    values = dict(fields)
    check_values(values, limits().json_depth)
    check_fields(values)
    return values


def record_refusal(error: InvalidParameterError) -> None:
    """The audit line of a value refused at the boundary (who, which route, why)."""
    audit.refused(client=request.remote_addr or "", route=f"{request.method} {request.path}", reason=error.message,
                  field=error.field)


# ---------------------------------------------------------------------------------------------- typed getters
def require(body: Mapping[str, Any], *names: str, also: Iterable[str] = (),
            aliases: Mapping[str, str] | None = None) -> None:
    """Every missing one of `names` named in one message (None and "" are missing), after the names in `also`
    that the caller found missing elsewhere (e.g. a multipart file part). `aliases` maps a name to another
    spelling that counts as it (table_name -> name)."""
    aliases = aliases or {}
    missing = list(also) + [n for n in names
                            if body.get(n) in (None, "") and body.get(aliases.get(n, n)) in (None, "")]
    if missing:
        raise MissingParametersError(missing)


def get_str(body: Mapping[str, Any], name: str, default: Any = _MISSING, max_length: int | None = None,
            choices: Iterable[str] | None = None) -> str:
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidParameterError(f"parameter {name} must be a string, got {type(value).__name__}", field=name)
    value = str(value)
    if max_length is not None and len(value) > max_length:
        raise InvalidParameterError(f"parameter {name} is longer than {max_length} characters", field=name)
    if choices is not None and value not in set(choices):
        raise InvalidParameterError(f"parameter {name} must be one of {sorted(choices)}, got {shown(value)}",
                                    field=name)
    return value


def get_id(body: Mapping[str, Any], name: str, kind: Identifier, default: Any = _MISSING) -> str:
    """An identifier field (checked against `kind` whatever its name)."""
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    return kind.check(name, value, limits().id_length)


def get_int(body: Mapping[str, Any], name: str, default: Any = _MISSING, minimum: int | None = None,
            maximum: int | None = None) -> int:
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    if isinstance(value, bool) or isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.lstrip("+-").isdigit() or len(text) > 20:
            raise InvalidParameterError(f"parameter {name} must be an integer, got {shown(value)}", field=name)
        value = int(text)
    if not isinstance(value, int):
        raise InvalidParameterError(f"parameter {name} must be an integer, got {type(value).__name__}", field=name)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum is not None and maximum is not None:
            bounds = f"between {minimum} and {maximum}"
        else:
            bounds = f">= {minimum}" if minimum is not None else f"<= {maximum}"
        raise InvalidParameterError(f"parameter {name} must be {bounds}, got {shown(value)}", field=name)
    return value


def get_limit(body: Mapping[str, Any], default: int | None = None, name: str = "limit") -> int:
    """A list's `limit`: 1..limits.list_limit; absent: `default`, else limits.default_list_limit."""
    caps = limits()
    fallback = caps.default_list_limit if default is None else default
    value = get_int(body, name, default=fallback, minimum=1, maximum=caps.list_limit)
    return value


def get_party_id(body: Mapping[str, Any], name: str = "party_id", default: Any = _MISSING) -> str:
    """Party ids arrive as int or string; they are stored as strings (contract §5)."""
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    return identifiers.check_party_id(name, value)


def get_text(body: Mapping[str, Any], name: str, default: Any = _MISSING) -> str:
    """Free text (notes, descriptions): a string of at most limits.text_length characters."""
    value = body.get(name)
    if value is None:
        return _default(name, default)
    if not isinstance(value, str):
        raise InvalidParameterError(f"parameter {name} must be a string, got {type(value).__name__}", field=name)
    cap = limits().text_length
    if len(value) > cap:
        raise InvalidParameterError(f"parameter {name} is longer than the limit of {cap} characters "
                                    f"(limits.text_length), got {len(value)}", field=name)
    return value


def get_path(body: Mapping[str, Any], name: str, default: Any = _MISSING) -> str:
    """A server-side file path: a string of at most limits.path_length characters (where it may point is
    file_access's to decide)."""
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    if not isinstance(value, str):
        raise InvalidParameterError(f"parameter {name} must be a file path (a string), got "
                                    f"{type(value).__name__}", field=name)
    cap = limits().path_length
    if len(value) > cap:
        raise InvalidParameterError(f"parameter {name} is longer than the limit of {cap} characters "
                                    f"(limits.path_length), got {len(value)}", field=name)
    return value


def get_table_name(body: Mapping[str, Any]) -> str:
    """`table_name`, or `name` as some clients and the table/add API call it."""
    if body.get("table_name") in (None, "") and body.get("name") not in (None, ""):
        return get_id(body, "name", identifiers.TABLE_NAME)
    return get_id(body, "table_name", identifiers.TABLE_NAME)


def get_namespace(body: Mapping[str, Any]) -> str:
    return get_id(body, "namespace", identifiers.TABLE_NAMESPACE)


def get_delimiter(body: Mapping[str, Any], name: str, spelling: str | None = None) -> str:
    """A field delimiter (default ","): at most limits.delimiter_length characters, no line break. `spelling`
    is a documented alternative name of the field (e.g. seed 000's `delimitor`), read when `name` is absent."""
    if spelling is not None and body.get(name) in (None, "") and body.get(spelling) not in (None, ""):
        name = spelling
    value = get_str(body, name, default=",")
    cap = limits().delimiter_length
    if len(value) > cap:
        raise InvalidParameterError(f"parameter {name} is longer than the limit of {cap} characters "
                                    f"(limits.delimiter_length), got {len(value)}", field=name)
    if "\n" in value or "\r" in value:
        raise InvalidParameterError(f"parameter {name} must not contain a line break", field=name)
    return value


def get_plain_filename(body: Mapping[str, Any]) -> str | None:
    """`filename` of a file answer: it names the download only, so it must be a plain file name."""
    value = body.get("filename")
    if value in (None, ""):
        return None
    return identifiers.check_file_name("filename", value)


def _default(name: str, default: Any) -> Any:
    if default is _MISSING:
        raise MissingParametersError([name])
    return default


class CountingInput:
    """Wraps `wsgi.input` and counts the bytes read, so a handler can tell a body cut off by a client
    disconnect from a complete one (behind gunicorn, werkzeug cannot: the input is "terminated" for it)."""

    ENVIRON_KEY = "fate_flow.input_counter"

    def __init__(self, stream):
        self._stream = stream
        self.count = 0

    def read(self, size: int | None = -1) -> bytes:
        data = self._stream.read() if size is None or size < 0 else self._stream.read(size)
        self.count += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = self._stream.readline() if size is None or size < 0 else self._stream.readline(size)
        self.count += len(data)
        return data

    def __iter__(self):
        return iter(self.readline, b"")


def require_whole_body() -> None:
    """Read what is left of a counted body (at most the epilogue after a multipart's last boundary) and
    fail when fewer bytes than Content-Length arrived."""
    counter = request.environ.get(CountingInput.ENVIRON_KEY)
    expected = request.content_length
    if counter is None or expected is None:
        return
    while counter.count < expected:
        if not counter.read(min(1 << 16, expected - counter.count)):
            break
    if counter.count < expected:
        raise ParameterError(f"the upload was cut off: {counter.count} of the declared {expected} bytes arrived; "
                             f"nothing was loaded")
