"""Trees applied to rows, each party resolving its own split nodes.

The guest walks every (row, tree) pair down its own splits until it reaches a leaf or a host's split; it then asks
each host, in one message, which way those (row, tree, node) go; the host answers one bit per query from its own
feature values and split values. Rounds repeat until every pair is at a leaf (at most the trees' depth). Scores
add the learning rate times the leaf weights tree by tree, in the order training added them, so a predicted score
equals the training output's for the same row.
"""
from __future__ import annotations

import numpy as np

from fate_flow.components.base import ComponentContext
from fate_flow.components.secureboost import protocol
from fate_flow.components.secureboost.tree import HostSplit, Tree
from fate_flow.entity.errors import DataError

GUEST, HOST = "guest", "host"


class Forest:
    """The guest's trees as padded (trees, nodes) arrays; owner: -2 leaf, -1 the guest, i >= 0 host i."""

    def __init__(self, trees: list[Tree], guest_sitename: str, host_sitenames: list[str],
                 aliases: dict[str, str] | None = None):
        """aliases: a tree sitename -> the sitename of the same party in this job (renamed parties)."""
        size = max((len(t.owner) for t in trees), default=1)
        count = len(trees)
        self.left = np.full((count, size), -1, dtype=np.int64)
        self.right = np.full((count, size), -1, dtype=np.int64)
        self.fid = np.full((count, size), -1, dtype=np.int64)
        self.value = np.zeros((count, size))
        self.weight = np.zeros((count, size))
        self.owner = np.full((count, size), -2, dtype=np.int64)
        hosts = {name: i for i, name in enumerate(host_sitenames)}
        for t, tree in enumerate(trees):
            k = len(tree.owner)
            self.left[t, :k], self.right[t, :k] = tree.left, tree.right
            self.fid[t, :k], self.value[t, :k], self.weight[t, :k] = tree.fid, tree.value, tree.weight
            for node, owner in enumerate(tree.owner):
                if tree.is_leaf(node):
                    continue
                owner = (aliases or {}).get(owner, owner)
                if owner == guest_sitename:
                    self.owner[t, node] = -1
                elif owner in hosts:
                    self.owner[t, node] = hosts[owner]
                else:
                    raise DataError(f"tree {t} node {node} is split by {owner!r}, which is not a party of this job "
                                    f"(guest {guest_sitename}, hosts {', '.join(host_sitenames)})")
        self.depth = size  # a bound on the rounds a walk can take

    def walk_own(self, x: np.ndarray, nodes: np.ndarray) -> None:
        """Moves every (row, tree) at a guest split down until it is at a leaf or a host's split (in place)."""
        trees = np.broadcast_to(np.arange(nodes.shape[1]), nodes.shape)
        for _ in range(self.depth):
            at = self.owner[trees, nodes] == -1
            if not at.any():
                return
            rows, cols = np.nonzero(at)
            current = nodes[rows, cols]
            go_left = x[rows, self.fid[cols, current]] <= self.value[cols, current]
            nodes[rows, cols] = np.where(go_left, self.left[cols, current], self.right[cols, current])

    def scores(self, nodes: np.ndarray, init_score: np.ndarray, learning_rate: float, tree_dim: int) -> np.ndarray:
        out = np.tile(np.asarray(init_score, dtype=np.float64), (nodes.shape[0], 1))
        for t in range(nodes.shape[1]):
            out[:, t % tree_dim] += learning_rate * self.weight[t, nodes[:, t]]
        return out


