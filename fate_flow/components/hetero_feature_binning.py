"""HeteroFeatureBinning (FATE 1.6): bins the chosen columns of each party (quantile or equal-width bucket bins;
category columns keep one bin per value), computes on the guest the WOE and IV of its own features and, through
the encrypted exchange of fate_flow.components.hetero_binning_iv, of every host's features, and transforms the
data (each value replaced by its bin index or, on the guest, by its bin's WOE).

In a prediction the model's split points (and WOE) transform the new data; nothing crosses parties.
Parameter names, defaults and allowed values are those of FATE 1.6's HeteroFeatureBinningParam; method "optimal"
is refused. Split points are exact quantiles (see binning_splits) rather than FATE's approximate summary.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fate_flow.components.anonymous_names import anonymous_name
from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.binning_splits import (
    bin_indices, bucket_split_points, category_split_points, quantile_split_points)
from fate_flow.components.feature_matrix import (
    InputData, collect_matrix, load_input, map_features, model_alias, output_name, output_schema, resolve_columns)
from fate_flow.components.hetero_binning_iv import guest_exchange, host_exchange
from fate_flow.components.nested_params import parse_nested
from fate_flow.components.params import ComponentParams, PaillierEncryptParams
from fate_flow.components.woe_iv import BinStatistics, bin_statistics, label_counts_per_bin
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.proto.feature_binning_pb2 import (
    BinningTransformMeta, FeatureBinningMeta, FeatureBinningParam, FeatureBinningResult, IVParam)

GUEST, HOST = "guest", "host"
METHODS = ("quantile", "bucket", "optimal")
TRANSFORM_TYPES = ("bin_num", "woe", None)
MODEL_NAME = "binning_model"
META, PARAM = "FeatureBinningMeta", "FeatureBinningParam"
MIN_KEY_LENGTH = 256  # the smallest Paillier key fate_flow.secure makes (FATE only asks for a positive length)


@dataclass
class TransformParams(ComponentParams):
    transform_cols: Any = -1
    transform_names: list | None = None
    transform_type: str | None = "bin_num"

    def check(self, where: str) -> None:
        if self.transform_cols not in (-1, None) and not _index_list(self.transform_cols):
            raise ParameterError(f"{where}parameter transform_cols must be -1, null or a list of column indexes, "
                                 f"got {self.transform_cols!r}")
        if self.transform_names is not None and not all(isinstance(n, str) for n in self.transform_names):
            raise ParameterError(f"{where}parameter transform_names must be a list of column names")
        if self.transform_type not in TRANSFORM_TYPES:
            raise ParameterError(f"{where}parameter transform_type must be one of bin_num, woe or null, "
                                 f"got {self.transform_type!r}")


@dataclass
class OptimalBinningParams(ComponentParams):
    """Accepted as FATE's conf may carry it; method "optimal" itself is refused."""
    metric_method: str = "iv"
    min_bin_pct: float = 0.05
    max_bin_pct: float = 1.0
    init_bin_nums: int = 1000
    mixture: bool = True
    init_bucket_method: str = "quantile"


class EncryptParams(PaillierEncryptParams):
    COMPONENT = "binning"
    KEY_LENGTH_MIN = MIN_KEY_LENGTH


