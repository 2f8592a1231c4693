"""HomoLR (FATE 1.6): logistic regression where the guest and every host hold full labelled rows of the same
features. Each trains on its own rows; the arbiter averages their models by secure aggregation and never sees
one party's model.

FATE's homo LR sequence: iterations n = 0..max_iter. At every aggregate_iters-th iteration (n + 1 divisible by
aggregate_iters) and at the last one, each client sends its weights times its row count (and the count), masked;
the arbiter sends back the weighted average. Each client then sends its loss of the averaged model times its row
count, masked; the arbiter logs the average loss and tells everyone whether the early_stop rule is met. The
iteration then ends with one local epoch of mini-batch steps (its index drives the learning-rate decay).
With aggregate_iters 1 the first aggregation averages the initial weights, so all parties start together.

Before training, each client sends the arbiter its header and the labels it holds (FATE's label alignment) or the
reason it cannot train; the arbiter checks that every party has the same features and both classes are present,
and all parties stop with the same error otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.feature_matrix import collect_matrix, load_input, model_alias, output_name
from fate_flow.components.linear_model.convergence import ConvergeCheck
from fate_flow.components.linear_model.divergence import check_features, check_training
from fate_flow.components.linear_model.lr_model import model_buffers, read_model
from fate_flow.components.linear_model.lr_params import HomoLRParams
from fate_flow.components.linear_model.mini_batches import mini_batches
from fate_flow.components.linear_model.optimizers import Optimizer, logistic_loss, penalty_loss, sigmoid
from fate_flow.components.linear_model.weights import initial_weights
from fate_flow.components.predict_result import binary_row, predict_schema
from fate_flow.components.secure_aggregation import SecureAggregationClient, SecureAggregationServer
from fate_flow.entity.errors import DataError
from fate_flow.federation.parties import PartyRef

MODULE = "HomoLR"
GUEST, HOST, ARBITER = "guest", "host", "arbiter"
PREDICT_INPUTS = ("data", "test_data", "eval_data")
LOSS_META = {"name": "train", "metric_type": "LOSS", "unit_name": "iters", "curve_name": "loss"}


@dataclass
class PartyData:
    """One party's rows as arrays."""

    ids: list
    features: np.ndarray          # (rows, features)
    labels: np.ndarray | None     # 0/1 per row; None when the rows have no labels
    header: list[str]
    sid_name: str
    partitions: int


@dataclass
class TrainResult:
    weights: np.ndarray           # coefficients, then the intercept when fitted
    iters: int = 0
    losses: list[float] = field(default_factory=list)
    converged: bool = False

    def summary(self) -> dict:
        return {"iters": self.iters, "is_converged": self.converged, "loss_history": self.losses}


def load_party_data(ctx: ComponentContext, key: str, labels_required: bool) -> PartyData | None:
    if not ctx.input_tables(key):
        return None
    data = load_input(ctx, MODULE, key)
    matrix = collect_matrix(data.table, data.header)
    check_features(ctx.spec.component_name, ctx.role, ctx.party_id, key, data.header, matrix.ids, matrix.features)
    labels = None
    if any(label is not None for label in matrix.labels) or labels_required:
        if any(label is None for label in matrix.labels):
            raise DataError(f"{MODULE}: {key} at {ctx.role} {ctx.party_id} has rows without a label; set with_label "
                            f"true in DataTransform")
        labels = np.asarray(matrix.labels, dtype=np.float64)
        distinct = sorted(set(np.unique(labels).tolist()))
        if not set(distinct) <= {0.0, 1.0}:
            raise DataError(f"{MODULE} is a binary classifier and needs labels 0 and 1; {key} at {ctx.role} "
                            f"{ctx.party_id} has labels {distinct[:10]}")
    return PartyData(matrix.ids, matrix.features, labels, data.header,
                     data.schema.get("sid_name") or data.schema.get("sid") or "id", data.table.partitions)


