"""A job's scheduling log on this server: logs/<job_id>/fate_flow_schedule.log (and _error.log for errors),
the files FATE-Board shows as "jobSchedule" and "jobError" (contract §12.4). Its times are the runtime's clock,
bound with the database at start."""
from __future__ import annotations

import logging
import os
import threading

from fate_flow.db.base import bound_clock
from fate_flow.entity.home_paths import home_path
from fate_flow.settings import Settings

LOG = logging.getLogger("fate_flow.schedule")
_lock = threading.Lock()


def job_log(settings: Settings, job_id: str, message: str, level: int = logging.INFO) -> None:
    """Write one line to the job's schedule log (errors also to its error log) and the server log."""
    LOG.log(level, "[%s] %s", job_id, message)
    stamp = bound_clock().log_stamp()
    line = f"[{logging.getLevelName(level)}] [{stamp}] [{job_id}] [{os.getpid()}:{threading.get_ident()}] {message}\n"
    directory = home_path(settings.logs_dir, job_id)
    names = ["fate_flow_schedule.log"] + (["fate_flow_schedule_error.log"] if level >= logging.ERROR else [])
    with _lock:
        directory.mkdir(parents=True, exist_ok=True)
        for name in names:
            with open(directory / name, "a", encoding="utf-8") as f:
                f.write(line)
