"""HeteroLR training: FATE's hetero LR protocol, one function per role.

With labels y in {-1, 1} and wx = x_g.w_g + x_h.w_h, the logistic loss is approximated by its Taylor
expansion log 2 - y wx / 2 + wx^2 / 8, whose gradient factor is d = wx / 4 - y / 2. Per mini-batch:

  host    encrypts [[wx_h]] with the arbiter's public key (and [[sum wx_h^2]] when the loss is needed)
  guest   forms [[4d]] = [[wx_h]] + wx_g - 2y (additions only) and sends it to the hosts
  each    of guest and hosts computes its encrypted gradient [[sum_i 4d_i x_i]], adds a random mask,
          and has the arbiter decrypt it; it removes the mask and steps its own weights
  guest   sends the encrypted batch loss to the arbiter, which logs the loss and decides convergence

So the hosts only ever see ciphertexts, the guest sees ciphertexts and nothing of host features, and
the arbiter sees masked gradients and the loss. The guest holds the intercept.
"""
from __future__ import annotations

import contextlib
import math
import os
import secrets
import time
from dataclasses import dataclass, field

import numpy as np

from fate_flow.components.base import ComponentContext
from fate_flow.components.hetero_lr_data import PartyData
from fate_flow.components.linear_model.convergence import ConvergeCheck
from fate_flow.components.linear_model.divergence import check_training
from fate_flow.components.linear_model.lr_params import HeteroLRParams
from fate_flow.components.linear_model.mini_batches import mini_batches
from fate_flow.components.linear_model.optimizers import Optimizer, penalty_loss
from fate_flow.components.linear_model.weights import initial_weights
from fate_flow.entity.errors import DataError
from fate_flow.secure.paillier import CryptoPool, EncryptedVector, generate_keypair


GUEST, HOST, ARBITER = "guest", "host", "arbiter"
# masks added to encrypted gradients before the arbiter decrypts them
MASK_RANGE = 2.0 ** 36
# below this many rows per batch, encryption runs in the task's own process
POOL_MIN_ROWS = 4000
# fractional bits of the plaintext multipliers (features) in encrypted gradient sums: every bit costs
# modular multiplications; 2**-16 on standardised features changes a batch gradient by ~1e-8
GRADIENT_SCALAR_BITS = 16


@dataclass
class TrainResult:
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))  # own coefficients (+ intercept, guest)
    iters: int = 0
    losses: list[float] = field(default_factory=list)
    converged: bool = False
    summary: dict = field(default_factory=dict)


def _loss_computed(ctx: ComponentContext) -> bool:
    """The loss needs the host's sum of squared partial scores: with several hosts the cross terms between
    them are known to nobody, so (as FATE) the loss is computed with one host only."""
    return len(ctx.parties(HOST)) == 1


def _early_stop(ctx: ComponentContext, params: HeteroLRParams) -> str:
    if params.early_stop in ("diff", "abs") and not _loss_computed(ctx):
        ctx.log.warning("early_stop %s needs the loss, which is not computed with several hosts; "
                        "using weight_diff", params.early_stop)
        return "weight_diff"
    return params.early_stop


def _optimizer(params: HeteroLRParams, fit_intercept: bool) -> Optimizer:
    return Optimizer(params.optimizer, params.learning_rate, params.penalty, params.alpha, params.decay,
                     params.decay_sqrt, fit_intercept)


def _crypto_pool(ctx: ComponentContext, rows: int) -> contextlib.AbstractContextManager:
    """Worker processes for the Paillier work of big batches (task_cores of them, at most the machine's)."""
    cores = min(os.cpu_count() or 1, int(ctx.spec.job_parameters.get("task_cores") or os.cpu_count() or 1))
    if rows < POOL_MIN_ROWS or cores < 2:
        return contextlib.nullcontext(None)
    return CryptoPool(cores)


def _mask(size: int) -> np.ndarray:
    rng = np.random.default_rng(secrets.randbits(128))
    return rng.uniform(-MASK_RANGE, MASK_RANGE, size)


def _send_masked_gradient(ctx: ComponentContext, encrypted: EncryptedVector, epoch: int, batch: int) -> np.ndarray:
    """Ask the arbiter to decrypt an encrypted gradient sum with a random mask added; returns the mask."""
    mask = _mask(len(encrypted))
    ctx.federation.remote(encrypted + mask, f"{ctx.role}_masked_gradient", ctx.tag("grad", epoch, batch),
                          ctx.parties(ARBITER)[:1])
    return mask


