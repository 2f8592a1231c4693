"""The messages about jobs and tasks: the control-plane commands servers send each other, their answers, and the
status reports workers send their own server. One frozen dataclass per message; `encode` makes the JSON body a
sender puts on the wire and `decode` the message a receiver reads from it, so both ends share one shape.

`decode` checks what the shape says: required fields present (all missing ones named at once, retcode 100 as
FATE answers), integers, booleans and statuses what they claim (retcode 101 naming the field); unknown keys are
ignored. The identifiers in a body are checked before, at the boundary a body comes through (HTTP or command)."""
from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any, Mapping, TypeVar

from fate_flow.entity.errors import InvalidParameterError, MissingParametersError
from fate_flow.entity.status import JobStatus

M = TypeVar("M")


# ------------------------------------------------------------------------------ initiator -> party
@dataclasses.dataclass(frozen=True)
class JobCreate:
    """job.create: the job as the initiator planned it; every party stores it and makes its tasks."""
    job_id: str
    dsl: dict
    runtime_conf: dict
    model_id: str
    model_version: str
    train_runtime_conf: dict = dataclasses.field(default_factory=dict)
    description: str = ""


@dataclasses.dataclass(frozen=True)
class JobRef:
    """job.resource.apply, job.resource.return, job.status: the job, nothing more."""
    job_id: str


@dataclasses.dataclass(frozen=True)
class JobStatusUpdate:
    """job.status.update: what the initiator decided about the job (and its progress)."""
    job_id: str
    status: JobStatus
    progress: int | None = None
    fail_reason: str | None = None
    rerun: bool = False
    tag: str | None = None


@dataclasses.dataclass(frozen=True)
class TaskCreate:
    """task.create: a new version of a task (a retry or a rerun)."""
    job_id: str
    component_name: str
    task_id: str
    task_version: int
    auto_retries: int = 0


@dataclasses.dataclass(frozen=True)
class TaskRef:
    """task.start, task.status: one version of a task."""
    job_id: str
    task_id: str
    task_version: int
    component_name: str | None = None


@dataclasses.dataclass(frozen=True)
class TaskStop:
    """task.stop: end the task's worker with `status`."""
    job_id: str
    task_id: str
    task_version: int
    status: JobStatus
    reason: str = "stopped"


@dataclasses.dataclass(frozen=True)
class TaskStatusUpdate:
    """task.status.update: the task's federated status, as the initiator decided it."""
    job_id: str
    task_id: str
    task_version: int
    status: JobStatus


# ------------------------------------------------------------------------------ party -> initiator
@dataclasses.dataclass(frozen=True)
class PartyTaskStatus:
    """task.report (pushed by a party) and the answer of task.status (pulled by the initiator): what one party's
    task did."""
    job_id: str
    task_id: str
    task_version: int
    role: str
    party_id: str
    party_status: JobStatus
    fail_reason: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    elapsed: int | None = None


@dataclasses.dataclass(frozen=True)
class JobStatusAnswer:
    """The answer of job.status: the job as its initiator sees it."""
    status: JobStatus
    fail_reason: str | None = None
    progress: int | None = None


@dataclasses.dataclass(frozen=True)
class JobStop:
    """job.stop: a party's server forwards its client's stop to the initiator."""
    job_id: str
    stop_status: JobStatus
    reason: str | None = None


@dataclasses.dataclass(frozen=True)
class JobRerun:
    """job.rerun: a party's server forwards its client's rerun to the initiator."""
    job_id: str
    component_name: str | None = None


# ------------------------------------------------------------------------------ initiator of a model -> party
@dataclasses.dataclass(frozen=True)
class ModelDeploy:
    """model.deploy: copy the party's parent model to the child version, with an inference DSL chosen from
    the caller's predict DSL, else its cpn_list, else every training component."""
    model_id: str
    model_version: str
    child_model_version: str
    initiator: dict | None = None  # informative: a party takes the sender from the signed command
    predict_dsl: Any = None
    cpn_list: Any = None


@dataclasses.dataclass(frozen=True)
class ModelLoad:
    """model.load: publish the party's deployed model to its servings (`servings`: the sender's client named
    some of the sender's own)."""
    initiator: dict
    role: dict
    job_parameters: dict
    servings: Any = None


# ------------------------------------------------------------------------------ worker -> its server
@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerTask:
    """What every /v1/worker/* request names: the task version its worker runs."""
    job_id: str
    task_id: str
    task_version: int
    role: str
    party_id: str
    component_name: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerTaskStatus(WorkerTask):
    """/v1/worker/task/status: what the task's worker did."""
    status: JobStatus
    fail_reason: str | None = None
    elapsed: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerOutputTable(WorkerTask):
    """/v1/worker/task/output/table: a table the task wrote, with a sample of its rows."""
    data_name: str
    namespace: str
    name: str
    address: dict
    engine: str = ""
    partitions: int | None = None
    schema: dict = dataclasses.field(default_factory=dict)
    count: int | None = None
    part_of_data: list = dataclasses.field(default_factory=list)


