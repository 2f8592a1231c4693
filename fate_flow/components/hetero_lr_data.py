"""A HeteroLR party's rows as arrays ordered by id, so that the parties' rows line up: what training
(hetero_lr_train.py) and scoring (hetero_lr.py) read."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fate_flow.components.base import ComponentContext
from fate_flow.components.feature_matrix import collect_matrix, load_input
from fate_flow.components.linear_model.divergence import check_features
from fate_flow.entity.errors import DataError

MODULE = "HeteroLR"


@dataclass
class PartyData:
    """One party's rows as arrays, ordered by id."""

    ids: list
    features: np.ndarray          # (rows, features)
    labels: np.ndarray | None     # 0/1, guest only
    header: list[str]
    sid_name: str


def load_party_data(ctx: ComponentContext, key: str, with_labels: bool, labels_optional: bool = False) \
        -> PartyData | None:
    """The input `key` as arrays ordered by id (so the parties' rows line up), or None when not given.
    labels_optional: predict data may come with labels (then Evaluation can score the predictions) or not."""
    if not ctx.input_tables(key):
        return None
    data = load_input(ctx, MODULE, key)
    try:
        matrix = collect_matrix(data.table, data.header)
    except DataError as e:
        raise DataError(f"{ctx.spec.component_name}: input {key} of {ctx.role} {ctx.party_id}: {e.message}") from None
    check_features(ctx.spec.component_name, ctx.role, ctx.party_id, key, data.header, matrix.ids, matrix.features)
    order = sorted(range(len(matrix.ids)), key=lambda i: str(matrix.ids[i]))
    labels = None
    if with_labels:
        raw = [matrix.labels[i] for i in order]
        if labels_optional and any(label is None for label in raw):
            raw = None
        elif any(label is None for label in raw):
            raise DataError(f"{ctx.spec.component_name}: the guest's {key} has rows without a label; "
                            f"set with_label true in DataIO")
        labels = None if raw is None else np.asarray(raw, dtype=np.float64)
        distinct = set() if labels is None else set(np.unique(labels).tolist())
        if not distinct <= {0.0, 1.0}:
            raise DataError(f"{ctx.spec.component_name}: HeteroLR is a binary classifier and needs labels 0 and 1; "
                            f"the guest's {key} has labels {sorted(distinct)[:10]}")
    return PartyData([matrix.ids[i] for i in order], matrix.features[order], labels, data.header,
                     data.schema.get("sid_name") or data.schema.get("sid") or "id")
