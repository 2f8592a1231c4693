"""DataTransform (DataIO in FATE 1.6): turn raw text rows into feature instances.

Input rows are (id, "v1<delimitor>v2...") as the Reader leaves them. Three input formats:
- dense: one column per feature, named by the table's header; optionally a label column;
- sparse: "<label> <index>:<value> ..." (the feature dimension is the largest index + 1);
- tag: "<tag> <tag> ..." or, with tag_with_value, "<tag>:<value> ..." (one feature per distinct tag).
Missing values and listed outliers can be replaced (by a given value, or the column's min, max or mean).
Parameter names and defaults follow FATE 1.6's DataIOParam.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.feature_matrix import model_alias
from fate_flow.components.params import ComponentParams
from fate_flow.computing.table import Table
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.proto.data_transform_pb2 import DataTransformMeta, DataTransformParam
from fate_flow.serde.instance import Instance, SparseVector

INPUT_FORMATS = ("dense", "sparse", "tag")
OUTPUT_FORMATS = ("dense", "sparse")
DATA_TYPES = {"float": np.float64, "float64": np.float64, "float32": np.float32, "double": np.float64,
              "int": np.int64, "int64": np.int64, "int32": np.int32, "long": np.int64}
LABEL_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "int64": int, "int32": int, "long": int,
                                                 "float": float, "float64": float, "double": float, "str": str}
FILL_METHODS = (None, "designated", "min", "max", "mean")
DEFAULT_MISSING = ("", "NA", "na", "N/A", "null", "NULL", "None", "none", "nan", "NaN")


@dataclass
class DataTransformParams(ComponentParams):
    input_format: str = "dense"
    delimitor: str = ","
    data_type: str = "float64"
    exclusive_data_type: dict | None = None
    tag_with_value: bool = False
    tag_value_delimitor: str = ":"
    missing_fill: bool = False
    default_value: Any = 0
    missing_fill_method: str | None = None
    missing_impute: list | None = None
    outlier_replace: bool = False
    outlier_replace_method: str | None = None
    outlier_impute: list | None = None
    outlier_replace_value: Any = 0
    with_label: bool = False
    label_name: str = "y"
    label_type: str = "int"
    output_format: str = "dense"

    def check(self, where: str) -> None:
        for name, value, allowed in (("input_format", self.input_format, INPUT_FORMATS),
                                     ("output_format", self.output_format, OUTPUT_FORMATS),
                                     ("data_type", self.data_type, tuple(DATA_TYPES)),
                                     ("label_type", self.label_type, tuple(LABEL_TYPES)),
                                     ("missing_fill_method", self.missing_fill_method, FILL_METHODS),
                                     ("outlier_replace_method", self.outlier_replace_method, FILL_METHODS)):
            if value not in allowed:
                shown = ", ".join("null" if a is None else a for a in allowed)
                raise ParameterError(f"{where}parameter {name} must be one of {shown}, got {value!r}")
        if not self.delimitor:
            raise ParameterError(f"{where}parameter delimitor must not be empty")


class DataTransform(Component):
    module = "DataTransform"
    params_class = DataTransformParams

    def run(self, ctx: ComponentContext, params: DataTransformParams) -> ComponentOutput:
        refs = ctx.input_tables("data")
        if not refs:
            raise DataError(f"{self.module} needs an input table (input.data.data)")
        ref = refs[0]
        table = ctx.load_table(ref)
        schema = ref.schema or {}
        sid = schema.get("sid") or schema.get("sid_name") or "id"
        trained = _trained_param(ctx, self.module)
        if params.input_format == "dense":
            result = _dense(table, _header(schema, params.delimitor), params, trained)
        else:
            result = _sparse_or_tag(table, params, trained)
        output_name = ctx.spec.output_data[0] if ctx.spec.output_data else "data"
        out_schema = {"header": result.header, "sid_name": sid}
        if params.with_label:
            out_schema["label_name"] = params.label_name
        model_param = DataTransformParam(header=result.header, sid_name=sid,
                                         label_name=params.label_name if params.with_label else "",
                                         sparse_dimension=result.dimension)
        model_param.missing_replace_value.update(result.missing_values)
        model_param.outlier_replace_value.update(result.outlier_values)
        alias = model_alias(ctx)
        ctx.log.info("%s: %s features (%s input), label %s", self.module, len(result.header), params.input_format,
                     params.label_name if params.with_label else "none")
        return ComponentOutput(
            data={output_name: result.table}, schemas={output_name: out_schema},
            model={alias: {"DataTransformMeta": _meta(params), "DataTransformParam": model_param}},
            summary={"features": len(result.header), "input_format": params.input_format,
                     "missing_replaced": dict(result.missing_values), "outliers_replaced": dict(result.outlier_values)})


def _trained_param(ctx: ComponentContext, module: str) -> DataTransformParam | None:
    """In predict mode, the trained model's param: its features and the values it replaced missing values
    and outliers with, so new rows are read exactly as the training rows were."""
    if not ctx.predicting:
        return None
    buffers = ctx.input_models("model")[0]
    param = next((m for name, m in buffers.items() if isinstance(m, DataTransformParam)), None)
    if param is None:
        raise DataError(f"{ctx.spec.component_name}: the model given to {module} is not a DataIO/DataTransform "
                        f"model (buffers: {', '.join(buffers)})")
    return param


class DataIO(DataTransform):
    """FATE 1.6's name for DataTransform."""

    module = "DataIO"


