"""Loading DSL/conf JSON text while keeping the duplicate keys json.loads would silently drop."""
import json
from typing import Any

from fate_flow.entity.dsl_errors import DSLError


class _PairsDict(dict):
    """A dict that remembers which keys occurred more than once in its JSON object."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _PairsDict:
    obj = _PairsDict()
    seen: list[str] = []
    for key, value in pairs:
        if key in obj and key not in seen:
            seen.append(key)
        obj[key] = value
    obj.duplicates = tuple(seen)
    return obj


def _find_duplicates(value: Any, path: str) -> tuple[str, str] | None:
    """First (path, key) whose object repeated a key, depth first in document order."""
    if isinstance(value, _PairsDict):
        if value.duplicates:
            return path, value.duplicates[0]
        for key, child in value.items():
            found = _find_duplicates(child, f"{path}.{key}" if path else key)
            if found:
                return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found = _find_duplicates(child, f"{path}[{i}]")
            if found:
                return found
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_json_object(text: str | bytes, what: str = "dsl") -> dict:
    """Parse JSON text that must hold an object; a repeated key anywhere is an error.

    A repeated key directly under `components` is reported as a duplicated component name.
    """
    try:
        value = json.loads(text, object_pairs_hook=_object_pairs)
    except (ValueError, TypeError) as e:
        raise DSLError(f"{what} is not valid JSON: {e}", field=what) from None
    if not isinstance(value, dict):
        raise DSLError(f"{what} should be a JSON object", field=what)
    found = _find_duplicates(value, "")
    if found:
        path, key = found
        if path == "components":
            raise DSLError(f"Component {key} is duplicated in {what}", component=key, field="components")
        where = f"{path}.{key}" if path else key
        raise DSLError(f"key {where} is duplicated in {what}", field=where)
    return _plain(value)
