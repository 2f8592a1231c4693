"""The guest's side of HeteroSecureBoost training.

Per boosting round the guest computes every row's gradients and hessians, packs and encrypts them (one ciphertext
per row and class group) and sends them to the hosts. Per tree, level by level: it tells the hosts every row's node
and which nodes to build; each host answers the encrypted, shuffled split candidates of those nodes; the guest
decrypts them, derives each node's sibling by subtraction from the parent (the hosts build only the smaller child),
adds its own plaintext candidates, finds the best split of every node, tells each host which of its candidates won,
and gets back which rows go left. Leaves get -G / (H + l2), scores move by learning_rate times the leaf.
The random factors of the next round's encryption are made in a CryptoPool while the hosts build histograms.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from fate_flow.components.base import ComponentContext
from fate_flow.components.secureboost import packing, protocol
from fate_flow.components.secureboost.binning import BinnedFeatures, sampled_features
from fate_flow.components.secureboost.histogram import plain_candidates
from fate_flow.components.secureboost.objectives import Objective
from fate_flow.components.secureboost.params import HeteroSecureBoostParams
from fate_flow.components.secureboost.splitting import Split, best_split, leaf_weight
from fate_flow.components.secureboost.tree import Tree
from fate_flow.entity.errors import DataError
from fate_flow.secure.paillier import CryptoPool, EncryptedVector, PaillierPrivateKey, generate_keypair

HOST = "host"
# below this many rows the guest encrypts in its own process
POOL_MIN_ROWS = 5000


@dataclass
class TrainedGuest:
    trees: list[Tree] = field(default_factory=list)
    init_score: np.ndarray = field(default_factory=lambda: np.zeros(1))
    losses: list[float] = field(default_factory=list)
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    importance: dict[tuple[str, int], float] = field(default_factory=dict)
    stats: dict = field(default_factory=dict)


@dataclass
class _Round:
    """What the trees of one round share."""
    g: np.ndarray
    h: np.ndarray
    sample: np.ndarray | None
    layouts: list[packing.PackLayout]
    per_group: int
    ask_hosts: bool


def crypto_pool(ctx: ComponentContext, rows: int) -> contextlib.AbstractContextManager:
    cores = min(os.cpu_count() or 1, int(ctx.spec.job_parameters.get("task_cores") or os.cpu_count() or 1))
    if rows < POOL_MIN_ROWS or cores < 2:
        return contextlib.nullcontext(None)
    return CryptoPool(cores)


def goss_sample(g: np.ndarray, h: np.ndarray, params: HeteroSecureBoostParams, rng: np.random.Generator) \
        -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient-based one-side sampling: the top_rate share of rows by |g| and a random other_rate share of the
    rest, whose g and h are scaled by (1 - top_rate) / other_rate."""
    n = g.shape[0]
    top = max(1, int(n * params.top_rate))
    other = max(1, int(n * params.other_rate))
    order = np.argsort(-np.abs(g).sum(axis=1), kind="stable")
    rest = order[top:]
    picked = rng.choice(rest, size=min(other, len(rest)), replace=False) if len(rest) else rest
    sample = np.zeros(n, dtype=bool)
    sample[order[:top]] = True
    sample[picked] = True
    factor = np.ones(n)
    factor[picked] = (1.0 - params.top_rate) / params.other_rate
    return g * factor[:, None], h * factor[:, None], sample


