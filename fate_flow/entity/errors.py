"""Exceptions that carry a FATE retcode; the HTTP layer turns them into envelopes."""
from typing import Any, Iterable

from fate_flow.entity.retcode import RetCode


class FateFlowError(Exception):
    """An error a client should see: retcode + message (+ optional data)."""

    retcode: RetCode = RetCode.EXCEPTION_ERROR
    # the job the failed request created, reported as the envelope's jobId
    job_id: str | None = None

    def __init__(self, message: str, data: Any = None, retcode: RetCode | None = None):
        super().__init__(message)
        self.message = message
        self.data = data
        if retcode is not None:
            self.retcode = retcode


class ParameterError(FateFlowError):
    """A request field is missing, of the wrong type or out of range; the message names the field.

    FATE-Flow 1.6 answers these with retcode 100 ("required parameters are missing: ..."), so do we.
    """

    retcode = RetCode.EXCEPTION_ERROR


class InvalidParameterError(ParameterError):
    """A request field has a value the input boundary refuses: wrong type, out of range, too long, not the
    identifier it must be, or a body that is not well-formed. Retcode 101; the message names the field."""

    retcode = RetCode.PARAMETER_ERROR

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class MissingParametersError(ParameterError):
    def __init__(self, names: Iterable[str]):
        names = list(names)
        super().__init__("required parameters are missing: " + ",".join(names) + ";")
        self.names = names


class NotFoundError(FateFlowError):
    retcode = RetCode.PARAMETER_ERROR


class DataError(FateFlowError):
    """The content of a file or table is unusable (ragged rows, duplicate ids, bad encoding...)."""

    retcode = RetCode.DATA_ERROR


class AlreadyExistsError(FateFlowError):
    retcode = RetCode.EXCEPTION_ERROR


class PathNotAllowedError(ParameterError):
    """A server-side path lies outside the directories the server is configured to read or write."""


class AuthenticationError(FateFlowError):
    """The caller is not who it must be: an unsigned or badly signed HTTP request, a stale or replayed one,
    an unknown app key, a worker report without its task's secret."""

    retcode = RetCode.AUTHENTICATION_ERROR


class PermissionDeniedError(FateFlowError):
    """An authenticated partner asked for something this party has not granted it."""

    retcode = RetCode.PERMISSION_ERROR


class JobNotFoundError(FateFlowError):
    """The job a request names does not exist here (FATE answers 102: "can not found job")."""

    retcode = RetCode.DATA_ERROR


class PartiesFailedError(FateFlowError):
    """An operation fanned out to parties (deploy, load, migrate) failed on some: FATE answers retcode 101
    "failed" with every party's retcode and message as data (and the operation's job id, when it has one)."""

    retcode = RetCode.PARAMETER_ERROR

    def __init__(self, data: Any, job_id: str | None = None):
        super().__init__("failed", data)
        self.job_id = job_id


class OperationRefusedError(FateFlowError):
    """The job is not in a state that allows the operation (stop an ended job, rerun a running one...)."""

    retcode = RetCode.OPERATING_ERROR
