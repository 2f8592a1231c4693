"""/v1/model/store and /v1/model/restore (contract §1.5.6, §8.6, §5.12): one party's model version, as its
export zip, kept in the model store named by `model_store_address` and brought back into model_local_cache.

Backends:
* mysql: table t_machine_learning_model in database `name`; the zip is cut into 8 MiB slices, each stored
  as the base64 text of its raw bytes (FATE pickled the slices first; we do not pickle: a row holds plain
  base64 any client can decode), one row per slice, f_slice_index 0..n-1, f_size = the slice's byte count.
* filesystem: <path>/<party model id>/<model version>.zip, written aside and renamed into place.

FATE runs store/restore as a one-component job; here they run within the request and answer when done.
Messages name the store by host, port and database (or directory), never by user or password.
"""
from __future__ import annotations

import base64
import io
import uuid
from pathlib import Path
from typing import Protocol

from peewee import (BigIntegerField, CharField, CompositeKey, IntegerField, Model, MySQLDatabase, PeeweeException,
                    TextField)

from fate_flow.db.base import LongTextField, now_ms
from fate_flow.entity.errors import AlreadyExistsError, DataError, FateFlowError, NotFoundError
from fate_flow.entity.home_paths import home_path, shown_home_path
from fate_flow.entity.atomic_files import write_atomically
from fate_flow.services.models.local import party_model
from fate_flow.services.models.package import PartyModelRef, install_model_zip, log_party_model_operation, zip_model
from fate_flow.settings import ModelStoreSettings, Settings, SettingsError, model_store_settings

SLICE_BYTES = 8 << 20
TABLE_NAME = "t_machine_learning_model"
SLICE_DESCRIPTION = "base64 of raw model zip bytes (not pickled)"


class ModelStore(Protocol):
    def describe(self) -> str: ...

    def put(self, ref: PartyModelRef, data: bytes, force_update: bool) -> int:
        """Keep `data` for `ref`; returns the number of pieces written."""

    def get(self, ref: PartyModelRef) -> bytes: ...


# ---------------------------------------------------------------------------------------------- backends
class FileSystemModelStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    def describe(self) -> str:
        return f"filesystem {self.path}"

    def _file(self, ref: PartyModelRef) -> Path:
        return home_path(self.path, ref.party_model_id, f"{ref.model_version}.zip")

    def put(self, ref: PartyModelRef, data: bytes, force_update: bool) -> int:
        file = self._file(ref)
        if file.exists() and not force_update:
            raise AlreadyExistsError(f"Model {ref} has already been stored in {self.describe()}; "
                                     f"set force_update to replace it")
        try:
            write_atomically(file, data, fsync=True)
        except OSError as e:
            raise FateFlowError(f"Store model {ref} to {self.describe()} failed: {e.strerror or e}") from None
        return 1

    def get(self, ref: PartyModelRef) -> bytes:
        file = self._file(ref)
        if not file.is_file():
            raise NotFoundError(f"Model {ref} is not stored in {self.describe()}")
        return file.read_bytes()


def _slice_model(database: MySQLDatabase) -> type[Model]:
    """t_machine_learning_model (contract §5.12), bound to the model store database."""

    class MachineLearningModelSlice(Model):
        f_model_id = CharField(max_length=100, index=True)
        f_model_version = CharField(max_length=100, index=True)
        f_size = BigIntegerField(default=0)
        f_create_time = BigIntegerField(default=0)
        f_update_time = BigIntegerField(default=0)
        f_description = TextField(null=True)
        f_content = LongTextField(null=True)
        f_slice_index = IntegerField(default=0, index=True)

        class Meta:
            table_name = TABLE_NAME
            primary_key = CompositeKey("f_model_id", "f_model_version", "f_slice_index")

    MachineLearningModelSlice._meta.set_database(database)
    return MachineLearningModelSlice


