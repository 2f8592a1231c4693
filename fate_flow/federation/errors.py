"""Federation failures, each carrying the FATE retcode a client sees (FEDERATED_ERROR unless noted)."""
from __future__ import annotations

from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode


class FederationError(FateFlowError):
    retcode = RetCode.FEDERATED_ERROR


class UnknownPartyError(FederationError):
    """The destination party is not in the route table."""


class PartyUnreachableError(FederationError):
    """No answer from the party's server within the timeout (after retries)."""


class AuthenticationError(FederationError):
    """A signature is missing, does not match the claimed party, or the message is stale or replayed."""


class MessageTooLargeError(FederationError):
    pass


class TruncatedStreamError(FederationError):
    """A value stream ended before its signed trailer, or its bytes do not match the trailer."""


class InvalidKeyError(FederationError):
    """A data-plane key whose fields are not the identifiers they name (job id, role, party id, name, tag)."""


class GetTimeoutError(FederationError):
    """A get waited its whole timeout without the value arriving."""


class RemoteRefusedError(FederationError):
    """The partner's server answered with an error (the message carries its reason)."""
