"""Parameter groups given as objects inside a component's parameters (FATE's sub-params such as
transform_param or iv_value_param), parsed with the same strictness and errors naming the full field."""
from __future__ import annotations

from typing import Any, TypeVar

from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import ParameterError

P = TypeVar("P", bound=ComponentParams)


def parse_nested(cls: type[P], value: Any, where: str, name: str) -> P:
    """`value` (an object, or an already parsed `cls`) as `cls`; errors read "parameter <name>.<field> ..."."""
    if isinstance(value, cls):
        return value
    if value is None:
        return cls()
    if not isinstance(value, dict):
        raise ParameterError(f"{where}parameter {name} must be an object, got {value!r}")
    try:
        return cls.from_dict(value)
    except ParameterError as e:
        message = e.message
        if message.startswith("parameter "):
            message = f"parameter {name}." + message[len("parameter "):]
        else:
            message = f"parameter {name}: {message}"
        raise ParameterError(where + message) from None