def aggregates_at(n_iter: int, params: HomoLRParams) -> bool:
    return (n_iter + 1) % params.aggregate_iters == 0 or n_iter == params.max_iter


def objective(features: np.ndarray, labels: np.ndarray, weights: np.ndarray, params: HomoLRParams) -> float:
    """Mean log loss plus the penalty: what the local steps minimise (features include the intercept column)."""
    return (logistic_loss(features @ weights, labels)
            + penalty_loss(params.penalty, params.alpha, weights, params.init.fit_intercept))


def _with_intercept(features: np.ndarray, fit_intercept: bool) -> np.ndarray:
    return np.hstack([features, np.ones((len(features), 1))]) if fit_intercept else features


class HomoLR(Component):
    module = MODULE
    params_class = HomoLRParams

    def run(self, ctx: ComponentContext, params: HomoLRParams) -> ComponentOutput:
        if ctx.role not in (GUEST, HOST, ARBITER):
            raise DataError(f"{MODULE} runs on guest, host and arbiter, not {ctx.role}")
        if ctx.predicting:
            return self._predict(ctx)
        clients = ctx.parties(GUEST) + ctx.parties(HOST)
        arbiters = ctx.parties(ARBITER)
        if not arbiters:
            raise DataError(f"{MODULE} needs an arbiter party in the job: it aggregates the models")
        if len(clients) < 2:
            raise DataError(f"{MODULE} needs at least two parties among guest and hosts: secure aggregation of a "
                            f"single party's model would hand that model to the arbiter")
        if ctx.role == ARBITER:
            return self._train_arbiter(ctx, params, clients)
        return self._train_client(ctx, params, clients, arbiters[0])

    # ------------------------------------------------------------------------------------------ clients
    def _train_client(self, ctx: ComponentContext, params: HomoLRParams, clients: list[PartyRef],
                      arbiter: PartyRef) -> ComponentOutput:
        try:
            data = load_party_data(ctx, "train_data", labels_required=True)
            if data is None:
                raise DataError(f"{MODULE} needs input data train_data at {ctx.role} {ctx.party_id}")
            validate = load_party_data(ctx, "validate_data", labels_required=False)
            if validate is not None:
                _check_header(ctx, validate, data.header, "validate_data")
        except DataError as e:  # the others learn why this party stops, then it stops
            ctx.federation.remote({"error": str(e)}, "homo_lr_setup", ctx.tag("setup"), [arbiter])
            raise
        labels = sorted(int(v) for v in np.unique(data.labels))
        ctx.federation.remote({"header": data.header, "labels": labels}, "homo_lr_setup", ctx.tag("setup"), [arbiter])
        [verdict] = ctx.federation.get("homo_lr_setup_check", ctx.tag("setup"), [arbiter])
        if verdict:
            raise DataError(verdict)
        aggregation = SecureAggregationClient(ctx, clients, arbiter)
        result = train_client(ctx, params, data, aggregation, arbiter)
        coef, intercept = _split(result.weights, params)
        output = ComponentOutput(model={model_alias(ctx): _buffers(params, data.header, coef, intercept, result)},
                                 summary=result.summary())
        rows = _score(data, coef, intercept, params.threshold, "train")
        if validate is not None:
            rows += _score(validate, coef, intercept, params.threshold, "validate")
        name = output_name(ctx)
        output.data[name] = ctx.computing.parallelize(rows, data.partitions)
        output.schemas[name] = predict_schema(data.sid_name)
        return output

    # ------------------------------------------------------------------------------------------ arbiter
    def _train_arbiter(self, ctx: ComponentContext, params: HomoLRParams, clients: list[PartyRef]) -> ComponentOutput:
        setups = ctx.federation.get("homo_lr_setup", ctx.tag("setup"), clients)
        verdict = setup_verdict(clients, setups)
        ctx.federation.remote(verdict, "homo_lr_setup_check", ctx.tag("setup"), clients)
        if verdict:
            raise DataError(verdict)
        header = list(setups[0]["header"])
        result = train_arbiter(ctx, params, clients, SecureAggregationServer(ctx, clients))
        coef, intercept = _split(result.weights, params)
        return ComponentOutput(model={model_alias(ctx): _buffers(params, header, coef, intercept, result)},
                               summary=result.summary())

    # ------------------------------------------------------------------------------------------ predict
    def _predict(self, ctx: ComponentContext) -> ComponentOutput:
        if ctx.role == ARBITER:
            return ComponentOutput()
        try:
            meta, param, coef = read_model(MODULE, ctx.input_models("model")[0])
        except ValueError as e:
            raise DataError(f"{ctx.spec.component_name}: {e}") from None
        key = next((k for k in PREDICT_INPUTS if ctx.input_tables(k)), None)
        if key is None:
            raise DataError(f"{MODULE} predict needs input data (data or test_data) at {ctx.role} {ctx.party_id}")
        data = load_party_data(ctx, key, labels_required=False)
        _check_header(ctx, data, list(param.header), key)
        name = output_name(ctx)
        rows = _score(data, coef, param.intercept, meta.threshold, "test")
        return ComponentOutput(data={name: ctx.computing.parallelize(rows, data.partitions)},
                               schemas={name: predict_schema(data.sid_name)})


