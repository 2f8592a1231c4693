"""Paillier throughput: ours (fate_flow.secure) against a plain gmpy2 encryption (g^m r^n mod n^2, one
powmod per value) and python-paillier (phe), on one core and with a CryptoPool of every core.

    .venv/bin/python bench/paillier.py               # 1024-bit key, 10,000 values
    .venv/bin/python bench/paillier.py --bits 2048 --n 2000
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

import gmpy2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fate_flow.secure.paillier import CryptoPool, generate_keypair  # noqa: E402


def rate(count: int, fn) -> float:
    started = time.perf_counter()
    fn()
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bits", type=int, default=1024)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    n_values, cores = args.n, os.cpu_count() or 1
    started = time.perf_counter()
    public, private = generate_keypair(args.bits)
    keygen = time.perf_counter() - started
    values = np.random.default_rng(1).normal(size=n_values)
    matrix = np.random.default_rng(2).normal(size=(n_values, 10))
    rows = [("key generation", f"{keygen * 1000:.0f} ms")]

    n, nsquare = public.n, public.nsquare
    raw_count = min(n_values, 2000)
    raw = rate(raw_count, lambda: [(1 + gmpy2.mpz(i) * n) * gmpy2.powmod(gmpy2.mpz(secrets.randbits(args.bits)), n,
                                                                           nsquare) % nsquare
                                   for i in range(raw_count)])
    ours = rate(n_values, lambda: public.encrypt(values))
    rows += [("encrypt/s, gmpy2 r^n (1 core)", f"{raw:,.0f}"), ("encrypt/s, ours (1 core)", f"{ours:,.0f}"),
             ("  ours / raw gmpy2", f"{ours / raw:.1f}x")]
    encrypted = public.encrypt(values)
    rows.append(("decrypt/s, ours CRT (1 core)", f"{rate(n_values, lambda: private.decrypt(encrypted)):,.0f}"))
    naive_rows = min(n_values, 1000)
    weights = np.rint(matrix[:naive_rows] * 2 ** 16).astype(np.int64)
    naive = rate(naive_rows * 10, lambda: [gmpy2.powmod(c, int(w), nsquare) for c, row in
                                           zip(encrypted.ciphertexts[:naive_rows], weights) for w in row])
    multi = rate(n_values * 10, lambda: encrypted.dot(matrix, scalar_bits=16))
    rows += [("dot products/s, powmod each (1 core)", f"{naive:,.0f}"),
             ("dot products/s, ours multi-exp (1 core)", f"{multi:,.0f}"), ("  multi-exp / powmod", f"{multi / naive:.1f}x")]
    if cores > 1:
        with CryptoPool(cores) as pool:
            pooled = rate(n_values, lambda: public.encrypt(values, pool=pool))
            rows.append((f"encrypt/s, ours pool of {cores}", f"{pooled:,.0f}"))
            rows.append((f"decrypt/s, ours pool of {cores}",
                         f"{rate(n_values, lambda: private.decrypt(encrypted, pool=pool)):,.0f}"))
    try:
        import phe
        phe_public, phe_private = phe.generate_paillier_keypair(n_length=args.bits)
        count = min(n_values, 500)
        sample = values[:count].tolist()
        phe_rate = rate(count, lambda: [phe_public.encrypt(v) for v in sample])
        phe_encrypted = [phe_public.encrypt(v) for v in sample]
        rows += [("encrypt/s, phe (1 core)", f"{phe_rate:,.0f}"),
                 ("decrypt/s, phe (1 core)", f"{rate(count, lambda: [phe_private.decrypt(c) for c in phe_encrypted]):,.0f}")]
    except ImportError:
        rows.append(("phe", "not installed"))
    print(f"Paillier, {args.bits}-bit key, {n_values:,} values")
    for name, value in rows:
        print(f"  {name:42} {value:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
