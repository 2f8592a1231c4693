"""Deep-immutable views of JSON values, so parsed confs can be shared without defensive copies."""
from types import MappingProxyType
from typing import Any, Mapping


def freeze(value: Any) -> Any:
    """dicts -> read-only mappings, lists -> tuples, recursively; scalars unchanged."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of freeze: fresh plain dicts and lists the caller may mutate or json.dumps."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def deep_merge(base: Any, override: Any) -> Any:
    """Merge two JSON values: mappings merge key by key (override wins), anything else is replaced."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = {k: thaw(v) for k, v in base.items()}
        for key, value in override.items():
            merged[key] = deep_merge(merged[key], value) if key in merged else thaw(value)
        return merged
    return thaw(override)