@dataclass
class _Result:
    table: Table
    header: list[str]
    dimension: int = 0
    missing_values: dict[str, float] | None = None
    outlier_values: dict[str, float] | None = None

    def __post_init__(self) -> None:
        self.missing_values = self.missing_values or {}
        self.outlier_values = self.outlier_values or {}


def _meta(p: DataTransformParams) -> DataTransformMeta:
    return DataTransformMeta(
        input_format=p.input_format, delimitor=p.delimitor, data_type=p.data_type, with_label=p.with_label,
        label_name=p.label_name, label_type=p.label_type, output_format=p.output_format,
        tag_with_value=p.tag_with_value, tag_value_delimitor=p.tag_value_delimitor, missing_fill=p.missing_fill,
        missing_fill_method=p.missing_fill_method or "", missing_impute=[str(v) for v in p.missing_impute or []],
        outlier_replace=p.outlier_replace, outlier_replace_method=p.outlier_replace_method or "",
        outlier_impute=[str(v) for v in p.outlier_impute or []], need_run=True)


def _header(schema: dict, delimitor: str) -> list[str]:
    header = schema.get("header")
    if header is None:
        return []
    return [c for c in (header.split(delimitor) if isinstance(header, str) else list(header)) if c != ""]


# ---------------------------------------------------------------------------------------------- dense
def _dense(table: Table, columns: list[str], p: DataTransformParams, trained: DataTransformParam | None = None) \
        -> _Result:
    label_index = None
    if p.with_label:
        if p.label_name not in columns:
            raise DataError(f"label_name {p.label_name!r} is not a column of the input table (columns: "
                            f"{', '.join(columns[:20])}{'...' if len(columns) > 20 else ''})")
        label_index = columns.index(p.label_name)
    features = [c for i, c in enumerate(columns) if i != label_index]
    width = len(columns)
    delimitor, to_label = p.delimitor, LABEL_TYPES[p.label_type]
    missing = {str(v) for v in (p.missing_impute if p.missing_impute is not None else DEFAULT_MISSING)}
    outliers = {str(v) for v in p.outlier_impute or []} if p.outlier_replace else set()

    def split(key: Any, value: Any) -> tuple[Any, list[str]]:
        cells = [] if value in (None, "") else str(value).split(delimitor)
        if width and len(cells) != width:
            raise DataError(f"row {key} has {len(cells)} values, the header has {width} columns")
        label = None
        if label_index is not None:
            try:
                label = to_label(cells.pop(label_index))
            except ValueError:
                raise DataError(f"row {key}: label {cells[label_index]!r} is not of label_type {p.label_type}") \
                    from None
        return label, cells

    if trained is not None:
        if features != list(trained.header):
            raise DataError(f"the data's features {features[:20]} are not the trained model's {list(trained.header)[:20]}")
        missing_values, outlier_values = dict(trained.missing_replace_value), dict(trained.outlier_replace_value)
    else:
        # a first pass only when a column statistic is needed to replace missing values or outliers
        stats = None
        if (p.missing_fill and p.missing_fill_method in ("min", "max", "mean")) or \
                (outliers and p.outlier_replace_method in ("min", "max", "mean")):
            stats = _column_stats(table, split, missing | outliers, len(features))
        missing_values = _replacements(features, p.missing_fill, p.missing_fill_method, p.default_value, stats,
                                       "default_value") if p.missing_fill else {}
        outlier_values = _replacements(features, bool(outliers), p.outlier_replace_method, p.outlier_replace_value,
                                       stats, "outlier_replace_value") if outliers else {}
    fill = [missing_values.get(f) for f in features]
    replace = [outlier_values.get(f) for f in features]
    dtype = DATA_TYPES[p.data_type]
    sparse_out = p.output_format == "sparse"

    def transform(key: Any, value: Any) -> Instance:
        label, cells = split(key, value)
        numbers = []
        for i, cell in enumerate(cells):
            if cell in outliers:
                numbers.append(replace[i])
            elif cell in missing:
                if fill[i] is None:
                    raise DataError(f"row {key}: column {features[i]} is missing ({cell!r}); set missing_fill to "
                                    f"fill missing values")
                numbers.append(fill[i])
            else:
                try:
                    numbers.append(float(cell))
                except ValueError:
                    raise DataError(f"row {key}: value {cell!r} of column {features[i]} is not a number") from None
        vector = np.asarray(numbers, dtype=dtype)
        return Instance(_to_sparse(vector) if sparse_out else vector, label=label)

    out = table.map(lambda k, v: (k, transform(k, v)))
    return _Result(out, features, len(features), missing_values, outlier_values)


