"""How a table row is shown to people (contract §1.3.8): output-data previews and downloads.

key first; an Instance as label (if any), its dense features, weight (if any); a string split on the
delimiter; a list as its items; anything else as itself.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fate_flow.serde.instance import Instance


def render_value(value: Any, delimiter: str = ",") -> list:
    if isinstance(value, Instance):
        cells = [] if value.label is None else [_plain(value.label)]
        cells.extend(np.asarray(value.dense_features()).tolist())
        if value.weight is not None:
            cells.append(_plain(value.weight))
        return cells
    if isinstance(value, str):
        return value.split(delimiter) if value != "" else []
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return [_plain(value)]


def render_row(key: Any, value: Any, delimiter: str = ",") -> list:
    return [_plain(key), *render_value(value, delimiter)]


def render_header(schema: dict | None, sample: Any = None, delimiter: str = ",") -> list[str]:
    """[sid name, label name (when rows carry labels), feature names..., "weight" (when weighted)]."""
    if not schema:
        return ["sid"]
    sid = schema.get("sid_name") or schema.get("sid") or "sid"
    header = schema.get("header") or []
    columns = [c for c in header.split(delimiter)] if isinstance(header, str) else [str(c) for c in header]
    columns = [c for c in columns if c != ""]
    labelled = isinstance(sample, Instance) and sample.label is not None
    weighted = isinstance(sample, Instance) and sample.weight is not None
    return [sid, *([schema.get("label_name") or "label"] if labelled else []), *columns,
            *(["weight"] if weighted else [])]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
