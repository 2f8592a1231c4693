"""Service configuration: `conf/service_conf.yaml` (or $FATE_FLOW_CONF) read once into a frozen Settings.

Nothing is read at import time; `load_settings()` is called by the entry points and the result is passed down.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from fate_flow.entity.http_signature import LOOPBACK, MAX_HEADER_CHARS, parse_networks

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONF_PATH = PROJECT_ROOT / "conf" / "service_conf.yaml"
DEFAULT_HOME = PROJECT_ROOT / "fate_flow_home"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SettingsError(ValueError):
    """The service conf is missing, unreadable or has a bad value; the message names the key."""


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
    behalf. The server's own state is out of reach even inside them (services/file_access.py)."""

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
    # modules imported by the server and by every worker before a task runs: plugins that add components
    # to fate_flow.components.registry.MODULES
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
    # the whole parsed conf, read-only, for sections owned by later parts (federation, spark, serving...)
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


def load_settings(conf_path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the service conf once. `env` defaults to os.environ (FATE_FLOW_CONF, FATE_FLOW_HOME, ${VAR} refs)."""
    env = dict(os.environ if env is None else env)
    path = Path(conf_path or env.get("FATE_FLOW_CONF") or DEFAULT_CONF_PATH).expanduser().resolve()
    home = Path(env.get("FATE_FLOW_HOME") or DEFAULT_HOME).expanduser().resolve()
    env["FATE_FLOW_HOME"] = str(home)
    env.setdefault("FATE_FLOW_PROJECT", str(PROJECT_ROOT))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SettingsError(f"cannot read service conf {path}: {e.strerror or e}") from e
    try:
        raw = _expand_env(yaml.safe_load(text) or {}, env)
    except yaml.YAMLError as e:
        raise SettingsError(f"service conf {path} is not valid YAML: {e}") from e
    if not isinstance(raw, dict):
        raise SettingsError(f"service conf {path} must be a mapping at the top level")
    return settings_from_dict(raw, conf_path=path, home=home)


def settings_from_dict(raw: Mapping[str, Any], conf_path: Path, home: Path) -> Settings:
    flow = _section(raw, "fateflow")
    db = _section(raw, "database")
    storage = _section(raw, "storage")
    access = _section(raw, "file_access")
    http = _section(raw, "http")
    log = _section(raw, "log")
    board = _section(raw, "fateboard")
    job = _section(raw, "job_default")
    sched = _section(raw, "scheduler")
    res = _section(raw, "resources")
    worker = _section(raw, "worker")
    permission = _section(raw, "permission")
    limits = _section(raw, "limits")

    return Settings(
        conf_path=conf_path,
        home=home,
        fateflow=FlowSettings(
            host=str(flow.get("host", "127.0.0.1")),
            http_port=conf_int(flow, "fateflow.http_port", 9380),
            grpc_port=conf_int(flow, "fateflow.grpc_port", 9360),
            party_ids=_party_ids(flow.get("party_ids")),
        ),
        database=DatabaseSettings(
            url=str(db.get("url") or f"sqlite:///{home / 'fate_flow.db'}"),
            max_connections=conf_int(db, "database.max_connections", 32),
            stale_timeout=conf_int(db, "database.stale_timeout", 300),
            busy_timeout_ms=conf_int(db, "database.busy_timeout_ms", 30000),
        ),
        storage=StorageSettings(
            engine=str(storage.get("engine", "STANDALONE")).upper(),
            root=_path(storage.get("root"), home / "data"),
            default_partitions=conf_int(storage, "storage.default_partitions", 4),
            sample_rows=conf_int(storage, "storage.sample_rows", 100),
            batch_bytes=conf_int(storage, "storage.batch_bytes", 8 << 20),
            min_free_bytes=conf_int(storage, "storage.min_free_bytes", 64 << 20, minimum=0),
        ),
        file_access=_file_access(access, home),
        http=HttpSettings(
            threads=conf_int(http, "http.threads", 16),
            max_json_bytes=conf_int(http, "http.max_json_bytes", 64 << 20),
            max_upload_bytes=conf_int(http, "http.max_upload_bytes", 64 << 30),
            graceful_timeout=conf_int(http, "http.graceful_timeout", 10),
            header_timeout=conf_float(http, "http.header_timeout", 5.0),
            body_idle_timeout=conf_float(http, "http.body_idle_timeout", 30.0),
            buffer_body_bytes=conf_int(http, "http.buffer_body_bytes", 256 << 10, minimum=0),
            stream_threads=conf_int(http, "http.stream_threads", 0, minimum=0),
            keepalive=conf_int(http, "http.keepalive", 2, minimum=1),
            max_connections=conf_int(http, "http.max_connections", 1000, minimum=1),
        ),
        log=LogSettings(level=str(log.get("level", "INFO")).upper(), dir=_path(log.get("dir"), home / "logs")),
        fateboard=FateBoardSettings(host=str(board.get("host", "127.0.0.1")),
                                    port=conf_int(board, "fateboard.port", 8080)) if board else None,
        job_default=JobDefaultSettings(
            task_cores=conf_int(job, "job_default.task_cores", 4),
            task_parallelism=conf_int(job, "job_default.task_parallelism", 1),
            timeout=conf_int(job, "job_default.timeout", 259200),
            auto_retries=conf_int(job, "job_default.auto_retries", 3),
            auto_retry_delay=conf_int(job, "job_default.auto_retry_delay", 1),
        ),
        scheduler=SchedulerSettings(
            interval=conf_float(sched, "scheduler.interval", 1.0),
            resource_timeout=conf_float(sched, "scheduler.resource_timeout", 10.0),
            detect_interval=conf_float(sched, "scheduler.detect_interval", 2.0),
            reconcile_interval=conf_float(sched, "scheduler.reconcile_interval", 30.0),
            enabled=_bool(sched, "scheduler.enabled", True),
        ),
        resources=ResourceSettings(
            cores_per_party=conf_int(res, "resources.cores_per_party", 20),
            party_cores=MappingProxyType(_party_cores(res.get("party_cores"))),
        ),
        worker=WorkerSettings(
            start_method=_choice(worker, "worker.start_method", "fork_server", ("fork_server", "spawn")),
            report_retry_seconds=conf_float(worker, "worker.report_retry_seconds", 120.0),
            kill_grace=conf_float(worker, "worker.kill_grace", 3.0),
            component_plugins=tuple(str(m) for m in (worker.get("component_plugins") or ())),
        ),
        http_auth=_http_auth(flow, _section(raw, "http_auth")),
        permission=PermissionSettings(enabled=_bool(permission, "permission.enabled", True)),
        limits=_limits(limits),
        raw=MappingProxyType(dict(raw)),
    )


# the widest database column an identifier limited by limits.id_length is stored in
ID_COLUMN_WIDTH = 100


def _limits(section: Mapping[str, Any]) -> LimitSettings:
    d = LimitSettings()
    limits = LimitSettings(
        json_depth=conf_int(section, "limits.json_depth", d.json_depth, minimum=8),
        id_length=conf_int(section, "limits.id_length", d.id_length, minimum=8),
        text_length=conf_int(section, "limits.text_length", d.text_length, minimum=1),
        path_length=conf_int(section, "limits.path_length", d.path_length, minimum=16),
        list_limit=conf_int(section, "limits.list_limit", d.list_limit, minimum=1),
        default_list_limit=conf_int(section, "limits.default_list_limit", d.default_list_limit, minimum=1),
        delimiter_length=conf_int(section, "limits.delimiter_length", d.delimiter_length, minimum=1),
    )
    if limits.id_length > ID_COLUMN_WIDTH:
        raise SettingsError(f"service conf key limits.id_length must be at most {ID_COLUMN_WIDTH} (the width of the "
                            f"database columns that hold ids and names), got {limits.id_length}")
    if limits.default_list_limit > limits.list_limit:
        raise SettingsError(f"service conf key limits.default_list_limit ({limits.default_list_limit}) must not "
                            f"exceed limits.list_limit ({limits.list_limit})")
    return limits


def _file_access(section: Mapping[str, Any], home: Path) -> FileAccessSettings:
    """read_dirs default to FATE_FLOW_HOME/data_in and the checkout's examples/, write_dirs to
    FATE_FLOW_HOME/data_out and the system temp directory; the older `allowed_dirs` stands in for either."""
    defaults = {"read_dirs": [home / "data_in", PROJECT_ROOT / "examples"],
                "write_dirs": [home / "data_out", tempfile.gettempdir()]}
    dirs: dict[str, tuple[Path, ...]] = {}
    legacy_used = False
    for key, default in defaults.items():
        value, named = section.get(key), key
        if value is None and section.get("allowed_dirs") is not None:
            value, named, legacy_used = section["allowed_dirs"], "allowed_dirs", True
        if value is None:
            value = default
        if not isinstance(value, list) or not all(isinstance(d, (str, Path)) and str(d) for d in value):
            raise SettingsError(f"service conf key file_access.{named} must be a list of directories")
        dirs[key] = tuple(_path(d, home) for d in value)
    return FileAccessSettings(read_dirs=dirs["read_dirs"], write_dirs=dirs["write_dirs"], legacy_key=legacy_used)


def _expand_env(value: Any, env: Mapping[str, str]) -> Any:
    """Replace ${VAR} in every string value of the parsed conf."""
    if isinstance(value, str):
        def repl(m: re.Match) -> str:
            if m.group(1) not in env:
                raise SettingsError(f"service conf refers to ${{{m.group(1)}}}, which is not set")
            return env[m.group(1)]

        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {k: _expand_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, env) for v in value]
    return value


def _section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, Mapping):
        raise SettingsError(f"service conf section '{name}' must be a mapping")
    return value


def conf_int(section: Mapping[str, Any], key: str, default: int, minimum: int | None = None) -> int:
    """Read `section[last part of key]` as an int; `key` is the dotted name used in the error message."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"service conf key {key} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"service conf key {key} must be at least {minimum}, got {number}")
    return number


