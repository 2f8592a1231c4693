"""One party's model version as a package: its reference (ids that become directory names), its zip (archive
root = the version directory's contents, as export, store and migrate write it) and the unpacking of such a
zip, which treats it as hostile wherever it came from (an upload, a model store, another party).

An unpacked zip must hold only regular files and directories under the archive root (no absolute path, no
`..`, no backslash, no symlink or device), at most MAX_ENTRIES entries and MAX_UNPACKED_BYTES once unpacked,
and a Pipeline record at its root. Every model operation leaves a row in t_model_operation_log."""
from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable

import yaml
from google.protobuf.message import DecodeError

from fate_flow.db.base import write_transaction
from fate_flow.db.models import ModelOperationLog
from fate_flow.dsl.model_id import gen_party_model_id
from fate_flow.entity import identifiers
from fate_flow.entity.errors import AlreadyExistsError, DataError
from fate_flow.model.pipeline import json_field
from fate_flow.model.pipelined_model import PIPELINE_FILE, PipelinedModel

MAX_ENTRIES = 10_000
MAX_UNPACKED_BYTES = 4 << 30
CHUNK = 1 << 16


@dataclass(frozen=True)
class PartyModelRef:
    """One party's model version: model_local_cache/<role>#<party_id>#<model_id>/<model_version>."""

    model_id: str
    model_version: str
    role: str
    party_id: str

    @property
    def party_model_id(self) -> str:
        return gen_party_model_id(self.model_id, self.role, self.party_id)

    def __post_init__(self) -> None:
        """Its ids become directory names: each must be the identifier it names (IdentifierError, 101)."""
        identifiers.MODEL_ID.check("model_id", self.model_id)
        identifiers.MODEL_VERSION.check("model_version", self.model_version)
        identifiers.ROLE.check("role", self.role)
        identifiers.check_party_id("party_id", self.party_id)

    def __str__(self) -> str:
        return f"{self.party_model_id} {self.model_version}"


def zip_model(root: Path) -> bytes:
    """The zip of a model version directory: archive root = the directory's contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def unpack_model_zip(source: BinaryIO, staging: Path, what: str, refused: str = "import refused") -> None:
    """Extract a model zip into `staging` (created here, must not exist); `refused` ends each error message."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            _check_members(members, what, refused)
            staging.mkdir(parents=True)
            written = 0
            for member in members:
                destination = staging.joinpath(*PurePosixPath(member.filename).parts)
                if member.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as data, open(destination, "xb") as sink:
                    while chunk := data.read(CHUNK):
                        written += len(chunk)
                        if written > MAX_UNPACKED_BYTES:
                            raise DataError(f"model archive of {what} unpacks to more than {MAX_UNPACKED_BYTES} "
                                            f"bytes; {refused}")
                        sink.write(chunk)
    except zipfile.BadZipFile as e:
        raise DataError(f"model archive of {what} is not a valid zip file: {e}; {refused}") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as e:
        raise DataError(f"model archive of {what} cannot be read: {e}; {refused}") from None
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as e:
        raise DataError(f"model archive of {what} holds conflicting entries at "
                        f"{os.path.relpath(str(e.filename), staging)}; {refused}") from None


