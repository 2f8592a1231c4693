"""The component framework: what a module implements and what the worker gives it.

A worker process builds a ComponentContext for its task (computing session, federation data plane,
tracker) and calls `Component.run(ctx, params)`. The component returns its outputs; the worker persists the
tables, sends the model and summary to its server and reports the status. Components never import db or
flask: everything they need comes through the context.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Protocol

from google.protobuf.message import Message

from fate_flow.components.params import ComponentParams
from fate_flow.computing.table import ComputingSession, Table
from fate_flow.entity.task_spec import TableRef, TaskSpec
from fate_flow.federation.parties import PartyRef


class Tracker(Protocol):
    """Where a component records what it measured (the worker sends it to its server's tracking API)."""

    def log_metric_data(self, namespace: str, name: str, data: Iterable[tuple[Any, Any]]) -> None: ...

    def set_metric_meta(self, namespace: str, name: str, meta: dict) -> None: ...

    def set_summary(self, summary: dict) -> None: ...

    def set_progress(self, percent: int) -> None: ...


class DataPlane(Protocol):
    """The federation data plane, bound to this task's job and party."""

    def remote(self, value: Any, name: str, tag: str, parties: list[PartyRef]) -> None: ...

    def get(self, name: str, tag: str, parties: list[PartyRef], timeout: float | None = None) -> list[Any]: ...


@dataclass
class ComponentContext:
    spec: TaskSpec
    computing: ComputingSession
    federation: DataPlane
    tracker: Tracker
    log: logging.Logger
    # opens a stored table as a computing table (the engine decides how)
    load_table: Any = None  # Callable[[TableRef], Table]
    # an upstream model's buffers {buffer name: message} (a worker fetches them from its own server)
    load_model: Any = None  # Callable[[ModelRef], dict[str, Message]]

    @property
    def role(self) -> str:
        return self.spec.role

    @property
    def party_id(self) -> int:
        return int(self.spec.party_id)

    def parties(self, role: str) -> list[PartyRef]:
        """The job's parties of `role`, in runtime-conf order."""
        return [PartyRef(role, int(p)) for p in self.spec.roles.get(role, [])]

    def tag(self, *parts: Any) -> str:
        """A data-plane tag unique to this task run, so reruns never read an earlier run's values."""
        return ".".join([self.spec.task_id, str(self.spec.task_version), *(str(p) for p in parts)])

    def input_tables(self, key: str) -> list[TableRef]:
        return list(self.spec.input_data.get(key, []))

    def input_models(self, kind: str = "model") -> list[dict[str, Message]]:
        """Buffers of each model the DSL feeds in as `kind` ("model": predict/transform with a trained
        model; "isometric_model": e.g. binning results for a selection), in DSL order."""
        return [self.load_model(ref) for ref in self.spec.input_model.get(kind, [])]

    @property
    def predicting(self) -> bool:
        """True when the component is given a trained model to apply rather than training one."""
        return bool(self.spec.input_model.get("model"))


@dataclass
class ComponentOutput:
    # data name (as the DSL's output.data lists it) -> table
    data: dict[str, Table] = field(default_factory=dict)
    # model alias (the DSL's output.model name) -> {buffer name: protobuf message}
    model: dict[str, dict[str, Message]] = field(default_factory=dict)
    # what the component reports about itself (shown by /v1/tracking/component/summary/download)
    summary: dict = field(default_factory=dict)
    # schema of each output table: {"header": [...], "sid_name": ..., "label_name": ...}
    schemas: dict[str, dict] = field(default_factory=dict)


class Component(ABC):
    module: ClassVar[str]
    params_class: ClassVar[type[ComponentParams]]

    @abstractmethod
    def run(self, ctx: ComponentContext, params: ComponentParams) -> ComponentOutput: ...