def train_guest(ctx: ComponentContext, params: HeteroSecureBoostParams, binned: BinnedFeatures, y: np.ndarray,
                ids_digest: str, objective: Objective, tree_dim: int) -> TrainedGuest:
    hosts = ctx.parties(HOST)
    n = len(y)
    started = time.perf_counter()
    public_key, private_key = generate_keypair(params.key_length)
    per_group = min(tree_dim, packing.classes_per_plaintext(n, public_key.bits))
    groups = math.ceil(tree_dim / per_group)
    ctx.federation.remote({"public_key": public_key, "tree_dim": tree_dim, "per_group": per_group, "rows": n,
                           "rounds": params.num_trees, "digest": ids_digest}, protocol.SETUP,
                          protocol.tag(ctx, "setup"), hosts)
    result = TrainedGuest(init_score=objective.initial_score(y, tree_dim))
    scores = np.tile(result.init_score, (n, 1))
    result.stats = {"encryptions": 0, "decryptions": 0, "seconds": {}}
    _add_time(result, "keygen", started)
    ctx.tracker.set_metric_meta("train", "loss", {"name": "train", "metric_type": "LOSS", "unit_name": "iters",
                                                  "curve_name": "loss"})
    sitename = f"guest:{ctx.party_id}"
    rng = np.random.default_rng(params.random_seed)
    with crypto_pool(ctx, n) as pool:
        obfuscators = [public_key.precompute_obfuscators(n, pool=pool) for _ in range(groups)]
        for r in range(params.num_trees):
            started = time.perf_counter()
            g, h = objective.gradients(y, scores)
            sample = None
            if params.run_goss:
                g, h, sample = goss_sample(g, h, params, rng)
            layouts, encrypted = [], []
            for k in range(groups):
                cols = slice(k * per_group, min(tree_dim, (k + 1) * per_group))
                layout = packing.make_layout(g[:, cols], h[:, cols])
                layouts.append(layout)
                encrypted.append(packing.encrypt(public_key, packing.pack(layout, g[:, cols], h[:, cols]),
                                                 obfuscators[k], layout))
            result.stats["encryptions"] += n * groups
            if r + 1 < params.num_trees:  # made while the hosts work on this round
                obfuscators = [public_key.precompute_obfuscators(n, pool=pool) for _ in range(groups)]
            _add_time(result, "encrypt", started)
            ctx.federation.remote(encrypted, protocol.GH, protocol.tag(ctx, "gh", r), hosts)
            shared = _Round(g, h, sample, layouts, per_group, not (params.complete_secure and r == 0))
            for c in range(tree_dim):
                tree, leaves = _build_tree(ctx, params, binned, shared, c, r, private_key, result, sitename)
                weights = np.asarray(tree.weight)
                scores[:, c] += params.learning_rate * weights[leaves]
                result.trees.append(tree)
            loss = objective.loss(y, scores)
            result.losses.append(loss)
            ctx.tracker.log_metric_data("train", "loss", [(r, loss)])
            ctx.tracker.set_progress(int(100 * (r + 1) / params.num_trees))
            ctx.log.info("round %s: loss %.6f (%.2fs)", r, loss, time.perf_counter() - started)
            stop = params.n_iter_no_change and len(result.losses) > 1 and \
                abs(result.losses[-2] - loss) < params.tol
            ctx.federation.remote(bool(stop), protocol.STOP, protocol.tag(ctx, "stop", r), hosts)
            if stop:
                break
    result.scores = scores
    return result


