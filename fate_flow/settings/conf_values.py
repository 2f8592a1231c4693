"""Reading one value of the parsed service conf: each reader checks the value and names the dotted key when
it is bad; relative paths in the conf are relative to the checkout (PROJECT_ROOT)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


class SettingsError(ValueError):
    """The service conf is missing, unreadable or has a bad value; the message names the key."""


def conf_section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, Mapping):
        raise SettingsError(f"service conf section '{name}' must be a mapping")
    return value


def conf_int(section: Mapping[str, Any], key: str, default: int, minimum: int | None = None) -> int:
    """Read `section[last part of key]` as an int; `key` is the dotted name used in the error message."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"service conf key {key} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"service conf key {key} must be at least {minimum}, got {number}")
    return number


def conf_float(section: Mapping[str, Any], key: str, default: float) -> float:
    """Like conf_int, for a positive number."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"service conf key {key} must be a number, got {value!r}") from None
    if number <= 0:
        raise SettingsError(f"service conf key {key} must be positive, got {value!r}")
    return number


def conf_bool(section: Mapping[str, Any], key: str, default: bool) -> bool:
    value = section.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, bool):
        raise SettingsError(f"service conf key {key} must be true or false, got {value!r}")
    return value


def conf_choice(section: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = str(section.get(key.rsplit(".", 1)[-1], default))
    if value not in choices:
        raise SettingsError(f"service conf key {key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def path_value(value: Any, default: Path) -> Path:
    if value in (None, ""):
        return Path(default).resolve()
    p = Path(str(value)).expanduser()
    return (p if p.is_absolute() else PROJECT_ROOT / p).resolve()
