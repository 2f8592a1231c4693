"""A HeteroSecureBoost model scoring one row at a time, for online inference (FATE-Serving's way): each host
answers, for the row it looks up, which way every one of its split nodes sends it; the guest walks the trees with
its own splits and those answers. The arithmetic is the batch predict's (Forest), so an online score equals the
predict job's for the same row."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from google.protobuf.message import Message

from fate_flow.components.secureboost import model as sbt_model
from fate_flow.components.secureboost.objectives import objective_for
from fate_flow.components.secureboost.predict import Forest
from fate_flow.entity.errors import DataError


class OnlineTrees:
    def __init__(self, component: str, buffers: Mapping[str, Message], role: str):
        self.component = component
        self.role = role
        try:
            if role == "guest":
                self.guest = sbt_model.read_guest(dict(buffers))
                self.header = self.guest.header
            else:
                self.host = sbt_model.read_host(dict(buffers))
                self.header = self.host.header
        except ValueError as e:
            raise DataError(f"{component}: {e}") from None
        if role == "guest":
            owners = {o for tree in self.guest.trees for o in tree.owner if o}
            positions = self.guest.parties or {o: f"host:{i}" for i, o in enumerate(sorted(
                o for o in owners if o.startswith("host:")))}
            guest = next((o for o, p in positions.items() if p == "guest:0"),
                         next((o for o in owners if o.startswith("guest:")), "guest:"))
            self.hosts = [o for _, o in sorted((int(p.split(":")[1]), o) for o, p in positions.items()
                                               if p.startswith("host:"))]
            self.forest = Forest(self.guest.trees, guest, self.hosts)
            meta = self.guest.meta
            self.objective = objective_for(meta.task_type, meta.objective_meta.objective, len(self.guest.classes))

    def decisions(self, values: np.ndarray) -> list[list[int]]:
        """A host's answer: [tree, node, 1 when the row goes left] for every split node of this host."""
        return [[t, node, int(values[split.fid] <= split.value)]
                for t, splits in enumerate(self.host.trees) for node, split in sorted(splits.items())]

    def score(self, values: np.ndarray, answers: list[Any]) -> tuple[float, Any]:
        """(score, predicted label) from the guest's row and each host's decisions [[tree, node, left], ...], in the
        order of the job's hosts: the positive-class probability (binary), the predicted class's probability
        (multi-class) or the value."""
        if len(answers) < len(self.hosts):
            raise DataError(f"{self.component}: the model's trees use {len(self.hosts)} host(s), "
                            f"{len(answers)} answered")
        known: dict[tuple[int, int, int], bool] = {}
        for i, answer in enumerate(answers[:len(self.hosts)]):
            if not isinstance(answer, list):
                raise DataError(f"{self.component}: host {i} sent no split decisions")
            for entry in answer:
                if not (isinstance(entry, list) and len(entry) == 3 and all(isinstance(v, int) for v in entry)):
                    raise DataError(f"{self.component}: host {i} answered a malformed decision {entry!r}"[:300])
                known[(i, entry[0], entry[1])] = bool(entry[2])
        x = np.asarray(values, dtype=np.float64)[None, :]
        nodes = np.zeros((1, self.forest.left.shape[0]), dtype=np.int64)
        for _ in range(self.forest.depth + 1):
            self.forest.walk_own(x, nodes)
            owners = self.forest.owner[np.arange(nodes.shape[1]), nodes[0]]
            pending = np.flatnonzero(owners >= 0)
            if not len(pending):
                break
            for t in pending.tolist():
                node = int(nodes[0, t])
                left = known.get((int(owners[t]), t, node))
                if left is None:
                    raise DataError(f"{self.component}: host {owners[t]} gave no decision for tree {t} node {node}")
                nodes[0, t] = self.forest.left[t, node] if left else self.forest.right[t, node]
        raw = self.forest.scores(nodes, self.guest.init_score, self.guest.meta.learning_rate, self.guest.tree_dim)
        predicted = self.objective.predict(raw)[0]
        classes = self.guest.classes
        if self.guest.meta.task_type != "classification":
            return float(predicted[0]), None
        if len(classes) <= 2:
            return float(predicted[0]), None
        k = int(np.argmax(predicted))
        return float(predicted[k]), classes[k]
