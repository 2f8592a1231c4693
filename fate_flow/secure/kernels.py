"""The batch computations behind encrypt, decrypt and dot, as plain functions of numbers so the same code
runs in the caller's process or in a CryptoPool worker (arguments and results are picklable).

Keys travel as their numbers with every chunk (a few hundred bytes next to a chunk's ciphertexts); what
is costly to derive from them (the fixed-base table, the CRT constants) is cached per process.
"""
from __future__ import annotations

from functools import lru_cache

import gmpy2
import numpy as np
from gmpy2 import mpz

from fate_flow.secure.multiexp import fixed_base_powers, fixed_base_table, multi_exp_columns

# memory for one key's fixed-base table; the window is the widest that fits
TABLE_BUDGET_BYTES = 24 << 20


def encryption_window(bits: int) -> tuple[int, int]:
    """(window bits, windows) of the fixed-base table for a `bits`-bit key: the random exponent has
    windows * window >= bits/2 bits."""
    exponent_bits = max(bits // 2, 1)
    entry_bytes = 2 * ((bits + 7) // 8) + 40  # an mpz below n^2 plus its object header
    fitting = [w for w in range(4, 13)
               if -(-exponent_bits // w) * (1 << w) * entry_bytes <= TABLE_BUDGET_BYTES]
    window = max(fitting, default=4)
    return window, -(-exponent_bits // window)


@lru_cache(maxsize=4)
def encryption_table(n: mpz, hs: mpz) -> list[list[mpz]]:
    window, windows = encryption_window(n.bit_length())
    return fixed_base_table(hs, n * n, window, windows)


def encrypt_chunk(n: mpz, hs: mpz, plaintexts: list[int], digits: np.ndarray) -> list[mpz]:
    """(1 + m*n) * hs**alpha mod n^2 for each encoded m, alpha given by its table digits (column i)."""
    nsquare = n * n
    start = [(1 + mpz(m) * n) % nsquare for m in plaintexts]
    return fixed_base_powers(encryption_table(n, hs), digits, start, nsquare)


def obfuscator_chunk(n: mpz, hs: mpz, digits: np.ndarray) -> list[mpz]:
    """hs**alpha mod n^2 for each alpha given by its table digits (column i): encryption's random factors."""
    return fixed_base_powers(encryption_table(n, hs), digits, [mpz(1)] * digits.shape[1], n * n)


@lru_cache(maxsize=4)
def crt_constants(p: mpz, q: mpz) -> tuple[mpz, mpz, mpz, mpz, mpz]:
    """(p^2, q^2, hp, hq, p^-1 mod q) with hp = L_p(g^(p-1) mod p^2)^-1 mod p for g = n + 1."""
    n = p * q
    p2, q2 = p * p, q * q
    hp = gmpy2.invert(gmpy2.divexact(gmpy2.powmod(n + 1, p - 1, p2) - 1, p), p)
    hq = gmpy2.invert(gmpy2.divexact(gmpy2.powmod(n + 1, q - 1, q2) - 1, q), q)
    return p2, q2, hp, hq, gmpy2.invert(p, q)


def decrypt_chunk(p: mpz, q: mpz, ciphertexts: list[mpz], exponent: int) -> np.ndarray:
    """Signed plaintexts / 2**exponent as float64, by CRT: m_p = L_p(c^(p-1) mod p^2) * hp mod p (and the
    same mod q), recombined mod n; m > n/2 is read as m - n."""
    p2, q2, hp, hq, p_inverse = crt_constants(p, q)
    n = p * q
    half = n // 2
    mp = [gmpy2.divexact(x - 1, p) * hp % p for x in gmpy2.powmod_base_list(ciphertexts, p - 1, p2)]
    mq = [gmpy2.divexact(x - 1, q) * hq % q for x in gmpy2.powmod_base_list(ciphertexts, q - 1, q2)]
    scale = 1 << exponent
    out = []
    for a, b in zip(mp, mq):
        m = a + p * ((b - a) * p_inverse % q)
        out.append(int(m - n if m > half else m) / scale)
    return np.array(out, dtype=np.float64)


def dot_chunk(nsquare: mpz, ciphertexts: list[mpz], multipliers: np.ndarray) -> list[mpz]:
    """out[j] = prod_i c_i ** w_ij mod n^2 (the encryption of sum_i m_i * w_ij)."""
    return multi_exp_columns(ciphertexts, multipliers, nsquare)
