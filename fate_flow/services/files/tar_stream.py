"""A gzip'ed tar of a directory, produced chunk by chunk so that a response can stream it: memory stays at
one chunk whatever the size of the files. Log files may still grow or shrink while they are read; each
entry holds exactly the size the file had when it was listed (cut short or zero-padded)."""
from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path
from typing import Iterator

CHUNK = 1 << 16
_BLOCK = tarfile.BLOCKSIZE


def regular_files(root: Path) -> list[Path]:
    """Regular files under `root`, sorted; symlinks are skipped so the archive never reaches outside root."""
    found = []
    for directory, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def tar_gz_chunks(root: Path, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The regular files under `root`, named relative to it, as a tar.gz byte stream."""
    gzip = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    for path in regular_files(root):
        try:
            stat = path.stat()
            f = open(path, "rb")
        except FileNotFoundError:
            continue  # removed since it was listed (log rotation)
        with f:
            info = tarfile.TarInfo(path.relative_to(root).as_posix())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
            yield gzip.compress(info.tobuf(format=tarfile.PAX_FORMAT))
            remaining = stat.st_size
            while remaining:
                data = f.read(min(chunk_size, remaining)) or b"\0" * min(chunk_size, remaining)
                remaining -= len(data)
                yield gzip.compress(data)
        padding = -stat.st_size % _BLOCK
        yield gzip.compress(b"\0" * padding)
    yield gzip.compress(b"\0" * (2 * _BLOCK)) + gzip.flush()
