"""Run a component in-process the way a worker does: a real computing session on a real store, a real
federation data plane (when given), and a tracker that keeps what the component reports."""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fate_flow.components import registry
from fate_flow.components.base import ComponentContext, ComponentOutput
from fate_flow.components.upload import CsvSource, load_csv
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import ENGINE, StandaloneStore
from fate_flow.entity.task_spec import ModelRef, TableRef, TaskSpec
from fate_flow.federation.parties import PartyRef
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
         job_id="job1", output_data=("data",), output_model=("model",), input_model=None,
         name=None) -> TaskSpec:
    """input_model: {"model"|"isometric_model": [component name, ...]} (alias "model")."""
    name = name or module.lower() + "_0"
    models = {kind: [ModelRef(c) for c in components] for kind, components in (input_model or {}).items()}
    return TaskSpec(job_id=job_id, component_name=name, module=module, task_id=f"{job_id}_{name}", task_version=0,
                    role=role, party_id=str(party_id), parameters=parameters or {}, job_parameters={},
                    roles=roles or {"guest": [9999], "host": [10000]}, input_data=input_data or {},
                    input_model=models, output_data=list(output_data), output_model=list(output_model))


def run_component(task: TaskSpec, session: StandaloneSession, federation=None,
                  models: dict | None = None) -> tuple[ComponentOutput, RecordingTracker]:
    """models: component name -> its model buffers {name: message}, served to `ctx.input_models`. They go
    through serialization, as a worker receives them."""
    cls = registry.ComponentRegistry().load(task.module)
    params = cls.params_class.from_dict(task.parameters, task.component_name)
    tracker = RecordingTracker()

    def load_model(ref: ModelRef) -> dict:
        buffers = (models or {}).get(ref.component_name)
        if buffers is None:
            raise KeyError(f"test gave no model for component {ref.component_name}")
        return {name: type(msg).FromString(msg.SerializeToString()) for name, msg in buffers.items()}

    ctx = ComponentContext(spec=task, computing=session, federation=federation, tracker=tracker,
                           log=logging.getLogger(f"test.{task.component_name}"),
                           load_table=lambda ref: session.load(ref.address, ref.partitions), load_model=load_model)
    return cls().run(ctx, params), tracker


def run_parties(tmp_path: Path, tasks: list[TaskSpec], sessions: dict | None = None, models: dict | None = None,
                timeout: float = 300.0, **site_overrides) -> dict:
    """Run the tasks of one component on every party at once, each in its own thread with its own computing
    session and a real gRPC data plane (one federation site per party id, as separate servers would be).

    sessions: (role, party_id) -> StandaloneSession to use (e.g. the one holding that party's input tables);
    models: (role, party_id) -> {component name: buffers}.
    Returns (role, party_id) -> (ComponentOutput, RecordingTracker); raises the first party's error.
    """
    from tests.federation.sites import make_sites

    party_ids = sorted({str(t.party_id) for t in tasks})
    sites = make_sites(tmp_path / f"sites_{uuid.uuid4().hex[:8]}", {f"site_{p}": [p] for p in party_ids},
                       **site_overrides)
    for site in sites.values():
        site.start()
    results: dict = {}
    own_sessions = []

    def run(task: TaskSpec) -> None:
        key = (task.role, int(task.party_id))
        session = (sessions or {}).get(key)
        if session is None:
            session = StandaloneSession(StandaloneStore(tmp_path / f"{task.role}_{task.party_id}_computing"))
            own_sessions.append(session)
        try:
            fed = sites[f"site_{task.party_id}"].client.session(task.job_id, PartyRef(task.role, task.party_id))
            results[key] = run_component(task, session, fed, (models or {}).get(key))
        except BaseException as e:  # handed to the test thread
            results[key] = e

    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in tasks]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stuck = [task.role for task, t in zip(tasks, threads) if t.is_alive()]
        if stuck:
            raise TimeoutError(f"parties still running after {timeout:g}s: {', '.join(stuck)}")
        for key, value in results.items():
            if isinstance(value, BaseException):
                raise AssertionError(f"{key[0]} {key[1]} failed: {value!r}") from value
        return results
    finally:
        for site in sites.values():
            site.stop()


def feature_table(session: StandaloneSession, path: Path, with_label: bool, name: str = "features",
                  partitions: int = 4) -> TableRef:
    """A CSV as DataTransform makes it (id -> Instance), kept in `session`: the input of the ML modules."""
    raw = upload_csv(session.store, path, "raw", name, partitions)
    task = spec("DataTransform", parameters={"with_label": with_label, "label_name": "y", "output_format": "dense"},
                input_data={"data": [raw]}, name=f"{name}_transform")
    out, _ = run_component(task, session)
    table = out.data["data"]
    return TableRef("features", name, ENGINE, session.keep(table), table.partitions, out.schemas["data"],
                    table.count())
