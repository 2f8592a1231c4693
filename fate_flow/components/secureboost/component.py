"""The HeteroSecureBoost component: loads each party's rows (ordered by id, so the parties' rows line up), trains
(guest and hosts) or applies a trained model, and writes the guest's prediction rows for train, validate and
predict data."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.feature_matrix import collect_matrix, load_input, model_alias, output_name
from fate_flow.components.predict_result import predict_row, predict_schema
from fate_flow.components.secureboost import model as sbt_model
from fate_flow.components.secureboost.binning import bin_features
from fate_flow.components.secureboost.guest import train_guest
from fate_flow.components.secureboost.host import train_host
from fate_flow.components.secureboost.objectives import Objective, objective_for
from fate_flow.components.secureboost.params import CLASSIFICATION, HeteroSecureBoostParams
from fate_flow.components.secureboost.predict import Forest, guest_predict, host_predict
from fate_flow.components.secureboost.protocol import ids_digest
from fate_flow.entity.errors import DataError

GUEST, HOST = "guest", "host"
PREDICT_INPUTS = ("data", "test_data", "eval_data")


@dataclass
class PartyData:
    ids: list
    features: np.ndarray
    labels: list | None
    header: list[str]
    sid_name: str

    @property
    def digest(self) -> str:
        return ids_digest(self.ids)


def load_rows(ctx: ComponentContext, key: str) -> PartyData | None:
    if not ctx.input_tables(key):
        return None
    data = load_input(ctx, sbt_model.MODULE, key)
    try:
        matrix = collect_matrix(data.table, data.header)
    except DataError as e:
        raise DataError(f"{ctx.spec.component_name}: input {key}: {e.message}") from None
    order = sorted(range(len(matrix.ids)), key=lambda i: str(matrix.ids[i]))
    labels = [matrix.labels[i] for i in order] if ctx.role == GUEST else None
    return PartyData([matrix.ids[i] for i in order], matrix.features[order], labels, data.header,
                     data.schema.get("sid_name") or data.schema.get("sid") or "id")


class HeteroSecureBoost(Component):
    module = sbt_model.MODULE
    params_class = HeteroSecureBoostParams

    def run(self, ctx: ComponentContext, params: HeteroSecureBoostParams) -> ComponentOutput:
        if ctx.role not in (GUEST, HOST):
            raise DataError(f"{self.module} runs on guest and hosts, not {ctx.role}")
        if not ctx.parties(HOST):
            raise DataError(f"{self.module} needs at least one host party in the job")
        if ctx.predicting:
            return self._predict(ctx, params)
        data = load_rows(ctx, "train_data")
        if data is None:
            raise DataError(f"{ctx.spec.component_name}: {self.module} needs input data train_data at {ctx.role}")
        validate = load_rows(ctx, "validate_data")
        binned = bin_features(data.features, params.bin_num, params.binning_error)
        if ctx.role == HOST:
            trained = train_host(ctx, params, binned, data.digest)
            sitename = f"host:{ctx.party_id}"
            buffers = sbt_model.host_buffers(params, trained.trees, trained.tree_dim, data.header,
                                             trained.importance, sitename)
            if validate is not None:
                host_predict(ctx, trained.trees, validate.features, validate.digest, "validate")
            ctx.log.info("host statistics: %s", trained.stats)
            return ComponentOutput(model={model_alias(ctx): buffers},
                                   summary={"trees": len(trained.trees), "ciphertext_multiplications":
                                            trained.stats.get("multiplications", 0),
                                            "seconds": {k: round(v, 3) for k, v in trained.stats["seconds"].items()}})
        y, classes = _labels(ctx, params, data)
        tree_dim = 1 if params.task_type != CLASSIFICATION or len(classes) <= 2 else len(classes)
        objective = objective_for(params.task_type, params.objective_param.objective, len(classes))
        trained = train_guest(ctx, params, binned, y, data.digest, objective, tree_dim)
        sitenames = [f"guest:{ctx.party_id}", *(f"host:{h.party_id}" for h in ctx.parties(HOST))]
        buffers = sbt_model.guest_buffers(params, trained.trees, trained.init_score, trained.losses, tree_dim,
                                          classes, data.header, trained.importance, sitenames)
        rows = _prediction_rows(params.task_type, objective, trained.scores, classes, data, "train",
                                params.threshold)
        if validate is not None:
            forest = Forest(trained.trees, sitenames[0], sitenames[1:])
            leaves = guest_predict(ctx, forest, validate.features, validate.digest, "validate")
            scores = forest.scores(leaves, trained.init_score, params.learning_rate, tree_dim)
            rows += _prediction_rows(params.task_type, objective, scores, classes, validate, "validate",
                                     params.threshold)
        ctx.log.info("guest statistics: %s", trained.stats)
        name = output_name(ctx)
        summary = {"loss_history": [round(x, 6) for x in trained.losses], "best_iteration": len(trained.losses) - 1,
                   "trees": len(trained.trees), "tree_dim": tree_dim,
                   "feature_importance": {f"{site}:{data.header[fid] if fid >= 0 else 'all'}": v
                                          for (site, fid), v in trained.importance.items()},
                   "encryptions": trained.stats["encryptions"], "decryptions": trained.stats["decryptions"],
                   "seconds": {k: round(v, 3) for k, v in trained.stats["seconds"].items()}}
        return ComponentOutput(model={model_alias(ctx): buffers}, summary=summary,
                               data={name: ctx.computing.parallelize(rows, _partitions(ctx))},
                               schemas={name: predict_schema(data.sid_name)})

    def _predict(self, ctx: ComponentContext, params: HeteroSecureBoostParams) -> ComponentOutput:
        [buffers] = ctx.input_models("model")[:1] or [None]
        key = next((k for k in PREDICT_INPUTS if ctx.input_tables(k)), None)
        if key is None:
            raise DataError(f"{ctx.spec.component_name}: {self.module} predict needs input data (data or test_data)")
        data = load_rows(ctx, key)
        try:
            model = sbt_model.read_host(buffers) if ctx.role == HOST else sbt_model.read_guest(buffers)
        except ValueError as e:
            raise DataError(f"{ctx.spec.component_name}: {e}") from None
        if data.header != model.header:
            raise DataError(f"{ctx.spec.component_name}: the data's features {data.header} differ from the model's "
                            f"{model.header} at {ctx.role} {ctx.party_id}")
        if ctx.role == HOST:
            host_predict(ctx, model.trees, data.features, data.digest, "predict")
            return ComponentOutput()
        guest, hosts = f"guest:{ctx.party_id}", [f"host:{h.party_id}" for h in ctx.parties(HOST)]
        forest = Forest(model.trees, guest, hosts, model.sitenames(guest, hosts))
        leaves = guest_predict(ctx, forest, data.features, data.digest, "predict")
        meta = model.meta
        scores = forest.scores(leaves, model.init_score, meta.learning_rate, model.tree_dim)
        task_type = meta.task_type
        objective = objective_for(task_type, meta.objective_meta.objective, len(model.classes))
        rows = _prediction_rows(task_type, objective, scores, model.classes, data, "test", params.threshold)
        name = output_name(ctx)
        return ComponentOutput(data={name: ctx.computing.parallelize(rows, _partitions(ctx))},
                               schemas={name: predict_schema(data.sid_name)})


def _labels(ctx: ComponentContext, params: HeteroSecureBoostParams, data: PartyData) -> tuple[np.ndarray, list]:
    if any(label is None for label in data.labels):
        raise DataError(f"{ctx.spec.component_name}: the guest's train_data has rows without a label; set "
                        f"with_label true in DataIO")
    if params.task_type != CLASSIFICATION:
        try:
            return np.asarray(data.labels, dtype=np.float64), []
        except (TypeError, ValueError):
            raise DataError(f"{ctx.spec.component_name}: regression needs numeric labels") from None
    classes = sorted(set(data.labels), key=lambda v: (str(type(v)), v))
    if len(classes) < 2:
        raise DataError(f"{ctx.spec.component_name}: classification needs at least two classes in the labels, "
                        f"got {classes}")
    index = {c: i for i, c in enumerate(classes)}
    return np.asarray([index[label] for label in data.labels], dtype=np.float64), classes


def _prediction_rows(task_type: str, objective: Objective, scores: np.ndarray, classes: list, data: PartyData,
                     data_type: str, threshold: float) -> list[tuple[Any, list]]:
    labels = data.labels or [None] * len(data.ids)
    if task_type != CLASSIFICATION:
        values = objective.predict(scores)[:, 0]
        return [(sid, predict_row(label, float(v), float(v), {"label": float(v)}, data_type))
                for sid, label, v in zip(data.ids, labels, values.tolist())]
    probabilities = objective.predict(scores)
    rows = []
    if len(classes) <= 2:
        for sid, label, p in zip(data.ids, labels, probabilities[:, 0].tolist()):
            result = classes[1] if p >= threshold else classes[0]
            rows.append((sid, predict_row(label, result, p, {str(classes[0]): 1.0 - p, str(classes[1]): p},
                                          data_type)))
        return rows
    best = probabilities.argmax(axis=1)
    for sid, label, k, p in zip(data.ids, labels, best.tolist(), probabilities.tolist()):
        rows.append((sid, predict_row(label, classes[k], p[k], dict(zip(map(str, classes), p)), data_type)))
    return rows


def _partitions(ctx: ComponentContext) -> int:
    return int(ctx.spec.job_parameters.get("computing_partitions") or 4)