@dataclass
class HeteroFeatureBinningParams(ComponentParams):
    method: str = "quantile"
    compress_thres: int = 10000
    head_size: int = 10000
    error: float = 1e-4
    bin_num: int = 10
    bin_indexes: Any = -1
    bin_names: list | None = None
    adjustment_factor: float = 0.5
    transform_param: TransformParams = field(default_factory=TransformParams)
    optimal_binning_param: OptimalBinningParams = field(default_factory=OptimalBinningParams)
    local_only: bool = False
    category_indexes: Any = None
    category_names: list | None = None
    encrypt_param: EncryptParams = field(default_factory=EncryptParams)
    skip_static: bool = False

    def check(self, where: str) -> None:
        self.transform_param = parse_nested(TransformParams, self.transform_param, where, "transform_param")
        self.optimal_binning_param = parse_nested(OptimalBinningParams, self.optimal_binning_param, where,
                                                  "optimal_binning_param")
        self.encrypt_param = parse_nested(EncryptParams, self.encrypt_param, where, "encrypt_param")
        if not isinstance(self.method, str) or self.method.lower() not in METHODS:
            raise ParameterError(f"{where}parameter method must be one of quantile, bucket, got {self.method!r}")
        self.method = self.method.lower()
        if self.method == "optimal":
            raise ParameterError(f"{where}parameter method: optimal binning is not supported here; use quantile "
                                 f"or bucket")
        for name in ("compress_thres", "head_size", "bin_num"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{where}parameter {name} must be a positive integer, got {getattr(self, name)}")
        if not 0 <= self.error <= 1:
            raise ParameterError(f"{where}parameter error must be between 0 and 1, got {self.error}")
        if not 0 < self.adjustment_factor < 1:
            raise ParameterError(f"{where}parameter adjustment_factor must be between 0 and 1 (exclusive), "
                                 f"got {self.adjustment_factor}")
        if self.bin_indexes != -1 and self.bin_indexes is not None and not _index_list(self.bin_indexes):
            raise ParameterError(f"{where}parameter bin_indexes must be -1 or a list of column indexes, "
                                 f"got {self.bin_indexes!r}")
        if self.category_indexes not in (-1, None) and not _index_list(self.category_indexes):
            raise ParameterError(f"{where}parameter category_indexes must be -1, null or a list of column indexes, "
                                 f"got {self.category_indexes!r}")
        for name in ("bin_names", "category_names"):
            value = getattr(self, name)
            if value is not None and not all(isinstance(n, str) for n in value):
                raise ParameterError(f"{where}parameter {name} must be a list of column names")
        if self.skip_static and self.transform_param.transform_type == "woe":
            raise ParameterError(f"{where}parameter transform_param.transform_type woe needs the WOE values, which "
                                 f"skip_static leaves out")


@dataclass
class ColumnBins:
    """A binned column: its split points, the bin of each training row, and (guest) its WOE/IV."""
    index: int
    split_points: list[float]
    bins: np.ndarray
    statistics: BinStatistics | None = None

    @property
    def bin_num(self) -> int:
        return len(self.split_points)


class HeteroFeatureBinning(Component):
    module = "HeteroFeatureBinning"
    params_class = HeteroFeatureBinningParams

    def run(self, ctx: ComponentContext, params: HeteroFeatureBinningParams) -> ComponentOutput:
        if ctx.role not in (GUEST, HOST):
            raise DataError(f"{self.module} runs on guest and host, not {ctx.role}")
        data = load_input(ctx, self.module)
        if ctx.predicting:
            return self._predict(ctx, data)
        header = data.header
        category = resolve_columns(header, -1 if params.category_indexes == -1 else params.category_indexes or [],
                                   params.category_names, "category_indexes/category_names")
        binned = [i for i in resolve_columns(header, params.bin_indexes if params.bin_indexes is not None else [],
                                             params.bin_names, "bin_indexes/bin_names") if i not in category]
        transform_cols = _transform_columns(header, params.transform_param, binned + category)
        matrix = collect_matrix(data.table, header)
        columns = {}
        for i in binned + category:
            values = matrix.features[:, i]
            if i in category:
                points = category_split_points(values)
            elif params.method == "quantile":
                points = quantile_split_points(values, params.bin_num, params.error)
            else:
                points = bucket_split_points(values, params.bin_num)
            columns[header[i]] = ColumnBins(i, points, bin_indices(values, points))

        host_results: list[FeatureBinningResult] = []
        if ctx.role == GUEST and not params.skip_static:
            labels = _binary_labels(matrix.labels)
            for col in columns.values():
                events, non_events = label_counts_per_bin(col.bins, labels, col.bin_num)
                col.statistics = bin_statistics(events, non_events, params.adjustment_factor)
            hosts = ctx.parties(HOST)
            if not params.local_only and hosts:
                for host in guest_exchange(ctx, matrix.ids, labels, params.encrypt_param.key_length, hosts):
                    stats = {name: bin_statistics(e, c - e, params.adjustment_factor)
                             for name, e, c in zip(host.names, host.events, host.counts)}
                    host_results.append(_binning_result(HOST, host.party.party_id, {
                        name: _iv_param(s, [], len(s.woe)) for name, s in stats.items()}))
        elif ctx.role == HOST and not params.skip_static and not params.local_only:
            guests = ctx.parties(GUEST)
            if not guests:
                raise DataError(f"{self.module} on a host needs the guest of the job")
            shared = host_exchange(ctx, matrix.ids, [c.bins for c in columns.values()],
                                   [c.bin_num for c in columns.values()],
                                   [anonymous_name(HOST, ctx.party_id, c.index) for c in columns.values()], guests[0])
            ctx.log.info("%s: sent encrypted bin sums of %s feature(s) over %s shared row(s)", self.module,
                         len(columns), shared)

        own = _binning_result(ctx.role, ctx.party_id, {
            name: _iv_param(col.statistics, col.split_points, col.bin_num, col.bins) for name, col in columns.items()})
        param = FeatureBinningParam(binning_result=own, host_results=host_results, header=header,
                                    model_name=MODEL_NAME)
        if ctx.role == HOST:
            param.header_anonymous.extend(anonymous_name(HOST, ctx.party_id, i) for i in range(len(header)))
        meta = _meta(params, [header[c.index] for c in columns.values()], transform_cols)
        table = _transform(ctx, data, param, meta)
        name = output_name(ctx)
        return ComponentOutput(data={name: table}, schemas={name: output_schema(data.schema, header)},
                               model={model_alias(ctx): {META: meta, PARAM: param}},
                               summary=_summary(param, ctx.role == GUEST and not params.skip_static))

    def _predict(self, ctx: ComponentContext, data: InputData) -> ComponentOutput:
        buffers = ctx.input_models("model")[0]
        meta, param = buffers.get(META), buffers.get(PARAM)
        if not isinstance(meta, FeatureBinningMeta) or not isinstance(param, FeatureBinningParam):
            raise DataError(f"the model given to {self.module} is not a binning model (buffers: "
                            f"{', '.join(sorted(buffers)) or 'none'})")
        table = _transform(ctx, data, param, meta)
        name = output_name(ctx)
        return ComponentOutput(data={name: table}, schemas={name: output_schema(data.schema, data.header)},
                               model={model_alias(ctx): {META: meta, PARAM: param}})


def _transform(ctx: ComponentContext, data: InputData, param: FeatureBinningParam, meta: FeatureBinningMeta):
    """The data with each transformed column replaced by its bin index or its bin's WOE (guest)."""
    kind = meta.transform_param.transform_type
    model_header = list(param.header)
    results = param.binning_result.binning_result
    names = [model_header[i] for i in meta.transform_param.transform_cols]
    if not kind or not names:
        return data.table
    if kind == "woe" and ctx.role == HOST:
        ctx.log.warning("HeteroFeatureBinning: a host has no WOE values; its data passes through untransformed")
        return data.table
    positions = {n: i for i, n in enumerate(data.header)}
    missing = [n for n in names if n not in positions]
    if missing:
        raise DataError(f"the data lacks column(s) {', '.join(missing)} that the binning model transforms")
    if kind == "woe" and any(len(results[n].woe_array) != len(results[n].split_points) for n in names):
        raise DataError("the binning model has no WOE values to transform with (it was trained with skip_static)")
    table_columns = [positions[n] for n in names]
    splits = [np.asarray(results[n].split_points, dtype=np.float64) for n in names]
    woes = [np.asarray(results[n].woe_array, dtype=np.float64) for n in names] if kind == "woe" else None

    def apply(features: np.ndarray) -> np.ndarray:
        out = features.copy()
        for k, i in enumerate(table_columns):
            b = int(bin_indices(features[i:i + 1], splits[k])[0])
            out[i] = woes[k][b] if woes is not None else b
        return out

    return map_features(data.table, len(data.header), apply)


def _transform_columns(header: list[str], p: TransformParams, binned: list[int]) -> list[int]:
    if p.transform_cols == -1:
        return list(binned)
    if p.transform_cols is None and not p.transform_names:
        return []
    chosen = resolve_columns(header, p.transform_cols or [], p.transform_names,
                             "transform_param.transform_cols/transform_param.transform_names")
    stray = [header[i] for i in chosen if i not in binned]
    if stray:
        raise ParameterError(f"parameter transform_param names column(s) {', '.join(stray)} that are not binned; "
                             f"add them to bin_indexes/bin_names or category_indexes/category_names")
    return chosen


def _binary_labels(labels: list[Any]) -> np.ndarray:
    if any(y is None for y in labels):
        raise DataError("the guest's data has no labels; HeteroFeatureBinning needs them (DataTransform with_label)")
    values = np.asarray(labels, dtype=np.float64)
    found = set(np.unique(values).tolist())
    if not found <= {0.0, 1.0}:
        raise DataError(f"HeteroFeatureBinning computes WOE/IV for binary labels 0/1 only; the data has labels "
                        f"{sorted(found)[:10]}")
    return values


def _iv_param(stats: BinStatistics | None, split_points: list[float], bin_num: int,
              bins: np.ndarray | None = None) -> IVParam:
    p = IVParam(split_points=split_points, bin_nums=bin_num, bin_anonymous=[f"bin_{i}" for i in range(bin_num)])
    if stats is not None:
        p.woe_array.extend(stats.woe)
        p.iv_array.extend(stats.iv_per_bin)
        p.event_count_array.extend(stats.event_counts)
        p.non_event_count_array.extend(stats.non_event_counts)
        p.event_rate_array.extend(stats.event_rates)
        p.non_event_rate_array.extend(stats.non_event_rates)
        p.count_array.extend(stats.counts)
        p.iv, p.is_woe_monotonic = stats.iv, stats.woe_monotonic
    elif bins is not None:
        p.count_array.extend(np.bincount(bins, minlength=bin_num).tolist())
    return p


def _binning_result(role: str, party_id: int, results: dict[str, IVParam]) -> FeatureBinningResult:
    out = FeatureBinningResult(role=role, party_id=str(party_id))
    for name, p in results.items():
        out.binning_result[name].CopyFrom(p)
    return out


def _meta(p: HeteroFeatureBinningParams, cols: list[str], transform_cols: list[int]) -> FeatureBinningMeta:
    return FeatureBinningMeta(
        need_run=True, method=p.method, compress_thres=p.compress_thres, head_size=p.head_size, error=p.error,
        bin_num=p.bin_num, cols=cols, adjustment_factor=p.adjustment_factor, local_only=p.local_only,
        transform_param=BinningTransformMeta(transform_cols=transform_cols,
                                             transform_type=p.transform_param.transform_type or ""),
        skip_static=p.skip_static, optimal_metric_method="")


def _summary(param: FeatureBinningParam, with_iv: bool) -> dict:
    """Split points of the party's own columns; on a guest also IV (highest first), WOE and monotonicity of every
    column, host columns under their anonymous names."""
    own = param.binning_result.binning_result
    summary: dict = {"split_points": {name: list(r.split_points) for name, r in own.items()}}
    if not with_iv:
        return summary
    results = dict(own)
    for host in param.host_results:
        results.update(host.binning_result)
    summary["iv"] = sorted(([name, r.iv] for name, r in results.items()), key=lambda item: -item[1])
    summary["woe"] = {name: list(r.woe_array) for name, r in results.items()}
    summary["monotonic"] = {name: r.is_woe_monotonic for name, r in results.items()}
    return summary


def _index_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value)
