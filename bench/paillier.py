"""Paillier throughput: ours (fate_flow.secure) against a plain gmpy2 encryption (g^m r^n mod n^2, one
powmod per value), python-paillier (phe) and a loop of gmpy2.powmod for dot products, on one core and with
a CryptoPool of every core. Slow baselines are timed on a sample and reported per second.

    .venv/bin/python bench/paillier.py                    # 1024-bit key, 20,000 values, dot 10,000 x 10
    .venv/bin/python bench/paillier.py --bits 2048 --n 2000 --dot-rows 2000
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from pathlib import Path

import gmpy2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fate_flow.secure.paillier import CryptoPool, generate_keypair  # noqa: E402


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def rate(count: int, fn) -> float:
    return count / timed(fn)


def naive_dot(ciphertexts, weights: np.ndarray, nsquare, split_signs: bool) -> list:
    """sum_i c_i^w_ij with one powmod per (row, column): gmpy2 inverts for a negative exponent itself, or
    (split_signs) negatives are raised to |w|, collected apart and inverted once per column."""
    rows, columns = weights.shape
    positive, negative = [gmpy2.mpz(1)] * columns, [gmpy2.mpz(1)] * columns
    for c, row in zip(ciphertexts, weights.tolist()):
        for j, w in enumerate(row):
            if split_signs and w < 0:
                negative[j] = negative[j] * gmpy2.powmod(c, -w, nsquare) % nsquare
            else:
                positive[j] = positive[j] * gmpy2.powmod(c, w, nsquare) % nsquare
    return [p * gmpy2.invert(q, nsquare) % nsquare for p, q in zip(positive, negative)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bits", type=int, default=1024)
    parser.add_argument("--n", type=int, default=20_000, help="values to encrypt and decrypt")
    parser.add_argument("--dot-rows", type=int, default=10_000)
    parser.add_argument("--dot-columns", type=int, default=10)
    parser.add_argument("--scalar-bits", type=int, default=20, help="fractional bits of the dot multipliers")
    parser.add_argument("--sample", type=int, default=1000, help="values timed for the slow baselines")
    args = parser.parse_args()
    count, cores, sample = args.n, os.cpu_count() or 1, min(args.sample, args.n)
    keygen = timed(lambda: generate_keypair(args.bits))
    public, private = generate_keypair(args.bits, rng=random.Random(0))
    values = np.random.default_rng(1).normal(size=count)
    public.encrypt(values[:10])  # build the fixed-base table outside the timings
    rows: list[tuple[str, str]] = [("key generation", f"{keygen * 1000:,.0f} ms")]

    n, nsquare = public.n, public.nsquare
    raw = rate(sample, lambda: [(1 + gmpy2.mpz(i) * n) * gmpy2.powmod(gmpy2.mpz(secrets.randbits(args.bits)), n,
                                                                      nsquare) % nsquare for i in range(sample)])
    ours = rate(count, lambda: public.encrypt(values))
    encrypted = public.encrypt(values)
    decrypt = rate(count, lambda: private.decrypt(encrypted))

    dot_rows = min(args.dot_rows, count)
    matrix = np.random.default_rng(2).normal(size=(dot_rows, args.dot_columns))
    elements = matrix.size
    left = encrypted[:dot_rows]
    dot = rate(elements, lambda: left.dot(matrix, scalar_bits=args.scalar_bits))
    weights = np.rint(matrix * 2.0 ** args.scalar_bits).astype(np.int64)
    naive_rows = max(1, min(dot_rows, args.sample // 4))
    sample_cts = left.ciphertexts[:naive_rows]
    naive = rate(naive_rows * args.dot_columns,
                 lambda: naive_dot(sample_cts, weights[:naive_rows], nsquare, split_signs=False))
    naive_split = rate(naive_rows * args.dot_columns,
                       lambda: naive_dot(sample_cts, weights[:naive_rows], nsquare, split_signs=True))

    rows += [("encrypt/s, raw gmpy2 g^m r^n (1 core)", f"{raw:,.0f}"),
             ("encrypt/s, ours (1 core)", f"{ours:,.0f}"),
             ("  ours / raw gmpy2", f"{ours / raw:.1f}x"),
             ("decrypt/s, ours CRT (1 core)", f"{decrypt:,.0f}"),
             (f"dot {dot_rows:,} x {args.dot_columns}, elements/s, ours (1 core)", f"{dot:,.0f}"),
             ("dot elements/s, powmod loop (signed exponents)", f"{naive:,.0f}"),
             ("dot elements/s, powmod loop (negatives apart)", f"{naive_split:,.0f}"),
             ("  ours / powmod loop (signed, apart)", f"{dot / naive:.1f}x, {dot / naive_split:.1f}x")]
    if cores > 1:
        with CryptoPool(cores) as pool:
            public.encrypt(values[:cores * 256], pool=pool)  # every worker builds its table
            pooled = rate(count, lambda: public.encrypt(values, pool=pool))
            pooled_decrypt = rate(count, lambda: private.decrypt(encrypted, pool=pool))
            pooled_dot = rate(elements, lambda: left.dot(matrix, pool=pool, scalar_bits=args.scalar_bits))
        rows += [(f"encrypt/s, ours pool of {cores}", f"{pooled:,.0f}  ({pooled / ours:.2f}x)"),
                 (f"decrypt/s, ours pool of {cores}", f"{pooled_decrypt:,.0f}  ({pooled_decrypt / decrypt:.2f}x)"),
                 (f"dot elements/s, ours pool of {cores}", f"{pooled_dot:,.0f}  ({pooled_dot / dot:.2f}x)")]
    try:
        import phe
    except ImportError:
        rows.append(("phe", "not installed"))
    else:
        phe_public, phe_private = phe.generate_paillier_keypair(n_length=args.bits)
        floats = values[:sample].tolist()
        phe_encrypt = rate(sample, lambda: [phe_public.encrypt(v) for v in floats])
        phe_encrypted = [phe_public.encrypt(v) for v in floats]
        phe_decrypt = rate(sample, lambda: [phe_private.decrypt(c) for c in phe_encrypted])
        rows += [("encrypt/s, phe (1 core)", f"{phe_encrypt:,.0f}"), ("decrypt/s, phe (1 core)", f"{phe_decrypt:,.0f}")]
    print(f"Paillier, {args.bits}-bit key, {count:,} values, {cores} cores")
    for name, value in rows:
        print(f"  {name:52} {value:>20}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
