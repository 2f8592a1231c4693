"""Party-to-party transport over gRPC: route table, site signatures, control plane (commands between
schedulers) and data plane (remote/get of values and tables between components).

May import only fate_flow.proto, fate_flow.entity and fate_flow.serde. The service layer plugs its command
handlers in through a CommandRegistry; see client.py and data_plane.py for the calling side.
"""
from fate_flow.federation.client import FederationClient
from fate_flow.federation.config import FederationConfigError, FederationSettings, Route, federation_settings
from fate_flow.federation.data_plane import FederationSession, ReceivedPairs
from fate_flow.federation.errors import (AuthenticationError, FederationError, GetTimeoutError,
                                         MessageTooLargeError, PartyUnreachableError, RemoteRefusedError,
                                         TruncatedStreamError, UnknownPartyError)
from fate_flow.federation.framing import Pairs
from fate_flow.federation.parties import PartyRef
from fate_flow.federation.registry import CommandRegistry, IncomingCommand
from fate_flow.federation.server import FederationHandle, start_federation

__all__ = [
    "AuthenticationError", "CommandRegistry", "FederationClient", "FederationConfigError", "FederationError",
    "FederationHandle", "FederationSession", "FederationSettings", "GetTimeoutError", "IncomingCommand",
    "MessageTooLargeError", "Pairs", "PartyRef", "PartyUnreachableError", "ReceivedPairs", "RemoteRefusedError",
    "Route", "TruncatedStreamError", "UnknownPartyError", "federation_settings", "start_federation",
]