def conf_float(section: Mapping[str, Any], key: str, default: float) -> float:
    """Like conf_int, for a positive number."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"service conf key {key} must be a number, got {value!r}") from None
    if number <= 0:
        raise SettingsError(f"service conf key {key} must be positive, got {value!r}")
    return number


def _bool(section: Mapping[str, Any], key: str, default: bool) -> bool:
    value = section.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, bool):
        raise SettingsError(f"service conf key {key} must be true or false, got {value!r}")
    return value


def _choice(section: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = str(section.get(key.rsplit(".", 1)[-1], default))
    if value not in choices:
        raise SettingsError(f"service conf key {key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _party_cores(value: Any) -> dict[str, int]:
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise SettingsError("service conf key resources.party_cores must map party ids to core counts")
    try:
        return {str(int(k)): int(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise SettingsError(f"service conf key resources.party_cores must map party ids to integers, got {dict(value)!r}") from None


def _party_ids(value: Any) -> tuple[int, ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list):
        value = [value]
    try:
        return tuple(int(p) for p in value)
    except (TypeError, ValueError):
        raise SettingsError(f"service conf key fateflow.party_ids must be a list of integers, got {value!r}") from None


_APP_KEY = re.compile(r"[!-~]{1,%d}" % MAX_HEADER_CHARS)  # printable ASCII without spaces: one header line


def _http_auth(flow: Mapping[str, Any], section: Mapping[str, Any]) -> HttpAuthSettings:
    clients = section.get("clients") or {}
    if not isinstance(clients, Mapping):
        raise SettingsError("service conf key http_auth.clients must map app keys to secrets")
    clients = {str(k): v for k, v in clients.items()}
    own_key, own_secret = flow.get("http_app_key") or "", flow.get("http_secret_key") or ""
    if bool(own_key) != bool(own_secret):
        missing = "fateflow.http_secret_key" if own_key else "fateflow.http_app_key"
        raise SettingsError(f"service conf key {missing} is required when the other of fateflow.http_app_key "
                            f"and fateflow.http_secret_key is set")
    if own_key:
        if str(own_key) in clients and clients[str(own_key)] != own_secret:
            raise SettingsError(f"app key {own_key!r} has two different secrets (fateflow.http_secret_key and "
                                f"http_auth.clients)")
        clients[str(own_key)] = own_secret
    for key, secret in clients.items():
        if not _APP_KEY.fullmatch(key):
            raise SettingsError(f"service conf key http_auth.clients: app key {key[:40]!r} must be 1 to "
                                f"{MAX_HEADER_CHARS} printable ASCII characters without spaces")
        if not isinstance(secret, str) or not secret:
            raise SettingsError(f"service conf: the secret of app key {key!r} must be a non-empty string "
                                f"(quote it in YAML)")
    unsigned = section.get("unsigned_from", list(LOOPBACK))
    if isinstance(unsigned, str):
        unsigned = [unsigned]
    if not isinstance(unsigned, list):
        raise SettingsError("service conf key http_auth.unsigned_from must be a list of addresses or CIDRs")
    try:
        networks = parse_networks(unsigned)
    except ValueError as e:
        raise SettingsError(f"service conf key http_auth.unsigned_from: {e}") from None
    return HttpAuthSettings(clients=MappingProxyType(clients), unsigned_from=networks, own_app_key=str(own_key),
                            own_secret_key=str(own_secret))


def _path(value: Any, default: Path) -> Path:
    if value in (None, ""):
        return Path(default).resolve()
    p = Path(str(value)).expanduser()
    return (p if p.is_absolute() else PROJECT_ROOT / p).resolve()


# ---- model store (model_store_address: section; contract §8.6) ---------------------------------------
MODEL_STORE_BACKENDS = ("mysql", "filesystem")


@dataclass(frozen=True)
class ModelStoreSettings:
    """Where /v1/model/store puts model archives and /v1/model/restore takes them from.

    storage "mysql": host/port/user/password/name (the database holding t_machine_learning_model);
    storage "filesystem": path (a directory, one <party model id>/<version>.zip per stored model).
    """

    storage: str
    host: str = ""
    port: int = 3306
    user: str = ""
    password: str = field(default="", repr=False)
    name: str = ""
    path: Path = Path()
    connect_timeout: int = 5

    def describe(self) -> str:
        """The store as messages name it: never the user or the password."""
        if self.storage == "mysql":
            return f"mysql {self.host}:{self.port}/{self.name}"
        return f"filesystem {self.path}"


def model_store_settings(settings: Settings) -> ModelStoreSettings | None:
    """The `model_store_address` section, checked; None when the conf has none."""
    section = settings.raw.get("model_store_address")
    if section in (None, ""):
        return None
    if not isinstance(section, Mapping):
        raise SettingsError("service conf section 'model_store_address' must be a mapping")
    storage = str(section.get("storage", "")).strip().lower()
    if storage not in MODEL_STORE_BACKENDS:
        raise SettingsError(f"service conf key model_store_address.storage must be one of "
                            f"{', '.join(MODEL_STORE_BACKENDS)}, got {section.get('storage')!r}")
    if storage == "filesystem":
        if section.get("path") in (None, ""):
            raise SettingsError("service conf key model_store_address.path is required when storage is filesystem")
        return ModelStoreSettings(storage=storage, path=_path(section.get("path"), settings.home / "model_store"))
    missing = [key for key in ("host", "name") if section.get(key) in (None, "")]
    if missing:
        raise SettingsError("service conf keys " + ", ".join(f"model_store_address.{k}" for k in missing)
                            + " are required when storage is mysql")
    return ModelStoreSettings(
        storage=storage, host=str(section["host"]), port=conf_int(section, "model_store_address.port", 3306),
        user=str(section.get("user") or ""), password=str(section.get("password") or ""), name=str(section["name"]),
        connect_timeout=conf_int(section, "model_store_address.connect_timeout", 5))


# ---- Spark (fate_on_spark: section; issue #8) ---------------------------------------------------------
@dataclass(frozen=True)
class SparkSettings:
    """How tasks of jobs whose `computing_engine` is SPARK run.

    master: the Spark master when a job's `spark_run` names none (`local[N]`, `spark://host:7077`, `yarn`,
    `k8s://...`); home: SPARK_HOME of a Spark distribution (empty: the pip-installed pyspark); java_home:
    JAVA_HOME for the driver (empty: the environment's, else `java` on PATH); conf: `spark.*` settings for
    every Spark task (a job's `spark_run` overrides them); storage_root: where Spark tables are kept as
    Parquet, a local directory or a URI Spark can write (`hdfs://namenode:8020/fate`, `s3a://bucket/fate`).
    """

    master: str = "local[2]"
    home: str = ""
    java_home: str = ""
    conf: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    storage_root: str = ""


def spark_settings(settings: Settings) -> SparkSettings:
    """The `fate_on_spark` section, checked; defaults when the conf has none."""
    section = _section(settings.raw, "fate_on_spark")
    spark = section.get("spark") or {}
    if not isinstance(spark, Mapping):
        raise SettingsError("service conf key fate_on_spark.spark must be a mapping")
    conf = spark.get("conf") or {}
    if not isinstance(conf, Mapping):
        raise SettingsError("service conf key fate_on_spark.spark.conf must map spark.* keys to values")
    bad = [k for k in conf if not str(k).startswith("spark.")]
    if bad:
        raise SettingsError(f"service conf key fate_on_spark.spark.conf may hold spark.* keys only, got {bad[0]!r}")
    root = str(section.get("storage_root") or "").strip()
    if not root:
        root = str(settings.home / "data" / "spark")
    elif "://" not in root:
        root = str(_path(root, settings.home / "data" / "spark"))
    master = str(spark.get("master") or "local[2]").strip()
    return SparkSettings(master=master, home=str(spark.get("home") or ""),
                         java_home=str(section.get("java_home") or ""), conf=MappingProxyType({str(k): str(v) for k, v in conf.items()}), storage_root=root)
