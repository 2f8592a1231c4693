"""HeteroFeatureSelection (FATE 1.6): runs the listed filters one after the other over the chosen columns and
outputs the data with the columns that passed them all (columns not chosen for selection always pass).

Filters: manually, unique_value (max - min >= eps), coefficient_of_variation_value_thres (|std / mean| >= threshold),
outlier_cols (the column's `percentile` quantile < upper_threshold), percentage_value (no value occurs in more than
upper_pct of the rows), and the IV filters iv_value_thres, iv_percentile, iv_top_k and iv_filter, which read the
IVs of the HeteroFeatureBinning model given as isometric_model. Unless an IV filter is local_only, the guest judges
its and every host's columns together (hosts under their anonymous names, with their own thresholds when
host_thresholds is set): each host sends the anonymous names of its columns still in play, and the guest answers
each host with only the names of its own columns that pass. Statistic, PSI and SBT filters (which need model
types fate_flow does not run) are refused. In a prediction the model's kept columns are kept.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fate_flow.components.anonymous_names import anonymous_name
from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.feature_matrix import (
    InputData, collect_matrix, load_input, map_features, model_alias, output_name, output_schema, resolve_columns)
from fate_flow.components.hetero_feature_selection_params import (FilterStep, HeteroFeatureSelectionParams,
                                                                   filter_steps, is_number)
from fate_flow.components.selection_filters import (
    coefficients_of_variation, keep_one, mode_counts, pick_threshold, pick_top_k, pick_top_percentile,
    quantile_points, value_ranges)
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.federation.parties import PartyRef
from fate_flow.proto.feature_binning_pb2 import FeatureBinningParam
from fate_flow.proto.feature_selection_pb2 import (
    FeatureSelectionFilterParam, FeatureSelectionMeta, FeatureSelectionParam, FeatureValue, FilterMeta, HostColNames,
    IVPercentileSelectionMeta, IVTopKSelectionMeta, IVValueSelectionMeta, LeftCols, ManuallyFilterMeta,
    OutlierColsSelectionMeta, PercentageValueFilterMeta, UniqueValueMeta, VarianceOfCoeSelectionMeta)

GUEST, HOST = "guest", "host"
META, PARAM = "FeatureSelectionMeta", "FeatureSelectionParam"
@dataclass
class Outcome:
    """A filter's result for one party: the judged columns, their values, and those kept."""
    judged: list[str]
    values: dict[str, float]
    kept: list[str]


class HeteroFeatureSelection(Component):
    module = "HeteroFeatureSelection"
    params_class = HeteroFeatureSelectionParams

    def run(self, ctx: ComponentContext, params: HeteroFeatureSelectionParams) -> ComponentOutput:
        if ctx.role not in (GUEST, HOST):
            raise DataError(f"{self.module} runs on guest and host, not {ctx.role}")
        data = load_input(ctx, self.module)
        header = data.header
        if ctx.predicting:
            meta, param = self._load_model(ctx)
            kept = [n for n, left in param.final_left_cols.left_cols.items() if left]
            missing = [n for n in kept if n not in header]
            if missing:
                raise DataError(f"the data lacks column(s) {', '.join(missing)} that the selection model keeps")
            left = [i for i, n in enumerate(header) if n in set(kept)]
            return self._output(ctx, data, left, {META: meta, PARAM: param}, {})
        binning = _binning_model(ctx)
        steps = filter_steps(params)
        if any(s.kind == "iv" for s in steps) and ctx.role == GUEST and binning is None:
            raise DataError(f"{self.module}: the IV filters need the HeteroFeatureBinning model as isometric_model")
        run = SelectionRun(ctx, params, header, binning)
        if any(s.kind in ("unique", "variance", "outlier", "percentage") for s in steps):
            run.matrix = collect_matrix(data.table, header).features
        for number, step in enumerate(steps):
            run.apply(number, step)
        meta = _meta(params, [header[i] for i in run.select_cols], run.metas)
        return self._output(ctx, data, run.last_left, {META: meta, PARAM: run.param()}, run.summary)

    def _output(self, ctx: ComponentContext, data: InputData, left: list[int], model: dict, summary: dict) \
            -> ComponentOutput:
        index = np.asarray(left, dtype=np.int64)
        table = map_features(data.table, len(data.header), lambda features: features[index])
        header = [data.header[i] for i in left]
        ctx.log.info("%s: kept %s of %s column(s)", self.module, len(header), len(data.header))
        name = output_name(ctx)
        return ComponentOutput(data={name: table}, schemas={name: output_schema(data.schema, header)},
                               model={model_alias(ctx): model}, summary=summary)

    def _load_model(self, ctx: ComponentContext) -> tuple[FeatureSelectionMeta, FeatureSelectionParam]:
        buffers = ctx.input_models("model")[0]
        meta, param = buffers.get(META), buffers.get(PARAM)
        if not isinstance(meta, FeatureSelectionMeta) or not isinstance(param, FeatureSelectionParam):
            raise DataError(f"the model given to {self.module} is not a selection model (buffers: "
                            f"{', '.join(sorted(buffers)) or 'none'})")
        return meta, param


