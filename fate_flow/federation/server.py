"""The federation endpoint of one fate_flow server: the gRPC server (in the process of the service layer,
so commands are dispatched in-process) and the client the rest of the server uses to reach partners.

Start it after any fork (gunicorn worker), never before: grpc must not be initialised in a forking parent.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc

from fate_flow.federation.admission import RpcGuard, ServerLimits
from fate_flow.federation.client import FederationClient
from fate_flow.federation.config import FederationConfigError, FederationSettings
from fate_flow.federation.keys import KeyRing
from fate_flow.federation.registry import CommandRegistry
from fate_flow.federation.replay import ReplayGuard
from fate_flow.federation.service import ControlPlaneService, DataPlaneService, add_control_plane, add_data_plane
from fate_flow.federation.signing import SiteAuthenticator
from fate_flow.federation.store import MessageStore
from fate_flow.federation.transport import transfer_options

LOG = logging.getLogger("fate_flow.federation")


class FederationServer:
    def __init__(self, fed: FederationSettings, registry: CommandRegistry, keys: KeyRing):
        self.fed = fed
        self.store = MessageStore(fed.store_dir, fsync=fed.fsync, inline_bytes=fed.inline_value_bytes)
        self.replay = ReplayGuard(fed.store_dir / "nonces", fed.max_clock_skew)
        auth = SiteAuthenticator(keys, enabled=fed.site_auth, replay=self.replay)
        self.guard = RpcGuard(server_limits(fed))
        self._grpc = grpc.server(
            ThreadPoolExecutor(max_workers=fed.server_threads, thread_name_prefix="federation-server"),
            # a second server on the same port must fail, not share it
            options=[*transfer_options(fed), ("grpc.so_reuseport", 0), *connection_limits(fed)])
        add_control_plane(ControlPlaneService(fed, auth, registry), self._grpc, self.guard)
        self.data_plane = DataPlaneService(fed, auth, self.store)
        add_data_plane(self.data_plane, self._grpc, self.guard)
        address = f"{fed.host}:{fed.grpc_port}"
        try:
            if fed.tls.enabled:
                tls = fed.tls
                credentials = grpc.ssl_server_credentials(
                    [(tls.key.read_bytes(), tls.cert.read_bytes())], root_certificates=tls.ca.read_bytes(),
                    require_client_auth=tls.client_auth)
                port = self._grpc.add_secure_port(address, credentials)
            else:
                port = self._grpc.add_insecure_port(address)
        except RuntimeError as e:
            self.close_storage()
            raise FederationConfigError(f"cannot listen for gRPC on {address}: {e}") from e
        if not port:
            self.close_storage()
            raise FederationConfigError(f"cannot listen for gRPC on {address} (port in use?)")
        self.port = port

    def start(self) -> "FederationServer":
        self.guard.start()
        self._grpc.start()
        LOG.info("federation gRPC listening on %s:%s for parties %s (site_auth %s, tls %s)", self.fed.host, self.port,
                 ", ".join(self.fed.local_parties) or "none", "on" if self.fed.site_auth else "OFF",
                 "on" if self.fed.tls.enabled else "off")
        return self

    def stop(self, grace: float = 5.0) -> None:
        self.store.close()  # wakes long-polling gets so the grace period is not spent waiting on them
        self._grpc.stop(grace).wait(grace + 1)
        self.guard.stop()
        self.replay.close()

    def close_storage(self) -> None:
        self.store.close()
        self.replay.close()


def server_limits(fed: FederationSettings) -> ServerLimits:
    return ServerLimits(first_message_timeout=fed.first_message_timeout, stream_idle_timeout=fed.stream_idle_timeout,
                        max_pending=fed.max_pending, max_pending_per_peer=fed.max_pending_per_peer,
                        max_connections_per_peer=fed.max_connections_per_peer,
                        max_streams_per_party=fed.max_streams_per_party, max_data_streams=fed.max_data_streams)


def connection_limits(fed: FederationSettings) -> list[tuple[str, int]]:
    """gRPC core's own limits on one connection: streams at once, handshake time, idle time."""
    return [("grpc.max_concurrent_streams", fed.max_streams_per_connection),
            ("grpc.server_handshake_timeout_ms", int(fed.handshake_timeout * 1000)),
            ("grpc.max_connection_idle_ms", int(fed.max_connection_idle * 1000))]


@dataclass
class FederationHandle:
    settings: FederationSettings
    server: FederationServer
    client: FederationClient

    def stop(self, grace: float = 5.0) -> None:
        self.client.close()
        self.server.stop(grace)


def start_federation(fed: FederationSettings, registry: CommandRegistry,
                     client: FederationClient | None = None) -> FederationHandle:
    """Start the gRPC server with the site keys of `client` (the server's own), else loaded (or made) here
    together with a new client."""
    if not fed.site_auth:
        LOG.warning("site_auth is OFF: messages from other parties are NOT authenticated and anyone who can reach"
                    " %s:%s can act as any party. Use this for throwaway demos only.", fed.host, fed.grpc_port)
    client = client or FederationClient(fed, KeyRing.load(fed))
    server = FederationServer(fed, registry, client.auth.keys).start()
    return FederationHandle(fed, server, client)
