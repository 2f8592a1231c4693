"""The federation endpoint of one fate_flow server: the gRPC server (in the process of the service layer,
so commands are dispatched in-process) and the client the rest of the server uses to reach partners.

Start it after any fork (gunicorn worker), never before: grpc must not be initialised in a forking parent.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc

from fate_flow.federation.client import FederationClient
from fate_flow.federation.config import FederationConfigError, FederationSettings
from fate_flow.federation.keys import KeyRing
from fate_flow.federation.registry import CommandRegistry
from fate_flow.federation.replay import ReplayGuard
from fate_flow.federation.service import ControlPlaneService, DataPlaneService, add_data_plane
from fate_flow.federation.signing import SiteAuthenticator
from fate_flow.federation.store import MessageStore
from fate_flow.federation.transport import transfer_options
from fate_flow.proto import federation_pb2_grpc as pb_grpc

LOG = logging.getLogger("fate_flow.federation")


class FederationServer:
    def __init__(self, fed: FederationSettings, registry: CommandRegistry, keys: KeyRing):
        self.fed = fed
        self.store = MessageStore(fed.store_dir, fsync=fed.fsync, inline_bytes=fed.inline_value_bytes)
        self.replay = ReplayGuard(fed.store_dir / "nonces", fed.max_clock_skew)
        auth = SiteAuthenticator(keys, enabled=fed.site_auth, replay=self.replay)
        self._grpc = grpc.server(
            ThreadPoolExecutor(max_workers=fed.server_threads, thread_name_prefix="federation-server"),
            # a second server on the same port must fail, not share it
            options=[*transfer_options(fed), ("grpc.so_reuseport", 0)])
        pb_grpc.add_ControlPlaneServicer_to_server(ControlPlaneService(fed, auth, registry), self._grpc)
        self.data_plane = DataPlaneService(fed, auth, self.store)
        add_data_plane(self.data_plane, self._grpc)
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
        self._grpc.start()
        LOG.info("federation gRPC listening on %s:%s for parties %s (site_auth %s, tls %s)", self.fed.host, self.port,
                 ", ".join(self.fed.local_parties) or "none", "on" if self.fed.site_auth else "OFF",
                 "on" if self.fed.tls.enabled else "off")
        return self

    def stop(self, grace: float = 5.0) -> None:
        self.store.close()  # wakes long-polling gets so the grace period is not spent waiting on them
        self._grpc.stop(grace).wait(grace + 1)
        self.replay.close()

    def close_storage(self) -> None:
        self.store.close()
        self.replay.close()


@dataclass
class FederationHandle:
    settings: FederationSettings
    server: FederationServer
    client: FederationClient

    def stop(self, grace: float = 5.0) -> None:
        self.client.close()
        self.server.stop(grace)


def start_federation(fed: FederationSettings, registry: CommandRegistry) -> FederationHandle:
    """Load (or make) the site keys, start the gRPC server and build the client."""
    if not fed.site_auth:
        LOG.warning("site_auth is OFF: messages from other parties are NOT authenticated and anyone who can reach"
                    " %s:%s can act as any party. Use this for throwaway demos only.", fed.host, fed.grpc_port)
    keys = KeyRing.load(fed)
    server = FederationServer(fed, registry, keys).start()
    return FederationHandle(fed, server, FederationClient(fed, keys))
