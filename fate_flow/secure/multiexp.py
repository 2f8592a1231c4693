"""Products and powers of many big integers modulo one modulus (gmpy2 mpz values).

Written so that the interpreter does O(1) work per modular multiplication: list comprehensions over mpz
values for the arithmetic, numpy for the bookkeeping (sorting, pairing). Nothing here knows about Paillier.
"""
from __future__ import annotations

import gmpy2
import numpy as np
from gmpy2 import mpz

ONE = mpz(1)


def objects(values: list) -> np.ndarray:
    """A 1-D numpy object array holding `values` (fromiter: np.array probes every element, 80x slower)."""
    return np.fromiter(values, dtype=object, count=len(values))


# ---------------------------------------------------------------- fixed base
def fixed_base_table(base: mpz, modulus: mpz, window: int, windows: int) -> list[list[mpz]]:
    """table[k][v] = base**(v * 2**(window*k)) mod modulus, for exponents of window*windows bits."""
    table = []
    step = base
    for _ in range(windows):
        row = [ONE] * (1 << window)
        acc = ONE
        for v in range(1, 1 << window):
            acc = acc * step % modulus
            row[v] = acc
        table.append(row)
        step = acc * step % modulus  # base**(2**(window*(k+1)))
    return table


def fixed_base_powers(table: list[list[mpz]], digits: np.ndarray, start: list[mpz], modulus: mpz) -> list[mpz]:
    """start[i] * base**e_i mod modulus, where e_i = sum_k digits[k, i] * 2**(window*k): one modular
    multiplication per window, no squarings (the table holds them)."""
    acc = start
    for row, column in zip(table, digits):
        acc = [a * row[v] % modulus for a, v in zip(acc, column.tolist())]
    return acc


# ---------------------------------------------------------------- products
def product(values: list[mpz], modulus: mpz) -> mpz:
    """The product of all values mod modulus (1 for none), multiplied as a balanced tree."""
    values = list(values)
    if not values:
        return ONE
    while len(values) > 1:
        odd = [values[-1]] if len(values) % 2 else []
        values = [a * b % modulus for a, b in zip(values[0::2], values[1::2])] + odd
    return values[0] % modulus


def segment_products(values: np.ndarray, segments: np.ndarray, modulus: mpz) -> tuple[np.ndarray, list[mpz]]:
    """Products of the runs of equal ids in `segments` (sorted), as (distinct ids, products).

    Each round multiplies the pairs (0,1), (2,3), ... of every run with one list comprehension over all
    runs at once, so a run of length L takes log2(L) rounds and L - 1 multiplications."""
    if len(values) != len(segments):
        raise ValueError("values and segments differ in length")
    while len(segments) > 1:
        same = segments[1:] == segments[:-1]
        if not same.any():
            break
        starts = np.concatenate(([True], ~same))
        rank = np.arange(len(segments)) - np.flatnonzero(starts)[np.cumsum(starts) - 1]
        keep = (rank & 1) == 0
        left = np.flatnonzero(keep[:-1] & same)  # each pairs with the element after it
        products = [a * b % modulus for a, b in zip(values[left].tolist(), values[left + 1].tolist())]
        values = values[keep]
        values[(np.cumsum(keep) - 1)[left]] = objects(products)
        segments = segments[keep]
    return segments, values.tolist()


def batch_invert(values: list[mpz], modulus: mpz) -> list[mpz]:
    """Inverses of all values mod modulus with one modular inversion (Montgomery's trick):
    three multiplications per value instead of an inversion each. ValueError if one has no inverse."""
    if not values:
        return []
    prefix = [values[0]]
    for v in values[1:]:
        prefix.append(prefix[-1] * v % modulus)
    try:
        inverse = gmpy2.invert(prefix[-1], modulus)
    except ZeroDivisionError:
        raise ValueError("a value has no inverse modulo n^2 (not a valid ciphertext)") from None
    out = [ONE] * len(values)
    for i in range(len(values) - 1, 0, -1):
        out[i] = inverse * prefix[i - 1] % modulus
        inverse = inverse * values[i] % modulus
    out[0] = inverse
    return out


