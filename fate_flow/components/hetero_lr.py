"""HeteroLR (FATE 1.6): logistic regression over features split between a guest (features and labels)
and hosts (features only), with an arbiter holding the Paillier private key.

Training follows FATE's hetero LR protocol with the Taylor expansion of the logistic loss, written in
fate_flow.components.hetero_lr_train; this module loads the data, dispatches by role, and scores rows
(after training, and in predict mode with a trained model).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.feature_matrix import model_alias
from fate_flow.components.hetero_lr_data import MODULE, PartyData, load_party_data
from fate_flow.components.hetero_lr_train import ARBITER, GUEST, HOST, train_arbiter, train_guest, train_host
from fate_flow.components.linear_model.lr_model import model_buffers, read_model
from fate_flow.components.linear_model.lr_params import HeteroLRParams
from fate_flow.components.linear_model.optimizers import sigmoid
from fate_flow.components.predict_result import binary_row, predict_schema
from fate_flow.entity.errors import DataError

PREDICT_INPUTS = ("data", "test_data", "eval_data")


class HeteroLR(Component):
    module = MODULE
    params_class = HeteroLRParams

    def run(self, ctx: ComponentContext, params: HeteroLRParams) -> ComponentOutput:
        if ctx.role not in (GUEST, HOST, ARBITER):
            raise DataError(f"{MODULE} runs on guest, host and arbiter, not {ctx.role}")
        if not ctx.parties(HOST):
            raise DataError(f"{MODULE} needs at least one host party in the job")
        if ctx.predicting:
            return self._predict_with_model(ctx)
        if ctx.role == ARBITER:
            if not ctx.parties(ARBITER):
                raise DataError(f"{MODULE} needs an arbiter party in the job")
            result = train_arbiter(ctx, params)
            return ComponentOutput(summary=result.summary)
        data = load_party_data(ctx, "train_data", with_labels=ctx.role == GUEST)
        if data is None:
            raise DataError(f"{ctx.spec.component_name}: {MODULE} needs input data train_data at {ctx.role}")
        if not ctx.parties(ARBITER):
            raise DataError(f"{MODULE} needs an arbiter party in the job (it holds the Paillier private key)")
        train = train_guest if ctx.role == GUEST else train_host
        result = train(ctx, params, data)
        coef, intercept = result.weights[:len(data.header)], (result.weights[-1] if ctx.role == GUEST and
                                                                 params.init.fit_intercept else 0.0)
        alias = model_alias(ctx)
        output = ComponentOutput(
            model={alias: model_buffers(MODULE, params, data.header, coef, intercept, result.iters, result.losses,
                                        result.converged)},
            summary=result.summary)
        scored = [("train", data)]
        validate = load_party_data(ctx, "validate_data", with_labels=ctx.role == GUEST)
        if validate is not None:
            scored.append(("validate", validate))
        rows = _score(ctx, scored, coef, intercept, params.threshold)
        if rows is not None:
            name = ctx.spec.output_data[0] if ctx.spec.output_data else "data"
            output.data[name] = ctx.computing.parallelize(rows, _partitions(ctx))
            output.schemas[name] = predict_schema(data.sid_name)
        return output

    def _predict_with_model(self, ctx: ComponentContext) -> ComponentOutput:
        if ctx.role == ARBITER:
            return ComponentOutput()
        models = ctx.input_models("model")
        try:
            meta, param, coef = read_model(MODULE, models[0])
        except ValueError as e:
            raise DataError(f"{ctx.spec.component_name}: {e}") from None
        key = next((k for k in PREDICT_INPUTS if ctx.input_tables(k)), None)
        if key is None:
            raise DataError(f"{ctx.spec.component_name}: {MODULE} predict needs input data (data or test_data)")
        data = load_party_data(ctx, key, with_labels=ctx.role == GUEST, labels_optional=True)
        if data.header != list(param.header):
            raise DataError(f"{ctx.spec.component_name}: the data's features {data.header} differ from the model's "
                            f"{list(param.header)} at {ctx.role} {ctx.party_id}")
        rows = _score(ctx, [("test", data)], coef, param.intercept, meta.threshold)
        if rows is None:
            return ComponentOutput()
        name = ctx.spec.output_data[0] if ctx.spec.output_data else "data"
        return ComponentOutput(data={name: ctx.computing.parallelize(rows, _partitions(ctx))},
                               schemas={name: predict_schema(data.sid_name)})


def _score(ctx: ComponentContext, inputs: list[tuple[str, PartyData]], coef: np.ndarray, intercept: float,
           threshold: float) -> list[tuple[Any, list]] | None:
    """Hosts send their partial scores X_h w_h per row to the guest, which adds its own and writes the
    prediction rows; only the guest has output data."""
    guest, hosts = ctx.parties(GUEST), ctx.parties(HOST)
    rows: list[tuple[Any, list]] = []
    for data_type, data in inputs:
        partial = data.features @ coef
        if ctx.role == HOST:
            ctx.federation.remote(list(zip(data.ids, partial.tolist())), "host_partial_score",
                                  ctx.tag("score", data_type), guest)
            continue
        total = partial + intercept
        position = {sid: i for i, sid in enumerate(data.ids)}
        for host, pairs in zip(hosts, ctx.federation.get("host_partial_score", ctx.tag("score", data_type), hosts)):
            seen = np.zeros(len(data.ids), dtype=bool)
            for sid, value in pairs:
                i = position.get(sid)
                if i is not None:
                    total[i] += value
                    seen[i] = True
            if not seen.all():
                missing = [data.ids[i] for i in np.flatnonzero(~seen)[:5]]
                raise DataError(f"{ctx.spec.component_name}: host {host.party_id} has no rows for ids {missing} of "
                                f"the guest's {data_type} data; put an Intersection before {MODULE}")
        probabilities = sigmoid(total)
        labels = data.labels
        for i, sid in enumerate(data.ids):
            label = None if labels is None else int(labels[i])
            rows.append((sid, binary_row(label, probabilities[i], threshold, data_type)))
    return rows if ctx.role == GUEST else None


def _partitions(ctx: ComponentContext) -> int:
    return int(ctx.spec.job_parameters.get("computing_partitions") or 4)
