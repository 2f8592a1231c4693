"""The `Pipeline` record of a model (contract §8.2): building it and reading its JSON fields back."""
from __future__ import annotations

import json
from typing import Any, Mapping

from fate_flow.proto.pipeline_pb2 import Pipeline

# the FATE release whose model format (and API) this server speaks; /v1/version/get reports the same
FATE_VERSION = "1.6.1"
# the Pipeline fields that hold JSON text
JSON_FIELDS = ("inference_dsl", "train_dsl", "train_runtime_conf", "roles", "runtime_conf_on_party", "parent_info",
               "train_input_table")


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def build_pipeline(*, inference_dsl: Mapping, train_dsl: Mapping, train_runtime_conf: Mapping, model_id: str,
                   model_version: str, parent: bool, roles: Mapping, work_mode: int, initiator_role: str,
                   initiator_party_id: int | str, runtime_conf_on_party: Mapping,
                   parent_info: Mapping | None = None, train_input_table: Mapping | None = None) -> Pipeline:
    return Pipeline(
        inference_dsl=json_bytes(inference_dsl), train_dsl=json_bytes(train_dsl),
        train_runtime_conf=json_bytes(train_runtime_conf), fate_version=FATE_VERSION, model_id=model_id,
        model_version=model_version, parent=parent, loaded_times=0, roles=json_bytes(roles),
        work_mode=int(work_mode or 0), initiator_role=initiator_role, initiator_party_id=int(initiator_party_id),
        runtime_conf_on_party=json_bytes(runtime_conf_on_party), parent_info=json_bytes(parent_info or {}),
        train_input_table=json_bytes(train_input_table or {}))


def json_field(pipeline: Pipeline, name: str) -> Any:
    """A JSON field decoded; an unset one reads as {}."""
    raw = getattr(pipeline, name)
    return json.loads(raw) if raw else {}


def dsl_version(pipeline: Pipeline) -> int:
    """The DSL version of the training job (its runtime conf's `dsl_version`; absent means 1)."""
    version = json_field(pipeline, "train_runtime_conf").get("dsl_version")
    return 2 if str(version).strip() == "2" else 1


def is_deployed(pipeline: Pipeline) -> bool:
    """Usable for predict (contract §8.4): every model except a DSL v2 parent that was never deployed."""
    return not (pipeline.parent and dsl_version(pipeline) == 2)


def pipeline_fields(pipeline: Pipeline) -> dict[str, Any]:
    """The record as `f_<field>` -> value with JSON fields decoded; protobuf defaults are left out, as FATE's
    file-derived model records do."""
    out: dict[str, Any] = {}
    for field, value in pipeline.ListFields():
        out[f"f_{field.name}"] = json.loads(value) if field.name in JSON_FIELDS else value
    return out
