"""HeteroFeatureSelection's parameters (FATE 1.6 names and checks) and the filter runs they ask for."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fate_flow.components.nested_params import parse_nested
from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import ParameterError
from fate_flow.proto.feature_selection_pb2 import FilterMeta

SUPPORTED = ("manually", "unique_value", "iv_value_thres", "iv_percentile", "iv_top_k", "iv_filter",
             "coefficient_of_variation_value_thres", "outlier_cols", "percentage_value")
UNSUPPORTED = {"statistic_filter": "a DataStatistics model", "psi_filter": "a PSI model",
               "hetero_sbt_filter": "a filter on a HeteroSecureBoost model's feature importance",
               "homo_sbt_filter": "a HomoSecureBoost model",
               "hetero_fast_sbt_filter": "a HeteroFastSecureBoost model"}
FILTER_TYPES = ("threshold", "top_k", "top_percentile")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _names(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(n, str) for n in value))


def _indexes(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool)
                                                             for i in value))


@dataclass
class UniqueValueParams(ComponentParams):
    eps: float = 1e-5

    def check(self, where: str) -> None:
        if self.eps <= 0:
            raise ParameterError(f"{where}parameter eps must be positive, got {self.eps}")


@dataclass
class IVValueSelectionParams(ComponentParams):
    value_threshold: float = 0.0
    host_thresholds: list | None = None
    local_only: bool = False

    def check(self, where: str) -> None:
        if self.host_thresholds is not None and not all(is_number(t) for t in self.host_thresholds):
            raise ParameterError(f"{where}parameter host_thresholds must be a list of numbers (one per host)")


@dataclass
class IVPercentileSelectionParams(ComponentParams):
    percentile_threshold: float = 1.0
    local_only: bool = False

    def check(self, where: str) -> None:
        if not 0 <= self.percentile_threshold <= 1:
            raise ParameterError(f"{where}parameter percentile_threshold must be between 0 and 1, "
                                 f"got {self.percentile_threshold}")


@dataclass
class IVTopKParams(ComponentParams):
    k: int = 10
    local_only: bool = False

    def check(self, where: str) -> None:
        if self.k < 1:
            raise ParameterError(f"{where}parameter k must be a positive integer, got {self.k}")


@dataclass
class VarianceOfCoeSelectionParams(ComponentParams):
    value_threshold: float = 1.0

    def check(self, where: str) -> None:
        if self.value_threshold <= 0:
            raise ParameterError(f"{where}parameter value_threshold must be positive, got {self.value_threshold}")


@dataclass
class OutlierColsSelectionParams(ComponentParams):
    percentile: float = 1.0
    upper_threshold: float = 1.0

    def check(self, where: str) -> None:
        if not 0 <= self.percentile <= 1:
            raise ParameterError(f"{where}parameter percentile must be between 0 and 1, got {self.percentile}")


@dataclass
class ManuallyFilterParams(ComponentParams):
    filter_out_indexes: list | None = None
    filter_out_names: list | None = None
    left_col_indexes: list | None = None
    left_col_names: list | None = None

    def check(self, where: str) -> None:
        for name in ("filter_out_indexes", "left_col_indexes"):
            if not _indexes(getattr(self, name)):
                raise ParameterError(f"{where}parameter {name} must be a list of column indexes")
        for name in ("filter_out_names", "left_col_names"):
            if not _names(getattr(self, name)):
                raise ParameterError(f"{where}parameter {name} must be a list of column names")
        if (self.filter_out_indexes is not None or self.filter_out_names is not None) and \
                (self.left_col_indexes is not None or self.left_col_names is not None):
            raise ParameterError(f"{where}parameter left_col_indexes/left_col_names cannot be used together with "
                                 f"filter_out_indexes/filter_out_names")


@dataclass
class PercentageValueParams(ComponentParams):
    upper_pct: float = 1.0

    def check(self, where: str) -> None:
        if not 0.1 <= self.upper_pct <= 1:
            raise ParameterError(f"{where}parameter upper_pct must be between 0.1 and 1, got {self.upper_pct}")


@dataclass
class CommonFilterParams(ComponentParams):
    """FATE's CommonFilterParam: one value or a list (one per metric) for each field."""
    metrics: Any = "iv"
    filter_type: Any = "threshold"
    take_high: Any = True
    threshold: Any = 1
    host_thresholds: list | None = None
    select_federated: Any = True

    def check(self, where: str) -> None:
        fields = ("filter_type", "take_high", "threshold", "select_federated")
        if not isinstance(self.metrics, list):
            for name in fields:
                if isinstance(getattr(self, name), list):
                    raise ParameterError(f"{where}parameter {name} must not be a list when metrics is not a list")
                setattr(self, name, [getattr(self, name)])
            self.metrics = [self.metrics]
        else:
            for name in fields:
                value = getattr(self, name)
                if isinstance(value, list) and len(value) != len(self.metrics):
                    raise ParameterError(f"{where}parameter {name} lists {len(value)} values for "
                                         f"{len(self.metrics)} metrics")
                if not isinstance(value, list):
                    setattr(self, name, [value] * len(self.metrics))
        for kind, take_high, threshold, federated in zip(self.filter_type, self.take_high, self.threshold,
                                                         self.select_federated):
            if kind not in FILTER_TYPES:
                raise ParameterError(f"{where}parameter filter_type must be one of {', '.join(FILTER_TYPES)}, "
                                     f"got {kind!r}")
            if not isinstance(take_high, bool) or not isinstance(federated, bool):
                raise ParameterError(f"{where}parameter take_high and select_federated must be true or false")
            if kind == "threshold" and not is_number(threshold):
                raise ParameterError(f"{where}parameter threshold must be a number, got {threshold!r}")
            if kind == "top_k" and (not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1):
                raise ParameterError(f"{where}parameter threshold must be a positive integer for top_k, "
                                     f"got {threshold!r}")
            if kind == "top_percentile" and not (is_number(threshold) and 0 <= threshold <= 1):
                raise ParameterError(f"{where}parameter threshold must be between 0 and 1 for top_percentile, "
                                     f"got {threshold!r}")
        if self.host_thresholds is not None and not isinstance(self.host_thresholds, list):
            raise ParameterError(f"{where}parameter host_thresholds must be a list or null")


