"""Lines of a job's logs on this server, read from a byte offset so that a page following a running task reads
only what was added since its last call: the job's schedule log (logs/<job_id>/fate_flow_schedule.log) or a
component's log as one party ran it (logs/<job_id>/<role>/<party_id>/<component>/DEBUG.log, which holds every
level, or std.log, the worker's own output).

Retries of a task append to the same files; each version ran in its own process, whose pid every formatted line
carries, so the lines of one version are those of its pid (a traceback's continuation lines go with the line
that started them)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from fate_flow.db.models import Task
from fate_flow.entity.errors import NotFoundError
from fate_flow.services.tracking.queries import job_row
from fate_flow.settings import Settings

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SOURCES = ("log", "std")
# what one call reads at most, and how far back a call without an offset starts
MAX_READ_BYTES = 1 << 20
TAIL_BYTES = 64 << 10
# "[INFO] [2021-01-01 00:00:00,000] [job id] [pid:thread] ..." (worker and schedule logs)
_RECORD = re.compile(rb"\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] \[[^\]]*\] \[[^\]]*\] \[(\d+):")
_RANK = {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3, "CRITICAL": 4}


@dataclass(frozen=True)
class LogQuery:
    job_id: str
    component: str | None = None  # None: the job's schedule log
    role: str | None = None
    party_id: str | None = None
    level: str = "DEBUG"          # the lowest level shown
    task_version: int | None = None  # None: every version
    source: str = "log"
    offset: int | None = None     # byte offset to go on from (the `offset` of the previous answer); None: the tail


def log_lines(settings: Settings, query: LogQuery) -> dict[str, Any]:
    """{"lines", "offset" (where the next call goes on), "size", "from" (byte offset of the first line read),
    "versions" (a component's task versions on this party)}. Only whole lines are returned: a line still being
    written is left for the next call. An offset beyond the file's end (a log that was replaced) starts over at
    its tail."""
    row = job_row(query.job_id, query.role, query.party_id)
    versions: list[dict] = []
    pids: set[int] | None = None
    if query.component is None:
        path = settings.logs_dir / row.f_job_id / "fate_flow_schedule.log"
    else:
        if query.component not in (row.f_dsl or {}).get("components", {}):
            raise NotFoundError(f"component {query.component} is not in job {query.job_id}")
        tasks = list(Task.select(Task.f_task_version, Task.f_status, Task.f_party_status, Task.f_run_pid,
                                 Task.f_start_time, Task.f_end_time)
                     .where(Task.f_job_id == row.f_job_id, Task.f_component_name == query.component,
                            Task.f_role == row.f_role, Task.f_party_id == row.f_party_id)
                     .order_by(Task.f_task_version))
        versions = [{"version": t.f_task_version, "status": t.f_party_status or t.f_status,
                     "start_time": t.f_start_time, "end_time": t.f_end_time} for t in tasks]
        if query.task_version is not None:
            pids = {t.f_run_pid for t in tasks if t.f_task_version == query.task_version and t.f_run_pid}
        name = "DEBUG.log" if query.source == "log" else "std.log"
        path = settings.logs_dir / row.f_job_id / row.f_role / row.f_party_id / query.component / name
    _inside(path, settings.logs_dir)
    answer = {"lines": [], "offset": 0, "size": 0, "from": 0, "versions": versions}
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return answer
    with f:
        size = f.seek(0, 2)
        start = query.offset if query.offset is not None and query.offset <= size else max(0, size - TAIL_BYTES)
        chunk = _whole_lines(f, start, size, skip_partial=query.offset is None or query.offset > size)
    answer["size"], answer["from"] = size, start + chunk.skipped
    answer["offset"] = answer["from"] + len(chunk.data)
    keep_level = query.level if query.source == "log" else "DEBUG"
    answer["lines"] = _filtered(chunk.data, _RANK[keep_level], pids if query.source == "log" else None)
    return answer


@dataclass(frozen=True)
class _Chunk:
    skipped: int  # bytes of a partial first line left out
    data: bytes


def _whole_lines(f: BinaryIO, start: int, size: int, skip_partial: bool) -> _Chunk:
    f.seek(start)
    data = f.read(min(size - start, MAX_READ_BYTES))
    skipped = 0
    if skip_partial and start > 0:
        f.seek(start - 1)
        if f.read(1) != b"\n":  # started mid-line: begin at the next line
            newline = data.find(b"\n")
            skipped = len(data) if newline < 0 else newline + 1
            data = data[skipped:]
    end = data.rfind(b"\n")
    return _Chunk(skipped, data[:end + 1] if end >= 0 else b"")


def _filtered(data: bytes, min_rank: int, pids: set[int] | None) -> list[str]:
    lines, keep = [], min_rank == 0 and pids is None  # continuation lines before any record: kept unfiltered
    for raw in data.splitlines():
        record = _RECORD.match(raw)
        if record:
            keep = (_RANK[record.group(1).decode()] >= min_rank
                    and (pids is None or int(record.group(2)) in pids))
        if keep:
            lines.append(raw.decode("utf-8", "replace"))
    return lines


def _inside(path: Path, root: Path) -> None:
    """Names from the job's row and DSL make the path; none of them may lead outside the logs directory."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise NotFoundError("no such log")
