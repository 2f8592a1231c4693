"""In-process federation sites for tests: each with its own FATE_FLOW_HOME, free gRPC port, keys and a
route table naming every other site's parties and public keys, as a real deployment would configure."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from fate_flow.federation import (CommandRegistry, FederationClient, FederationHandle, FederationSettings, Route,
                                  start_federation)
from fate_flow.federation.keys import KeyRing
from fate_flow.federation.keys import load_or_create_private_key, public_key_path
from fate_flow.entity.clock import Clock
from fate_flow.services.partners.commands import ping
from tests.conftest import free_port


@dataclass
class Site:
    settings: FederationSettings
    registry: CommandRegistry
    handle: FederationHandle | None = None

    @property
    def client(self):
        return self.handle.client

    def start(self) -> "Site":
        self.handle = start_federation(self.settings, self.registry)
        return self

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.stop(grace=0.5)
            self.handle = None


def make_sites(base: Path, layout: dict[str, list[str]], **overrides) -> dict[str, Site]:
    """layout: site name -> party ids it hosts. Keys are made up front so every route names a public key."""
    ports = {name: free_port() for name in layout}
    homes = {name: base / name / "home" for name in layout}
    for name, parties in layout.items():
        for party in parties:
            load_or_create_private_key(homes[name] / "keys", party)
    sites = {}
    for name, parties in layout.items():
        routes = {}
        for other, other_parties in layout.items():
            for party in other_parties:
                key = None if other == name else str(public_key_path(homes[other] / "keys", party))
                routes[party] = Route(party, "127.0.0.1", ports[other], key)
        fed = FederationSettings(home=homes[name], local_parties=tuple(parties), host="127.0.0.1",
                                 grpc_port=ports[name], routes=routes, route_source=f"test routes of {name}")
        fed = replace(fed, command_timeout=10.0, get_timeout=10.0, retry_backoff=0.05, connect_timeout=1.0)
        fed = replace(fed, **overrides)
        registry = CommandRegistry()
        registry.register("ping", ping(Clock()))
        sites[name] = Site(fed, registry)
    return sites


def client_of(site: Site, routes: dict[str, Route] | None = None, **overrides):
    """Another client of `site` (same keys), with some routes replaced or settings changed."""
    fed = replace(site.settings, routes={**site.settings.routes, **(routes or {})}, **overrides)
    return FederationClient(fed, KeyRing.load(fed))
