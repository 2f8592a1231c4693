"""A host's side of HeteroSecureBoost training.

The host bins its features, receives the encrypted packed gradients of each round and, level by level, builds the
encrypted histograms of the nodes the guest asks for, as shuffled cumulative split candidates. When one of its
candidates wins a node it looks up the feature and bin behind it, keeps them (with the split value) in its own
model and tells the guest which rows of the node go left. It never learns a gradient, a label or a weight.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import numpy as np

from fate_flow.components.base import ComponentContext
from fate_flow.components.secureboost import protocol
from fate_flow.components.secureboost.binning import BinnedFeatures, sampled_features
from fate_flow.components.secureboost.histogram import CandidateOrder, encrypted_candidates
from fate_flow.components.secureboost.packing import compress, slots_per_ciphertext
from fate_flow.components.secureboost.params import HeteroSecureBoostParams
from fate_flow.components.secureboost.tree import HostSplit
from fate_flow.entity.errors import DataError
from fate_flow.secure.multiexp import objects
from fate_flow.secure.paillier import EncryptedVector, PaillierPublicKey

GUEST = "guest"
# the share of a level's sums a host folds itself: squarings modulo n^2 cost it about twice what the guest pays
# modulo p^2 and q^2, so this share keeps both busy for about the same time
HOST_FOLDED_SHARE = 0.4
# bounds on the boosting rounds and classes a guest may ask for
MAX_ROUNDS = 100_000
MAX_CLASSES = 10_000


@dataclass
class TrainedHost:
    trees: list[dict[int, HostSplit]] = field(default_factory=list)
    tree_dim: int = 1
    importance: dict[int, float] = field(default_factory=dict)
    stats: dict = field(default_factory=dict)


def train_host(ctx: ComponentContext, params: HeteroSecureBoostParams, binned: BinnedFeatures,
               ids_digest: str) -> TrainedHost:
    guest = ctx.parties(GUEST)[:1]
    [setup] = ctx.federation.get(protocol.SETUP, protocol.tag(ctx, "setup"), guest)
    if not isinstance(setup, dict):
        raise DataError("the guest's training setup is malformed")
    try:
        public_key, tree_dim, per_group, rounds = (setup["public_key"], int(setup["tree_dim"]),
                                                   int(setup["per_group"]), int(setup["rounds"]))
    except (KeyError, TypeError, ValueError):
        raise DataError("the guest's training setup is malformed") from None
    if not isinstance(public_key, PaillierPublicKey) or not 1 <= per_group <= tree_dim <= MAX_CLASSES or \
            not 1 <= rounds <= MAX_ROUNDS:
        raise DataError("the guest's training setup is out of range")
    n = binned.bins.shape[0]
    if setup.get("digest") != ids_digest or setup.get("rows") != n:
        raise DataError(f"{ctx.spec.component_name}: host {ctx.party_id} holds other rows than the guest "
                        f"({n} rows here, {setup['rows']} at the guest, or other ids); put an Intersection before "
                        f"HeteroSecureBoost")
    result = TrainedHost(tree_dim=tree_dim, stats={"multiplications": 0, "seconds": {}})
    shuffle_rng = np.random.default_rng(secrets.randbits(128))  # the candidate order is this host's secret
    for r in range(rounds):  # the guest's num_trees: it decides, a host follows
        started = time.perf_counter()
        [encrypted] = ctx.federation.get(protocol.GH, protocol.tag(ctx, "gh", r), guest)
        _add_time(result, "wait_guest", started)
        if not isinstance(encrypted, list) or len(encrypted) != -(-tree_dim // per_group):
            raise DataError("the guest's encrypted gradients do not come one vector per class group")
        groups = [_checked(vector, public_key, n) for vector in encrypted]
        for c in range(tree_dim):
            valid = sampled_features(binned.features, params.subsample_feature_rate, params.random_seed, r, c)
            order = CandidateOrder.make(binned.bin_counts, valid, shuffle_rng)
            result.trees.append(_build_tree(ctx, binned, groups[c // per_group], public_key, order, r, c, result))
        [stop] = ctx.federation.get(protocol.STOP, protocol.tag(ctx, "stop", r), guest)
        if stop:
            break
    return result


def _send_histogram(ctx: ComponentContext, flat: list, per_node: int, public_key: PaillierPublicKey, bound: int,
                    where: tuple) -> None:
    """The candidates' sums in two messages: most as they are, for the guest to fold and decrypt right away, the
    rest folded here (several per ciphertext) meanwhile, so guest and host share the work."""
    guest = ctx.parties(GUEST)[:1]
    split = len(flat) - int(len(flat) * HOST_FOLDED_SHARE)
    ctx.federation.remote({"per_node": per_node, "count": len(flat),
                           "sums": EncryptedVector(public_key, flat[:split], 0, bound)},
                          protocol.HISTOGRAM, protocol.tag(ctx, *where, 0), guest)
    per = slots_per_ciphertext(bound, public_key.bits)
    packed = compress(flat[split:], bound, public_key.bits, public_key.nsquare)
    ctx.federation.remote(EncryptedVector(public_key, packed, 0, min(per * bound, public_key.capacity_bits)),
                          protocol.HISTOGRAM, protocol.tag(ctx, *where, 1), guest)


def _level(message: dict, rows: int) -> tuple[np.ndarray, list[int], np.ndarray | None]:
    """The guest's level request, checked: every row's node, the nodes to build, the rows that count (or None)."""
    try:
        positions = np.asarray(message["positions"])
        build = [int(node) for node in message["build"]]
        sample = message.get("sample")
        sample = None if sample is None else np.asarray(sample)
    except (KeyError, TypeError, ValueError):
        raise DataError("the guest's tree level request is malformed") from None
    # a tree of `rows` rows has fewer than 2 * rows nodes
    if positions.shape != (rows,) or not np.issubdtype(positions.dtype, np.integer) or \
            (positions.size and (positions.min() < 0 or positions.max() >= 2 * rows)) or \
            (sample is not None and (sample.shape != (rows,) or sample.dtype != np.bool_)) or \
            any(not 0 <= node < 2 * rows for node in build):
        raise DataError(f"the guest's tree level request does not fit this host's {rows} rows")
    return positions.astype(np.int64), build, sample


def _add_time(result: TrainedHost, what: str, started: float) -> None:
    seconds = result.stats["seconds"]
    seconds[what] = seconds.get(what, 0.0) + time.perf_counter() - started


def _checked(vector: EncryptedVector, public_key, rows: int) -> tuple[np.ndarray, int]:
    if not isinstance(vector, EncryptedVector) or vector.public_key != public_key or len(vector) != rows:
        raise DataError("the guest's encrypted gradients do not match this host's rows or the job's public key")
    return objects(vector.ciphertexts), vector.bound


def _build_tree(ctx: ComponentContext, binned: BinnedFeatures, group: tuple[np.ndarray, int], public_key,
                order: CandidateOrder, r: int, c: int, result: TrainedHost) -> dict[int, HostSplit]:
    guest = ctx.parties(GUEST)[:1]
    ciphertexts, bound = group
    splits: dict[int, HostSplit] = {}
    sample = None
    depth = 0
    while True:
        started = time.perf_counter()
        [message] = ctx.federation.get(protocol.LEVEL, protocol.tag(ctx, r, c, depth), guest)
        _add_time(result, "wait_guest", started)
        if message.get("done"):
            return splits
        positions, build, level_sample = _level(message, len(binned.bins))
        if depth == 0:
            sample = level_sample
        started = time.perf_counter()
        if build and len(order.feature):
            hist_positions = positions if sample is None else np.where(sample, positions, -1)
            candidates = encrypted_candidates(ciphertexts, public_key.nsquare, binned.bins, hist_positions, build,
                                              order, result.stats)
            _send_histogram(ctx, [x for node in candidates for x in node], len(order.feature), public_key, bound,
                            (r, c, depth))
        else:
            ctx.federation.remote(None, protocol.HISTOGRAM, protocol.tag(ctx, r, c, depth, 0), guest)
        _add_time(result, "histogram", started)
        started = time.perf_counter()
        [wins] = ctx.federation.get(protocol.WINS, protocol.tag(ctx, r, c, depth), guest)
        _add_time(result, "wait_guest", started)
        if not isinstance(wins, dict) or not all(isinstance(k, int) and isinstance(v, int) for k, v in wins.items()):
            raise DataError("the guest's split notice is malformed")
        row_splits = {}
        for node, sent_index in wins.items():
            if not 0 <= sent_index < len(order.feature):
                raise DataError(f"the guest named split candidate {sent_index} of {len(order.feature)}")
            f, b = order.lookup(sent_index)
            goes_left = binned.bins[positions == node, f] <= b
            row_splits[node] = np.packbits(goes_left).tobytes()
            splits[node] = HostSplit(f, b, float(binned.split_points[f][b]))
            result.importance[f] = result.importance.get(f, 0.0) + 1.0
        ctx.federation.remote(row_splits, protocol.ROW_SPLITS, protocol.tag(ctx, r, c, depth), guest)
        depth += 1