def _receive_histogram(ctx: ComponentContext, host, private_key: PaillierPrivateKey, layout: packing.PackLayout,
                       nodes: int, where: tuple, result: TrainedGuest) -> tuple[list[int] | None, int]:
    """A host's decrypted candidate sums for the built nodes, and how many candidates each node has; (None, 0)
    when the host sent none."""
    started = time.perf_counter()
    [message] = ctx.federation.get(protocol.HISTOGRAM, protocol.tag(ctx, *where, 0), [host])
    _add_time(result, "wait_hosts", started)
    if message is None:
        return None, 0
    try:
        width, count, vector = int(message["per_node"]), int(message["count"]), message["sums"]
    except (KeyError, TypeError, ValueError):
        raise DataError(f"host {host.party_id} sent a malformed histogram") from None
    if not isinstance(vector, EncryptedVector) or vector.public_key != private_key.public_key:
        raise DataError(f"host {host.party_id} sent a histogram that is not under this job's public key")
    if count != width * nodes or len(vector) > count:
        raise DataError(f"host {host.party_id} sent {count} sums for {nodes} nodes of {width} candidates")
    started = time.perf_counter()
    key_bits = private_key.public_key.bits
    sums = packing.decrypt_sums(private_key, vector, layout.total_bits)
    _add_time(result, "decrypt", started)
    started = time.perf_counter()
    [folded] = ctx.federation.get(protocol.HISTOGRAM, protocol.tag(ctx, *where, 1), [host])
    _add_time(result, "wait_hosts", started)
    rest = count - len(vector)
    per = packing.slots_per_ciphertext(layout.total_bits, key_bits)
    if not isinstance(folded, EncryptedVector) or folded.public_key != private_key.public_key or \
            len(folded) != -(-rest // per):
        raise DataError(f"host {host.party_id} sent {rest} folded sums in something else")
    started = time.perf_counter()
    sums += packing.decrypt_sums(private_key, folded, layout.total_bits, compressed_count=rest)
    result.stats["decryptions"] += -(-len(vector) // per) + len(folded)
    _add_time(result, "decrypt", started)
    return sums, width


def _add_time(result: TrainedGuest, what: str, started: float) -> None:
    seconds = result.stats["seconds"]
    seconds[what] = seconds.get(what, 0.0) + time.perf_counter() - started


def _plan(splittable: list[int], tree: Tree, parent: dict[int, int], counts: np.ndarray, have: set[int]) \
        -> tuple[list[int], dict[int, tuple[int, int]]]:
    """Which nodes the hosts build and which are derived as parent - sibling: of two children of a parent whose
    sums are known, only the smaller is built."""
    wanted = set(splittable)
    build: list[int] = []
    derive: dict[int, tuple[int, int]] = {}
    planned: set[int] = set()
    for node in splittable:
        if node in planned:
            continue
        p = parent.get(node)
        if p is None or p not in have:
            build.append(node)
            planned.add(node)
            continue
        left, right = tree.left[p], tree.right[p]
        small, large = (left, right) if counts[left] <= counts[right] else (right, left)
        build.append(small)
        if large in wanted:
            derive[large] = (p, small)
        planned |= {left, right}
    return build, derive


def _build_tree(ctx: ComponentContext, params: HeteroSecureBoostParams, binned: BinnedFeatures, shared: _Round,
                c: int, r: int, private_key: PaillierPrivateKey, result: TrainedGuest, sitename: str) \
        -> tuple[Tree, np.ndarray]:
    hosts = ctx.parties(HOST)
    tp = params.tree
    n = binned.bins.shape[0]
    g, h = shared.g[:, c], shared.h[:, c]
    group, field_index = divmod(c, shared.per_group)
    layout = shared.layouts[group]
    tree = Tree()
    tree.add()
    positions = np.zeros(n, dtype=np.int64)
    in_hist = shared.sample if shared.sample is not None else np.ones(n, dtype=bool)
    valid = sampled_features(binned.features, params.subsample_feature_rate, params.random_seed, r, c)
    parent: dict[int, int] = {}
    host_sums: list[dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]] = [{} for _ in hosts]
    level = [0]
    sent = 0
    for depth in range(tp.max_depth):
        hist_positions = np.where(in_hist, positions, -1)
        counts = np.bincount(hist_positions[in_hist], minlength=len(tree.owner))
        splittable = [node for node in level if counts[node] >= max(tp.min_sample_split, 2 * tp.min_leaf_node)]
        if not splittable:
            break
        build, derive = _plan(splittable, tree, parent, counts, set.intersection(*(set(s) for s in host_sums))) \
            if shared.ask_hosts else ([], {})
        message = {"done": False, "positions": positions.astype(np.int32), "build": build,
                   "sample": shared.sample if depth == 0 else None}
        ctx.federation.remote(message, protocol.LEVEL, protocol.tag(ctx, r, c, depth), hosts)
        sent += 1
        started = time.perf_counter()
        own, own_feature, own_bin = plain_candidates(g, h, binned.bins, binned.bin_counts, valid, hist_positions,
                                                     splittable)
        _add_time(result, "own_histograms", started)
        for i, host in enumerate(hosts):
            sums, width = _receive_histogram(ctx, host, private_key, layout, len(build), (r, c, depth), result)
            if sums is None:
                continue
            started = time.perf_counter()
            gs, hs, cs = packing.unpack(layout, sums, field_index)
            for j, node in enumerate(build):
                part = slice(j * width, (j + 1) * width)
                host_sums[i][node] = (gs[part], hs[part], cs[part])
            for node, (p, small) in derive.items():
                if p not in host_sums[i] or small not in host_sums[i]:
                    continue
                pg, ph, pc = host_sums[i][p]
                sg, sh, sc = host_sums[i][small]
                host_sums[i][node] = (pg - sg, ph - sh, pc - sc)
            _add_time(result, "unpack", started)
        started = time.perf_counter()
        wins: list[dict[int, int]] = [{} for _ in hosts]
        splits: dict[int, Split] = {}
        for k, node in enumerate(splittable):
            rows = hist_positions == node
            total = (float(g[rows].sum()), float(h[rows].sum()), float(counts[node]))
            candidates = [(-1, own[k].g, own[k].h, own[k].count)]
            candidates += [(i, *host_sums[i][node]) for i in range(len(hosts)) if node in host_sums[i]]
            split = best_split(candidates, total, tp)
            if split is not None:
                splits[node] = split
                if split.party >= 0:
                    wins[split.party][node] = split.candidate
        _add_time(result, "find_splits", started)
        started = time.perf_counter()
        for i, host in enumerate(hosts):
            ctx.federation.remote(wins[i], protocol.WINS, protocol.tag(ctx, r, c, depth), [host])
        row_splits = ctx.federation.get(protocol.ROW_SPLITS, protocol.tag(ctx, r, c, depth), hosts)
        _add_time(result, "wait_row_splits", started)
        level = []
        for node, split in splits.items():
            rows = np.flatnonzero(positions == node)
            if split.party < 0:
                f, b = int(own_feature[split.candidate]), int(own_bin[split.candidate])
                goes_left = binned.bins[rows, f] <= b
                left, right = tree.split(node, sitename, f, float(binned.split_points[f][b]))
                key = (sitename, f)
            else:
                bits = row_splits[split.party].get(node) if isinstance(row_splits[split.party], dict) else None
                if not isinstance(bits, bytes) or len(bits) != (len(rows) + 7) // 8:
                    raise DataError(f"host {hosts[split.party].party_id} did not say which of the {len(rows)} rows "
                                    f"of node {node} go left")
                goes_left = np.unpackbits(np.frombuffer(bits, dtype=np.uint8), count=len(rows)).astype(bool)
                left, right = tree.split(node, f"host:{hosts[split.party].party_id}")
                key = (f"host:{hosts[split.party].party_id}", -1)
            positions[rows[goes_left]] = left
            positions[rows[~goes_left]] = right
            parent[left] = parent[right] = node
            result.importance[key] = result.importance.get(key, 0.0) + (
                split.gain if tp.feature_importance_type == "gain" else 1.0)
            level += [left, right]
        for sums in host_sums:  # only this level's nodes can be parents of the next
            for node in [x for x in sums if x not in splits]:
                del sums[node]
        if not level:
            break
    ctx.federation.remote({"done": True}, protocol.LEVEL, protocol.tag(ctx, r, c, sent), hosts)
    for node in range(len(tree.owner)):
        if tree.is_leaf(node):
            rows = (positions == node) & in_hist
            tree.weight[node] = leaf_weight(float(g[rows].sum()), float(h[rows].sum()), tp)
    return tree, positions
