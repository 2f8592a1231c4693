"""Component parameter classes: defaults, type checks and validation, with errors naming the field.

A parameter class is a dataclass; `from_dict` takes the component's effective parameters for a party
(after DSL/conf resolution), refuses unknown keys as FATE does ("redundant parameter") and checks values.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar

from fate_flow.entity.errors import ParameterError


class ComponentParams:
    # keys every component accepts and ignores (FATE's common parameters)
    IGNORED: ClassVar[frozenset[str]] = frozenset({"need_run"})

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None, component: str = "") -> "ComponentParams":
        values = dict(values or {})
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # init=False fields are derived
        where = f"component {component}: " if component else ""
        unknown = sorted(k for k in values if k not in fields and k not in cls.IGNORED)
        if unknown:
            raise ParameterError(f"{where}redundant parameter(s) {', '.join(unknown)} for {cls.__name__}")
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for name, f in fields.items():
            if name in values:
                kwargs[name] = _coerce(values[name], hints.get(name, Any), f"{where}parameter {name}")
        params = cls(**kwargs)
        params.check(where)
        return params

    def check(self, where: str) -> None:
        """Validate values; raise ParameterError naming the field."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class PaillierEncryptParams(ComponentParams):
    """`encrypt_param` of a component that encrypts with Paillier only; a subclass names the component and the
    smallest key it takes."""
    method: str | None = "Paillier"
    key_length: int = 1024
    COMPONENT: ClassVar[str] = "this component"
    KEY_LENGTH_MIN: ClassVar[int] = 512

    def check(self, where: str) -> None:
        if not isinstance(self.method, str) or self.method.lower() != "paillier":
            raise ParameterError(f"{where}parameter method must be Paillier (the only encryption {self.COMPONENT} "
                                 f"supports), got {self.method!r}")
        self.method = "Paillier"
        if self.key_length < self.KEY_LENGTH_MIN or self.key_length % 2:
            raise ParameterError(f"{where}parameter key_length must be an even number of bits, at least "
                                 f"{self.KEY_LENGTH_MIN}, got {self.key_length}")


def _coerce(value: Any, hint: Any, what: str) -> Any:
    origin = typing.get_origin(hint) or hint
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, option, what)
            except ParameterError as e:
                errors.append(e.message)
        raise ParameterError(errors[0] if errors else f"{what} has an unexpected value {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ParameterError(f"{what} must be a list, got {type(value).__name__}")
        return list(value) if origin is list else tuple(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ParameterError(f"{what} must be an object, got {type(value).__name__}")
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise ParameterError(f"{what} must be true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ParameterError(f"{what} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{what} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ParameterError(f"{what} must be a string, got {value!r}")
        return value
    return value
