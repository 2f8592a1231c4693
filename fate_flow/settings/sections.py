"""The sections of the service conf as frozen dataclasses, and Settings, which holds them all."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from fate_flow.entity.http_signature import LOOPBACK, parse_networks


@dataclass(frozen=True)
class FlowSettings:
    host: str = "127.0.0.1"
    http_port: int = 9380
    grpc_port: int = 9360
    party_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""
    max_connections: int = 32
    stale_timeout: int = 300
    busy_timeout_ms: int = 30000


@dataclass(frozen=True)
class StorageSettings:
    engine: str = "STANDALONE"
    root: Path = Path()
    default_partitions: int = 4
    # rows kept in the table meta for previews (contract: part_of_data, up to 100)
    sample_rows: int = 100
    # bytes of input handled per write batch during upload
    batch_bytes: int = 8 << 20
    # a disk of the server with less free space counts as full (/v1/version/get says so)
    min_free_bytes: int = 64 << 20


@dataclass(frozen=True)
class FileAccessSettings:
    """Directories whose files the server may read (upload, table/add...) or write (download) on a client's
    behalf. The server's own state is out of reach even inside them (services/files/file_access.py)."""

    read_dirs: tuple[Path, ...] = ()
    write_dirs: tuple[Path, ...] = ()
    # the conf used the older `allowed_dirs` key for one of the lists (the server logs a warning)
    legacy_key: bool = False


@dataclass(frozen=True)
class PermissionSettings:
    """Partner permissions (permission: section): false turns every check of what partners on other servers
    may do here off (closed test setups only; the server logs a warning)."""

    enabled: bool = True


@dataclass(frozen=True)
class HttpSettings:
    threads: int = 16
    max_json_bytes: int = 64 << 20
    max_upload_bytes: int = 64 << 30
    graceful_timeout: int = 10
    # slow and idle clients (fate_flow.http_worker): seconds a request head may take from its first byte;
    # seconds a body may stop flowing (also a stalled answer); bodies up to buffer_body_bytes are read before
    # a thread sees them, bigger ones are streamed by at most stream_threads threads at once (0: half of them)
    header_timeout: float = 5.0
    body_idle_timeout: float = 30.0
    buffer_body_bytes: int = 256 << 10
    stream_threads: int = 0
    keepalive: int = 2
    max_connections: int = 1000


@dataclass(frozen=True)
class LimitSettings:
    """Caps on what one request may ask for (limits: section); a request beyond one is refused with retcode 101
    naming the field and the cap."""

    json_depth: int = 100           # nesting of a JSON body (DSLs and confs need about 8)
    id_length: int = 100            # model ids and versions, component names, namespaces, table and tag names
    text_length: int = 10_000       # notes and descriptions
    path_length: int = 4096         # server-side file paths (upload's file, download's output_path...)
    list_limit: int = 10_000        # the most rows a `limit` may ask for
    default_list_limit: int = 10    # `limit` when a list request has none (FATE's clients send 10)
    delimiter_length: int = 8       # field delimiters of upload, download and table/add


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
    dir: Path = Path()


@dataclass(frozen=True)
class FateBoardSettings:
    """An external FATE-Board that board URLs point at (fateboard: section); without one they point at the
    board this server serves itself."""

    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class JobDefaultSettings:
    task_cores: int = 4
    task_parallelism: int = 1
    timeout: int = 259200
    auto_retries: int = 3
    auto_retry_delay: int = 1


@dataclass(frozen=True)
class SchedulerSettings:
    """The initiator's DAG scheduler and the party-side detector (scheduler: section)."""

    interval: float = 1.0           # seconds between ticks when nothing wakes the loop
    resource_timeout: float = 10.0  # seconds a resource apply/return round may take on all parties
    detect_interval: float = 2.0    # seconds between checks for dead workers
    reconcile_interval: float = 30.0  # seconds between checks that ended jobs ended on every party
    # false: this server schedules nothing and watches no worker (a read-only server beside the active one)
    enabled: bool = True


@dataclass(frozen=True)
class ResourceSettings:
    """Cores each hosted party offers to jobs (resources: section); a job reserves
    task_cores x task_parallelism on every party it runs on."""

    cores_per_party: int = 20
    party_cores: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def cores_of(self, party_id: str | int) -> int:
        return int(self.party_cores.get(str(party_id), self.cores_per_party))


@dataclass(frozen=True)
class WorkerSettings:
    """How task workers are started (worker: section)."""

    # "fork_server": fork from a warm interpreter with the heavy modules imported; "spawn": python -m each time
    start_method: str = "fork_server"
    # seconds a worker keeps retrying a report while its server is down (e.g. restarting)
    report_retry_seconds: float = 120.0
    # seconds between SIGTERM and SIGKILL when a task is stopped
    kill_grace: float = 3.0
    # plugin modules that add components: each lists them in COMPONENTS, which the server's component registry
    # (and every worker's) adds to the built-in ones
    component_plugins: tuple[str, ...] = ()


@dataclass(frozen=True)
class HttpAuthSettings:
    """Who may call the HTTP API (http_auth: section, plus FATE's fateflow.http_app_key/http_secret_key).

    clients: app key -> secret of the clients that sign their requests (FATE-Flow 1.7's scheme);
    unsigned_from: peer addresses/networks that may call without a signature (default: loopback only);
    own_app_key/own_secret_key: the client this conf's own processes (the bundled serving) sign with.
    """

    clients: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    unsigned_from: tuple[Any, ...] = field(default_factory=lambda: parse_networks(LOOPBACK))
    own_app_key: str = ""
    own_secret_key: str = field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    conf_path: Path
    home: Path
    fateflow: FlowSettings
    database: DatabaseSettings
    storage: StorageSettings
    file_access: FileAccessSettings
    http: HttpSettings
    log: LogSettings
    fateboard: FateBoardSettings | None
    job_default: JobDefaultSettings
    scheduler: SchedulerSettings = SchedulerSettings()
    resources: ResourceSettings = ResourceSettings()
    worker: WorkerSettings = WorkerSettings()
    http_auth: HttpAuthSettings = HttpAuthSettings()
    permission: PermissionSettings = PermissionSettings()
    limits: LimitSettings = LimitSettings()
    # the whole parsed conf, read-only, for the sections other packages read themselves (federation,
    # serving, fate_on_spark, model_store_address)
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def jobs_dir(self) -> Path:
        return self.home / "jobs"

    @property
    def logs_dir(self) -> Path:
        return self.log.dir

    @property
    def model_cache_dir(self) -> Path:
        """model_local_cache/: one <role>#<party_id>#<model_id>/<model_version> directory per party model."""
        return self.home / "model_local_cache"

    @property
    def temp_dir(self) -> Path:
        return self.home / "temp"

    @property
    def upload_spool_dir(self) -> Path:
        """Where multipart upload bodies are written while a request is being handled."""
        return self.temp_dir / "uploads"

    @property
    def pid_file(self) -> Path:
        return self.home / "fate_flow.pid"
