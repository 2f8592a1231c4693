"""Service configuration: `conf/service_conf.yaml` (or $FATE_FLOW_CONF) read once into a frozen Settings.

Nothing is read at import time; `load_settings()` is called by the entry points and the result is passed down.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from fate_flow.entity.http_signature import LOOPBACK, MAX_HEADER_CHARS, parse_networks
from fate_flow.settings.conf_values import (PROJECT_ROOT, SettingsError, conf_bool, conf_choice, conf_float, conf_int,
                                            conf_section, path_value)
from fate_flow.settings.sections import (DatabaseSettings, FateBoardSettings, FileAccessSettings, FlowSettings,
                                         HttpAuthSettings, HttpSettings, JobDefaultSettings, LimitSettings,
                                         LogSettings, PermissionSettings, ResourceSettings, SchedulerSettings,
                                         Settings, StorageSettings, WorkerSettings)

DEFAULT_CONF_PATH = PROJECT_ROOT / "conf" / "service_conf.yaml"
DEFAULT_HOME = PROJECT_ROOT / "fate_flow_home"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
    flow = conf_section(raw, "fateflow")
    db = conf_section(raw, "database")
    storage = conf_section(raw, "storage")
    access = conf_section(raw, "file_access")
    http = conf_section(raw, "http")
    log = conf_section(raw, "log")
    board = conf_section(raw, "fateboard")
    job = conf_section(raw, "job_default")
    sched = conf_section(raw, "scheduler")
    res = conf_section(raw, "resources")
    worker = conf_section(raw, "worker")
    permission = conf_section(raw, "permission")
    limits = conf_section(raw, "limits")

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
            root=path_value(storage.get("root"), home / "data"),
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
        log=LogSettings(level=str(log.get("level", "INFO")).upper(), dir=path_value(log.get("dir"), home / "logs")),
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
            enabled=conf_bool(sched, "scheduler.enabled", True),
        ),
        resources=ResourceSettings(
            cores_per_party=conf_int(res, "resources.cores_per_party", 20),
            party_cores=MappingProxyType(_party_cores(res.get("party_cores"))),
        ),
        worker=WorkerSettings(
            start_method=conf_choice(worker, "worker.start_method", "fork_server", ("fork_server", "spawn")),
            report_retry_seconds=conf_float(worker, "worker.report_retry_seconds", 120.0),
            kill_grace=conf_float(worker, "worker.kill_grace", 3.0),
            component_plugins=tuple(str(m) for m in (worker.get("component_plugins") or ())),
        ),
        http_auth=_http_auth(flow, conf_section(raw, "http_auth")),
        permission=PermissionSettings(enabled=conf_bool(permission, "permission.enabled", True)),
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
        dirs[key] = tuple(path_value(d, home) for d in value)
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
