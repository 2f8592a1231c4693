"""One party's model as online inference runs it: the deployed components in DSL order, each turning one row
(feature names + values) into the next, ending in the party's partial LR score or, for HeteroSecureBoost, the
host's split decisions and the guest's walk of the trees.

The row math is the batch predict's: the trained parameters are read with the components' own model readers
(FeatureScale's fit, the binning split search, LR's coefficients in header order), so an online score equals the
predict job's for the same row. Reader, Intersection and Evaluation have nothing to do for one row and are skipped.

Buffers come as FATE-Flow's /v1/model/transfer gives them: `<component>.<alias>:<buffer name>` -> bytes; a
component's module comes from the Pipeline's inference DSL.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

import numpy as np
from google.protobuf.message import DecodeError, Message

from fate_flow.components.binning_splits import bin_indices
from fate_flow.components.data_transform import DATA_TYPES, DEFAULT_MISSING
from fate_flow.components.feature_scale import fit_from_model as scale_fit_from_model
from fate_flow.components.linear_model.lr_model import read_model
from fate_flow.components.linear_model.optimizers import sigmoid
from fate_flow.components.secureboost.online import OnlineTrees
from fate_flow.entity.errors import DataError
from fate_flow.proto.boosting_tree_model_pb2 import BoostingTreeModelMeta, BoostingTreeModelParam
from fate_flow.proto.data_transform_pb2 import DataTransformMeta, DataTransformParam
from fate_flow.proto.feature_binning_pb2 import FeatureBinningMeta, FeatureBinningParam
from fate_flow.proto.feature_scale_pb2 import ScaleMeta, ScaleParam
from fate_flow.proto.feature_selection_pb2 import FeatureSelectionMeta, FeatureSelectionParam
from fate_flow.proto.lr_model_pb2 import LRModelMeta, LRModelParam
from fate_flow.proto.pipeline_pb2 import Pipeline

PIPELINE_KEY = "pipeline.pipeline:Pipeline"
SKIPPED_MODULES = frozenset({"Reader", "Intersection", "Evaluation"})
# module -> (meta class, param class): a buffer whose name ends in Meta / Param is parsed with them
MODEL_CLASSES: dict[str, tuple[type[Message], type[Message]]] = {
    "DataIO": (DataTransformMeta, DataTransformParam),
    "DataTransform": (DataTransformMeta, DataTransformParam),
    "FeatureScale": (ScaleMeta, ScaleParam),
    "HeteroFeatureBinning": (FeatureBinningMeta, FeatureBinningParam),
    "HeteroFeatureSelection": (FeatureSelectionMeta, FeatureSelectionParam),
    "HeteroLR": (LRModelMeta, LRModelParam),
    "HomoLR": (LRModelMeta, LRModelParam),
    "HeteroSecureBoost": (BoostingTreeModelMeta, BoostingTreeModelParam),
}
FEDERATED_MODULES = ("HeteroLR", "HeteroSecureBoost")


class UnsupportedModelError(DataError):
    """The model has a component the bundled serving cannot run online."""


@dataclass
class Row:
    header: list[str]
    values: np.ndarray


class Step(Protocol):
    component: str

    def apply(self, row: Row) -> Row: ...


@dataclass
class ModelBuffers:
    """The parsed buffers of one component: (meta, param)."""
    meta: Message
    param: Message
    names: dict[str, Message]


# ---------------------------------------------------------------------------------------------- steps
class ReadFeatures:
    """DataIO/DataTransform: the trained header's features from a {name: value} mapping, with the trained
    missing-value and outlier replacements; a feature that is absent counts as missing."""

    def __init__(self, component: str, meta: DataTransformMeta, param: DataTransformParam):
        self.component = component
        self.header = list(param.header)
        self.dense = meta.input_format in ("", "dense")
        missing = {str(v) for v in meta.missing_impute} or set(DEFAULT_MISSING)
        outliers = {str(v) for v in meta.outlier_impute} if meta.outlier_replace else set()
        self.missing, self.outliers = missing, outliers
        self.missing_numbers, self.outlier_numbers = _numbers(missing), _numbers(outliers)
        self.fill = [param.missing_replace_value[f] if f in param.missing_replace_value else None
                     for f in self.header]
        self.replace = [param.outlier_replace_value.get(f) for f in self.header]
        self.dtype = DATA_TYPES.get(meta.data_type or "float64", np.float64)

    def read(self, features: Mapping[str, Any]) -> Row:
        numbers: list[float] = []
        absent: list[str] = []
        for i, name in enumerate(self.header):
            value = features.get(name)
            if value is None and not self.dense:
                numbers.append(0.0)  # sparse and tag rows leave zero features out
                continue
            cell = "" if value is None else value
            if self._is(cell, self.outliers, self.outlier_numbers):
                numbers.append(self.replace[i])
            elif self._is(cell, self.missing, self.missing_numbers):
                if self.fill[i] is None:
                    absent.append(name)
                    continue
                numbers.append(self.fill[i])
            else:
                try:
                    numbers.append(float(cell))
                except (TypeError, ValueError):
                    raise DataError(f"feature {name}: value {cell!r} is not a number") from None
        if absent:
            raise DataError(f"missing feature(s) {', '.join(absent)} (the model reads {len(self.header)} features: "
                            f"{', '.join(self.header[:20])}{'...' if len(self.header) > 20 else ''}) and the "
                            f"model fills no missing values")
        values = np.asarray(np.asarray(numbers, dtype=self.dtype), dtype=np.float64)
        return Row(list(self.header), values)

    @staticmethod
    def _is(cell: Any, texts: set[str], numbers: set[float]) -> bool:
        if isinstance(cell, str):
            return cell in texts
        if isinstance(cell, bool):
            return False
        return isinstance(cell, (int, float)) and (float(cell) in numbers or str(cell) in texts)


class Scale:
    def __init__(self, component: str, meta: ScaleMeta, param: ScaleParam, header: list[str]):
        self.component = component
        self.fit = scale_fit_from_model(meta, param, header) if meta.method else None

    def apply(self, row: Row) -> Row:
        return row if self.fit is None else Row(row.header, self.fit.apply(row.values))


class Binning:
    """Each transformed column replaced by its bin index (or, on the guest, its bin's WOE)."""

    def __init__(self, component: str, meta: FeatureBinningMeta, param: FeatureBinningParam, header: list[str],
                 role: str):
        self.component = component
        kind = meta.transform_param.transform_type
        results = param.binning_result.binning_result
        names = [list(param.header)[i] for i in meta.transform_param.transform_cols]
        self.columns: list[int] = []
        if not kind or not names or (kind == "woe" and role == "host"):
            return
        positions = {n: i for i, n in enumerate(header)}
        missing = [n for n in names if n not in positions]
        if missing:
            raise DataError(f"{component}: the binning model transforms column(s) {', '.join(missing)} that the "
                            f"data before it lacks")
        self.columns = [positions[n] for n in names]
        self.splits = [np.asarray(results[n].split_points, dtype=np.float64) for n in names]
        self.woes = [np.asarray(results[n].woe_array, dtype=np.float64) for n in names] if kind == "woe" else None

    def apply(self, row: Row) -> Row:
        if not self.columns:
            return row
        values = row.values.copy()
        for k, i in enumerate(self.columns):
            b = int(bin_indices(row.values[i:i + 1], self.splits[k])[0])
            values[i] = self.woes[k][b] if self.woes is not None else b
        return Row(row.header, values)


class Select:
    def __init__(self, component: str, param: FeatureSelectionParam, header: list[str]):
        self.component = component
        kept = {n for n, left in param.final_left_cols.left_cols.items() if left}
        missing = sorted(kept - set(header))
        if missing:
            raise DataError(f"{component}: the selection model keeps column(s) {', '.join(missing)} that the data "
                            f"before it lacks")
        self.index = np.asarray([i for i, n in enumerate(header) if n in kept], dtype=np.int64)
        self.header = [header[i] for i in self.index]

    def apply(self, row: Row) -> Row:
        return Row(self.header, row.values[self.index])


@dataclass
class Scorer:
    """The LR: this party's partial score X w (+ the intercept on the guest), the threshold for the class."""
    component: str
    module: str
    header: list[str]
    coef: np.ndarray
    intercept: float
    threshold: float

    def partial(self, row: Row) -> float:
        if row.header != self.header:
            raise DataError(f"{self.component}: the features reaching the LR ({', '.join(row.header)}) are not the "
                            f"model's ({', '.join(self.header)})")
        return float(row.values @ self.coef)


@dataclass
class TreeScorer:
    """HeteroSecureBoost: a host's split decisions for a row, or the guest's score from them."""
    component: str
    module: str
    header: list[str]
    trees: OnlineTrees

    def check(self, row: Row) -> Row:
        if row.header != self.header:
            raise DataError(f"{self.component}: the features reaching the trees ({', '.join(row.header)}) are not "
                            f"the model's ({', '.join(self.header)})")
        return row


# ---------------------------------------------------------------------------------------------- model
@dataclass
class OnlineModel:
    pipeline: Pipeline
    reader: ReadFeatures
    steps: list[Step]
    scorer: Scorer | TreeScorer
    components: list[str]

    @property
    def federated(self) -> bool:
        """Hetero models need every host's part; a HomoLR scores alone."""
        return self.scorer.module in FEDERATED_MODULES

    @property
    def trees(self) -> OnlineTrees | None:
        return self.scorer.trees if isinstance(self.scorer, TreeScorer) else None

    def _row(self, features: Mapping[str, Any]) -> Row:
        row = self.reader.read(features)
        for step in self.steps:
            row = step.apply(row)
        return row

    def partial_score(self, features: Mapping[str, Any], with_intercept: bool) -> float:
        score = self.scorer.partial(self._row(features))
        return score + self.scorer.intercept if with_intercept else score

    def host_part(self, features: Mapping[str, Any]) -> dict[str, Any]:
        """What a host answers the guest for a row: its partial LR score, or its trees' split decisions."""
        if isinstance(self.scorer, TreeScorer):
            return {"decisions": self.scorer.trees.decisions(self.scorer.check(self._row(features)).values)}
        return {"score": self.partial_score(features, with_intercept=False)}

    def tree_score(self, features: Mapping[str, Any], answers: list[Any]) -> tuple[float, Any]:
        """The guest's HeteroSecureBoost score from its row and each host's decisions, in the job's host order."""
        return self.scorer.trees.score(self.scorer.check(self._row(features)).values, answers)


def probability(total: float) -> float:
    """The positive-class probability of a summed LR score (the batch predict's sigmoid)."""
    return float(sigmoid(np.asarray([total]))[0])


def build_online_model(buffers: Mapping[str, bytes], role: str) -> OnlineModel:
    """The model of one party from its transfer buffers. Raises DataError (UnsupportedModelError) naming the
    component that cannot be run online, or the buffer that does not parse."""
    raw = buffers.get(PIPELINE_KEY)
    if raw is None:
        raise DataError(f"the model has no {PIPELINE_KEY} buffer (buffers: {', '.join(sorted(buffers)) or 'none'})")
    pipeline = Pipeline()
    try:
        pipeline.ParseFromString(raw)
    except DecodeError as e:
        raise DataError(f"buffer {PIPELINE_KEY} does not parse as a Pipeline: {e}") from None
    dsl = json.loads(pipeline.inference_dsl or b"{}").get("components") or {}
    if not dsl:
        raise DataError("the model's Pipeline has no inference DSL; deploy the model (/v1/model/deploy) first")
    reader: ReadFeatures | None = None
    steps: list[Step] = []
    scorer: Scorer | TreeScorer | None = None
    header: list[str] = []
    order = _dsl_order(dsl)
    for component in order:
        module = str(dsl[component].get("module", ""))
        if module in SKIPPED_MODULES:
            continue
        if module not in MODEL_CLASSES:
            raise UnsupportedModelError(f"component {component} (module {module}) cannot run in the bundled serving; "
                                        f"it runs {', '.join(sorted(MODEL_CLASSES))}")
        if scorer is not None:
            raise UnsupportedModelError(f"component {component} ({module}) comes after the LR {scorer.component}; "
                                        f"the bundled serving ends a model at its LR")
        model = _component_buffers(buffers, component, module)
        if module in ("DataIO", "DataTransform"):
            if reader is not None:
                raise UnsupportedModelError(f"component {component}: a second DataIO/DataTransform")
            reader = ReadFeatures(component, model.meta, model.param)
            header = list(reader.header)
            continue
        if reader is None:
            raise UnsupportedModelError(f"component {component} ({module}) comes before any DataIO/DataTransform")
        if module == "FeatureScale":
            steps.append(Scale(component, model.meta, model.param, header))
        elif module == "HeteroFeatureBinning":
            steps.append(Binning(component, model.meta, model.param, header, role))
        elif module == "HeteroFeatureSelection":
            step = Select(component, model.param, header)
            steps.append(step)
            header = step.header
        elif module == "HeteroSecureBoost":
            scorer = TreeScorer(component, module, list(header), OnlineTrees(component, model.names, role))
            if scorer.trees.header != header:
                raise DataError(f"{component}: the trees were trained on {', '.join(scorer.trees.header)} but the "
                                f"components before them give {', '.join(header)}")
        else:
            try:
                meta, param, coef = read_model(module, model.names)
            except ValueError as e:
                raise DataError(f"{component}: {e}") from None
            scorer = Scorer(component, module, list(param.header), coef, float(param.intercept), float(meta.threshold))
            if scorer.header != header:
                raise DataError(f"{component}: the LR was trained on {', '.join(scorer.header)} but the components "
                                f"before it give {', '.join(header)}")
    if reader is None or scorer is None:
        raise UnsupportedModelError(f"the model ({', '.join(order)}) needs a DataIO/DataTransform and a HeteroLR, "
                                    f"HomoLR or HeteroSecureBoost to be served")
    if role == "host" and scorer.module not in FEDERATED_MODULES:
        raise UnsupportedModelError(f"a {scorer.module} model is served by its guest alone")
    return OnlineModel(pipeline, reader, steps, scorer, order)


def _component_buffers(buffers: Mapping[str, bytes], component: str, module: str) -> ModelBuffers:
    meta_class, param_class = MODEL_CLASSES[module]
    prefix = f"{component}."
    found = {key.split(":", 1)[1]: data for key, data in buffers.items() if key.startswith(prefix) and ":" in key}
    parsed: dict[str, Message] = {}
    meta = param = None
    for name, data in found.items():
        cls = meta_class if name.endswith("Meta") else param_class if name.endswith("Param") else None
        if cls is None:
            continue
        message = cls()
        try:
            message.ParseFromString(data)
        except DecodeError as e:
            raise DataError(f"buffer {component}:{name} does not parse as {cls.__name__}: {e}") from None
        parsed[name] = message
        if cls is meta_class and meta is None:
            meta = message
        elif cls is param_class and param is None:
            param = message
    if meta is None or param is None:
        raise DataError(f"component {component} ({module}) has no Meta and Param buffers in the model (found: "
                        f"{', '.join(sorted(found)) or 'none'})")
    return ModelBuffers(meta, param, parsed)


def _dsl_order(components: Mapping[str, Any]) -> list[str]:
    """Components in data-flow order (a component after those whose data it reads); ties in DSL order."""
    upstream: dict[str, set[str]] = {}
    for name, body in components.items():
        data = ((body or {}).get("input") or {}).get("data") or {}
        refs = [ref for refs in data.values() for ref in (refs or []) if isinstance(ref, str)]
        upstream[name] = {ref.split(".", 1)[0] for ref in refs} & set(components)
    order: list[str] = []
    remaining = list(components)
    while remaining:
        ready = [n for n in remaining if upstream[n] <= set(order)]
        if not ready:
            raise DataError(f"the inference DSL has a cycle among {', '.join(remaining)}")
        order.extend(ready)
        remaining = [n for n in remaining if n not in ready]
    return order


def _numbers(texts: set[str]) -> set[float]:
    out = set()
    for t in texts:
        try:
            x = float(t)
        except ValueError:
            continue
        if not math.isnan(x):
            out.add(x)
    return out