class SelectionRun:
    """The state of one party's selection across its filters."""

    def __init__(self, ctx: ComponentContext, params: HeteroFeatureSelectionParams, header: list[str],
                 binning: FeatureBinningParam | None):
        self.ctx, self.params, self.header, self.binning = ctx, params, header, binning
        select = -1 if params.select_col_indexes == -1 else params.select_col_indexes
        self.select_cols = resolve_columns(header, select, params.select_names, "select_col_indexes/select_names")
        self.selectable = list(self.select_cols)        # chosen columns still in play
        self.last_left = list(range(len(header)))        # every column still in the data
        self.matrix: np.ndarray | None = None
        self.results: list[FeatureSelectionFilterParam] = []
        self.metas: list[FilterMeta] = []
        self.summary: dict = {}
        self.passes: dict[str, int] = {}
        self.host_passes: dict[int, dict[str, int]] = {}
        # this party's column name -> its anonymous name (the binning model's, else role_partyid_index)
        anonymous = dict(zip(binning.header, binning.header_anonymous)) if binning is not None else {}
        self.anonymous = {n: anonymous.get(n) or anonymous_name(ctx.role, ctx.party_id, i)
                          for i, n in enumerate(header)}

    def apply(self, number: int, step: FilterStep) -> None:
        judged = [self.header[i] for i in self.selectable]
        hosts: list[tuple[PartyRef, Outcome]] = []
        if not judged and not (step.kind == "iv" and step.federated):
            outcome = Outcome([], {}, [])
        elif step.kind == "iv":
            outcome, hosts = self._iv(number, step, judged)
        elif step.kind == "manually":
            outcome = self._manual(judged)
        else:
            outcome = self._statistic(step, judged)
        kept = set(outcome.kept)
        original = [self.header[i] for i in self.last_left]
        left = [i for i in self.last_left if self.header[i] not in judged or self.header[i] in kept]
        for name in original:
            self.passes[name] = self.passes.get(name, 0) + (self.header.index(name) in left)
        result = FeatureSelectionFilterParam(filter_name=step.name, left_cols=LeftCols(
            original_cols=original, left_cols={self.header[i]: True for i in left}))
        result.feature_values.update(outcome.values)
        for party_index, (party, host) in enumerate(hosts):
            passes = self.host_passes.setdefault(party_index, {})
            for name in host.judged:
                passes[name] = passes.get(name, 0) + (name in host.kept)
            result.host_feature_values.append(FeatureValue(feature_values=host.values))
            result.host_left_cols.append(LeftCols(original_cols=host.judged, left_cols={n: True for n in host.kept}))
        self.results.append(result)
        self.metas.append(step.meta)
        self.summary[step.name] = {"last_col_nums": len(original), "left_col_nums": len(outcome.kept),
                                   "left_col_names": list(outcome.kept)}
        self.selectable = [i for i in self.selectable if self.header[i] in kept]
        self.last_left = left

    # --- filters -----------------------------------------------------------------------------------
    def _statistic(self, step: FilterStep, judged: list[str]) -> Outcome:
        x = self.matrix[:, self.selectable]
        if step.kind == "unique":
            values, kept = value_ranges(x), None
        elif step.kind == "variance":
            values, kept = coefficients_of_variation(x), None
        elif step.kind == "outlier":
            values = quantile_points(x, self.params.outlier_param.percentile)
            kept = [k for k, v in enumerate(values) if v < step.threshold]
        else:
            limit = np.ceil(x.shape[0] * step.threshold)
            exceeds = mode_counts(x) > limit
            values = exceeds.astype(np.float64)
            kept = [k for k, e in enumerate(exceeds) if not e]
        values = [float(v) for v in values]
        if kept is None:
            kept = pick_threshold(values, [step.threshold] * len(values))
        kept = keep_one(kept, values)
        return Outcome(judged, dict(zip(judged, values)), [judged[k] for k in sorted(kept)])

    def _manual(self, judged: list[str]) -> Outcome:
        p, header = self.params.manually_param, self.header
        if p.left_col_indexes is not None or p.left_col_names is not None:
            left = set(resolve_columns(header, p.left_col_indexes or [], p.left_col_names,
                                       "manually_param.left_col_indexes/manually_param.left_col_names"))
            out = set(range(len(header))) - left
        else:
            out = set(resolve_columns(header, p.filter_out_indexes or [], p.filter_out_names,
                                      "manually_param.filter_out_indexes/manually_param.filter_out_names"))
        kept = [n for n in judged if header.index(n) not in out]
        return Outcome(judged, {}, kept or judged[:1])

    def _iv(self, number: int, step: FilterStep, judged: list[str]) -> tuple[Outcome, list]:
        ctx = self.ctx
        tag_cols, tag_left = ctx.tag("selection", number, "select_cols"), ctx.tag("selection", number, "left_cols")
        if ctx.role == HOST:
            if not step.federated:
                return Outcome(judged, {}, judged), []
            guest = ctx.parties(GUEST)[:1]
            if not guest:
                raise DataError("HeteroFeatureSelection on a host needs the guest of the job")
            by_anonymous = {self.anonymous[n]: n for n in judged}
            ctx.federation.remote(list(by_anonymous), "host_select_cols", tag_cols, guest)
            [left] = ctx.federation.get("result_left_cols", tag_left, guest)
            stray = [a for a in left if a not in by_anonymous]
            if stray:
                raise DataError(f"the guest kept column(s) {', '.join(stray[:5])} this host did not offer")
            return Outcome(judged, {}, [n for n in judged if self.anonymous[n] in set(left)]), []

        guest_values = [self._guest_iv(n) for n in judged]
        hosts = ctx.parties(HOST) if step.federated else []
        offered = ctx.federation.get("host_select_cols", tag_cols, hosts) if hosts else []
        host_thresholds = self._host_thresholds(step, len(hosts))
        values, owners, thresholds = list(guest_values), [-1] * len(judged), [step.threshold] * len(judged)
        host_values = []
        for h, (party, names) in enumerate(zip(hosts, offered)):
            vals = [self._host_iv(party, n) for n in names]
            host_values.append(vals)
            values += vals
            owners += [h] * len(vals)
            thresholds += [host_thresholds[h]] * len(vals)
        if step.filter_type == "threshold":
            picked = set(pick_threshold(values, thresholds))
        elif step.filter_type == "top_k":
            picked = set(pick_top_k(values, step.threshold))
        else:
            picked = set(pick_top_percentile(values, step.threshold))
        position = 0
        kept_guest = keep_one([k for k in range(len(judged)) if k in picked], guest_values)
        position += len(judged)
        outcomes = []
        for h, (party, names) in enumerate(zip(hosts, offered)):
            kept = keep_one([k for k in range(len(names)) if position + k in picked], host_values[h])
            position += len(names)
            outcome = Outcome(list(names), dict(zip(names, host_values[h])), [names[k] for k in sorted(kept)])
            ctx.federation.remote(outcome.kept, "result_left_cols", tag_left, [party])
            outcomes.append((party, outcome))
        guest = Outcome(judged, dict(zip(judged, guest_values)), [judged[k] for k in sorted(kept_guest)])
        return guest, outcomes

    def _guest_iv(self, name: str) -> float:
        result = self.binning.binning_result.binning_result.get(name)
        if result is None or not result.woe_array:
            raise DataError(f"column {name} has no IV in the binning model; bin it in HeteroFeatureBinning (without "
                            f"skip_static) before selecting on IV")
        return float(result.iv)

    def _host_iv(self, party: PartyRef, name: str) -> float:
        for host in self.binning.host_results:
            if host.party_id == str(party.party_id):
                result = host.binning_result.get(name)
                if result is None:
                    raise DataError(f"host {party.party_id} column {name} has no IV in the binning model")
                return float(result.iv)
        raise DataError(f"the binning model has no IVs of host {party.party_id} (was it trained with local_only?)")

    def _host_thresholds(self, step: FilterStep, n_hosts: int) -> list[float]:
        given = step.host_thresholds
        if given is None:
            return [step.threshold] * n_hosts
        if is_number(given):
            return [given] * n_hosts
        if len(given) != n_hosts or not all(is_number(t) for t in given):
            raise ParameterError(f"parameter host_thresholds of {step.name} must give one number per host "
                                 f"({n_hosts}), got {given!r}")
        return list(given)

    # --- model -------------------------------------------------------------------------------------
    def param(self) -> FeatureSelectionParam:
        select_names = [self.header[i] for i in self.select_cols]
        param = FeatureSelectionParam(
            results=self.results, header=self.header,
            final_left_cols=LeftCols(original_cols=select_names,
                                     left_cols={self.header[i]: True for i in self.last_left}),
            col_names=_by_passes(self.passes))
        if self.ctx.role == GUEST:
            for h, party in enumerate(self.ctx.parties(HOST)):
                if h in self.host_passes:
                    param.host_col_names.append(HostColNames(col_names=_by_passes(self.host_passes[h]),
                                                             party_id=str(party.party_id)))
        else:
            param.host_col_names.append(HostColNames(col_names=[self.anonymous[n] for n in self.header],
                                                     party_id=str(self.ctx.party_id)))
        return param


