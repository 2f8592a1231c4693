"""FederationSettings: the route table, site authentication, TLS and transport limits, read once from the
service conf (`settings.raw`) and frozen. Built by the wiring code and passed down; no I/O at import."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from fate_flow.federation.errors import UnknownPartyError

LOG = logging.getLogger("fate_flow.federation")

DEFAULT_ROUTE_TABLE = Path("conf") / "route_table.yaml"
MiB = 1 << 20


class FederationConfigError(ValueError):
    """A federation key of the service conf or the route table is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Route:
    party_id: str
    host: str
    grpc_port: int
    # PEM file of the party's public key (or the PEM text itself); None for parties hosted by this server
    public_key: str | None = None
    # TLS: the name in the partner's certificate when it differs from `host`
    server_name: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.grpc_port}"


@dataclass(frozen=True)
class TlsSettings:
    enabled: bool = False
    cert: Path | None = None          # this server's certificate chain (PEM)
    key: Path | None = None           # its private key (PEM)
    ca: Path | None = None            # CA bundle that signed the partners' certificates
    client_auth: bool = False         # require partners to present a certificate signed by `ca`


@dataclass(frozen=True)
class FederationSettings:
    home: Path                        # FATE_FLOW_HOME: keys/ and federation/ live below it
    local_parties: tuple[str, ...]    # party ids hosted by this server
    host: str                         # where this server's gRPC listens
    grpc_port: int
    routes: Mapping[str, Route] = field(default_factory=lambda: MappingProxyType({}))
    route_source: str = "route table"  # named in "unknown party" errors
    site_auth: bool = True
    tls: TlsSettings = TlsSettings()
    command_timeout: float = 30.0     # seconds for one command, retries included
    connect_timeout: float = 5.0      # seconds one attempt waits for the partner's server to accept
    retries: int = 3                  # attempts after the first for transient failures
    retry_backoff: float = 0.2        # seconds before the first retry, doubled each time
    get_timeout: float = 600.0        # default seconds a get waits for a value
    chunk_bytes: int = MiB            # data plane chunk size
    max_command_bytes: int = 64 * MiB
    max_value_bytes: int = 64 * 1024 * MiB
    inline_value_bytes: int = 256 << 10  # the first bytes of a value the receiver keeps in LMDB, not a file (store.py)
    max_clock_skew: float = 300.0     # seconds a signed timestamp may differ from this server's clock
    server_threads: int = 64
    fsync: bool = False               # fsync each stored value before acknowledging it
    # what one peer may hold of the gRPC server (admission.py)
    first_message_timeout: float = 10.0  # seconds a call may take to send its first message
    stream_idle_timeout: float = 60.0    # seconds a value stream may send nothing
    max_pending: int = 16                # calls waiting for their first message at once
    max_pending_per_peer: int = 8        # ... from one address
    max_connections_per_peer: int = 128  # connections with calls in flight from one address
    max_streams_per_connection: int = 100  # HTTP/2 streams on one connection at once
    max_streams_per_party: int = 32      # value streams (Push, Pull) of one party at once
    max_data_streams: int = 40           # value streams at once, all parties (keep below server_threads - max_pending)
    handshake_timeout: float = 10.0      # seconds a new connection may take to finish its (TLS and) HTTP/2 handshake
    max_connection_idle: float = 600.0   # seconds a connection without calls stays open

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def store_dir(self) -> Path:
        return self.home / "federation"

    def route(self, party_id: str | int) -> Route:
        route = self.routes.get(str(party_id))
        if route is None:
            raise UnknownPartyError(f"no route to party {party_id}: it is not in the {self.route_source}"
                                    f" (known parties: {', '.join(sorted(self.routes)) or 'none'})")
        return route


