"""Request filters over a table's columns, as FATE-Flow's query endpoints take them (contract §1.2.4).

A filter key is a column name without its `f_` prefix; keys that name no column are ignored (clients send
`function`, `config`, `output_path`...). Values are converted to the column's type so that a party id
sent as 9999 matches the stored "9999", and a value that cannot be converted is refused with a message
naming the field. `start_time`/`end_time` ([begin, end] in ms or "%Y-%m-%d %H:%M:%S") and `elapsed`
([min, max] ms) may be ranges.
"""
from __future__ import annotations

import datetime
from typing import Any, Mapping

from peewee import BigIntegerField, BooleanField, DateTimeField, Expression, Field, IntegerField, Model

from fate_flow.db.base import JSONField
from fate_flow.entity.errors import InvalidParameterError
from fate_flow.entity.identifiers import shown

RANGE_KEYS = ("start_time", "end_time", "elapsed")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TRUE = ("true", "1")
_FALSE = ("false", "0")


def filter_conditions(model: type[Model], filters: Mapping[str, Any]) -> list[Expression]:
    """peewee conditions for the column filters in `filters` (None values are ignored, as FATE's clients
    send every option they have, set or not)."""
    conditions = []
    for key, value in filters.items():
        field = model._meta.fields.get(f"f_{key}") if isinstance(key, str) else None
        if field is None or value is None:
            continue
        if isinstance(field, JSONField):
            raise InvalidParameterError(f"parameter {key} cannot be used as a filter", field=key)
        if isinstance(value, (list, tuple)):
            conditions.append(_range(field, key, value))
        else:
            conditions.append(field == _scalar(field, key, value))
    return conditions


def _range(field: Field, key: str, value: list | tuple) -> Expression:
    if key not in RANGE_KEYS:
        raise InvalidParameterError(f"parameter {key} must be a single value, got a list", field=key)
    if len(value) != 2:
        raise InvalidParameterError(f"parameter {key} must be a list of two values [begin, end], got {len(value)}",
                                    field=key)
    begin, end = (None if v is None else _milliseconds(key, v) for v in value)
    if begin is None and end is None:
        raise InvalidParameterError(f"parameter {key} must give at least one bound of [begin, end]", field=key)
    if begin is None:
        return field <= end
    if end is None:
        return field >= begin
    return field.between(begin, end)


def _milliseconds(key: str, value: Any) -> int:
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        if key == "elapsed":
            raise InvalidParameterError(f"parameter {key} bounds must be milliseconds, got {shown(value)}", field=key)
        try:
            return int(datetime.datetime.strptime(value.strip(), TIME_FORMAT).timestamp() * 1000)
        except ValueError:
            raise InvalidParameterError(f"parameter {key} bounds must be milliseconds or {TIME_FORMAT!r} times, "
                                        f"got {shown(value)}", field=key) from None
    return _integer(key, value)


def _scalar(field: Field, key: str, value: Any) -> Any:
    if isinstance(value, dict):
        raise InvalidParameterError(f"parameter {key} must be a single value, got an object", field=key)
    if isinstance(field, BooleanField):
        return _boolean(key, value)
    if isinstance(field, (IntegerField, BigIntegerField)):
        return _integer(key, value)
    if isinstance(field, DateTimeField):
        try:
            return datetime.datetime.strptime(str(value).strip(), TIME_FORMAT)
        except ValueError:
            raise InvalidParameterError(f"parameter {key} must be a {TIME_FORMAT!r} time, got {shown(value)}",
                                        field=key) from None
    if key.endswith("party_id"):
        return _party_id(key, value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidParameterError(f"parameter {key} must be a string, got {type(value).__name__}", field=key)
    return str(value)


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, (int, str)) and text in _TRUE + _FALSE:
        return text in _TRUE
    raise InvalidParameterError(f"parameter {key} must be true or false, got {shown(value)}", field=key)


def _integer(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidParameterError(f"parameter {key} must be an integer, got {shown(value)}", field=key)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise InvalidParameterError(f"parameter {key} must be an integer, got {shown(value)}", field=key)


def _party_id(key: str, value: Any) -> str:
    """Party ids are stored as strings of digits (contract §5); -1 marks "no party" in some columns."""
    text = str(value).strip()
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not text.lstrip("-").isdigit():
        raise InvalidParameterError(f"parameter {key} must be a party id (an integer), got {shown(value)}", field=key)
    return str(int(text))
