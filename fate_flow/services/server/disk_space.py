"""The disks this server writes to (its home, table store, database, logs) and what a failed write on them
becomes: a DiskFullError naming the disk and the space to free (fate_flow.entity.disk)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from fate_flow.entity.disk import DiskFullError, disk_full_error, disk_usage
from fate_flow.settings import Settings


def server_places(settings: Settings) -> dict[str, Path]:
    """What the server writes, and where."""
    places = {"home": settings.home, "table store": settings.storage.root, "logs": settings.logs_dir}
    url = urlparse(settings.database.url)
    if url.scheme == "sqlite" and url.path:
        places["database"] = Path("/" + unquote(url.path).lstrip("/")).parent
    return places


def disk_report(settings: Settings) -> list[dict]:
    """Each filesystem the server writes to: mount, what of the server it holds, free and total bytes, full."""
    return [u.to_dict(settings.storage.min_free_bytes) for u in disk_usage(server_places(settings))]


def full_disks(report: list[dict]) -> list[dict]:
    return [d for d in report if d["full"]]


def as_disk_full(exc: BaseException, settings: Settings, needed_bytes: int | None = None) -> DiskFullError | None:
    """The DiskFullError `exc` amounts to (a write that found one of the server's disks full), or None."""
    return disk_full_error(exc, server_places(settings), settings.storage.min_free_bytes, needed_bytes)
