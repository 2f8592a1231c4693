"""Reading and validating request fields. Every failure names the field; unknown keys are ignored."""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from flask import request

from fate_flow.entity.errors import MissingParametersError, ParameterError

_MISSING = object()


def json_body() -> dict:
    """The JSON object in the request body, for any method (clients send GET with a JSON body)."""
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ParameterError(f"request body is not valid JSON: {e}") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ParameterError(f"request body must be a JSON object, got {type(body).__name__}")
    return body


def require(body: Mapping[str, Any], *names: str) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise MissingParametersError(missing)


def get_str(body: Mapping[str, Any], name: str, default: Any = _MISSING, max_length: int | None = None,
            choices: Iterable[str] | None = None) -> str:
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ParameterError(f"parameter {name} must be a string, got {type(value).__name__}")
    value = str(value)
    if max_length is not None and len(value) > max_length:
        raise ParameterError(f"parameter {name} is longer than {max_length} characters")
    if choices is not None and value not in set(choices):
        raise ParameterError(f"parameter {name} must be one of {sorted(choices)}, got {value!r}")
    return value


def get_int(body: Mapping[str, Any], name: str, default: Any = _MISSING, minimum: int | None = None,
            maximum: int | None = None) -> int:
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    if isinstance(value, bool) or isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ParameterError(f"parameter {name} must be an integer, got {value!r}") from None
    if not isinstance(value, int):
        raise ParameterError(f"parameter {name} must be an integer, got {type(value).__name__}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum is not None and maximum is not None:
            bounds = f"between {minimum} and {maximum}"
        else:
            bounds = f">= {minimum}" if minimum is not None else f"<= {maximum}"
        raise ParameterError(f"parameter {name} must be {bounds}, got {value}")
    return value


def get_party_id(body: Mapping[str, Any], name: str = "party_id", default: Any = _MISSING) -> str:
    """Party ids arrive as int or string; they are stored as strings (contract §5)."""
    value = body.get(name)
    if value is None or value == "":
        return _default(name, default)
    text = str(value).strip()
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not text.lstrip("-").isdigit():
        raise ParameterError(f"parameter {name} must be a party id (an integer), got {value!r}")
    return str(int(text))


NAME_MAX = 100  # namespace and table name columns


def get_table_name(body: Mapping[str, Any]) -> str:
    """`table_name`, or `name` as some clients and the table/add API call it."""
    if body.get("table_name") in (None, "") and body.get("name") not in (None, ""):
        return get_str(body, "name", max_length=NAME_MAX)
    return get_str(body, "table_name", max_length=NAME_MAX)


def get_delimiter(body: Mapping[str, Any], name: str) -> str:
    value = get_str(body, name, default=",")
    if "\n" in value or "\r" in value:
        raise ParameterError(f"parameter {name} must not contain a line break")
    return value


FILENAME_MAX = 255


def get_plain_filename(body: Mapping[str, Any]) -> str | None:
    """`filename` of a file answer: it names the download only, so it must be a plain file name."""
    name = body.get("filename")
    if name in (None, ""):
        return None
    if not isinstance(name, str) or len(name) > FILENAME_MAX or name in (".", "..") \
            or any(c in name for c in "/\\\r\n\0"):
        raise ParameterError(f"parameter filename must be a plain file name, got {name!r}")
    return name


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