def _receive_gradient(ctx: ComponentContext, mask: np.ndarray, epoch: int, batch: int, rows: int) -> np.ndarray:
    """The decrypted sum with the mask removed, as the gradient of the batch's mean loss."""
    [decrypted] = ctx.federation.get(f"{ctx.role}_gradient", ctx.tag("grad", epoch, batch), ctx.parties(ARBITER)[:1])
    return (np.asarray(decrypted, dtype=np.float64) - mask) / (4.0 * rows)


def _dot_pool(pool: CryptoPool | None) -> CryptoPool | None:
    """The pool for encrypted gradient sums. Guest and hosts compute theirs at the same time, so when the
    machine could not give every party's pool its cores (parties sharing a small machine), each party sums
    in its own process rather than oversubscribing the cores."""
    if pool is None or (os.cpu_count() or 1) < 2 * pool.workers:
        return None
    return pool


def _check(ctx: ComponentContext, params: HeteroLRParams, epoch: int, **values) -> None:
    """Stop with a message naming the component, this party, the iteration and learning_rate when the
    training runs away (divergence.check_training)."""
    check_training(ctx.spec.component_name, ctx.role, ctx.party_id, epoch, params.learning_rate, **values)


def _converged(ctx: ComponentContext, epoch: int) -> bool:
    [flag] = ctx.federation.get("converged", ctx.tag("converged", epoch), ctx.parties(ARBITER)[:1])
    return bool(flag)


def _end_epoch(ctx: ComponentContext, params: HeteroLRParams, early_stop: str, epoch: int, old: np.ndarray,
               new: np.ndarray, result: TrainResult) -> bool:
    """A guest's or host's end of an epoch: report to the arbiter, count it, and learn whether training
    converged (True: stop)."""
    _report_epoch(ctx, params, early_stop, epoch, old, new)
    result.iters = epoch + 1
    ctx.tracker.set_progress(int(100 * (epoch + 1) / params.max_iter))
    result.converged = _converged(ctx, epoch)
    return result.converged


def _report_epoch(ctx: ComponentContext, params: HeteroLRParams, early_stop: str, epoch: int,
                  old: np.ndarray, new: np.ndarray) -> None:
    """What the arbiter needs from a party at the end of an epoch: its penalty term of the loss, or the
    squared change of its weights (plain scalars, as in FATE)."""
    arbiter = ctx.parties(ARBITER)[:1]
    fit_intercept = ctx.role == GUEST and params.init.fit_intercept
    if early_stop == "weight_diff":
        ctx.federation.remote(float(np.sum((new - old) ** 2)), f"{ctx.role}_weight_diff",
                              ctx.tag("wdiff", epoch), arbiter)
    if _loss_computed(ctx):
        ctx.federation.remote(penalty_loss(params.penalty, params.alpha, new, fit_intercept),
                              f"{ctx.role}_penalty", ctx.tag("penalty", epoch), arbiter)