# ---------------------------------------------------------------- multi-exponentiation
def bucket_window(rows: int, columns: int, bits: int) -> int:
    """Window width c minimising the bucket method's multiplications: per window, one per nonzero
    digit (rows*columns) plus two per bucket (2**c) of each of 2*columns bucket sets (sign x column)."""
    def cost(c: int) -> int:
        return -(-bits // c) * (rows * columns + 4 * columns * (1 << c))
    return min(range(1, 17), key=cost)


def multi_exp_columns(bases: list[mpz], exponents: np.ndarray, modulus: mpz) -> list[mpz]:
    """out[j] = prod_i bases[i] ** exponents[i, j] mod modulus for an int64 matrix of signed exponents
    (|e| < 2**62); bases must be invertible mod modulus if any exponent is negative.

    Pippenger's bucket method on all columns at once: the magnitudes are cut into c-bit windows; every
    nonzero digit v of row i in (column j, sign s, window k) drops bases[i] into bucket (j, s, k, v).
    Bucket contents are multiplied together in one sorted pass (segment_products), then each bucket set
    is folded as prod_v B_v**v with running products (two multiplications per bucket), windows are joined
    by c squarings each, and the negative part of a column is inverted once at the end. Cost per
    (row, column) is about bits/c multiplications instead of the ~1.5*bits of a separate powmod."""
    rows, columns = exponents.shape
    if rows != len(bases):
        raise ValueError(f"{len(bases)} bases but {rows} rows of exponents")
    magnitudes = np.abs(exponents).astype(np.uint64)
    bits = int(magnitudes.max()).bit_length() if magnitudes.size else 0
    if bits == 0:
        return [ONE] * columns
    c = bucket_window(rows, columns, bits)
    windows = -(-bits // c)
    mask = np.uint64((1 << c) - 1)
    # lane = (column * 2 + sign) * windows + window; bucket id = lane * 2**c + digit
    lane_base = (np.arange(columns, dtype=np.int64)[None, :] * 2 + (exponents < 0)) * windows
    row_index = np.broadcast_to(np.arange(rows, dtype=np.int64)[:, None], (rows, columns))
    ids, members = [], []
    for k in range(windows):
        digits = ((magnitudes >> np.uint64(c * k)) & mask).astype(np.int64)
        nonzero = digits != 0
        ids.append(((lane_base[nonzero] + k) << c) + digits[nonzero])
        members.append(row_index[nonzero])
    ids = np.concatenate(ids)
    members = np.concatenate(members)
    order = np.argsort(ids, kind="stable")
    bucket_ids, bucket_values = segment_products(objects(list(bases))[members[order]], ids[order], modulus)

    lanes = 2 * columns * windows
    grid = np.full((lanes, 1 << c), None, dtype=object)
    grid[bucket_ids >> c, bucket_ids & ((1 << c) - 1)] = objects(bucket_values)
    running, folded = [ONE] * lanes, [ONE] * lanes
    for v in range(int((bucket_ids & ((1 << c) - 1)).max()), 0, -1):
        column = grid[:, v].tolist()
        running = [r if b is None else r * b % modulus for r, b in zip(running, column)]
        folded = [f * r % modulus for f, r in zip(folded, running)]

    out = []
    step = ONE << c
    for j in range(columns):
        signed = []
        for sign in (0, 1):
            lane = (j * 2 + sign) * windows
            acc = folded[lane + windows - 1]
            for k in range(windows - 2, -1, -1):
                acc = gmpy2.powmod(acc, step, modulus) * folded[lane + k] % modulus
            signed.append(acc)
        positive, negative = signed
        if negative != ONE:
            try:
                positive = positive * gmpy2.invert(negative, modulus) % modulus
            except ZeroDivisionError:
                raise ValueError("a base has no inverse modulo n^2 (not a valid ciphertext)") from None
        out.append(positive)
    return out