def federation_settings(settings: Any, project_root: Path) -> FederationSettings:
    """Build from a fate_flow Settings. Keys (service conf, top level): `route_table` (inline mapping) or
    `route_table_path` (default <project_root>/conf/route_table.yaml), `site_auth`, and a `federation:`
    section with `tls` and the limits named in FederationSettings."""
    raw: Mapping[str, Any] = settings.raw
    flow = settings.fateflow
    conf_dir = Path(settings.conf_path).parent
    section = raw.get("federation") or {}
    if not isinstance(section, Mapping):
        raise FederationConfigError("service conf section 'federation' must be a mapping")

    local = tuple(str(p) for p in flow.party_ids)
    self_host = "127.0.0.1" if flow.host in ("0.0.0.0", "", "::") else flow.host
    routes = {p: Route(p, self_host, int(flow.grpc_port)) for p in local}
    table, source, base = _route_table(raw, conf_dir, project_root)
    for party_id, entry in table.items():
        route = route_from_entry(str(party_id), entry, base, source)
        if route.party_id in routes:  # a party this server hosts is served here, whatever a table says
            if (route.host, route.grpc_port) != (self_host, int(flow.grpc_port)):
                LOG.warning("the %s routes party %s to %s:%s, but this server hosts it (fateflow.party_ids): "
                            "using this server", source, route.party_id, route.host, route.grpc_port)
            continue
        routes[route.party_id] = route

    site_auth = _bool(raw.get("site_auth", True), "site_auth")
    defaults = FederationSettings(home=Path(settings.home), local_parties=local, host=flow.host,
                                  grpc_port=int(flow.grpc_port))
    return FederationSettings(
        home=Path(settings.home),
        local_parties=local,
        host=flow.host,
        grpc_port=int(flow.grpc_port),
        routes=MappingProxyType(routes),
        route_source=source,
        site_auth=site_auth,
        tls=_tls(section.get("tls"), conf_dir),
        command_timeout=_num(section, "command_timeout", defaults.command_timeout),
        connect_timeout=_num(section, "connect_timeout", defaults.connect_timeout),
        retries=int(_num(section, "retries", defaults.retries)),
        retry_backoff=_num(section, "retry_backoff", defaults.retry_backoff),
        get_timeout=_num(section, "get_timeout", defaults.get_timeout),
        chunk_bytes=int(_num(section, "chunk_bytes", defaults.chunk_bytes)),
        max_command_bytes=int(_num(section, "max_command_bytes", defaults.max_command_bytes)),
        max_value_bytes=int(_num(section, "max_value_bytes", defaults.max_value_bytes)),
        inline_value_bytes=int(_num(section, "inline_value_bytes", defaults.inline_value_bytes)),
        max_clock_skew=_num(section, "max_clock_skew", defaults.max_clock_skew),
        server_threads=int(_num(section, "server_threads", defaults.server_threads)),
        fsync=_bool(section.get("fsync", False), "federation.fsync"),
        first_message_timeout=_num(section, "first_message_timeout", defaults.first_message_timeout),
        stream_idle_timeout=_num(section, "stream_idle_timeout", defaults.stream_idle_timeout),
        max_pending=int(_num(section, "max_pending", defaults.max_pending)),
        max_pending_per_peer=int(_num(section, "max_pending_per_peer", defaults.max_pending_per_peer)),
        max_connections_per_peer=int(_num(section, "max_connections_per_peer", defaults.max_connections_per_peer)),
        max_streams_per_connection=int(_num(section, "max_streams_per_connection",
                                            defaults.max_streams_per_connection)),
        max_streams_per_party=int(_num(section, "max_streams_per_party", defaults.max_streams_per_party)),
        max_data_streams=int(_num(section, "max_data_streams", defaults.max_data_streams)),
        handshake_timeout=_num(section, "handshake_timeout", defaults.handshake_timeout),
        max_connection_idle=_num(section, "max_connection_idle", defaults.max_connection_idle),
    )


def _route_table(raw: Mapping[str, Any], conf_dir: Path, project_root: Path) -> tuple[Mapping, str, Path]:
    """(table, where it came from, directory relative key paths resolve against)."""
    inline = raw.get("route_table")
    if inline is not None:
        if not isinstance(inline, Mapping):
            raise FederationConfigError("service conf key route_table must be a mapping party_id -> {host, grpc_port}")
        return inline, "route_table of the service conf", conf_dir
    named = raw.get("route_table_path")
    path = Path(str(named)).expanduser() if named else project_root / DEFAULT_ROUTE_TABLE
    if not path.is_absolute():
        path = project_root / path
    if not path.exists():
        if named:
            raise FederationConfigError(f"route_table_path {path} does not exist")
        return {}, f"route table {path} (missing)", project_root
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise FederationConfigError(f"cannot read route table {path}: {e}") from e
    if isinstance(data, Mapping) and "route_table" in data:
        data = data["route_table"] or {}
    if not isinstance(data, Mapping):
        raise FederationConfigError(f"route table {path} must map party ids to {{host, grpc_port}}")
    return data, f"route table {path}", path.parent


def route_from_entry(party_id: str, entry: Any, base: Path, source: str) -> Route:
    """One route table entry ({host, grpc_port, [public_key], [server_name]}); a relative public_key path is
    relative to `base`. `source` names the table in errors."""
    where = f"{source}, party {party_id}"
    if not isinstance(entry, Mapping):
        raise FederationConfigError(f"{where}: entry must be a mapping with host and grpc_port")
    if "host" not in entry or ("grpc_port" not in entry and "port" not in entry):
        raise FederationConfigError(f"{where}: host and grpc_port are required")
    try:
        port = int(entry.get("grpc_port", entry.get("port")))
    except (TypeError, ValueError):
        raise FederationConfigError(f"{where}: grpc_port must be an integer, got "
                                    f"{entry.get('grpc_port', entry.get('port'))!r}") from None
    key = entry.get("public_key")
    if key and "-----BEGIN" not in str(key):
        key_path = Path(str(key)).expanduser()
        key = str(key_path if key_path.is_absolute() else (base / key_path).resolve())
    return Route(party_id, str(entry["host"]), port, str(key) if key else None, entry.get("server_name"))


def _tls(value: Any, conf_dir: Path) -> TlsSettings:
    if not value:
        return TlsSettings()
    if not isinstance(value, Mapping):
        raise FederationConfigError("federation.tls must be a mapping {enabled, cert, key, ca, client_auth}")

    def path(name: str) -> Path | None:
        v = value.get(name)
        if not v:
            return None
        p = Path(str(v)).expanduser()
        return p if p.is_absolute() else (conf_dir / p).resolve()

    tls = TlsSettings(enabled=_bool(value.get("enabled", True), "federation.tls.enabled"), cert=path("cert"),
                      key=path("key"), ca=path("ca"), client_auth=_bool(value.get("client_auth", False),
                                                                         "federation.tls.client_auth"))
    if tls.enabled and not (tls.cert and tls.key and tls.ca):
        raise FederationConfigError("federation.tls needs cert, key and ca when enabled")
    return tls


def _num(section: Mapping[str, Any], key: str, default: float) -> float:
    value = section.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FederationConfigError(f"service conf key federation.{key} must be a number, got {value!r}") from None
    if number < 0:
        raise FederationConfigError(f"service conf key federation.{key} must not be negative")
    return number


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return value.lower() in ("true", "yes")
    raise FederationConfigError(f"service conf key {key} must be true or false, got {value!r}")