# ------------------------------------------------------------------------------------------ guest
def train_guest(ctx: ComponentContext, params: HeteroLRParams, data: PartyData) -> TrainResult:
    hosts, arbiter = ctx.parties(HOST), ctx.parties(ARBITER)[:1]
    n, features = data.features.shape
    fit_intercept = params.init.fit_intercept
    y = 2.0 * data.labels - 1.0
    batches = mini_batches(n, params.batch_size, params.init.random_seed)
    ctx.federation.remote([[data.ids[i] for i in b] for b in batches], "batch_ids", ctx.tag("batches"), hosts)
    ctx.federation.remote({"rows": n, "batches": len(batches)}, "batch_info", ctx.tag("batches"), arbiter)
    [public_key] = ctx.federation.get("paillier_pubkey", ctx.tag("pubkey"), arbiter)
    weights = initial_weights(params.init, features, fit_intercept)
    optimizer = _optimizer(params, fit_intercept)
    early_stop = _early_stop(ctx, params)
    loss_needed = _loss_computed(ctx)
    result = TrainResult()
    with _crypto_pool(ctx, max(len(b) for b in batches)) as pool:
        for epoch in range(params.max_iter):
            before = weights.copy()
            for b, rows in enumerate(batches):
                x = data.features[rows]
                wx_g = x @ weights[:features] + (weights[-1] if fit_intercept else 0.0)
                _check(ctx, params, epoch, scores=wx_g)
                started = time.perf_counter()
                forwards = ctx.federation.get("host_forward", ctx.tag("forward", epoch, b), hosts)
                received_at = time.perf_counter()
                wx_h = forwards[0][0]
                for other, _ in forwards[1:]:
                    wx_h = wx_h + other
                y_b = y[rows]
                fore = wx_h + (wx_g - 2.0 * y_b)  # [[4d]]
                ctx.federation.remote(fore, "fore_gradient", ctx.tag("fore", epoch, b), hosts)
                encrypted = fore.dot(x, pool=_dot_pool(pool), scalar_bits=GRADIENT_SCALAR_BITS)
                if fit_intercept:  # the intercept's feature is 1: its gradient sum is a plain sum
                    encrypted = EncryptedVector.concatenate([encrypted, fore.sum()])
                mask = _send_masked_gradient(ctx, encrypted, epoch, b)
                summed_at = time.perf_counter()
                if loss_needed:  # while the arbiter decrypts the gradients
                    plain = len(rows) * math.log(2) - 0.5 * float(y_b @ wx_g) + 0.125 * float(wx_g @ wx_g)
                    loss = (wx_h.dot(0.25 * wx_g - 0.5 * y_b, scalar_bits=GRADIENT_SCALAR_BITS)
                            + forwards[0][1] * 0.125 + plain)
                    ctx.federation.remote(loss, "encrypted_loss", ctx.tag("loss", epoch, b), arbiter)
                loss_at = time.perf_counter()
                gradient = _receive_gradient(ctx, mask, epoch, b, len(rows))
                ctx.log.debug("epoch %s batch %s: wait for hosts %.3fs, gradient %.3fs, loss %.3fs, arbiter %.3fs",
                              epoch, b, received_at - started, summed_at - received_at, loss_at - summed_at,
                              time.perf_counter() - loss_at)
                weights = optimizer.step(weights, gradient, epoch)
                _check(ctx, params, epoch, gradients=gradient, weights=weights)
            if _end_epoch(ctx, params, early_stop, epoch, before, weights, result):
                break
    result.weights = weights
    result.summary = {"iters": result.iters, "is_converged": result.converged, "best_iteration": result.iters - 1,
                      "coef": dict(zip(data.header, weights[:features].tolist())),
                      "intercept": float(weights[-1]) if fit_intercept else 0.0}
    return result


# ------------------------------------------------------------------------------------------ host
def train_host(ctx: ComponentContext, params: HeteroLRParams, data: PartyData) -> TrainResult:
    guest, arbiter = ctx.parties(GUEST)[:1], ctx.parties(ARBITER)[:1]
    n, features = data.features.shape
    [batch_ids] = ctx.federation.get("batch_ids", ctx.tag("batches"), guest)
    position = {sid: i for i, sid in enumerate(data.ids)}
    batches = []
    for ids in batch_ids:
        missing = [sid for sid in ids if sid not in position]
        if missing:
            raise DataError(f"{ctx.spec.component_name}: the guest's rows {missing[:5]} are not in host "
                            f"{ctx.party_id}'s train_data; put an Intersection before HeteroLR")
        batches.append(np.array([position[sid] for sid in ids], dtype=np.int64))
    if sum(len(b) for b in batches) != n:
        ctx.log.warning("host %s has %s rows, the guest trains on %s: the others are not used", ctx.party_id, n,
                        sum(len(b) for b in batches))
    [public_key] = ctx.federation.get("paillier_pubkey", ctx.tag("pubkey"), arbiter)
    weights = initial_weights(params.init, features, with_intercept=False)
    optimizer = _optimizer(params, fit_intercept=False)
    early_stop = _early_stop(ctx, params)
    loss_needed = _loss_computed(ctx)
    result = TrainResult()
    with _crypto_pool(ctx, max(len(b) for b in batches)) as pool:
        # the random factors of each batch's encryption are made in the pool while this party waits for the
        # guest and the arbiter, so the guest (idle until the forward arrives) waits less
        obfuscators = public_key.precompute_obfuscators(len(batches[0]), pool=pool)
        for epoch in range(params.max_iter):
            before = weights.copy()
            for b, rows in enumerate(batches):
                x = data.features[rows]
                wx_h = x @ weights
                _check(ctx, params, epoch, scores=wx_h)
                started = time.perf_counter()
                encrypted = public_key.encrypt(wx_h, obfuscators=obfuscators)
                squares = public_key.encrypt([float(wx_h @ wx_h)]) if loss_needed else None
                encrypted_at = time.perf_counter()
                obfuscators = public_key.precompute_obfuscators(len(batches[(b + 1) % len(batches)]), pool=pool)
                ctx.federation.remote((encrypted, squares), "host_forward", ctx.tag("forward", epoch, b), guest)
                [fore] = ctx.federation.get("fore_gradient", ctx.tag("fore", epoch, b), guest)
                received_at = time.perf_counter()
                mask = _send_masked_gradient(ctx, fore.dot(x, pool=_dot_pool(pool), scalar_bits=GRADIENT_SCALAR_BITS),
                                             epoch, b)
                summed_at = time.perf_counter()
                gradient = _receive_gradient(ctx, mask, epoch, b, len(rows))
                ctx.log.debug("epoch %s batch %s: encrypt %.3fs, wait for guest %.3fs, gradient %.3fs, arbiter %.3fs",
                              epoch, b, encrypted_at - started, received_at - encrypted_at, summed_at - received_at,
                              time.perf_counter() - summed_at)
                weights = optimizer.step(weights, gradient, epoch)
                _check(ctx, params, epoch, gradients=gradient, weights=weights)
            if _end_epoch(ctx, params, early_stop, epoch, before, weights, result):
                break
    result.weights = weights
    result.summary = {"iters": result.iters, "is_converged": result.converged,
                      "coef": dict(zip(data.header, weights.tolist()))}
    return result


