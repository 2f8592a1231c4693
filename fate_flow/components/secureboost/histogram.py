"""Histograms of a level's nodes: per node, feature and bin the sum of the rows' (packed, encrypted) statistics, and
the cumulative sums that are the split candidates "bin <= k".

A host multiplies ciphertexts (adding the packed plaintexts). All nodes and features of a level go through one
sorted pass of products (fate_flow.secure.multiexp.segment_products); in a node where it saves work, each feature's
most populous bin is not summed but derived as the node's total over the product of the feature's other bins
(one batch inversion per level). A host's candidates leave it in a random order of its own for the tree, so the
guest sees sums but not which feature or bin they belong to; it answers with a position in that order.

The guest's own histograms are plain numpy sums.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gmpy2 import mpz

from fate_flow.secure.multiexp import ONE, batch_invert, objects, segment_products


@dataclass
class CandidateOrder:
    """A host's split candidates of one tree: candidate i is "feature[i] <= bin[i]"; `shuffle` is the order they
    are sent in (sent[j] = candidate shuffle[j])."""
    feature: np.ndarray
    bin: np.ndarray
    shuffle: np.ndarray

    @classmethod
    def make(cls, bin_counts: np.ndarray, valid: np.ndarray, rng: np.random.Generator) -> "CandidateOrder":
        features = [f for f in range(len(bin_counts)) if valid[f]]
        feature = np.concatenate([np.full(max(bin_counts[f] - 1, 0), f, dtype=np.int64) for f in features] or
                                 [np.zeros(0, dtype=np.int64)])
        bins = np.concatenate([np.arange(max(bin_counts[f] - 1, 0), dtype=np.int64) for f in features] or
                              [np.zeros(0, dtype=np.int64)])
        return cls(feature, bins, rng.permutation(len(feature)))

    def lookup(self, sent_index: int) -> tuple[int, int]:
        i = int(self.shuffle[sent_index])
        return int(self.feature[i]), int(self.bin[i])


def encrypted_candidates(ciphertexts: np.ndarray, nsquare: mpz, bins: np.ndarray, positions: np.ndarray,
                         nodes: list[int], order: CandidateOrder, stats: dict | None = None) -> list[list[mpz]]:
    """For each node of `nodes`: the encrypted cumulative sums of its rows (positions == node) in `order`'s sent
    order. ciphertexts: object array of mpz, one per row; bins: (rows, features)."""
    n_nodes, features = len(nodes), bins.shape[1]
    width = int(bins.max()) + 1 if bins.size else 1
    used = np.unique(order.feature)
    lookup = np.full(max(int(positions.max(initial=0)), max(nodes, default=0)) + 1, -1, dtype=np.int64)
    lookup[np.asarray(nodes, dtype=np.int64)] = np.arange(n_nodes)
    slots = np.where(positions >= 0, lookup[np.maximum(positions, 0)], -1)
    rows = np.flatnonzero(slots >= 0)
    t = slots[rows]
    row_bins = bins[rows][:, used]
    # one key per (row, used feature): ((node * (features + 1)) + feature) * width + bin; feature == features: total
    keys = ((t[:, None] * (features + 1) + used[None, :]) * width + row_bins).astype(np.int64)
    counts = np.bincount(keys.ravel(), minlength=n_nodes * (features + 1) * width).reshape(
        n_nodes, features + 1, width)[:, :features]
    largest = counts.argmax(axis=2)                                   # (nodes, features)
    rows_per_node = np.bincount(t, minlength=n_nodes)
    skip = counts.max(axis=2).sum(axis=1) > rows_per_node             # worth summing the node total
    keep = ~(skip[t][:, None] & (row_bins == largest[t][:, used]))
    member = np.broadcast_to(rows[:, None], keys.shape)[keep]
    key = keys[keep]
    total_rows = rows[skip[t]]
    if total_rows.size:
        member = np.concatenate([member, total_rows])
        key = np.concatenate([key, (t[skip[t]] * (features + 1) + features) * width])
    sort = np.argsort(key, kind="stable")
    ids, products = segment_products(ciphertexts[member[sort]], key[sort], nsquare)
    grid = np.full(n_nodes * (features + 1) * width, None, dtype=object)
    grid[ids] = objects(products)
    grid = grid.reshape(n_nodes, features + 1, width)
    if stats is not None:
        stats["multiplications"] = stats.get("multiplications", 0) + int(len(key) - len(ids))
    _fill_skipped(grid, skip, largest, order, nsquare, stats)
    return [_cumulative(grid[i], order, nsquare) for i in range(n_nodes)]


def _fill_skipped(grid: np.ndarray, skip: np.ndarray, largest: np.ndarray, order: CandidateOrder, nsquare: mpz,
                  stats: dict | None) -> None:
    """The skipped bin of each used feature of a skipping node: total / product of the feature's other bins."""
    features = grid.shape[1] - 1
    used = sorted(set(order.feature.tolist()))
    targets, others = [], []
    for i in np.flatnonzero(skip):
        for f in used:
            rest = [c for b, c in enumerate(grid[i, f]) if c is not None and b != largest[i, f]]
            acc = ONE
            for c in rest:
                acc = acc * c % nsquare
            targets.append((i, f))
            others.append(acc)
    if not targets:
        return
    inverses = batch_invert(others, nsquare)
    for (i, f), inverse in zip(targets, inverses):
        total = grid[i, features, 0]
        grid[i, f, largest[i, f]] = ONE if total is None else total * inverse % nsquare
    if stats is not None:
        stats["multiplications"] = stats.get("multiplications", 0) + 4 * len(targets)