def guest_predict(ctx: ComponentContext, forest: Forest, x: np.ndarray, digest: str, data_type: str) -> np.ndarray:
    """The leaf of every (row, tree): (rows, trees)."""
    hosts = ctx.parties(HOST)
    ctx.federation.remote({"digest": digest, "rows": x.shape[0]}, protocol.PREDICT_SETUP,
                          protocol.tag(ctx, "predict", data_type), hosts)
    nodes = np.zeros((x.shape[0], forest.left.shape[0]), dtype=np.int64)
    trees = np.broadcast_to(np.arange(nodes.shape[1]), nodes.shape)
    for step in range(forest.depth + 1):
        forest.walk_own(x, nodes)
        owner = forest.owner[trees, nodes]
        pending = owner >= 0
        done = not pending.any()
        asked = []
        for i, host in enumerate(hosts):
            rows, cols = np.nonzero(owner == i)
            asked.append((rows, cols))
            query = {"done": done, "rows": rows.astype(np.int32), "trees": cols.astype(np.int32),
                     "nodes": nodes[rows, cols].astype(np.int32)}
            ctx.federation.remote(query, protocol.QUERY, protocol.tag(ctx, "predict", data_type, step), [host])
        if done:
            return nodes
        answers = ctx.federation.get(protocol.ANSWER, protocol.tag(ctx, "predict", data_type, step), hosts)
        for host, (rows, cols), bits in zip(hosts, asked, answers):
            if not isinstance(bits, bytes) or len(bits) != (len(rows) + 7) // 8:
                raise DataError(f"host {host.party_id} answered {len(rows)} prediction queries with something else")
            go_left = np.unpackbits(np.frombuffer(bits, dtype=np.uint8), count=len(rows)).astype(bool)
            current = nodes[rows, cols]
            nodes[rows, cols] = np.where(go_left, forest.left[cols, current], forest.right[cols, current])
    raise DataError("prediction did not reach the leaves within the trees' depth")


def host_predict(ctx: ComponentContext, trees: list[dict[int, HostSplit]], x: np.ndarray, digest: str,
                 data_type: str) -> None:
    guest = ctx.parties(GUEST)[:1]
    [setup] = ctx.federation.get(protocol.PREDICT_SETUP, protocol.tag(ctx, "predict", data_type), guest)
    if not isinstance(setup, dict) or setup.get("digest") != digest or setup.get("rows") != x.shape[0]:
        raise DataError(f"{ctx.spec.component_name}: host {ctx.party_id}'s {data_type} data holds other rows than "
                        f"the guest's ({x.shape[0]} here, {setup['rows']} at the guest); put an Intersection before "
                        f"HeteroSecureBoost")
    for step in range(max(len(t) for t in trees) + 2 if trees else 2):
        [query] = ctx.federation.get(protocol.QUERY, protocol.tag(ctx, "predict", data_type, step), guest)
        if not isinstance(query, dict):
            raise DataError("the guest's prediction query is malformed")
        if query.get("done"):
            return
        try:
            rows, tree_ids, node_ids = (np.asarray(query[k], dtype=np.int64) for k in ("rows", "trees", "nodes"))
        except (KeyError, TypeError, ValueError):
            raise DataError("the guest's prediction query is malformed") from None
        if not rows.shape == tree_ids.shape == node_ids.shape or rows.ndim != 1:
            raise DataError("the guest's prediction query is malformed")
        ctx.federation.remote(np.packbits(host_decisions(trees, x, rows, tree_ids, node_ids)).tobytes(),
                              protocol.ANSWER, protocol.tag(ctx, "predict", data_type, step), guest)
    raise DataError("the guest kept asking after every tree could have reached its leaves")


def host_decisions(trees: list[dict[int, HostSplit]], x: np.ndarray, rows: np.ndarray, tree_ids: np.ndarray,
                   node_ids: np.ndarray) -> np.ndarray:
    """For each query (row, tree, node) at one of this host's splits: True when the row goes left."""
    out = np.zeros(len(rows), dtype=bool)
    if not len(rows):
        return out
    if rows.min() < 0 or rows.max() >= x.shape[0] or tree_ids.min() < 0 or tree_ids.max() >= len(trees):
        raise DataError("a prediction query names a row or tree that does not exist")
    pairs, inverse = np.unique(np.stack([tree_ids, node_ids], axis=1), axis=0, return_inverse=True)
    fids = np.empty(len(pairs), dtype=np.int64)
    values = np.empty(len(pairs))
    for k, (t, node) in enumerate(pairs.tolist()):
        split = trees[t].get(node)
        if split is None:
            raise DataError(f"tree {t} node {node} is not a split of this host")
        fids[k], values[k] = split.fid, split.value
    inverse = inverse.ravel()
    return x[rows, fids[inverse]] <= values[inverse]
