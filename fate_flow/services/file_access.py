"""Which server-side paths a client may make the server read or write (service conf `file_access`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from fate_flow.entity.errors import ParameterError, PathNotAllowedError
from fate_flow.settings import PROJECT_ROOT


def resolve_allowed(value: str, allowed_dirs: Sequence[Path], field: str, must_exist: bool) -> Path:
    """The real path of `value` (relative paths are taken from the project root, as FATE does), refused
    unless it lies inside one of `allowed_dirs` after `..` and symlinks are resolved."""
    if "\x00" in value:
        raise ParameterError(f"parameter {field} contains a NUL character")
    raw = Path(value).expanduser()
    if not raw.is_absolute():
        raw = PROJECT_ROOT / raw
    real = Path(os.path.realpath(raw))
    roots = [Path(os.path.realpath(d)) for d in allowed_dirs]
    if not any(real == root or root in real.parents for root in roots):
        raise PathNotAllowedError(
            f"parameter {field}: {value} is outside the directories this server may access "
            f"({', '.join(str(r) for r in roots)}); see file_access.allowed_dirs in the service conf")
    if must_exist:
        if not real.exists():
            raise ParameterError(f"parameter {field}: file {value} does not exist")
        if not real.is_file():
            raise ParameterError(f"parameter {field}: {value} is not a regular file")
        if not os.access(real, os.R_OK):
            raise ParameterError(f"parameter {field}: file {value} is not readable by the server")
    elif real.is_dir():
        raise ParameterError(f"parameter {field}: {value} is a directory; give a file path")
    return real