@dataclass
class HeteroFeatureSelectionParams(ComponentParams):
    select_col_indexes: Any = -1
    select_names: list | None = field(default_factory=list)
    filter_methods: list | None = field(default_factory=lambda: ["manually"])
    unique_param: UniqueValueParams = field(default_factory=UniqueValueParams)
    iv_value_param: IVValueSelectionParams = field(default_factory=IVValueSelectionParams)
    iv_percentile_param: IVPercentileSelectionParams = field(default_factory=IVPercentileSelectionParams)
    iv_top_k_param: IVTopKParams = field(default_factory=IVTopKParams)
    variance_coe_param: VarianceOfCoeSelectionParams = field(default_factory=VarianceOfCoeSelectionParams)
    outlier_param: OutlierColsSelectionParams = field(default_factory=OutlierColsSelectionParams)
    manually_param: ManuallyFilterParams = field(default_factory=ManuallyFilterParams)
    percentage_value_param: PercentageValueParams = field(default_factory=PercentageValueParams)
    iv_param: CommonFilterParams = field(default_factory=CommonFilterParams)
    statistic_param: CommonFilterParams = field(default_factory=lambda: CommonFilterParams(metrics="mean"))
    psi_param: CommonFilterParams = field(default_factory=lambda: CommonFilterParams(metrics="psi", take_high=False))
    sbt_param: CommonFilterParams = field(default_factory=lambda: CommonFilterParams(metrics="feature_importance"))

    def check(self, where: str) -> None:
        for name, cls in (("unique_param", UniqueValueParams), ("iv_value_param", IVValueSelectionParams),
                          ("iv_percentile_param", IVPercentileSelectionParams), ("iv_top_k_param", IVTopKParams),
                          ("variance_coe_param", VarianceOfCoeSelectionParams),
                          ("outlier_param", OutlierColsSelectionParams), ("manually_param", ManuallyFilterParams),
                          ("percentage_value_param", PercentageValueParams), ("iv_param", CommonFilterParams),
                          ("statistic_param", CommonFilterParams), ("psi_param", CommonFilterParams),
                          ("sbt_param", CommonFilterParams)):
            value = getattr(self, name)
            parsed = parse_nested(cls, value, where, name)
            if isinstance(value, cls):
                parsed.check(f"{where}{name}: ")
            setattr(self, name, parsed)
        if self.select_col_indexes != -1 and not _indexes(self.select_col_indexes):
            raise ParameterError(f"{where}parameter select_col_indexes must be -1 or a list of column indexes, "
                                 f"got {self.select_col_indexes!r}")
        self.select_names = self.select_names or []
        if not _names(self.select_names):
            raise ParameterError(f"{where}parameter select_names must be a list of column names")
        methods = ["manually"] if self.filter_methods is None else self.filter_methods
        if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
            raise ParameterError(f"{where}parameter filter_methods must be a list of filter names")
        self.filter_methods = [m.lower() for m in methods]
        for method in self.filter_methods:
            if method in UNSUPPORTED:
                raise ParameterError(f"{where}parameter filter_methods: {method} needs {UNSUPPORTED[method]}, "
                                     f"which fate_flow does not provide; supported: {', '.join(SUPPORTED)}")
            if method not in SUPPORTED:
                raise ParameterError(f"{where}parameter filter_methods: unknown filter {method!r}; supported: "
                                     f"{', '.join(SUPPORTED)}")
        if any(m != "iv" for m in self.iv_param.metrics):
            raise ParameterError(f"{where}parameter iv_param.metrics must be iv, got {self.iv_param.metrics}")
        if not all(self.iv_param.take_high):
            raise ParameterError(f"{where}parameter iv_param.take_high must be true (an IV filter keeps high IVs)")


