"""Files that readers see whole or not at all: written to a hidden temporary sibling, then renamed over the
target (os.replace is atomic on one filesystem), so a crash or an error mid-write leaves the old file or none.

The one write-aside-then-rename helper of the package (stdlib only, so every layer may use it). Paths a client
names go through services/nofollow_files instead, which also refuses symbolic and hard links on the way."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def _aside(path: Path, mode: int | None) -> Iterator[Path]:
    """A new hidden temporary sibling of `path` (made with `mode` when given, whatever the umask); removed
    when the block ends, unless it was renamed away."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        if mode is not None:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
            try:
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _flush(tmp: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(path: Path, fsync: bool = False, mode: int | None = None) -> Iterator[Path]:
    """A temporary sibling of `path` to write; it replaces `path` when the block ends without an error and is
    removed when it raises. `fsync`: flushed to disk before the rename (files that must survive a crash).
    `mode`: the file's permission bits (e.g. 0o600 for a secret), else the umask's default."""
    with _aside(path, mode) as tmp:
        yield tmp
        if fsync:
            _flush(tmp)
        os.replace(tmp, path)


def write_atomically(path: Path, data: bytes, fsync: bool = False, mode: int | None = None) -> None:
    with replacing(path, fsync, mode) as tmp:
        tmp.write_bytes(data)


def write_if_absent(path: Path, data: bytes, mode: int | None = None, fsync: bool = True) -> bool:
    """Write `data` to `path` whole unless `path` exists already; False when it did. Two processes writing the
    same file at once (e.g. making the same key on first start) leave exactly one of the two versions."""
    with _aside(path, mode) as tmp:
        tmp.write_bytes(data)
        if fsync:
            _flush(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    return True
