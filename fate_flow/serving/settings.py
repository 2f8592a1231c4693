"""ServingSettings: the `serving:` section of the service conf, read once from `settings.raw` and frozen.

    serving:
      host: 127.0.0.1        # where the serving listens (gRPC and HTTP)
      grpc_port: 8000        # FATE-Serving's ModelService (FATE-Flow's load/bind) and serving-to-serving calls
      http_port: 8059        # POST /federation/v1/inference
      route_table:           # other parties' servings; parties of fateflow.party_ids are served here
        "10000": {host: 10.0.0.2, grpc_port: 8000, public_key: keys/10000.pub.pem}
      feature_tables:        # host feature adapter: per hosted party, the table features are looked up in by id;
        "10000": {namespace: experiment, name: breast_hetero_host}   # none: the table its model was trained on
      id_field: id           # the key of sendToRemoteFeatureData a host looks rows up by
      remote_timeout: 3      # seconds a guest waits for one host's partial score

A route's public_key defaults to the one the federation route table gives that party, since the servings sign
with the same party keys (FATE_FLOW_HOME/keys) as the flow servers.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from fate_flow.federation.config import FederationConfigError, Route, federation_settings, route_from_entry
from fate_flow.settings import PROJECT_ROOT, Settings, SettingsError, conf_float, conf_int

SECTION = "serving"
DEFAULT_GRPC_PORT = 8000   # FATE-Serving's serving-server port
DEFAULT_HTTP_PORT = 8059   # FATE-Serving's serving-proxy HTTP port


@dataclass(frozen=True)
class FeatureTable:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}.{self.name}"


@dataclass(frozen=True)
class ServingSettings:
    host: str = "127.0.0.1"
    grpc_port: int = DEFAULT_GRPC_PORT
    http_port: int = DEFAULT_HTTP_PORT
    routes: Mapping[str, Route] = field(default_factory=lambda: MappingProxyType({}))
    feature_tables: Mapping[str, FeatureTable] = field(default_factory=lambda: MappingProxyType({}))
    id_field: str = "id"
    remote_timeout: float = 3.0


def serving_home(settings: Settings) -> Path:
    """The serving's own state (replay-guard nonces) below FATE_FLOW_HOME, apart from the flow server's."""
    return settings.home / "serving"


def serving_pid_file(settings: Settings) -> Path:
    return settings.home / "fate_flow_serving.pid"


def serving_settings(settings: Settings) -> ServingSettings:
    """The `serving:` section, checked; an absent section gives the defaults (FATE-Serving's ports)."""
    section = settings.raw.get(SECTION) or {}
    if not isinstance(section, Mapping):
        raise SettingsError("service conf section 'serving' must be a mapping")
    defaults = ServingSettings()
    host = str(section.get("host", defaults.host))
    grpc_port = conf_int(section, "serving.grpc_port", defaults.grpc_port, minimum=0)
    http_port = conf_int(section, "serving.http_port", defaults.http_port, minimum=0)
    own_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    routes = {str(p): Route(str(p), own_host, grpc_port) for p in settings.fateflow.party_ids}
    federation_keys = _federation_public_keys(settings)
    conf_dir = Path(settings.conf_path).parent
    table = section.get("route_table") or {}
    if not isinstance(table, Mapping):
        raise SettingsError("service conf key serving.route_table must map party ids to {host, grpc_port}")
    for party_id, entry in table.items():
        party_id = str(party_id)
        if party_id in routes:
            continue  # a party this conf hosts is served by this serving, whatever the table says
        try:
            route = route_from_entry(party_id, entry, conf_dir, "service conf key serving.route_table")
        except FederationConfigError as e:
            raise SettingsError(str(e)) from None
        routes[party_id] = route if route.public_key else replace(route, public_key=federation_keys.get(party_id))
    tables = section.get("feature_tables") or {}
    if not isinstance(tables, Mapping):
        raise SettingsError("service conf key serving.feature_tables must map party ids to {namespace, name}")
    feature_tables = {str(p): _feature_table(str(p), entry) for p, entry in tables.items()}
    timeout = conf_float(section, "serving.remote_timeout", defaults.remote_timeout)
    return ServingSettings(host=host, grpc_port=grpc_port, http_port=http_port, routes=MappingProxyType(routes),
                           feature_tables=MappingProxyType(feature_tables),
                           id_field=str(section.get("id_field", defaults.id_field)), remote_timeout=timeout)


def _federation_public_keys(settings: Settings) -> dict[str, str]:
    """party id -> public_key of the federation route table (the same party keys sign serving calls)."""
    fed = federation_settings(settings, PROJECT_ROOT)
    return {p: r.public_key for p, r in fed.routes.items() if r.public_key}


def _feature_table(party_id: str, entry: Any) -> FeatureTable:
    if not isinstance(entry, Mapping) or not entry.get("namespace") or not (entry.get("name") or
                                                                            entry.get("table_name")):
        raise SettingsError(f"service conf key serving.feature_tables, party {party_id}: namespace and name are "
                            f"required, got {entry!r}")
    return FeatureTable(str(entry["namespace"]), str(entry.get("name") or entry.get("table_name")))