class MySQLModelStore:
    def __init__(self, config: ModelStoreSettings, slice_bytes: int = SLICE_BYTES):
        self.config = config
        self.slice_bytes = slice_bytes

    def describe(self) -> str:
        return self.config.describe()

    def _open(self, action: str, ref: PartyModelRef) -> MySQLDatabase:
        c = self.config
        database = MySQLDatabase(c.name, host=c.host, port=c.port, user=c.user, password=c.password,
                                 connect_timeout=c.connect_timeout, charset="utf8mb4", autoconnect=False)
        try:
            database.connect()
        except PeeweeException as e:
            raise FateFlowError(f"{action} model {ref} failed: cannot connect to the model store database "
                                f"{c.name!r} at {c.host}:{c.port}: {self._reason(e)}") from None
        return database

    def _reason(self, error: Exception) -> str:
        """The driver's message, with the password blanked should it ever appear in it."""
        text = str(error.args[-1] if error.args else error)
        return text.replace(self.config.password, "***") if self.config.password else text

    def put(self, ref: PartyModelRef, data: bytes, force_update: bool) -> int:
        database = self._open("Store", ref)
        try:
            return self._put(database, ref, data, force_update)
        except PeeweeException as e:
            raise FateFlowError(f"Store model {ref} to {self.describe()} failed: {self._reason(e)}") from None
        finally:
            database.close()

    def _put(self, database: MySQLDatabase, ref: PartyModelRef, data: bytes, force_update: bool) -> int:
        M = _slice_model(database)
        database.create_tables([M], safe=True)
        key = (M.f_model_id == ref.party_model_id) & (M.f_model_version == ref.model_version)
        slices = [data[i:i + self.slice_bytes] for i in range(0, len(data), self.slice_bytes)] or [b""]
        now = now_ms()
        with database.atomic():
            existing = {row.f_slice_index for row in M.select(M.f_slice_index).where(key)}
            if existing and not force_update:
                raise AlreadyExistsError(f"Model {ref} has already been stored in {self.describe()}; "
                                         f"set force_update to replace it")
            for index, piece in enumerate(slices):
                values = dict(f_content=base64.b64encode(piece).decode("ascii"), f_size=len(piece),
                              f_update_time=now, f_description=SLICE_DESCRIPTION)
                if index in existing:
                    M.update(**values).where(key & (M.f_slice_index == index)).execute()
                else:
                    M.insert(f_model_id=ref.party_model_id, f_model_version=ref.model_version, f_slice_index=index,
                             f_create_time=now, **values).execute()
            M.delete().where(key & (M.f_slice_index >= len(slices))).execute()
        return len(slices)

    def get(self, ref: PartyModelRef) -> bytes:
        database = self._open("Restore", ref)
        try:
            M = _slice_model(database)
            rows = []
            if M.table_exists():
                key = (M.f_model_id == ref.party_model_id) & (M.f_model_version == ref.model_version)
                rows = list(M.select(M.f_slice_index, M.f_size, M.f_content).where(key).order_by(M.f_slice_index))
        except PeeweeException as e:
            raise FateFlowError(f"Restore model {ref} from {self.describe()} failed: {self._reason(e)}") from None
        finally:
            database.close()
        if not rows:
            raise NotFoundError(f"Model {ref} is not stored in {self.describe()}")
        if [row.f_slice_index for row in rows] != list(range(len(rows))):
            raise DataError(f"Model {ref} in {self.describe()} is incomplete: slices "
                            f"{[row.f_slice_index for row in rows]} are stored, 0..{len(rows) - 1} expected")
        pieces = []
        for row in rows:
            piece = base64.b64decode(row.f_content or "")
            if len(piece) != row.f_size:
                raise DataError(f"Model {ref} in {self.describe()} is damaged: slice {row.f_slice_index} holds "
                                f"{len(piece)} bytes, f_size says {row.f_size}")
            pieces.append(piece)
        return b"".join(pieces)


def open_model_store(config: ModelStoreSettings) -> ModelStore:
    if config.storage == "mysql":
        return MySQLModelStore(config)
    return FileSystemModelStore(config.path)


def configured_store(settings: Settings) -> ModelStore:
    try:
        config = model_store_settings(settings)
    except SettingsError as e:
        raise FateFlowError(str(e)) from None
    if config is None:
        raise FateFlowError("no model store is configured: add a model_store_address section to the service conf "
                            "(storage: mysql with host, port, user, password, name; or storage: filesystem with path)")
    return open_model_store(config)


# ---------------------------------------------------------------------------------------------- use cases
def store_model(settings: Settings, ref: PartyModelRef, force_update: bool = False, request_ip: str = "") -> dict:
    """Zip the local model version and put it into the configured model store."""
    store = configured_store(settings)
    model = party_model(settings, ref.role, ref.party_id, ref.model_id, ref.model_version)
    if not model.has_pipeline():
        log_party_model_operation("store", ref, request_ip, ok=False)
        raise NotFoundError(f"Model {ref} is not exist.")
    data = zip_model(model.root)
    try:
        pieces = store.put(ref, data, force_update)
    except FateFlowError:
        log_party_model_operation("store", ref, request_ip, ok=False)
        raise
    log_party_model_operation("store", ref, request_ip, ok=True)
    return {"model_id": ref.model_id, "model_version": ref.model_version, "role": ref.role, "party_id": ref.party_id,
            "store": store.describe(), "size": len(data), "slices": pieces}


def restore_model(settings: Settings, ref: PartyModelRef, request_ip: str = "") -> dict:
    """Take the model zip from the configured store and unpack it into model_local_cache; refused when the
    local model version exists, and nothing is written when the store cannot be read."""
    store = configured_store(settings)
    target = party_model(settings, ref.role, ref.party_id, ref.model_id, ref.model_version).root
    try:
        if target.exists():
            raise AlreadyExistsError(f"Model {ref} local cache already existed at "
                                     f"{shown_home_path(target, settings.home)}; restore refused")
        data = store.get(ref)
        staging = target.with_name(f".{target.name}.restore-{uuid.uuid4().hex}")
        install_model_zip(io.BytesIO(data), staging, target, str(ref), "restore")
    except FateFlowError:
        log_party_model_operation("restore", ref, request_ip, ok=False)
        raise
    log_party_model_operation("restore", ref, request_ip, ok=True)
    return {"model_id": ref.model_id, "model_version": ref.model_version, "role": ref.role, "party_id": ref.party_id,
            "store": store.describe(), "size": len(data), "path": str(target)}
