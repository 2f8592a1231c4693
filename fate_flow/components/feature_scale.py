"""FeatureScale (FATE 1.6): min-max or standard scaling of chosen columns, fitted on the training data and applied
unchanged to the data of a prediction.

Each scaled column gets a range [column_lower, column_upper]: in mode "normal" the column's minimum and maximum,
pulled inside feat_lower/feat_upper when given; in mode "cap" the column's feat_lower and feat_upper quantiles
(defaults 0 and 1). Values are clipped to that range, in training and in prediction alike, then
- min_max_scale: (x - column_lower) / (column_upper - column_lower) (a range below 1e-6 counts as 1);
- standard_scale: (x - mean) / std, mean and (population) std of the clipped training column; mean is 0 without
  with_mean, std is 1 without with_std or when it is below 1e-6.
Parameter names, defaults and allowed values are those of FATE 1.6's ScaleParam (method null: data passes through).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.binning_splits import quantile_value
from fate_flow.components.feature_matrix import (
    InputData, collect_matrix, load_input, map_features, model_alias, output_name, output_schema, resolve_columns)
from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.proto.feature_scale_pb2 import ScaleMeta, ScaleParam

MIN_MAX, STANDARD = "min_max_scale", "standard_scale"
METHODS = (MIN_MAX, STANDARD)
MODES = ("normal", "cap")
ZERO_RANGE = 1e-6
QUANTILE_ERROR = 1e-4  # FATE's default relative error of the quantile summary used in mode "cap"


@dataclass
class FeatureScaleParams(ComponentParams):
    method: str | None = STANDARD
    mode: str = "normal"
    scale_col_indexes: Any = -1
    scale_names: list | None = field(default_factory=list)
    feat_upper: Any = None
    feat_lower: Any = None
    with_mean: bool = True
    with_std: bool = True

    def check(self, where: str) -> None:
        if self.method is not None:
            if self.method.lower() not in METHODS:
                raise ParameterError(f"{where}parameter method must be one of {', '.join(METHODS)} or null, "
                                     f"got {self.method!r}")
            self.method = self.method.lower()
        if not isinstance(self.mode, str) or self.mode.lower() not in MODES:
            raise ParameterError(f"{where}parameter mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        self.mode = self.mode.lower()
        if self.scale_col_indexes != -1 and not (isinstance(self.scale_col_indexes, list) and all(
                isinstance(i, int) and not isinstance(i, bool) for i in self.scale_col_indexes)):
            raise ParameterError(f"{where}parameter scale_col_indexes must be -1 or a list of column indexes, "
                                 f"got {self.scale_col_indexes!r}")
        self.scale_names = self.scale_names or []
        if not all(isinstance(n, str) for n in self.scale_names):
            raise ParameterError(f"{where}parameter scale_names must be a list of column names")
        for name in ("feat_upper", "feat_lower"):
            value = getattr(self, name)
            if value is not None and not _is_number(value) and not (
                    isinstance(value, list) and all(_is_number(v) for v in value)):
                raise ParameterError(f"{where}parameter {name} must be a number, a list of numbers or null, "
                                     f"got {value!r}")
        if self.mode == "cap":
            for name in ("feat_upper", "feat_lower"):
                value = getattr(self, name)
                if value is not None and not (_is_number(value) and 0 <= value <= 1):
                    raise ParameterError(f"{where}parameter {name} must be a quantile between 0 and 1 in mode cap, "
                                         f"got {value!r}")
        if _is_number(self.feat_upper) and _is_number(self.feat_lower) and self.feat_upper < self.feat_lower:
            raise ParameterError(f"{where}parameter feat_upper ({self.feat_upper}) must not be less than "
                                 f"feat_lower ({self.feat_lower})")


@dataclass
class ScaleFit:
    """What scaling needs per scaled column (arrays aligned with `columns`)."""
    columns: list[int]
    lower: np.ndarray
    upper: np.ndarray
    center: np.ndarray
    scale: np.ndarray

    def apply(self, features: np.ndarray) -> np.ndarray:
        out = features.copy()
        out[self.columns] = (np.clip(features[self.columns], self.lower, self.upper) - self.center) / self.scale
        return out


class FeatureScale(Component):
    module = "FeatureScale"
    params_class = FeatureScaleParams

    def run(self, ctx: ComponentContext, params: FeatureScaleParams) -> ComponentOutput:
        data = load_input(ctx, self.module)
        if ctx.predicting:
            meta, param = _load_model(ctx)
            fit, method = fit_from_model(meta, param, data.header), meta.method
            model, summary = {"ScaleMeta": meta, "ScaleParam": param}, {}
        else:
            method = params.method or ""
            fit, model = self._fit(data, params)
            summary = _summary(model["ScaleParam"])
        if method:
            ctx.tracker.set_metric_meta("train", "scale", {"name": "scale", "metric_type": "SCALE", "method": method})
            table = map_features(data.table, len(data.header), fit.apply)
        else:
            table = data.table
        ctx.log.info("%s: %s %s column(s) (%s)", self.module, "scaled" if method else "passed through",
                     len(fit.columns) if method else len(data.header), method or "no method")
        name = output_name(ctx)
        return ComponentOutput(data={name: table}, schemas={name: output_schema(data.schema, data.header)},
                               model={model_alias(ctx): model}, summary=summary)

    def _fit(self, data: InputData, params: FeatureScaleParams) -> tuple[ScaleFit, dict]:
        header = data.header
        columns = resolve_columns(header, params.scale_col_indexes, params.scale_names,
                                  "scale_col_indexes/scale_names")
        meta = ScaleMeta(method=params.method or "", mode=params.mode, area="null",
                         scale_column=[header[i] for i in columns],
                         feat_upper=_bound_texts(params.feat_upper, len(header), "feat_upper"),
                         feat_lower=_bound_texts(params.feat_lower, len(header), "feat_lower"),
                         with_mean=params.with_mean, with_std=params.with_std, need_run=True)
        param = ScaleParam(header=header)
        if not params.method:
            return ScaleFit([], np.empty(0), np.empty(0), np.empty(0), np.empty(0)), \
                {"ScaleMeta": meta, "ScaleParam": param}
        x = collect_matrix(data.table, header).features[:, columns]
        lower, upper = _ranges(x, params, columns, len(header))
        if params.method == MIN_MAX:
            center, scale = lower, _nonzero(upper - lower)
            mean = std = None
        else:
            clipped = np.clip(x, lower, upper)
            mean = clipped.mean(axis=0) if params.with_mean else np.zeros(len(columns))
            std = _nonzero(np.sqrt(((clipped - clipped.mean(axis=0)) ** 2).mean(axis=0))) if params.with_std \
                else np.ones(len(columns))
            center, scale = mean, std
        for k, i in enumerate(columns):
            entry = param.col_scale_param[header[i]]
            entry.column_upper, entry.column_lower = float(upper[k]), float(lower[k])
            if mean is not None:
                entry.mean, entry.std = float(mean[k]), float(std[k])
        return ScaleFit(columns, lower, upper, center, scale), {"ScaleMeta": meta, "ScaleParam": param}


def _ranges(x: np.ndarray, params: FeatureScaleParams, columns: list[int], width: int) \
        -> tuple[np.ndarray, np.ndarray]:
    """Each scaled column's [lower, upper]: its min/max pulled inside the bounds (normal) or its quantiles (cap)."""
    if params.mode == "cap":
        q_low = 0.0 if params.feat_lower is None else params.feat_lower
        q_high = 1.0 if params.feat_upper is None else params.feat_upper
        ordered = np.sort(x, axis=0)
        lower = np.array([quantile_value(ordered[:, k], q_low, QUANTILE_ERROR) for k in range(x.shape[1])])
        upper = np.array([quantile_value(ordered[:, k], q_high, QUANTILE_ERROR) for k in range(x.shape[1])])
        return lower, upper
    lower, upper = x.min(axis=0), x.max(axis=0)
    if params.feat_upper is not None:
        bound = _per_column(params.feat_upper, columns, width, "feat_upper")
        upper, lower = np.minimum(upper, bound), np.minimum(lower, bound)
    if params.feat_lower is not None:
        bound = _per_column(params.feat_lower, columns, width, "feat_lower")
        lower, upper = np.maximum(lower, bound), np.maximum(upper, bound)
    return lower, upper


