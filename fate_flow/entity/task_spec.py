"""What a server hands a worker process to run one component of one party (written as task_spec.json).

The server resolves everything that needs the database (input tables, upstream outputs) before launching,
so the worker never touches the database: it reads this spec, runs the component, and reports back to its
own server over HTTP (fate_flow.client).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class TableRef:
    """A stored table as its meta describes it (contract §6.1)."""

    namespace: str
    name: str
    engine: str
    address: dict
    partitions: int
    schema: dict = field(default_factory=dict)
    count: int | None = None
    id_delimiter: str = ","
    have_head: bool = True
    in_serialized: bool = True
    # the upstream component whose output this is ("" for an input table); Evaluation names metrics by it
    source: str = ""

    @classmethod
    def from_dict(cls, d: dict) -> "TableRef":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class ModelRef:
    """An upstream component's model, fetched by the worker from its own server when needed."""

    component_name: str
    model_alias: str = "model"


@dataclass(frozen=True)
class ServerAddress:
    host: str
    http_port: int


@dataclass(frozen=True)
class TaskSpec:
    job_id: str
    component_name: str
    module: str
    task_id: str
    task_version: int
    role: str
    party_id: str
    # the component's effective parameters for this party, after DSL/conf resolution
    parameters: dict
    # the party's effective job parameters (task_cores, computing_partitions, job_type, ...)
    job_parameters: dict
    # every party of the job: {role: [party_id, ...]} (party ids as ints, as in the runtime conf)
    roles: dict
    # input key of the DSL (data, train_data, validate_data, eval_data, test_data) -> tables, in DSL order
    input_data: dict[str, list[TableRef]] = field(default_factory=dict)
    # model / isometric_model -> upstream models
    input_model: dict[str, list[ModelRef]] = field(default_factory=dict)
    # the output data and model names the DSL declares for this component
    output_data: list[str] = field(default_factory=list)
    output_model: list[str] = field(default_factory=list)
    # namespace for the task's output tables: output_data_<task_id>_<task_version>
    output_namespace: str = ""
    # the worker's own server (reports go there) and the files it shares with that server
    server: ServerAddress = ServerAddress("127.0.0.1", 9380)
    conf_path: str = ""
    home: str = ""
    log_dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TaskSpec":
        values = dict(d)
        values["input_data"] = {k: [TableRef.from_dict(t) for t in v] for k, v in d.get("input_data", {}).items()}
        values["input_model"] = {k: [ModelRef(**m) for m in v] for k, v in d.get("input_model", {}).items()}
        values["server"] = ServerAddress(**d["server"])
        return cls(**values)
