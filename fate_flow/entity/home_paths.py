"""Every path under the server's own directories (FATE_FLOW_HOME's jobs/, logs/, model_local_cache/, temp/, the
storage root, a model store directory...) is built by `home_path`, which refuses a path that would resolve
outside its root. Identifiers are checked where they arrive (entity.identifiers); this is the last line: a part
that slipped through, or a symlink planted inside the tree, still cannot lead a read or a write elsewhere."""
from __future__ import annotations

import os
from pathlib import Path

from fate_flow.entity.errors import InvalidParameterError
from fate_flow.entity.identifiers import shown


class PathOutsideRootError(InvalidParameterError):
    """A path built from request or partner input would leave the server directory it belongs in. The message
    names the root by its last component only: server paths are never echoed."""


def home_path(root: Path | str, *parts: str | int) -> Path:
    """`root/part/part/...`, where each part is one path component (not empty, `.` or `..`, no separator, no
    NUL) and the result, with symlinks resolved, lies inside `root` (also resolved)."""
    root = Path(root)
    for part in parts:
        text = str(part)
        if text in ("", ".", "..") or "/" in text or "\\" in text or "\0" in text or (os.altsep and os.altsep in text):
            raise PathOutsideRootError(f"{shown(text)} is not a single file or directory name; refused to build a "
                                       f"path under {root.name or 'the server directory'}/")
    path = root.joinpath(*(str(p) for p in parts))
    resolved_root = root.resolve()
    resolved = path.resolve()
    if resolved != resolved_root and not resolved.is_relative_to(resolved_root):
        raise PathOutsideRootError(f"{shown('/'.join(str(p) for p in parts))} leads outside "
                                   f"{root.name or 'the server directory'}/ (a symbolic link?); refused")
    return path


def shown_home_path(path: Path, home: Path) -> str:
    """How a message names a server path: `$FATE_FLOW_HOME/<relative>` inside the home, its last component
    otherwise, so an answer tells a user which entry is meant without showing the server's directory layout."""
    if path.is_relative_to(home):
        return f"$FATE_FLOW_HOME/{path.relative_to(home).as_posix()}"
    return f".../{path.name}"