def _column_stats(table: Table, split, special: set[str], width: int) -> dict[str, np.ndarray]:
    def partition_stats(rows):
        lo, hi = np.full(width, np.inf), np.full(width, -np.inf)
        total, count = np.zeros(width), np.zeros(width)
        for key, value in rows:
            _, cells = split(key, value)
            for i, cell in enumerate(cells):
                if cell in special:
                    continue
                try:
                    x = float(cell)
                except ValueError:
                    continue
                lo[i], hi[i], total[i], count[i] = min(lo[i], x), max(hi[i], x), total[i] + x, count[i] + 1
        return lo, hi, total, count

    parts = table.apply_partitions(partition_stats)
    lo = np.min([q[0] for q in parts], axis=0)
    hi = np.max([q[1] for q in parts], axis=0)
    total, count = sum(q[2] for q in parts), sum(q[3] for q in parts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return {"min": lo, "max": hi, "mean": mean}


def _replacements(features: list[str], enabled: bool, method: str | None, designated: Any,
                  stats: dict[str, np.ndarray] | None, value_field: str) -> dict[str, float]:
    if not enabled:
        return {}
    if method in ("min", "max", "mean"):
        values = stats[method]
        result = {}
        for i, f in enumerate(features):
            if not math.isfinite(values[i]):
                raise DataError(f"column {f} has no value to compute its {method} from")
            result[f] = float(values[i])
        return result
    if isinstance(designated, (list, tuple)):
        if len(designated) != len(features):
            raise ParameterError(f"parameter {value_field} lists {len(designated)} values for {len(features)} "
                                 f"features")
        return {f: float(v) for f, v in zip(features, designated)}
    if isinstance(designated, dict):
        return {f: float(designated.get(f, 0)) for f in features}
    try:
        return {f: float(designated) for f in features}
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {value_field} must be a number, a list or an object, got {designated!r}") \
            from None


def _to_sparse(vector: np.ndarray) -> SparseVector:
    indices = np.flatnonzero(vector)
    return SparseVector(indices, vector[indices], len(vector))


# ---------------------------------------------------------------------------------------- sparse, tag
def _sparse_or_tag(table: Table, p: DataTransformParams, trained: DataTransformParam | None = None) -> _Result:
    delimitor, kv_delimitor = p.delimitor, p.tag_value_delimitor
    to_label = LABEL_TYPES[p.label_type]
    sparse_input = p.input_format == "sparse"
    with_values = sparse_input or p.tag_with_value

    def tokens(key: Any, value: Any) -> tuple[Any, list[tuple[str, float]]]:
        parts = [t for t in str(value or "").split(delimitor) if t != ""]
        label = None
        if p.with_label:
            if not parts:
                raise DataError(f"row {key} has no label")
            try:
                label = to_label(parts.pop(0))
            except ValueError:
                raise DataError(f"row {key}: label is not of label_type {p.label_type}") from None
        items = []
        for t in parts:
            if with_values:
                name, sep, raw = t.rpartition(kv_delimitor)
                if not sep:
                    raise DataError(f"row {key}: {t!r} is not <feature>{kv_delimitor}<value>")
                try:
                    items.append((name, float(raw)))
                except ValueError:
                    raise DataError(f"row {key}: value {raw!r} of feature {name} is not a number") from None
            else:
                items.append((t, 1.0))
        return label, items

    if trained is not None:  # the training's feature space; features it never saw are dropped
        header = list(trained.header)
        dimension = int(trained.sparse_dimension) or len(header)
        index = {h: i for i, h in enumerate(header)}
    elif sparse_input:
        def max_index(rows):
            best = -1
            for k, v in rows:
                for name, _ in tokens(k, v)[1]:
                    try:
                        best = max(best, int(name))
                    except ValueError:
                        raise DataError(f"row {k}: sparse feature index {name!r} is not an integer") from None
            return best
        dimension = max(table.apply_partitions(max_index), default=-1) + 1
        header = [str(i) for i in range(dimension)]
        index = {h: i for i, h in enumerate(header)}
    else:
        tag_sets = table.apply_partitions(lambda rows: {name for k, v in rows for name, _ in tokens(k, v)[1]})
        header = sorted(set().union(*tag_sets)) if tag_sets else []
        dimension = len(header)
        index = {h: i for i, h in enumerate(header)}
    dtype = DATA_TYPES[p.data_type]
    dense_out = p.output_format == "dense"

    def transform(key: Any, value: Any) -> Instance:
        label, items = tokens(key, value)
        pairs = sorted((index[name], x) for name, x in items if name in index)
        indices = np.asarray([i for i, _ in pairs], dtype=np.int64)
        values = np.asarray([x for _, x in pairs], dtype=dtype)
        vector = SparseVector(indices, values, dimension)
        return Instance(vector.to_dense() if dense_out else vector, label=label)

    return _Result(table.map(lambda k, v: (k, transform(k, v))), header, dimension)
