"""Files that readers see whole or not at all: written to a hidden temporary sibling, then renamed over the
target (os.replace is atomic on one filesystem), so a crash or an error mid-write leaves the old file or none."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replacing(path: Path, fsync: bool = False) -> Iterator[Path]:
    """A temporary sibling of `path` to write; it replaces `path` when the block ends without an error and is
    removed when it raises. `fsync`: flushed to disk before the rename (files that must survive a crash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes, fsync: bool = False) -> None:
    with replacing(path, fsync) as tmp:
        tmp.write_bytes(data)