def _per_column(bound: Any, columns: list[int], width: int, name: str) -> np.ndarray:
    if isinstance(bound, list):
        if len(bound) != width:
            raise ParameterError(f"parameter {name} lists {len(bound)} values, the input has {width} columns")
        return np.asarray(bound, dtype=np.float64)[columns]
    return np.full(len(columns), float(bound))


def _bound_texts(bound: Any, width: int, name: str) -> list[str]:
    """FATE's meta keeps the bounds as text, one per column ("None" when unset)."""
    if isinstance(bound, list):
        if len(bound) != width:
            raise ParameterError(f"parameter {name} lists {len(bound)} values, the input has {width} columns")
        return [str(v) for v in bound]
    return [str(bound)] * width


def _nonzero(values: np.ndarray) -> np.ndarray:
    return np.where(np.abs(values) < ZERO_RANGE, 1.0, values)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _summary(param: ScaleParam) -> dict:
    return {name: {"column_upper": p.column_upper, "column_lower": p.column_lower, "mean": p.mean, "std": p.std}
            for name, p in param.col_scale_param.items()}


def _load_model(ctx: ComponentContext) -> tuple[ScaleMeta, ScaleParam]:
    buffers = ctx.input_models("model")[0]
    meta, param = buffers.get("ScaleMeta"), buffers.get("ScaleParam")
    if not isinstance(meta, ScaleMeta) or not isinstance(param, ScaleParam):
        raise DataError(f"the model given to FeatureScale is not a FeatureScale model (buffers: "
                        f"{', '.join(sorted(buffers)) or 'none'})")
    return meta, param


def fit_from_model(meta: ScaleMeta, param: ScaleParam, header: list[str]) -> ScaleFit:
    """A trained model's scaling for rows with `header` (predict mode here, and the online serving)."""
    positions = {name: i for i, name in enumerate(header)}
    names = [n for n in param.header if n in param.col_scale_param]
    missing = [n for n in names if n not in positions]
    if missing:
        raise DataError(f"the data lacks column(s) {', '.join(missing)} that the FeatureScale model scales")
    entries = [param.col_scale_param[n] for n in names]
    lower = np.array([e.column_lower for e in entries])
    upper = np.array([e.column_upper for e in entries])
    if meta.method == MIN_MAX:
        center, scale = lower, _nonzero(upper - lower)
    else:
        center, scale = np.array([e.mean for e in entries]), np.array([e.std for e in entries])
    return ScaleFit([positions[n] for n in names], lower, upper, center, scale)
