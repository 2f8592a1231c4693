"""How a worker talks to its own server: every report names the task, and is retried while the server is
unreachable (it may be restarting) for up to `retry_seconds`, so a restart does not lose a task's result."""
from __future__ import annotations

import base64
import logging
import time
from typing import Any, Iterable

from google.protobuf.message import Message

from fate_flow.client.http_client import FlowHttpClient, ServerUnreachableError
from fate_flow.entity import messages
from fate_flow.entity.status import JobStatus
from fate_flow.entity.task_spec import ModelRef, TaskSpec
from fate_flow.serde.protobuf_types import parse_buffer


class ReportError(RuntimeError):
    """The server refused a report (its retmsg says why) or stayed unreachable."""


class WorkerReporter:
    def __init__(self, client: FlowHttpClient, spec: TaskSpec, log: logging.Logger, retry_seconds: float = 120.0):
        self.client = client
        self.spec = spec
        self.log = log
        self.retry_seconds = retry_seconds

    def _task(self) -> dict[str, Any]:
        """The fields every report names its task with (messages.WorkerTask)."""
        s = self.spec
        return {"job_id": s.job_id, "component_name": s.component_name, "task_id": s.task_id,
                "task_version": s.task_version, "role": s.role, "party_id": s.party_id}

    def _send(self, method: str, report: messages.WorkerTask) -> dict:
        body = messages.encode(report)
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.2
        while True:
            try:
                answer = getattr(self.client, method)(body)
            except ServerUnreachableError as e:
                if time.monotonic() >= deadline:
                    raise ReportError(f"{method}: {e} (gave up after {self.retry_seconds:g}s)") from None
                self.log.warning("%s: %s; retrying in %.1fs", method, e, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if answer.get("retcode") != 0:
                raise ReportError(f"{method} refused by the server: {answer.get('retmsg')}")
            return answer

    # ------------------------------------------------------------------ what a task reports
    def status(self, status: str, fail_reason: str | None = None, elapsed_ms: int | None = None) -> None:
        self._send("worker_task_status", messages.WorkerTaskStatus(
            **self._task(), status=JobStatus(status), fail_reason=fail_reason, elapsed=elapsed_ms))

    def output_table(self, data_name: str, table: dict[str, Any]) -> None:
        """`table`: the WorkerOutputTable fields other than the task's and data_name."""
        self._send("worker_task_output_table", messages.WorkerOutputTable(**self._task(), data_name=data_name, **table))

    def metric(self, namespace: str, name: str, metric_type: int, values: Any) -> None:
        self._send("worker_task_metric", messages.WorkerMetric(
            **self._task(), metric_namespace=namespace, metric_name=name, type=metric_type, values=values))

    def model(self, alias: str, buffers: dict[str, Message]) -> None:
        encoded = {name: {"type": buffer.DESCRIPTOR.full_name,
                          "b64": base64.b64encode(buffer.SerializeToString()).decode()}
                   for name, buffer in buffers.items()}
        self._send("worker_task_model", messages.WorkerModel(**self._task(), model_alias=alias, buffers=encoded))

    def upstream_model(self, ref: ModelRef) -> dict[str, Message]:
        """An upstream component's model of this job (or, in a predict job, of the model it predicts with)."""
        answer = self._send("worker_task_model_get", messages.WorkerModelGet(
            **self._task(), model_component=ref.component_name, model_alias=ref.model_alias))
        return {name: parse_buffer(buffer["type"], base64.b64decode(buffer["b64"]))
                for name, buffer in (answer.get("data") or {}).items()}

    def summary(self, summary: dict) -> None:
        self._send("worker_task_summary", messages.WorkerSummary(**self._task(), summary=summary))


class HttpTracker:
    """base.Tracker for a worker: metrics go to the server as they come; the summary is kept and sent at
    the end with the task's outputs."""

    def __init__(self, reporter: WorkerReporter):
        self.reporter = reporter
        self.summary: dict = {}
        self.progress = 0

    def log_metric_data(self, namespace: str, name: str, data: Iterable[tuple[Any, Any]]) -> None:
        self.reporter.metric(namespace, name, messages.METRIC_DATA, [[jsonable(k), jsonable(v)] for k, v in data])

    def set_metric_meta(self, namespace: str, name: str, meta: dict) -> None:
        self.reporter.metric(namespace, name, messages.METRIC_META, jsonable(meta))

    def set_summary(self, summary: dict) -> None:
        self.summary = dict(summary)

    def set_progress(self, percent: int) -> None:
        self.progress = max(self.progress, int(percent))


def jsonable(value: Any) -> Any:
    """Plain JSON data for previews and metrics (numpy numbers and arrays, tuples, other objects as text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return jsonable(tolist())
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)
