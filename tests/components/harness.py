"""Run a component in-process the way a worker does: a real computing session on a real store, a real
federation data plane (when given), and a tracker that keeps what the component reports."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from fate_flow.components import registry
from fate_flow.components.base import ComponentContext, ComponentOutput
from fate_flow.components.upload import CsvSource, load_csv
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import ENGINE, StandaloneStore
from fate_flow.entity.task_spec import TableRef, TaskSpec
from fate_flow.serde.codec import Codec


@dataclass
class RecordingTracker:
    metas: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    progress: list = field(default_factory=list)

    def log_metric_data(self, namespace, name, data):
        self.data.setdefault((namespace, name), []).extend(data)

    def set_metric_meta(self, namespace, name, meta):
        self.metas[(namespace, name)] = meta

    def set_summary(self, summary):
        self.summary = summary

    def set_progress(self, percent):
        self.progress.append(percent)


def upload_csv(store: StandaloneStore, path: Path, namespace="ns", name="t", partitions=4, delimiter=",",
               head=True) -> TableRef:
    table = store.create(partitions)
    writer = table.writer(ordered=True)
    result = load_csv(CsvSource(path, head, delimiter), writer, Codec())
    writer.close()
    return TableRef(namespace, name, ENGINE, {"path": str(table.path)}, partitions, result.schema, result.count,
                    delimiter)


def spec(module: str, role="guest", party_id="9999", parameters=None, input_data=None, roles=None,
         job_id="job1", output_data=("data",), output_model=("model",)) -> TaskSpec:
    name = module.lower() + "_0"
    return TaskSpec(job_id=job_id, component_name=name, module=module, task_id=f"{job_id}_{name}", task_version=0,
                    role=role, party_id=str(party_id), parameters=parameters or {}, job_parameters={},
                    roles=roles or {"guest": [9999], "host": [10000]}, input_data=input_data or {},
                    output_data=list(output_data), output_model=list(output_model))


def run_component(task: TaskSpec, session: StandaloneSession, federation=None) -> tuple[ComponentOutput, RecordingTracker]:
    cls = registry.load(task.module)
    params = cls.params_class.from_dict(task.parameters, task.component_name)
    tracker = RecordingTracker()
    ctx = ComponentContext(spec=task, computing=session, federation=federation, tracker=tracker,
                           log=logging.getLogger(f"test.{task.component_name}"),
                           load_table=lambda ref: session.load(ref.address, ref.partitions))
    return cls().run(ctx, params), tracker
