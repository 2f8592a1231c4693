"""/v1/job/log: the job's log directory (logs/<job_id>/, contract §12.4, written by job_log and the workers) as a
streamed tar.gz."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from fate_flow.entity import identifiers
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.home_paths import home_path, shown_home_path
from fate_flow.entity.retcode import RetCode
from fate_flow.services.files.tar_stream import tar_gz_chunks
from fate_flow.settings import Settings


@dataclass(frozen=True)
class LogArchive:
    filename: str
    directory: Path

    def chunks(self) -> Iterator[bytes]:
        return tar_gz_chunks(self.directory)


def job_log_archive(settings: Settings, job_id: str) -> LogArchive:
    """The archive of a job's logs; the directory is checked now, the archive is made while it is sent."""
    directory = home_path(settings.logs_dir, identifiers.JOB_ID.check("job_id", job_id))
    if not directory.is_dir():
        shown = shown_home_path(directory, settings.home)
        raise FateFlowError(f"Log file path: {shown} not found. Please check if the job id is valid.",
                            retcode=RetCode.FILE_NOT_PRODUCED)
    return LogArchive(filename=f"job_{job_id}_log.tar.gz", directory=directory)