# ------------------------------------------------------------------------------------------ arbiter
def train_arbiter(ctx: ComponentContext, params: HeteroLRParams) -> TrainResult:
    guest, hosts = ctx.parties(GUEST)[:1], ctx.parties(HOST)
    public_key, private_key = generate_keypair(params.key_length)
    ctx.federation.remote(public_key, "paillier_pubkey", ctx.tag("pubkey"), guest + hosts)
    [info] = ctx.federation.get("batch_info", ctx.tag("batches"), guest)
    rows, n_batches = int(info["rows"]), int(info["batches"])
    early_stop = _early_stop(ctx, params)
    check = ConvergeCheck(early_stop, params.tol)
    loss_needed = _loss_computed(ctx)
    ctx.tracker.set_metric_meta("train", "loss", {"name": "train", "metric_type": "LOSS", "unit_name": "iters",
                                                  "curve_name": "loss"})
    result = TrainResult()
    for epoch in range(params.max_iter):
        loss_sum = 0.0
        for b in range(n_batches):
            tag = ctx.tag("grad", epoch, b)
            for party in guest + hosts:
                [masked] = ctx.federation.get(f"{party.role}_masked_gradient", tag, [party])
                ctx.federation.remote(private_key.decrypt(masked), f"{party.role}_gradient", tag, [party])
            if loss_needed:
                [encrypted_loss] = ctx.federation.get("encrypted_loss", ctx.tag("loss", epoch, b), guest)
                loss_sum += float(private_key.decrypt(encrypted_loss)[0])
        if early_stop == "weight_diff":
            diffs = [ctx.federation.get(f"{p.role}_weight_diff", ctx.tag("wdiff", epoch), [p])[0]
                     for p in guest + hosts]
            converged = check.converged(weight_diff=math.sqrt(sum(diffs)))
        else:
            converged = None
        if loss_needed:
            penalties = [ctx.federation.get(f"{p.role}_penalty", ctx.tag("penalty", epoch), [p])[0]
                         for p in guest + hosts]
            loss = loss_sum / rows + sum(penalties)
            _check(ctx, params, epoch, loss_values=[loss])
            result.losses.append(loss)
            ctx.tracker.log_metric_data("train", "loss", [(epoch, loss)])
            ctx.log.info("epoch %s: loss %.6f", epoch, loss)
            if converged is None:
                converged = check.converged(loss=loss)
        result.iters = epoch + 1
        ctx.federation.remote(bool(converged), "converged", ctx.tag("converged", epoch), guest + hosts)
        if converged:
            result.converged = True
            break
    result.summary = {"iters": result.iters, "is_converged": result.converged,
                      "loss_history": [round(x, 6) for x in result.losses]}
    return result
