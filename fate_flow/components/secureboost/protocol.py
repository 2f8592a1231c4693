"""What the guest and hosts send each other while training and predicting, by data-plane name.

Training, per job:        guest -> hosts  SETUP       {public_key, tree_dim, per_group, rows, rounds, digest}
per boosting round:       guest -> hosts  GH          [EncryptedVector per class group]: packed g, h, count
per tree level:           guest -> hosts  LEVEL       {done, positions, sample, build}
                          hosts -> guest  HISTOGRAM   {per_node, count, sums: EncryptedVector} | None: the built
                                                      nodes' shuffled candidates, then (unless None) the rest
                                                      of them folded several to a ciphertext: EncryptedVector
                          guest -> host   WINS        {node: position of the winning candidate in its sent order}
                          host  -> guest  ROW_SPLITS  {node: packed bits, one per row of the node: goes left}
per boosting round:       guest -> hosts  STOP        bool
Predicting, per round:    guest -> hosts  QUERY       {done, rows, trees, nodes} for the host's split nodes
                          hosts -> guest  ANSWER      packed bits: goes left

`digest` is a hash of the sorted row ids (the hosts check they hold the same rows; no id crosses), `positions`
the node of every row (what FATE's hosts learn too: the row partition), `sample` which rows feed the histograms
(GOSS) or None. Nothing else crosses: no label, gradient, hessian, feature value, split value or leaf weight.
"""
from __future__ import annotations

import hashlib
from typing import Any

from fate_flow.components.base import ComponentContext

SETUP = "sbt_setup"
GH = "sbt_encrypted_gh"
LEVEL = "sbt_level"
HISTOGRAM = "sbt_histogram"
WINS = "sbt_wins"
ROW_SPLITS = "sbt_row_splits"
STOP = "sbt_stop"
PREDICT_SETUP = "sbt_predict_setup"
QUERY = "sbt_predict_query"
ANSWER = "sbt_predict_answer"


def tag(ctx: ComponentContext, *parts: Any) -> str:
    return ctx.tag("sbt", *parts)


def ids_digest(ids: list) -> str:
    """A digest of the sorted row ids: equal on two parties exactly when they hold the same ids."""
    h = hashlib.sha256()
    for sid in ids:
        text = str(sid).encode("utf-8")
        h.update(len(text).to_bytes(4, "big"))
        h.update(text)
    return h.hexdigest()
