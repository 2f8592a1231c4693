"""/v1/job/log: the job's log directory (logs/<job_id>/, contract §12.4, written by job_log and the workers) as a
streamed tar.gz."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.retcode import RetCode
from fate_flow.services.tar_stream import tar_gz_chunks
from fate_flow.settings import Settings

# a job id names a directory: no separators, no dot-only names
_JOB_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")


@dataclass(frozen=True)
class LogArchive:
    filename: str
    directory: Path

    def chunks(self) -> Iterator[bytes]:
        return tar_gz_chunks(self.directory)


def job_log_archive(settings: Settings, job_id: str) -> LogArchive:
    """The archive of a job's logs; the directory is checked now, the archive is made while it is sent."""
    if not _JOB_ID.fullmatch(job_id):
        raise ParameterError(f"parameter job_id must be a job id (letters, digits, _ and -), got {job_id!r}")
    directory = settings.logs_dir / job_id
    if not directory.is_dir():
        raise FateFlowError(f"Log file path: {directory} not found. Please check if the job id is valid.",
                            retcode=RetCode.FILE_NOT_PRODUCED)
    return LogArchive(filename=f"job_{job_id}_log.tar.gz", directory=directory)