@dataclass
class FilterStep:
    """One filter run: what it judges with and how."""
    name: str                    # recorded filter name (FATE's: the method, or iv_<filter_type> for iv_filter)
    kind: str                    # iv | unique | variance | outlier | percentage | manually
    filter_type: str = "threshold"
    threshold: float = 0.0
    host_thresholds: Any = None  # a number or one number per host
    federated: bool = False
    meta: FilterMeta = field(default_factory=FilterMeta)


def filter_steps(p: HeteroFeatureSelectionParams) -> list[FilterStep]:
    steps = []
    for method in p.filter_methods:
        if method == "unique_value":
            steps.append(FilterStep(method, "unique", threshold=p.unique_param.eps))
        elif method == "coefficient_of_variation_value_thres":
            steps.append(FilterStep(method, "variance", threshold=p.variance_coe_param.value_threshold))
        elif method == "outlier_cols":
            steps.append(FilterStep(method, "outlier", threshold=p.outlier_param.upper_threshold))
        elif method == "percentage_value":
            steps.append(FilterStep(method, "percentage", threshold=p.percentage_value_param.upper_pct))
        elif method == "manually":
            steps.append(FilterStep(method, "manually"))
        elif method == "iv_value_thres":
            v = p.iv_value_param
            steps.append(_iv_step(method, "threshold", v.value_threshold, v.host_thresholds, not v.local_only))
        elif method == "iv_percentile":
            v = p.iv_percentile_param
            steps.append(_iv_step(method, "top_percentile", v.percentile_threshold, None, not v.local_only))
        elif method == "iv_top_k":
            steps.append(_iv_step(method, "top_k", p.iv_top_k_param.k, None, not p.iv_top_k_param.local_only))
        else:
            c = p.iv_param
            for m in range(len(c.metrics)):
                host = c.host_thresholds
                if host is not None and len(c.metrics) > 1:
                    host = host[m]
                elif host is not None and host and all(isinstance(h, list) for h in host):
                    host = host[0]
                steps.append(_iv_step(f"iv_{c.filter_type[m]}", c.filter_type[m], c.threshold[m], host,
                                      c.select_federated[m]))
    return steps


def _iv_step(name: str, kind: str, threshold: float, host_thresholds: Any, federated: bool) -> FilterStep:
    meta = FilterMeta(metrics="iv", filter_type=kind, take_high=True, threshold=threshold, select_federated=federated)
    return FilterStep(name, "iv", kind, threshold, host_thresholds, federated, meta)
