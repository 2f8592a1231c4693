"""Feature tables as numpy matrices: what the feature-engineering components (FeatureScale, HeteroFeatureBinning,
HeteroFeatureSelection) fit on, plus the input/output plumbing they share.

Input rows are DataTransform's `id -> Instance(features, label, weight)`; sparse features are made dense. Fitting
collects the whole table into one matrix (fine at the sizes these components see); applying a fitted model maps the
rows of the table, so the output keeps the input's ids and partitions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from fate_flow.components.base import ComponentContext
from fate_flow.computing.table import Table
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.serde.instance import Instance


@dataclass
class InputData:
    table: Table
    schema: dict
    header: list[str]


@dataclass
class FeatureMatrix:
    ids: list[Any]
    features: np.ndarray          # (rows, columns), float64
    labels: list[Any]             # one per row; None where the row has no label


def load_input(ctx: ComponentContext, module: str, key: str = "data") -> InputData:
    """The component's input table (the DSL's input.data.<key>) with its schema and header."""
    refs = ctx.input_tables(key)
    if not refs:
        raise DataError(f"{module} needs an input table (input.data.{key})")
    ref = refs[0]
    schema = dict(ref.schema or {})
    header = schema.get("header") or []
    if isinstance(header, str):
        header = [h for h in header.split(",") if h]
    return InputData(ctx.load_table(ref), schema, list(header))


def output_name(ctx: ComponentContext) -> str:
    return ctx.spec.output_data[0] if ctx.spec.output_data else "data"


def model_alias(ctx: ComponentContext) -> str:
    return ctx.spec.output_model[0] if ctx.spec.output_model else "model"


def output_schema(schema: dict, header: list[str]) -> dict:
    """The input schema with a new header (sid_name and label_name kept)."""
    out = {"header": list(header), "sid_name": schema.get("sid_name") or schema.get("sid") or "id"}
    if schema.get("label_name"):
        out["label_name"] = schema["label_name"]
    return out


def row_features(value: Any, width: int, key: Any = None) -> np.ndarray:
    """A row's features as a dense float64 vector of the header's width."""
    row = "a row" if key is None else f"row {key}"
    if not isinstance(value, Instance):
        raise DataError(f"{row} is not a feature instance ({type(value).__name__}); feed the output of "
                        f"DataTransform")
    features = np.asarray(value.dense_features(), dtype=np.float64)
    if features.shape != (width,):
        raise DataError(f"{row} has {features.size} features, the header has {width} columns")
    return features


def collect_matrix(table: Table, header: list[str]) -> FeatureMatrix:
    """All rows of `table` as one matrix; refuses empty tables and missing (NaN) values."""
    width = len(header)
    if width == 0:
        raise DataError("the input table has no feature columns (its schema has an empty header)")
    ids, rows, labels = [], [], []
    for key, value in table.collect():
        rows.append(row_features(value, width, key))
        ids.append(key)
        labels.append(value.label)
    if not rows:
        raise DataError("the input table is empty")
    features = np.vstack(rows)
    missing = np.isnan(features)
    if missing.any():
        row, col = map(int, np.argwhere(missing)[0])
        raise DataError(f"feature {header[col]} is missing (NaN) in row {ids[row]}; fill missing values in "
                        f"DataTransform (missing_fill)")
    return FeatureMatrix(ids, features, labels)


def map_features(table: Table, width: int, transform: Callable[[np.ndarray], np.ndarray]) -> Table:
    """Each row's features replaced by `transform(features)`; label, weight and extra kept."""
    def apply(value: Any) -> Instance:
        features = transform(row_features(value, width))
        return Instance(features, label=value.label, weight=value.weight, extra=value.extra)

    return table.map_values(apply)


def resolve_columns(header: list[str], indexes: Any, names: list[str] | None, what: str) -> list[int]:
    """Column indexes chosen by `indexes` (-1: all columns) plus `names`, in header order.

    `what` names the parameters in errors, e.g. "bin_indexes/bin_names"."""
    index_field, _, names_field = what.partition("/")
    if indexes == -1:
        return list(range(len(header)))
    chosen = set()
    for i in indexes or []:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(header):
            raise ParameterError(f"parameter {index_field} lists column index {i!r}, but the input has "
                                 f"{len(header)} columns (0..{len(header) - 1})")
        chosen.add(i)
    positions = {name: i for i, name in enumerate(header)}
    for name in names or []:
        if name not in positions:
            raise ParameterError(f"parameter {names_field or index_field} lists column {name!r}, which is not in "
                                 f"the input header ({', '.join(header[:20])}{'...' if len(header) > 20 else ''})")
        chosen.add(positions[name])
    return sorted(chosen)