def setup_verdict(clients: list[PartyRef], setups: list[dict]) -> str:
    """Why the parties cannot train together ("" when they can): a party's own error, a header mismatch, or
    a class missing from every party."""
    for client, setup in zip(clients, setups):
        if setup.get("error"):
            return f"{client} cannot train {MODULE}: {setup['error']}"
    first, reference = clients[0], list(setups[0]["header"])
    for client, setup in zip(clients[1:], setups[1:]):
        header = list(setup["header"])
        if header != reference:
            return (f"{MODULE} header mismatch: {client} has {len(header)} features ({_preview(header)}) but "
                    f"{first} has {len(reference)} ({_preview(reference)}); every party needs the same features in "
                    f"the same order")
    labels = sorted({label for setup in setups for label in setup["labels"]})
    if labels != [0, 1]:
        return f"{MODULE} is a binary classifier and needs rows of both labels 0 and 1; the parties hold {labels}"
    return ""


def train_client(ctx: ComponentContext, params: HomoLRParams, data: PartyData, aggregation: SecureAggregationClient,
                 arbiter: PartyRef) -> TrainResult:
    fit_intercept = params.init.fit_intercept
    features = _with_intercept(data.features, fit_intercept)
    labels, rows = data.labels, len(data.labels)
    weights = initial_weights(params.init, data.features.shape[1], fit_intercept)
    optimizer = Optimizer(params.optimizer, params.learning_rate, params.penalty, params.alpha, params.decay,
                          params.decay_sqrt, fit_intercept)
    batches = mini_batches(rows, params.batch_size, params.init.random_seed)
    result = TrainResult(weights)
    ctx.tracker.set_metric_meta("train", "loss", LOSS_META)
    round_weights = weights
    for n_iter in range(params.max_iter + 1):
        if aggregates_at(n_iter, params):
            aggregation.send(np.append(weights * rows, rows), "model", n_iter)
            [weights] = ctx.federation.get("homo_lr_aggregated_model", ctx.tag("aggregated_model", n_iter), [arbiter])
            round_weights = weights
            loss = objective(features, labels, weights, params)
            result.losses.append(loss)
            ctx.tracker.log_metric_data("train", "loss", [(n_iter, loss)])
            ctx.tracker.set_progress(int(100 * n_iter / params.max_iter))
            aggregation.send(np.array([loss * rows]), "loss", n_iter)
            [result.converged] = ctx.federation.get("homo_lr_converged", ctx.tag("converged", n_iter), [arbiter])
            if result.converged or n_iter == params.max_iter:
                break
        for batch in batches:
            x, y = features[batch], labels[batch]
            gradient = x.T @ (sigmoid(x @ weights) - y) / len(batch)
            if params.use_proximal:  # FedProx: stay near the last aggregated model
                gradient = gradient + params.mu * (weights - round_weights)
            weights = optimizer.step(weights, gradient, n_iter)
            check_training(ctx.spec.component_name, ctx.role, ctx.party_id, n_iter, params.learning_rate,
                           weights=weights)
    result.weights, result.iters = weights, n_iter
    ctx.log.info("%s %s trained %d iterations, converged: %s", ctx.role, ctx.party_id, n_iter, result.converged)
    return result