def install_model_zip(source: BinaryIO, staging: Path, target: Path, what: str, operation: str,
                      check: Callable[[Path], None] = lambda staged: None) -> None:
    """All or nothing: unpack the zip into `staging`, `check` it there, then rename it to `target` (the model
    version directory). Every refusal ends "<operation> refused"; a refused zip leaves nothing behind."""
    try:
        unpack_model_zip(source, staging, what, refused=f"{operation} refused")
        check_archive_identifiers(PipelinedModel(staging), what, f"{operation} refused")
        check(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staging, target)
        except OSError:
            if target.exists():  # another import or restore of the same version won the race
                raise AlreadyExistsError(f"Model {what} local cache already existed (written by a concurrent "
                                         f"{operation}); {operation} refused") from None
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_archive_identifiers(model: PipelinedModel, what: str, refused: str) -> None:
    """The ids an unpacked archive carries become directory names and paths later (deploy, load, transfer):
    its Pipeline record's model id, version, initiator and roles, and define_meta.yaml's component, alias and
    buffer names must each be what they name. IdentifierError (101) naming the entry otherwise."""
    try:
        pipeline = model.read_pipeline()
        roles = json_field(pipeline, "roles")
    except (DecodeError, ValueError) as e:
        raise DataError(f"model archive of {what} has a corrupt Pipeline record: {e}; {refused}") from None
    try:
        meta = model.define_meta()
    except (ValueError, yaml.YAMLError) as e:
        raise DataError(f"model archive of {what} has a corrupt define_meta.yaml: {e}; {refused}") from None
    try:
        identifiers.MODEL_ID.check("Pipeline model_id", pipeline.model_id)
        identifiers.MODEL_VERSION.check("Pipeline model_version", pipeline.model_version)
        if pipeline.initiator_role:
            identifiers.ROLE.check("Pipeline initiator_role", pipeline.initiator_role)
        _check_mapping(roles, "Pipeline roles")
        for role, parties in roles.items():
            identifiers.ROLE.check("Pipeline roles", role)
            for party_id in parties if isinstance(parties, list) else [parties]:
                identifiers.check_party_id(f"Pipeline roles.{role}", party_id)
        _check_mapping(meta, "define_meta.yaml")
        for section in ("component_define", "model_proto"):
            _check_mapping(meta.get(section) or {}, f"define_meta.yaml {section}")
            for component in meta.get(section) or {}:
                identifiers.COMPONENT_NAME.check(f"define_meta.yaml {section} component", component)
        for component, aliases in (meta.get("model_proto") or {}).items():
            _check_mapping(aliases or {}, f"define_meta.yaml model_proto.{component}")
            for alias, buffers in (aliases or {}).items():
                identifiers.check_file_name(f"define_meta.yaml model_proto.{component} alias", alias)
                _check_mapping(buffers or {}, f"define_meta.yaml model_proto.{component}.{alias}")
                for buffer in buffers or {}:
                    identifiers.check_file_name(f"define_meta.yaml model_proto.{component}.{alias} buffer", buffer)
    except identifiers.IdentifierError as e:
        raise identifiers.IdentifierError(f"model archive of {what}: {e.message}; {refused}", field=e.field) from None


def _check_mapping(value: object, field: str) -> None:
    if not isinstance(value, dict):
        raise identifiers.IdentifierError(f"{field} must be a mapping, got {type(value).__name__}", field=field)


def _check_members(members: list[zipfile.ZipInfo], what: str, refused: str) -> None:
    if len(members) > MAX_ENTRIES:
        raise DataError(f"model archive of {what} holds {len(members)} entries, more than the limit of "
                        f"{MAX_ENTRIES}; {refused}")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNPACKED_BYTES:
        raise DataError(f"model archive of {what} unpacks to {declared} bytes, more than the limit of "
                        f"{MAX_UNPACKED_BYTES}; {refused}")
    for member in members:
        name = member.filename
        path = PurePosixPath(name)
        if (not name or "\\" in name or "\0" in name or path.is_absolute() or ".." in path.parts
                or (path.parts and path.parts[0].endswith(":"))):
            raise DataError(f"model archive of {what} holds a path outside the model directory: {name!r}; "
                            f"{refused}")
        file_type = stat.S_IFMT(member.external_attr >> 16)  # 0: the writer recorded permissions only
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            kind = "a symbolic link" if file_type == stat.S_IFLNK else "a special file"
            raise DataError(f"model archive of {what} holds {kind}: {name!r}; {refused}")
    if PIPELINE_FILE not in {m.filename for m in members}:
        raise DataError(f"model archive of {what} is not a model: it has no Pipeline record ({PIPELINE_FILE} at "
                        f"the archive root); {refused}")


def log_model_operation(operation: str, role: str, party_id: str, model_id: str, model_version: str,
                        request_ip: str, ok: bool) -> None:
    """A t_model_operation_log row for one model operation by `role` `party_id` (contract §5)."""
    with write_transaction():
        ModelOperationLog.insert(
            f_operation_type=operation, f_operation_status="success" if ok else "failed", f_initiator_role=role,
            f_initiator_party_id=party_id, f_request_ip=request_ip or None, f_model_id=model_id,
            f_model_version=model_version, **ModelOperationLog.audit_values()).execute()


def log_party_model_operation(operation: str, ref: PartyModelRef, request_ip: str, ok: bool) -> None:
    """The log row of an operation a party runs on its own model version (export, import, store, restore)."""
    log_model_operation(operation, ref.role, ref.party_id, ref.model_id, ref.model_version, request_ip, ok)
