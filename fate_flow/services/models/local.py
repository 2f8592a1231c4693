"""The pipelined models on this server's disk (model_local_cache/<role>#<party_id>#<model_id>/<version>/):
finding them, opening one party's model, and loading the model a predict job names."""
from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.home_paths import home_path
from fate_flow.model.pipeline import is_deployed
from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.services.models import paths as model_paths
from fate_flow.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class LocalModel:
    role: str
    party_id: str
    model_id: str
    model_version: str
    model: PipelinedModel


def party_model(settings: Settings, role: str, party_id: str, model_id: str, model_version: str) -> PipelinedModel:
    return PipelinedModel(model_paths.model_dir(settings, role, str(party_id), model_id, model_version))


def proto_sources() -> list[Path]:
    """The .proto files of model buffers, copied into every model's define/proto/ when its Pipeline is written
    (the files that define gRPC services, federation's and FATE-Serving's, describe no model)."""
    return sorted(path for path in (PROJECT_ROOT / "proto").glob("*.proto")
                  if not re.search(r"^\s*service\s", path.read_text(encoding="utf-8"), re.M))


def find_local_models(settings: Settings, model_version: str | None = None, model_id: str | None = None,
                      role: str | None = None, party_id: str | None = None) -> list[LocalModel]:
    """Complete models (with a Pipeline record) matching the given parts; a part not given matches any."""
    cache = settings.model_cache_dir
    if not cache.is_dir():
        return []
    pattern = "#".join(glob.escape(str(part)) if part not in (None, "") else "*" for part in (role, party_id, model_id))
    found = []
    for directory in sorted(cache.glob(pattern)):
        parts = directory.name.split("#", 2)
        if not directory.is_dir() or len(parts) != 3:
            continue
        versions = [home_path(directory, model_version)] if model_version else sorted(directory.iterdir())
        for version in versions:
            model = PipelinedModel(version)
            if not version.name.startswith(".") and model.has_pipeline():
                found.append(LocalModel(parts[0], parts[1], parts[2], version.name, model))
    return found


def load_predict_model(settings: Settings, role: str, party_id: str, model_id: str, model_version: str) -> Pipeline:
    """The Pipeline of the model a predict job names, from the initiator's own model directory; the model must
    be deployed (contract §3.9)."""
    model = party_model(settings, role, party_id, model_id, model_version)
    if not model.has_pipeline():
        raise FateFlowError(f"Model {model_id} {model_version} does not exist at {role} party {party_id} "
                            f"(no pipelined model in {model.root}); check model_id and model_version")
    pipeline = model.read_pipeline()
    if not is_deployed(pipeline):
        raise FateFlowError(f"Model {model_id} {model_version} has not been deployed yet.")
    return pipeline
