"""/v1/model/transfer (contract §1.5.3): a party's model buffers as FATE-Serving downloads them.

FATE-Serving names a model by `namespace` = party model id (`<role>#<party_id>#<model_id>`) and `name` = model
version; the answer maps `<component>.<alias>:<buffer name>` to the base64 of the buffer's bytes, for every
buffer that the model's define_meta.yaml lists (the Pipeline record included)."""
from __future__ import annotations

import base64

from fate_flow.entity import identifiers
from fate_flow.entity.errors import NotFoundError
from fate_flow.entity.home_paths import home_path
from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.services.models.local import party_model
from fate_flow.settings import Settings


def split_party_model_id(namespace: str) -> tuple[str, str, str]:
    """(role, party_id, model_id) of `<role>#<party_id>#<model_id>`; the model id itself holds '#'."""
    return identifiers.check_party_model_id("namespace", namespace)


def transfer_buffers(model: PipelinedModel, namespace: str, name: str) -> dict[str, str]:
    """`<component>.<alias>:<buffer>` -> base64 of the buffer file, for every buffer of define_meta.yaml."""
    model_proto = model.define_meta().get("model_proto") or {}
    buffers: dict[str, str] = {}
    for component, aliases in model_proto.items():
        for alias, names in (aliases or {}).items():
            for buffer in names or {}:
                path = home_path(model.data_dir, component, alias, buffer)
                if not path.is_file():
                    raise NotFoundError(f"model {namespace} {name} lists buffer {component}.{alias}:{buffer} in "
                                        f"define_meta.yaml but its file is missing")
                buffers[f"{component}.{alias}:{buffer}"] = base64.b64encode(path.read_bytes()).decode()
    return buffers


def transfer(settings: Settings, namespace: str, name: str) -> dict[str, str]:
    """The buffers of model `namespace` version `name` on this server; unknown model -> NotFoundError (101)."""
    role, party_id, model_id = split_party_model_id(namespace)
    identifiers.MODEL_VERSION.check("name", name)
    model = party_model(settings, role, party_id, model_id, name)
    if not model.has_pipeline():
        raise NotFoundError(f"model {namespace} version {name} does not exist on this server (no pipelined "
                            f"model at model_local_cache/{namespace}/{name}); check namespace and name")
    return transfer_buffers(model, namespace, name)
