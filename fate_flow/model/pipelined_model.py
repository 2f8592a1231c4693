"""One party's pipelined model directory (contract §8.1):

    <version>/define/proto/*.proto            the .proto sources of the buffers, as they were at writing time
    <version>/define/define_meta.yaml         components, their modules and each buffer's message class name
    <version>/variables/data/<cpn>/<alias>/<buffer>   one serialized message per file (+ .types.json naming
                                                      each buffer's full message type)
    <version>/variables/data/pipeline/pipeline/Pipeline   the Pipeline record
    <version>/pipeline.pb                      the same bytes; written last, so a model loads only when whole

Every file is written aside and renamed into place; a deployed copy is assembled in a hidden staging
directory and renamed to its version at the end, so a crash never leaves a half model that later loads.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterable, Mapping

import yaml
from google.protobuf.message import Message

from fate_flow.entity.errors import FateFlowError, NotFoundError
from fate_flow.entity.home_paths import home_path
from fate_flow.entity.atomic_files import write_atomically
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.serde.protobuf_types import parse_buffer

PIPELINE_FILE = "pipeline.pb"
PIPELINE_COMPONENT = "pipeline"
PIPELINE_ALIAS = "pipeline"
PIPELINE_BUFFER = "Pipeline"
# beside a component model's buffers: buffer name -> full protobuf message type (as the worker reported it)
BUFFER_TYPES_FILE = ".types.json"
DEFINE_META_DESCRIBE = "This is the model definition meta"


class PipelineNotFoundError(NotFoundError):
    """The directory has no (complete) Pipeline record."""


class PipelinedModel:
    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def pipeline_file(self) -> Path:
        return self.root / PIPELINE_FILE

    @property
    def data_dir(self) -> Path:
        return self.root / "variables" / "data"

    @property
    def define_meta_file(self) -> Path:
        return self.root / "define" / "define_meta.yaml"

    def exists(self) -> bool:
        return self.root.is_dir()

    def has_pipeline(self) -> bool:
        return self.pipeline_file.is_file()

    # ------------------------------------------------------------------ reading
    def read_pipeline(self) -> Pipeline:
        if not self.has_pipeline():
            raise PipelineNotFoundError("Can not found pipeline file in model.")
        pipeline = Pipeline()
        pipeline.ParseFromString(self.pipeline_file.read_bytes())
        return pipeline

    def component_models(self) -> dict[str, dict[str, dict[str, str]]]:
        """component -> alias -> buffer name -> full message type ("" when unknown), the Pipeline excluded."""
        models: dict[str, dict[str, dict[str, str]]] = {}
        if not self.data_dir.is_dir():
            return models
        for component in sorted(p for p in self.data_dir.iterdir() if p.is_dir()):
            if component.name == PIPELINE_COMPONENT:
                continue
            for alias in sorted(p for p in component.iterdir() if p.is_dir()):
                types = _read_types(alias)
                buffers = {f.name: types.get(f.name, "") for f in sorted(alias.iterdir())
                           if f.is_file() and not f.name.startswith(".")}
                if buffers:
                    models.setdefault(component.name, {})[alias.name] = buffers
        return models

    def read_buffers(self, component: str, alias: str) -> dict[str, Message]:
        """The buffers of one component model, parsed with the types recorded beside them."""
        buffers = self.component_models().get(component, {}).get(alias)
        if not buffers:
            raise NotFoundError(f"model {component}.{alias} does not exist in {self.root}")
        directory = home_path(self.data_dir, component, alias)
        return {name: parse_buffer(type_name, (directory / name).read_bytes()) for name, type_name in buffers.items()}

    def define_meta(self) -> dict:
        if not self.define_meta_file.is_file():
            return {}
        return yaml.safe_load(self.define_meta_file.read_text(encoding="utf-8")) or {}

    def size_kb(self) -> int:
        """Size of every file of the model, in KB (t_machine_learning_model_info.f_size)."""
        total = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
        return round(total / 1024)

    # ------------------------------------------------------------------ writing
    def save_pipeline(self, pipeline: Pipeline, modules: Mapping[str, str], proto_sources: Iterable[Path] = ()) -> None:
        """Write the definition (define/) and the Pipeline record; pipeline.pb last.

        modules: component name -> module name (from the training DSL) for define_meta.yaml.
        proto_sources: the .proto files copied into define/proto/.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        proto_dir = self.root / "define" / "proto"
        proto_dir.mkdir(parents=True, exist_ok=True)
        for source in proto_sources:
            _durable_write(proto_dir / source.name, source.read_bytes())
        _durable_write(self.define_meta_file, yaml.safe_dump(self._define_meta(modules), sort_keys=False).encode())
        data = pipeline.SerializeToString()
        record_dir = self.data_dir / PIPELINE_COMPONENT / PIPELINE_ALIAS
        record_dir.mkdir(parents=True, exist_ok=True)
        _durable_write(record_dir / PIPELINE_BUFFER, data)
        _durable_write(record_dir / BUFFER_TYPES_FILE,
                          json.dumps({PIPELINE_BUFFER: Pipeline.DESCRIPTOR.full_name}, sort_keys=True).encode())
        _durable_write(self.pipeline_file, data)

    def deploy_to(self, target: Path, pipeline: Pipeline, modules: Mapping[str, str],
                  proto_sources: Iterable[Path] = ()) -> "PipelinedModel":
        """Copy this model to `target` (a new version directory) with `pipeline` as its record.

        The copy is assembled under a hidden staging name beside the target and renamed at the end.
        """
        target = Path(target)
        if target.exists():
            raise FateFlowError(f"model directory {target} already exists")
        staging = target.with_name(f".{target.name}.staging-{uuid.uuid4().hex}")
        try:
            shutil.copytree(self.root, staging, ignore=shutil.ignore_patterns(".*.tmp", PIPELINE_FILE))
            PipelinedModel(staging).save_pipeline(pipeline, modules, proto_sources)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return PipelinedModel(target)

    def _define_meta(self, modules: Mapping[str, str]) -> dict:
        models = self.component_models()
        component_define = {name: {"module_name": modules.get(name, name)} for name in models}
        component_define[PIPELINE_COMPONENT] = {"module_name": PIPELINE_BUFFER}
        model_proto = {name: {alias: {buffer: _class_name(type_name) or buffer for buffer, type_name in buffers.items()}
                              for alias, buffers in aliases.items()}
                       for name, aliases in models.items()}
        model_proto[PIPELINE_COMPONENT] = {PIPELINE_ALIAS: {PIPELINE_BUFFER: PIPELINE_BUFFER}}
        return {"describe": DEFINE_META_DESCRIBE, "component_define": component_define, "model_proto": model_proto}


def _class_name(type_name: str) -> str:
    """The message class name of a full protobuf type name (what define_meta.yaml records)."""
    return type_name.rsplit(".", 1)[-1]


def _read_types(directory: Path) -> dict[str, str]:
    path = directory / BUFFER_TYPES_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _durable_write(path: Path, data: bytes) -> None:
    write_atomically(path, data, fsync=True)
