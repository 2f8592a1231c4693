"""Telling a write that failed for lack of disk space from other failures, and saying so: which disk
(filesystem) is full, how much is free, how much to free.

SQLite, LMDB and plain file writes each report a full disk in their own words ("database or disk is full",
errno ENOSPC, and sometimes only "disk I/O error" / "Input/output error"); the latter also mean other faults,
so they count as a full disk only when the disk is in fact (nearly) full.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode

_NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_NO_SPACE_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")
_WRITE_FAILED_TEXTS = ("disk i/o error", "input/output error")
_MAP_FULL_TEXT = "mdb_map_full"
# below this much free space a disk counts as full (the service conf's storage.min_free_bytes)
DEFAULT_MIN_FREE_BYTES = 64 << 20


class DiskFullError(FateFlowError):
    """A write failed because a disk is full; the message names the disk and the space to free."""

    retcode = RetCode.EXCEPTION_ERROR


@dataclass(frozen=True)
class DiskUsage:
    mount: str                  # where the filesystem is mounted: the disk's name
    holds: tuple[str, ...]      # what of the server is on it ("home", "table store", ...), never its paths
    free_bytes: int
    total_bytes: int

    def describe(self) -> str:
        return f"the filesystem mounted at {self.mount} (this server's {', '.join(self.holds)})"

    def full(self, min_free_bytes: int) -> bool:
        return self.free_bytes < min_free_bytes

    def to_dict(self, min_free_bytes: int) -> dict:
        return {"mount": self.mount, "holds": list(self.holds), "free_bytes": self.free_bytes,
                "total_bytes": self.total_bytes, "full": self.full(min_free_bytes)}


def size_text(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _existing(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def mount_point(path: Path) -> Path:
    path = _existing(path)
    device = path.stat().st_dev
    while path != path.parent and path.parent.stat().st_dev == device:
        path = path.parent
    return path


def disk_usage(places: Mapping[str, Path]) -> list[DiskUsage]:
    """One DiskUsage per filesystem holding any of `places` (what -> path), in the order first named."""
    by_device: dict[int, tuple[Path, list[str], os.statvfs_result]] = {}
    for what, path in places.items():
        try:
            existing = _existing(path)
            device = existing.stat().st_dev
            if device not in by_device:
                by_device[device] = (mount_point(existing), [], os.statvfs(existing))
        except OSError:
            continue
        by_device[device][1].append(what)
    return [DiskUsage(str(mount), tuple(dict.fromkeys(holds)), st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize)
            for mount, holds, st in by_device.values()]


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def write_failure(exc: BaseException) -> tuple[str, str | None] | None:
    """('no space' | 'map full' | 'write failed', the file named by the error) when `exc` (or what caused it)
    is a failed write, else None."""
    for e in _chain(exc):
        filename = getattr(e, "filename", None) if isinstance(e, OSError) else None
        if isinstance(e, OSError) and e.errno in _NO_SPACE_ERRNOS:
            return "no space", filename
        text = str(e).lower()
        if _MAP_FULL_TEXT in text:
            return "map full", filename
        if any(t in text for t in _NO_SPACE_TEXTS):
            return "no space", filename
        if (isinstance(e, OSError) and e.errno == errno.EIO) or any(t in text for t in _WRITE_FAILED_TEXTS):
            return "write failed", filename
    return None


def disk_full_error(exc: BaseException, places: Mapping[str, Path], min_free_bytes: int,
                    needed_bytes: int | None = None) -> DiskFullError | None:
    """A DiskFullError for `exc` when it is a write that found no space on a disk holding one of `places`
    (what -> path: the server's directories), else None. `needed_bytes`: what the failed operation would have
    taken. The message names the disk by its mount point and what of the server it holds, not by file paths."""
    failure = write_failure(exc)
    if failure is None:
        return None
    kind, filename = failure
    places = dict(places)
    if filename:
        places.setdefault("file being written", Path(filename))
    usages = disk_usage(places)
    if not usages:
        return None
    usage = min(usages, key=lambda u: u.free_bytes)
    if kind == "map full":
        return DiskFullError(f"a store on {usage.describe()} reached its size limit (LMDB map size); nothing was "
                             f"written")
    if kind == "write failed" and not usage.full(min_free_bytes):
        return None  # an I/O error with room on every disk is another fault
    want = max(min_free_bytes, needed_bytes or 0)
    return DiskFullError(f"the disk is full: {usage.describe()} has {size_text(usage.free_bytes)} free of "
                         f"{size_text(usage.total_bytes)}; free at least {size_text(want)} there and try again")