METRIC_META, METRIC_DATA = 0, 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerMetric(WorkerTask):
    """/v1/worker/task/metric: a metric's meta (type 0, `values` an object) or its points (type 1, `values`
    a list of [key, value])."""
    metric_namespace: str = ""
    metric_name: str = ""
    type: int = METRIC_DATA
    values: Any = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerSummary(WorkerTask):
    """/v1/worker/task/summary: the component's summary."""
    summary: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerModel(WorkerTask):
    """/v1/worker/task/model: one model of the task, buffer name -> {type: protobuf type, b64: its bytes}."""
    model_alias: str
    buffers: dict


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerModelGet(WorkerTask):
    """/v1/worker/task/model/get: a model of an upstream component of the job (or of the model a predict job
    uses: model_id and model_version name it)."""
    model_alias: str
    model_component: str | None = None
    model_id: str | None = None
    model_version: str | None = None


JOB_CREATE = "job.create"
JOB_RESOURCE_APPLY = "job.resource.apply"
JOB_RESOURCE_RETURN = "job.resource.return"
JOB_STATUS_UPDATE = "job.status.update"
TASK_CREATE = "task.create"
TASK_START = "task.start"
TASK_STOP = "task.stop"
TASK_STATUS_UPDATE = "task.status.update"
TASK_STATUS = "task.status"
TASK_REPORT = "task.report"
JOB_STOP = "job.stop"
JOB_RERUN = "job.rerun"
JOB_STATUS = "job.status"
MODEL_DEPLOY = "model.deploy"
MODEL_LOAD = "model.load"

# each job command and the message its body holds
COMMANDS: Mapping[str, type] = {
    JOB_CREATE: JobCreate, JOB_RESOURCE_APPLY: JobRef, JOB_RESOURCE_RETURN: JobRef,
    JOB_STATUS_UPDATE: JobStatusUpdate, TASK_CREATE: TaskCreate, TASK_START: TaskRef, TASK_STOP: TaskStop,
    TASK_STATUS_UPDATE: TaskStatusUpdate, TASK_STATUS: TaskRef, TASK_REPORT: PartyTaskStatus, JOB_STOP: JobStop,
    JOB_RERUN: JobRerun, JOB_STATUS: JobRef, MODEL_DEPLOY: ModelDeploy, MODEL_LOAD: ModelLoad,
}


def encode(message: Any) -> dict[str, Any]:
    """The JSON body of `message`: its fields, statuses as their values, fields left None omitted."""
    body = {}
    for f in dataclasses.fields(message):
        value = getattr(message, f.name)
        if value is not None:
            body[f.name] = value.value if isinstance(value, JobStatus) else value
    return body


def decode(cls: type[M], body: Mapping[str, Any]) -> M:
    """The message `cls` a body holds (see the module's docstring for what is checked)."""
    hints = _hints(cls)
    missing = [f.name for f in dataclasses.fields(cls) if _required(f) and body.get(f.name) in (None, "")]
    if missing:
        raise MissingParametersError(missing)
    values = {}
    for f in dataclasses.fields(cls):
        value = body.get(f.name)
        if value is not None:
            values[f.name] = _typed(f.name, hints[f.name], value)
    return cls(**values)


def required_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if _required(f))


def field_kind(cls: type, name: str) -> Any:
    """The type of field `name` of message `cls` (`X | None` read as X)."""
    return _hints(cls)[name]


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    # `X | None` -> X: None never reaches _typed
    return {name: next((a for a in typing.get_args(h) if a is not type(None)), h) if typing.get_args(h) else h
            for name, h in hints.items()}


def _typed(name: str, kind: Any, value: Any) -> Any:
    if kind is JobStatus:
        try:
            return JobStatus(value)
        except ValueError:
            raise InvalidParameterError(f"parameter {name} must be one of "
                                        f"{', '.join(sorted(s.value for s in JobStatus))}, got {value!r}",
                                        field=name) from None
    if kind is bool:
        if not isinstance(value, bool):
            raise InvalidParameterError(f"parameter {name} must be true or false, got {value!r}", field=name)
        return value
    if kind is int:
        try:
            if isinstance(value, bool) or isinstance(value, float):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"parameter {name} must be an integer, got {value!r}", field=name) from None
    if kind is str:
        return str(value)
    if kind is dict and not isinstance(value, dict):
        raise InvalidParameterError(f"parameter {name} must be an object, got {type(value).__name__}", field=name)
    if kind is list and not isinstance(value, list):
        raise InvalidParameterError(f"parameter {name} must be a list, got {type(value).__name__}", field=name)
    return value
