"""FATE-Flow 1.6 return codes (contract §0.3): the single source for every layer."""
from enum import IntEnum


class RetCode(IntEnum):
    SUCCESS = 0
    EXCEPTION_ERROR = 100
    PARAMETER_ERROR = 101
    DATA_ERROR = 102
    OPERATING_ERROR = 103
    FEDERATED_ERROR = 104
    CONNECTION_ERROR = 105
    # FATE-Flow 1.7+: a partner asked for something our grants do not allow
    PERMISSION_ERROR = 108
    # FATE-Flow 1.7+: an HTTP client that is not authenticated (unsigned, bad signature, stale, replayed)
    AUTHENTICATION_ERROR = 109
    # file-style endpoints answer this as the HTTP status and the retcode when they cannot produce the file
    FILE_NOT_PRODUCED = 210
    SERVER_ERROR = 500