def train_arbiter(ctx: ComponentContext, params: HomoLRParams, clients: list[PartyRef],
                  aggregation: SecureAggregationServer) -> TrainResult:
    check = ConvergeCheck(params.early_stop, params.tol)
    result = TrainResult(np.zeros(0))
    ctx.tracker.set_metric_meta("train", "loss", LOSS_META)
    for n_iter in range(params.max_iter + 1):
        if not aggregates_at(n_iter, params):
            continue
        total = aggregation.receive_sum("model", n_iter)
        rows = total[-1]
        if rows <= 0:
            raise DataError(f"{MODULE}: the parties reported {rows:g} rows in all")
        result.weights = total[:-1] / rows
        ctx.federation.remote(result.weights, "homo_lr_aggregated_model", ctx.tag("aggregated_model", n_iter), clients)
        loss = float(aggregation.receive_sum("loss", n_iter)[0] / rows)
        result.losses.append(loss)
        ctx.tracker.log_metric_data("train", "loss", [(n_iter, loss)])
        ctx.tracker.set_progress(int(100 * n_iter / params.max_iter))
        result.converged = check.converged(loss=loss, weights=result.weights)
        ctx.federation.remote(result.converged, "homo_lr_converged", ctx.tag("converged", n_iter), clients)
        ctx.log.info("aggregation at iteration %d: loss %.6f, converged: %s", n_iter, loss, result.converged)
        if result.converged:
            break
    result.iters = n_iter
    return result


def _split(weights: np.ndarray, params: HomoLRParams) -> tuple[np.ndarray, float]:
    if params.init.fit_intercept:
        return weights[:-1], float(weights[-1])
    return weights, 0.0


def _buffers(params: HomoLRParams, header: list[str], coef: np.ndarray, intercept: float, result: TrainResult) -> dict:
    return model_buffers(MODULE, params, header, coef, intercept, result.iters, result.losses, result.converged,
                         aggregate_iters=params.aggregate_iters)


def _check_header(ctx: ComponentContext, data: PartyData, header: list[str], key: str) -> None:
    """Put `data`'s columns in the order of `header` (FATE aligns by name), or refuse when the names differ."""
    if data.header == header:
        return
    if sorted(data.header) != sorted(header):
        missing, extra = sorted(set(header) - set(data.header)), sorted(set(data.header) - set(header))
        raise DataError(f"{MODULE} header mismatch: {key} at {ctx.role} {ctx.party_id} has features "
                        f"({_preview(data.header)}), the model has ({_preview(header)}); missing {_preview(missing)}, "
                        f"unexpected {_preview(extra)}")
    position = {name: i for i, name in enumerate(data.header)}
    data.features = data.features[:, [position[name] for name in header]]
    data.header = list(header)


def _score(data: PartyData, coef: np.ndarray, intercept: float, threshold: float,
           data_type: str) -> list[tuple[Any, list]]:
    probabilities = sigmoid(data.features @ coef + intercept)
    labels = [None] * len(data.ids) if data.labels is None else [int(v) for v in data.labels]
    return [(sid, binary_row(label, p, threshold, data_type)) for sid, label, p in zip(data.ids, labels, probabilities)]


def _preview(names: list[str], limit: int = 8) -> str:
    return ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")
