"""Which server-side files a client may make the server read or write (service conf `file_access`).

Reads (upload with `use_local_data: 0`, table/add of a file, homo deploy's kubeconfig and the files it names)
must lie in `file_access.read_dirs`, writes (download's `output_path`) in `file_access.write_dirs`. Neither
ever touches the server's own state, even inside a configured directory: FATE_FLOW_HOME (but for configured
directories strictly inside it, such as the default data_in/ and data_out/), and wherever the conf puts the
database, tables, logs, keys, TLS keys, model stores and the conf files, and the code the server runs.

A read may follow symbolic links to a file that itself passes these checks; the file is then opened by
walking its real path without following any link, so nothing can be swapped in after the check. A write
follows no symbolic link at any level below its configured directory, never writes through a hard link
and replaces the target by renaming a new file over it (nofollow_files.py).
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator, Mapping, Sequence

from fate_flow.entity.errors import ParameterError, PathNotAllowedError
from fate_flow.services.files import nofollow_files
from fate_flow.services.files.nofollow_files import UnsafePathError
from fate_flow.settings import PROJECT_ROOT, Settings, SettingsError, model_store_settings, spark_settings

READ, WRITE = "read", "write"
PATH_MAX = 4096
TEXT_FILE_MAX = 1 << 20


@dataclass(frozen=True)
class _Root:
    """A configured directory: as the conf spells it (absolute) and its real path (where walks start)."""

    spelled: str
    real: str


@dataclass(frozen=True)
class ReadableFile:
    """A checked file held open: `path` is its real path (for records and messages), `open_path` names the
    open descriptor (/proc/self/fd/N), so whatever reopens it reads the very file that was checked."""

    path: Path
    fd: int

    @property
    def open_path(self) -> Path:
        return Path(f"/proc/self/fd/{self.fd}") if os.path.isdir("/proc/self/fd") else Path(f"/dev/fd/{self.fd}")

    def read_text(self, limit: int, encoding: str = "utf-8") -> str:
        """The whole file as text; ValueError when it is larger than `limit` bytes."""
        if os.fstat(self.fd).st_size > limit:
            raise ValueError(f"larger than {limit} bytes")
        with open(os.dup(self.fd), "rb", closefd=True) as f:
            f.seek(0)
            return f.read(limit + 1).decode(encoding)


@dataclass(frozen=True)
class WriteTarget:
    """A checked place to write: `path` as it will be written (no link below its root)."""

    path: Path
    root: str
    parts: tuple[str, ...]
    field: str
    value: str
    access: "FileAccess"

    @contextlib.contextmanager
    def replacing(self, encoding: str | None = None, newline: str | None = None) -> Iterator[IO]:
        """A new file renamed over the target when the block ends without an error; the walk is done again
        without following links, so a link planted since the check is refused here."""
        try:
            with nofollow_files.replacing(self.root, self.parts, encoding=encoding, newline=newline) as f:
                yield f
        except UnsafePathError as e:
            raise self.access.refusal(self.field, self.value, e.reason) from None


class FileAccess:
    """The read and write directories and the server's state, resolved from the settings (cheap: no file is
    read), so every request sees the directories as they are on disk now."""

    def __init__(self, read_dirs: Sequence[Path], write_dirs: Sequence[Path], state: Sequence[Path],
                 home: Path, base: Path = PROJECT_ROOT):
        self.base = base
        self.read_roots = [_root(d) for d in read_dirs]
        self.write_roots = [_root(d) for d in write_dirs]
        self.state = sorted({os.path.realpath(p) for p in state})
        self.home = os.path.realpath(home)
        # configured directories strictly inside FATE_FLOW_HOME are the only parts of it a client may name
        self.home_openings = [r.real for r in self.read_roots + self.write_roots
                              if r.real != self.home and _within(r.real, self.home)]

    @classmethod
    def from_settings(cls, settings: Settings) -> "FileAccess":
        fa = settings.file_access
        return cls(fa.read_dirs, fa.write_dirs, server_state_paths(settings), settings.home)

    # ---------------------------------------------------------------------------------------- checks
    def is_server_state(self, real: str) -> bool:
        if any(_within(real, p) for p in self.state):
            return True
        return _within(real, self.home) and not any(_within(real, d) for d in self.home_openings)

    def refusal(self, field: str, value: str, reason: str) -> PathNotAllowedError:
        return PathNotAllowedError(f"parameter {field}: {value} {reason}")

    def _outside(self, field: str, value: str, kind: str) -> PathNotAllowedError:
        roots = self.read_roots if kind == READ else self.write_roots
        return self.refusal(field, value, f"is outside the directories this server may {kind} "
                                          f"({', '.join(r.real for r in roots) or 'none'}); see "
                                          f"file_access.{kind}_dirs in the service conf")

    def _state(self, field: str, value: str, kind: str) -> PathNotAllowedError:
        return self.refusal(field, value, f"is part of the server's own state (keys, database, logs, jobs, models, "
                                          f"tables, temporary files, configuration or code), which the server "
                                          f"never {kind}s for a client")

    def _absolute(self, value: str, field: str) -> str:
        if not isinstance(value, str) or not value:
            raise ParameterError(f"parameter {field} must be a file path")
        if len(value) > PATH_MAX:
            raise ParameterError(f"parameter {field} is longer than {PATH_MAX} characters")
        if "\x00" in value:
            raise ParameterError(f"parameter {field} contains a NUL character")
        path = os.path.expanduser(value)
        return path if os.path.isabs(path) else os.path.join(self.base, path)

    # ----------------------------------------------------------------------------------------- reads
    @contextlib.contextmanager
    def reading(self, value: str, field: str) -> Iterator[ReadableFile]:
        """The file `value` names, checked and held open for the block."""
        real = os.path.realpath(self._absolute(value, field))
        root = next((r for r in self.read_roots if _within(real, r.real)), None)
        if root is None:
            raise self._outside(field, value, READ)
        if self.is_server_state(real):
            raise self._state(field, value, "read")
        if real == root.real:
            raise self.refusal(field, value, "is a directory; give a file path")
        try:
            fd = nofollow_files.open_for_reading(root.real, _parts(real, root.real))
        except UnsafePathError as e:
            if e.missing:
                raise ParameterError(f"parameter {field}: file {value} does not exist") from None
            raise self.refusal(field, value, e.reason) from None
        except OSError as e:
            raise ParameterError(f"parameter {field}: {value} cannot be opened ({e.strerror})") from None
        try:
            yield ReadableFile(Path(real), fd)
        finally:
            os.close(fd)

    def read_text(self, value: str, field: str, limit: int = TEXT_FILE_MAX) -> tuple[Path, str]:
        """(real path, text) of a small text file `value` names (a kubeconfig, a token)."""
        with self.reading(value, field) as f:
            try:
                return f.path, f.read_text(limit)
            except UnicodeDecodeError:
                raise ParameterError(f"parameter {field}: {value} is not UTF-8 text") from None
            except ValueError as e:
                raise ParameterError(f"parameter {field}: {value} is {e}") from None

    # ---------------------------------------------------------------------------------------- writes
    def writable(self, value: str, field: str) -> WriteTarget:
        """Where `value` may be written; refused now for anything `WriteTarget.replacing` would refuse."""
        path = os.path.normpath(self._absolute(value, field))
        best: tuple[_Root, str] | None = None
        for root in self.write_roots:
            for spelling in (root.spelled, root.real):
                if path != spelling and _within(path, spelling) and (best is None or len(spelling) > len(best[1])):
                    best = (root, spelling)
        if best is None:
            if any(path in (r.spelled, r.real) for r in self.write_roots):
                raise self.refusal(field, value, "is a directory; give a file path")
            raise self._outside(field, value, WRITE)
        root, spelling = best
        parts = _parts(path, spelling)
        real = os.path.join(root.real, *parts)
        if self.is_server_state(real):
            raise self._state(field, value, "write")
        try:
            os.makedirs(root.real, exist_ok=True)
            nofollow_files.check_writable(root.real, parts)
        except UnsafePathError as e:
            raise self.refusal(field, value, e.reason) from None
        except OSError as e:
            raise ParameterError(f"parameter {field}: {value} cannot be written ({e.strerror})") from None
        return WriteTarget(Path(real), root.real, tuple(parts), field, value, self)


def server_state_paths(settings: Settings) -> list[Path]:
    """Everything the server keeps for itself wherever the conf puts it (FATE_FLOW_HOME as a whole is
    guarded by FileAccess.is_server_state)."""
    home = settings.home
    paths = [home / name for name in ("keys", "federation", "serving", "model_local_cache", "loaded_model_backup")]
    paths += [settings.storage.root, settings.logs_dir, settings.jobs_dir, settings.temp_dir, settings.pid_file,
              settings.conf_path, PROJECT_ROOT / "conf", PROJECT_ROOT / "fate_flow", PROJECT_ROOT / "bin"]
    url = settings.database.url
    if url.startswith("sqlite:///"):
        db = Path(url.split("sqlite:///", 1)[1])
        paths += [db.with_name(db.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    raw = settings.raw
    if raw.get("route_table_path"):
        route_table = Path(str(raw["route_table_path"])).expanduser()
        paths.append(route_table if route_table.is_absolute() else PROJECT_ROOT / route_table)
    federation = raw.get("federation")
    tls = federation.get("tls") if isinstance(federation, Mapping) else None
    if isinstance(tls, Mapping):
        for name in ("cert", "key", "ca"):
            if tls.get(name):
                p = Path(str(tls[name])).expanduser()
                paths.append(p if p.is_absolute() else settings.conf_path.parent / p)
    with contextlib.suppress(SettingsError):  # a bad section fails where it is used, not here
        spark_root = spark_settings(settings).storage_root
        if "://" not in spark_root:
            paths.append(Path(spark_root))
    with contextlib.suppress(SettingsError):
        store = model_store_settings(settings)
        if store is not None and store.storage == "filesystem":
            paths.append(store.path)
    if sys.prefix != sys.base_prefix:  # the virtual environment the server runs from
        paths.append(Path(sys.prefix))
    return paths


def _root(directory: Path) -> _Root:
    spelled = os.path.normpath(os.path.abspath(os.path.expanduser(str(directory))))
    return _Root(spelled, os.path.realpath(spelled))


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _parts(path: str, root: str) -> list[str]:
    rel = os.path.relpath(path, root)
    return [] if rel == "." else rel.split(os.sep)