def _cumulative(node_grid: np.ndarray, order: CandidateOrder, nsquare: mpz) -> list[mpz]:
    """Cumulative products along the bins of each feature, as the candidates in sent order."""
    values: list[mpz] = []
    last_feature, acc = -1, ONE
    for f, b in zip(order.feature.tolist(), order.bin.tolist()):
        if f != last_feature:
            last_feature, acc = f, ONE
        cell = node_grid[f, b]
        if cell is not None:
            acc = acc * cell % nsquare
        values.append(acc)
    return [values[i] for i in order.shuffle.tolist()]


@dataclass
class PlainCandidates:
    """A node's split candidates in plaintext: the cumulative sums of g, h and rows of each candidate."""
    g: np.ndarray
    h: np.ndarray
    count: np.ndarray


def plain_candidates(g: np.ndarray, h: np.ndarray, bins: np.ndarray, bin_counts: np.ndarray, valid: np.ndarray,
                     positions: np.ndarray, nodes: list[int]) -> tuple[list[PlainCandidates], np.ndarray, np.ndarray]:
    """The guest's own candidates for each node (g, h: one class, per row). Returns the candidates per node and the
    (feature, bin) of candidate i, the same for every node."""
    features = bins.shape[1]
    width = int(bins.max()) + 1 if bins.size else 1
    used = [f for f in range(features) if valid[f]]
    cand_feature = np.concatenate([np.full(max(bin_counts[f] - 1, 0), f) for f in used] or [np.zeros(0)]).astype(int)
    cand_bin = np.concatenate([np.arange(max(bin_counts[f] - 1, 0)) for f in used] or [np.zeros(0)]).astype(int)
    out = []
    for node in nodes:
        rows = np.flatnonzero(positions == node)
        keys = (np.arange(features)[None, :] * width + bins[rows]).ravel()
        size = features * width
        sums = [np.bincount(keys, weights=np.repeat(w[rows], features) if w is not None else None,
                            minlength=size).reshape(features, width).cumsum(axis=1)
                for w in (g, h, None)]
        out.append(PlainCandidates(*(s[cand_feature, cand_bin].astype(np.float64) for s in sums)))
    return out, cand_feature, cand_bin
