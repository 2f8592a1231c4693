"""Checks every JSON value from outside goes through once parsed (HTTP bodies and federation command bodies):
nesting depth, numbers within 64 bits and finite, strings without lone surrogates or NUL characters. Each
refusal is an InvalidParameterError (retcode 101) naming the field by its path in the document."""
from __future__ import annotations

import math
from typing import Any, Mapping

from fate_flow.entity.errors import InvalidParameterError
from fate_flow.entity.identifiers import shown

INT64_MAX = 2 ** 63 - 1


def check_values(body: Mapping[str, Any], max_depth: int) -> None:
    """Walk the whole body (without recursion): depth, numbers and strings, each refusal naming its field."""
    stack: list[tuple[Any, str, int]] = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            if depth >= max_depth:
                raise InvalidParameterError(f"parameter {path or 'body'} is nested deeper than the limit of "
                                            f"{max_depth} levels (limits.json_depth)", field=path)
            for key, item in value.items():
                segment = key if len(key) <= 60 and key.isprintable() else shown(key)
                field = f"{path}.{segment}" if path else segment
                _check_text(key, field, "a key")
                stack.append((item, field, depth + 1))
        elif isinstance(value, list):
            if depth >= max_depth:
                raise InvalidParameterError(f"parameter {path or 'body'} is nested deeper than the limit of "
                                            f"{max_depth} levels (limits.json_depth)", field=path)
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            _check_text(value, path, "a string")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -INT64_MAX - 1 <= value <= INT64_MAX:
                raise InvalidParameterError(f"parameter {path} must be a number between {-INT64_MAX - 1} and "
                                            f"{INT64_MAX}, got one of {len(str(abs(value)))} digits", field=path)
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidParameterError(f"parameter {path} must be a finite number, got {value}", field=path)


def _check_text(text: str, path: str, what: str) -> None:
    if text.isascii():
        if "\0" in text:
            raise InvalidParameterError(f"parameter {path}: {what} must not contain a NUL character", field=path)
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameterError(f"parameter {path}: {what} holds a lone surrogate ({shown(text)}), which is "
                                    f"not a character; send the text as valid UTF-8", field=path) from None
    if "\0" in text:
        raise InvalidParameterError(f"parameter {path}: {what} must not contain a NUL character", field=path)
