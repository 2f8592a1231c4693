"""The model store (model_store_address: section; contract §8.6): where /v1/model/store puts model archives."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from fate_flow.settings.conf_values import SettingsError, conf_int, path_value
from fate_flow.settings.sections import Settings


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
        return ModelStoreSettings(storage=storage, path=path_value(section.get("path"), settings.home / "model_store"))
    missing = [key for key in ("host", "name") if section.get(key) in (None, "")]
    if missing:
        raise SettingsError("service conf keys " + ", ".join(f"model_store_address.{k}" for k in missing)
                            + " are required when storage is mysql")
    return ModelStoreSettings(
        storage=storage, host=str(section["host"]), port=conf_int(section, "model_store_address.port", 3306),
        user=str(section.get("user") or ""), password=str(section.get("password") or ""), name=str(section["name"]),
        connect_timeout=conf_int(section, "model_store_address.connect_timeout", 5))