def _by_passes(passes: dict[str, int]) -> list[str]:
    return [name for name, _ in sorted(passes.items(), key=lambda item: -item[1])]


def _binning_model(ctx: ComponentContext) -> FeatureBinningParam | None:
    for buffers in ctx.input_models("isometric_model"):
        for message in buffers.values():
            if isinstance(message, FeatureBinningParam) and message.model_name == "binning_model":
                return message
    return None


def _meta(p: HeteroFeatureSelectionParams, cols: list[str], metas: list[FilterMeta]) -> FeatureSelectionMeta:
    return FeatureSelectionMeta(
        filter_methods=p.filter_methods, cols=cols, need_run=True, filter_metas=metas,
        unique_meta=UniqueValueMeta(eps=p.unique_param.eps),
        iv_value_meta=IVValueSelectionMeta(value_threshold=p.iv_value_param.value_threshold,
                                           local_only=p.iv_value_param.local_only),
        iv_percentile_meta=IVPercentileSelectionMeta(percentile_threshold=p.iv_percentile_param.percentile_threshold,
                                                     local_only=p.iv_percentile_param.local_only),
        iv_top_k_meta=IVTopKSelectionMeta(k=p.iv_top_k_param.k, local_only=p.iv_top_k_param.local_only),
        variance_coe_meta=VarianceOfCoeSelectionMeta(value_threshold=p.variance_coe_param.value_threshold),
        outlier_meta=OutlierColsSelectionMeta(percentile=p.outlier_param.percentile,
                                              upper_threshold=p.outlier_param.upper_threshold),
        manually_meta=ManuallyFilterMeta(filter_out_names=p.manually_param.filter_out_names or []),
        pencentage_value_meta=PercentageValueFilterMeta(upper_pct=p.percentage_value_param.upper_pct))
