"""The models a serving holds (by namespace = party model id and table name = model version, as FATE-Serving
names them) and the service ids bound to them. In memory, one lock; a restarted serving loads again."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from fate_flow.entity.errors import NotFoundError
from fate_flow.serving.online_model import OnlineModel


@dataclass(frozen=True)
class ModelKey:
    namespace: str   # <role>#<party_id>#<model_id>
    version: str     # FATE-Serving's tableName

    def __str__(self) -> str:
        return f"{self.namespace} version {self.version}"


@dataclass
class LoadedModel:
    key: ModelKey
    role: str
    party_id: str
    roles: dict[str, list[str]]                     # role -> party ids, as the load request gave them
    party_models: dict[str, dict[str, ModelKey]]    # role -> party id -> that party's model
    online: OnlineModel
    loaded_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def summary(self) -> dict:
        return {"role": self.role, "partyId": self.party_id, "components": self.online.components,
                "modelId": self.online.pipeline.model_id, "modelVersion": self.key.version,
                "roles": self.roles, "loadedAt": self.loaded_at_ms}


class ModelRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[ModelKey, LoadedModel] = {}
        self._services: dict[str, ModelKey] = {}

    def load(self, model: LoadedModel) -> bool:
        """Hold `model` (replacing the same namespace and version); True when it replaced one."""
        with self._lock:
            replaced = model.key in self._models
            self._models[model.key] = model
            return replaced

    def get(self, key: ModelKey) -> LoadedModel | None:
        with self._lock:
            return self._models.get(key)

    def bind(self, service_id: str, key: ModelKey) -> None:
        with self._lock:
            if key not in self._models:
                raise NotFoundError(f"model {key} is not loaded at this serving; load it first (/v1/model/load)")
            self._services[service_id] = key

    def resolve(self, service_id: str) -> LoadedModel:
        with self._lock:
            key = self._services.get(service_id)
            model = self._models.get(key) if key is not None else None
        if model is None:
            raise NotFoundError(f"service id {service_id!r} is not bound at this serving; bind a model to it "
                                f"(/v1/model/bind)")
        return model

    def unbind(self, service_id: str, key: ModelKey | None = None) -> ModelKey:
        """Forget a service id; with `key`, only when it is bound to that model."""
        with self._lock:
            bound = self._services.get(service_id)
            if bound is None:
                raise NotFoundError(f"service id {service_id!r} is not bound at this serving")
            if key is not None and key != bound:
                raise NotFoundError(f"service id {service_id!r} is bound to {bound}, not to {key}")
            del self._services[service_id]
            return bound

    def unload(self, key: ModelKey) -> list[str]:
        """Drop a model and the service ids bound to it; answers those service ids."""
        with self._lock:
            if key not in self._models:
                raise NotFoundError(f"model {key} is not loaded at this serving")
            del self._models[key]
            services = sorted(s for s, k in self._services.items() if k == key)
            for s in services:
                del self._services[s]
            return services

    def listing(self) -> list[tuple[LoadedModel, list[str]]]:
        """Every model with its bound service ids, by namespace and version."""
        with self._lock:
            models = sorted(self._models.values(), key=lambda m: (m.key.namespace, m.key.version))
            services = {k: sorted(s for s, b in self._services.items() if b == k) for k in self._models}
        return [(m, services[m.key]) for m in models]
