"""Paillier encryption (g = n + 1) over vectors of fixed-point numbers, with gmpy2.

    public_key, private_key = generate_keypair(1024)
    x = public_key.encrypt(np.array([0.5, -2.0]))     # an EncryptedVector
    y = (x + 1.0) * 3 + x                             # elementwise, without the private key
    s = x.dot(matrix)                                 # s[j] = sum_i x[i] * matrix[i, j]
    private_key.decrypt(y)                            # array([ 5. , -5. ])

Encryption is c = (1 + m n) * r mod n^2 with the obfuscation r = hs^alpha, where hs = h^n mod n^2 for
h = -y^2 mod n with a random y fixed at key creation, and alpha a fresh random exponent of about
bits/2 bits: Damgard, Jurik and Nielsen's variant ("A generalization of Paillier's public-key system
with applications to electronic voting", 2010), whose ciphertexts are indistinguishable from standard
Paillier ones under the DCR assumption plus a short-exponent assumption. hs is a fixed base, so r comes
from a precomputed window table: one modular multiplication per window instead of a full powmod r^n.
Decryption uses the CRT (mod p^2 and q^2). The ciphertexts are standard Paillier ciphertexts for
g = n + 1: any Paillier implementation with the private key decrypts them.

A value x is encoded as round(x * 2**exponent) mod n, negatives wrapping to n - |m|; an EncryptedVector
keeps its exponent and a bound on the bits of its plaintexts, and refuses an operation that could
overflow n/2.
"""
from __future__ import annotations

import os
import random
import secrets
from typing import Any, Sequence

import gmpy2
import numpy as np
from gmpy2 import mpz

from fate_flow.secure.fixedpoint import (DEFAULT_FRAC_BITS, as_vector, encode, encode_multipliers, magnitude_bits,
                                         multiplier_bits)
from fate_flow.secure.kernels import decrypt_chunk, dot_chunk, encrypt_chunk, encryption_window, obfuscator_chunk
from fate_flow.secure.multiexp import ONE, batch_invert, objects, product, segment_products
from fate_flow.secure.pool import CryptoPool

__all__ = ["CryptoPool", "EncryptedVector", "Obfuscators", "PaillierPrivateKey", "PaillierPublicKey",
           "generate_keypair"]


class PaillierPublicKey:
    def __init__(self, n: int, hs: int):
        self.n = mpz(n)
        self.hs = mpz(hs)
        self.nsquare = self.n * self.n
        self.bits = int(self.n.bit_length())

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, PaillierPublicKey) and self.n == other.n and self.hs == other.hs

    def __hash__(self) -> int:
        return hash((int(self.n), int(self.hs)))

    def __repr__(self) -> str:
        return f"PaillierPublicKey({self.bits} bits, n=...{int(self.n) % 10**6:06d})"

    @property
    def capacity_bits(self) -> int:
        """Plaintext magnitudes must stay below 2**capacity_bits to be read back with their sign."""
        return self.bits - 2

    def _digits(self, count: int, rng: random.Random | None) -> np.ndarray:
        """Window digits (windows x count) of fresh random exponents alpha of about bits/2 bits."""
        window, windows = encryption_window(self.bits)
        if rng is None:
            raw = np.frombuffer(os.urandom(2 * windows * count), dtype=np.uint16)
        else:
            raw = np.array([rng.getrandbits(16) for _ in range(windows * count)], dtype=np.uint16)
        return (raw.reshape(windows, count) & np.uint16((1 << window) - 1)).astype(np.int64)

    def precompute_obfuscators(self, count: int, *, pool: CryptoPool | None = None,
                               rng: random.Random | None = None) -> "Obfuscators":
        """The random factors of `count` future encryptions, computed ahead: in `pool`'s workers while the
        caller goes on (e.g. waits for a partner), or, without a pool, when they are taken."""
        digits = self._digits(count, rng)
        if pool is None:
            return Obfuscators(count, lambda: obfuscator_chunk(self.n, self.hs, digits))
        futures = [pool.submit(obfuscator_chunk, self.n, self.hs, digits[:, a:b]) for a, b in pool.split(count)]
        return Obfuscators(count, lambda: [r for f in futures for r in f.result()])

    def encrypt(self, values: Any, *, pool: CryptoPool | None = None, rng: random.Random | None = None,
                obfuscators: "Obfuscators | None" = None) -> "EncryptedVector":
        array = as_vector(values, "values")
        ints = encode(array, DEFAULT_FRAC_BITS)
        bound = magnitude_bits(ints)
        if bound > self.capacity_bits:
            raise ValueError(f"a value is too large for a {self.bits}-bit key")
        n, nsquare = int(self.n), self.nsquare
        plaintexts = [int(m) % n for m in ints]
        count = len(plaintexts)
        if obfuscators is not None:
            factors = obfuscators.take(count)
            ciphertexts = [(1 + mpz(m) * self.n) * r % nsquare for m, r in zip(plaintexts, factors)]
            return EncryptedVector(self, ciphertexts, DEFAULT_FRAC_BITS, bound)
        digits = self._digits(count, rng)
        if pool is None or count < 2:
            ciphertexts = encrypt_chunk(self.n, self.hs, plaintexts, digits)
        else:
            parts = pool.map(encrypt_chunk, [(self.n, self.hs, plaintexts[a:b], digits[:, a:b])
                                             for a, b in pool.split(count)])
            ciphertexts = [c for part in parts for c in part]
        return EncryptedVector(self, ciphertexts, DEFAULT_FRAC_BITS, bound)


class Obfuscators:
    """Random factors for one later encryption of `count` values; each set is used once."""

    def __init__(self, count: int, compute: Any):
        self.count = count
        self._compute = compute

    def take(self, count: int) -> list[mpz]:
        if self._compute is None:
            raise ValueError("these obfuscators were used already; an encryption needs fresh ones")
        if count != self.count:
            raise ValueError(f"{self.count} obfuscators were made for an encryption of {count} values")
        compute, self._compute = self._compute, None
        return compute()


class PaillierPrivateKey:
    def __init__(self, public_key: PaillierPublicKey, p: int, q: int):
        if mpz(p) * mpz(q) != public_key.n:
            raise ValueError("p * q is not the public key's n")
        self.public_key = public_key
        self.p, self.q = (mpz(p), mpz(q)) if p < q else (mpz(q), mpz(p))

    def __repr__(self) -> str:
        return f"PaillierPrivateKey({self.public_key.bits} bits)"

    def decrypt(self, vector: "EncryptedVector", *, pool: CryptoPool | None = None) -> np.ndarray:
        if vector.public_key != self.public_key:
            raise ValueError("the vector was encrypted with another public key")
        ciphertexts = vector.ciphertexts
        if pool is None or len(ciphertexts) < 2:
            return decrypt_chunk(self.p, self.q, ciphertexts, vector.exponent)
        parts = pool.map(decrypt_chunk, [(self.p, self.q, ciphertexts[a:b], vector.exponent)
                                         for a, b in pool.split(len(ciphertexts))])
        return np.concatenate(parts) if parts else np.zeros(0)


def generate_keypair(bits: int = 1024, rng: random.Random | None = None) \
        -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    """A key whose n has exactly `bits` bits; `rng` (seeded) makes it reproducible, else `secrets`."""
    if bits < 256 or bits % 2:
        raise ValueError(f"key length must be an even number of bits, at least 256, got {bits}")
    randbits = rng.getrandbits if rng is not None else secrets.randbits
    half = bits // 2
    while True:
        p = gmpy2.next_prime(mpz(randbits(half)) | (mpz(3) << (half - 2)))
        q = gmpy2.next_prime(mpz(randbits(half)) | (mpz(3) << (half - 2)))
        n = p * q
        if p != q and n.bit_length() == bits and gmpy2.gcd(n, (p - 1) * (q - 1)) == 1:
            break
    while True:
        y = mpz(randbits(bits)) % n
        if y > 1 and gmpy2.gcd(y, n) == 1:
            break
    h = (-(y * y)) % n
    public = PaillierPublicKey(n, gmpy2.powmod(h, n, n * n))
    return public, PaillierPrivateKey(public, p, q)


class EncryptedVector:
    """A 1-D vector of ciphertexts under one public key, sharing one fixed-point exponent."""

    # numpy must not broadcast over a vector (array + vector): it defers to our reflected operators
    __array_ufunc__ = None

    def __init__(self, public_key: PaillierPublicKey, ciphertexts: Sequence[mpz], exponent: int, bound: int):
        self.public_key = public_key
        self.ciphertexts = list(ciphertexts)
        self.exponent = int(exponent)
        self.bound = int(bound)  # plaintext magnitudes are below 2**bound
        if self.bound > public_key.capacity_bits:
            raise ValueError(f"the result could exceed the {public_key.bits}-bit key's plaintext range "
                             f"({self.bound} bits); use fewer fractional bits or a longer key")

    def __len__(self) -> int:
        return len(self.ciphertexts)

    def __repr__(self) -> str:
        return f"EncryptedVector({len(self)} values, exponent {self.exponent})"

    def _like(self, ciphertexts: Sequence[mpz], exponent: int | None = None, bound: int | None = None) \
            -> "EncryptedVector":
        return EncryptedVector(self.public_key, ciphertexts, self.exponent if exponent is None else exponent,
                               self.bound if bound is None else bound)

    # ------------------------------------------------------------------ selection
    def __getitem__(self, index: Any) -> "EncryptedVector":
        if isinstance(index, (int, np.integer)):
            return self._like([self.ciphertexts[int(index)]])
        if isinstance(index, slice):
            return self._like(self.ciphertexts[index])
        positions = np.asarray(index)
        if positions.dtype == np.bool_:
            if positions.shape != (len(self),):
                raise ValueError(f"a mask of {positions.shape} for a vector of {len(self)}")
            positions = np.flatnonzero(positions)
        return self._like(objects(self.ciphertexts)[positions.astype(np.int64)].tolist())

    @staticmethod
    def concatenate(vectors: Sequence["EncryptedVector"]) -> "EncryptedVector":
        if not vectors:
            raise ValueError("nothing to concatenate")
        key = vectors[0].public_key
        if any(v.public_key != key for v in vectors):
            raise ValueError("cannot concatenate vectors of different public keys")
        exponent = max(v.exponent for v in vectors)
        aligned = [v._scaled_to(exponent) for v in vectors]
        return EncryptedVector(key, [c for v in aligned for c in v.ciphertexts], exponent,
                               max(v.bound for v in aligned))

    # ------------------------------------------------------------------ arithmetic
    def _scaled_to(self, exponent: int) -> "EncryptedVector":
        """The same values with `exponent` fractional bits (>= mine): each plaintext times 2**diff."""
        diff = exponent - self.exponent
        if diff == 0:
            return self
        if diff < 0:
            raise ValueError("cannot drop fractional bits of an encrypted value")
        factor, nsquare = ONE << diff, self.public_key.nsquare
        return self._like(gmpy2.powmod_base_list(self.ciphertexts, factor, nsquare), exponent, self.bound + diff)

    def _broadcast(self, other_len: int) -> list[mpz]:
        if len(self) == other_len:
            return self.ciphertexts
        if len(self) == 1:
            return self.ciphertexts * other_len
        raise ValueError(f"vectors of {len(self)} and {other_len} values do not line up")

    def _add_encrypted(self, other: "EncryptedVector") -> "EncryptedVector":
        if other.public_key != self.public_key:
            raise ValueError("cannot combine values encrypted with different public keys")
        exponent = max(self.exponent, other.exponent)
        a, b = self._scaled_to(exponent), other._scaled_to(exponent)
        size = max(len(a), len(b))
        nsquare = self.public_key.nsquare
        out = [x * y % nsquare for x, y in zip(a._broadcast(size), b._broadcast(size))]
        return self._like(out, exponent, max(a.bound, b.bound) + 1)

    def _add_plain(self, values: Any) -> "EncryptedVector":
        array = as_vector(values, "plaintext")
        ints = encode(array, self.exponent)
        n, nsquare = self.public_key.n, self.public_key.nsquare
        size = max(len(self), len(ints))
        if len(ints) == 1:
            ints = ints * size
        elif len(ints) != size:
            raise ValueError(f"vectors of {len(self)} and {len(ints)} values do not line up")
        out = [c * (1 + (mpz(m) % n) * n) % nsquare for c, m in zip(self._broadcast(size), ints)]
        return self._like(out, bound=max(self.bound, magnitude_bits(ints)) + 1)

    def __add__(self, other: Any) -> "EncryptedVector":
        if isinstance(other, EncryptedVector):
            return self._add_encrypted(other)
        return self._add_plain(other)

    __radd__ = __add__

    def __neg__(self) -> "EncryptedVector":
        return self._like(batch_invert(self.ciphertexts, self.public_key.nsquare))

    def __sub__(self, other: Any) -> "EncryptedVector":
        if isinstance(other, EncryptedVector):
            return self._add_encrypted(-other)
        return self._add_plain(-np.asarray(other, dtype=np.float64 if not _integral(other) else np.int64))

    def __rsub__(self, other: Any) -> "EncryptedVector":
        return (-self)._add_plain(other)

    def __mul__(self, other: Any) -> "EncryptedVector":
        return self.multiply(other)

    __rmul__ = __mul__

    def multiply(self, values: Any, scalar_bits: int | None = None) -> "EncryptedVector":
        """Elementwise ciphertext * plaintext (a scalar multiplies every element)."""
        array = as_vector(values, "multiplier")
        bits = multiplier_bits(array, scalar_bits)
        weights = encode_multipliers(array, bits)
        size = max(len(self), len(weights))
        if len(weights) == 1:
            weights = np.repeat(weights, size)
        elif len(weights) != size:
            raise ValueError(f"vectors of {len(self)} and {len(weights)} values do not line up")
        nsquare = self.public_key.nsquare
        ws = weights.tolist()
        out = [gmpy2.powmod(c, abs(w), nsquare) if w else ONE for c, w in zip(self._broadcast(size), ws)]
        negative = [i for i, w in enumerate(ws) if w < 0]  # c^-|w|: one batch inversion, not one per value
        for i, inverse in zip(negative, batch_invert([out[i] for i in negative], nsquare)):
            out[i] = inverse
        return self._like(out, self.exponent + bits, self.bound + magnitude_bits(weights))

    def sum(self) -> "EncryptedVector":
        return self._like([product(self.ciphertexts, self.public_key.nsquare)],
                          bound=self.bound + max(1, len(self)).bit_length())

    def dot(self, matrix: Any, *, pool: CryptoPool | None = None, scalar_bits: int | None = None) \
            -> "EncryptedVector":
        """out[j] = sum_i self[i] * matrix[i, j] (a 1-D matrix gives one value), by multi-exponentiation."""
        array = np.asarray(matrix)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2 or array.shape[0] != len(self):
            raise ValueError(f"a matrix of shape {np.asarray(matrix).shape} cannot be multiplied by a vector of "
                             f"{len(self)} values")
        bits = multiplier_bits(array, scalar_bits)
        weights = encode_multipliers(array, bits)
        nsquare = self.public_key.nsquare
        if pool is None or len(self) < 2:
            out = dot_chunk(nsquare, self.ciphertexts, weights)
        else:
            # one chunk per worker: the bucket method gets cheaper per row as chunks grow
            parts = pool.map(dot_chunk, [(nsquare, self.ciphertexts[a:b], weights[a:b])
                                         for a, b in pool.split(len(self), pool.workers)])
            out = [product(column, nsquare) for column in zip(*parts)]
        growth = magnitude_bits(weights) + max(1, len(self)).bit_length()
        return self._like(out, self.exponent + bits, self.bound + growth)

    def segment_sum(self, segments: Any, n_segments: int) -> "EncryptedVector":
        """out[s] = sum of self[i] for segments[i] == s (0 for an empty segment)."""
        ids = np.asarray(segments, dtype=np.int64)
        if ids.shape != (len(self),):
            raise ValueError(f"{ids.size} segment ids for a vector of {len(self)} values")
        if ids.size and (ids.min() < 0 or ids.max() >= n_segments):
            raise ValueError(f"segment ids must be between 0 and {n_segments - 1}")
        order = np.argsort(ids, kind="stable")
        distinct, products = segment_products(objects(self.ciphertexts)[order], ids[order], self.public_key.nsquare)
        out = [ONE] * n_segments
        for s, c in zip(distinct.tolist(), products):
            out[s] = c
        return self._like(out, bound=self.bound + max(1, len(self)).bit_length())


def _integral(value: Any) -> bool:
    array = np.asarray(value)
    return array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer)


# ---------------------------------------------------------------- wire format (fate_flow.serde.codec)
def _int_bytes(value: mpz) -> bytes:
    return int(value).to_bytes((int(value).bit_length() + 7) // 8 or 1, "big")


def pack_public_key(key: PaillierPublicKey) -> list:
    return [_int_bytes(key.n), _int_bytes(key.hs)]


def unpack_public_key(fields: Any) -> PaillierPublicKey:
    if not isinstance(fields, list) or len(fields) != 2 or not all(isinstance(f, bytes) for f in fields):
        raise ValueError("a Paillier public key is [n, hs] as bytes")
    n, hs = (mpz(int.from_bytes(f, "big")) for f in fields)
    if n.bit_length() < 256 or n.bit_length() > 16384 or not 0 < hs < n * n:
        raise ValueError("not a valid Paillier public key")
    return PaillierPublicKey(n, hs)


def pack_vector(vector: EncryptedVector) -> list:
    width = (vector.public_key.nsquare.bit_length() + 7) // 8
    blob = b"".join(int(c).to_bytes(width, "big") for c in vector.ciphertexts)
    return [pack_public_key(vector.public_key), vector.exponent, vector.bound, len(vector), blob]


def unpack_vector(fields: Any) -> EncryptedVector:
    if not isinstance(fields, list) or len(fields) != 5:
        raise ValueError("an encrypted vector is [key, exponent, bound, count, ciphertexts]")
    key_fields, exponent, bound, count, blob = fields
    key = unpack_public_key(key_fields)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (exponent, bound, count)) \
            or not isinstance(blob, bytes):
        raise ValueError("an encrypted vector's exponent, bound and count are non-negative integers")
    width = (key.nsquare.bit_length() + 7) // 8
    if len(blob) != width * count:
        raise ValueError(f"an encrypted vector of {count} values needs {width * count} bytes, got {len(blob)}")
    ciphertexts = [mpz(int.from_bytes(blob[i:i + width], "big")) for i in range(0, len(blob), width)]
    if any(not 0 < c < key.nsquare for c in ciphertexts):
        raise ValueError("a ciphertext is out of range for its key")
    if exponent > 4096 or bound > key.capacity_bits:
        raise ValueError("an encrypted vector's exponent or bound is out of range")
    return EncryptedVector(key, ciphertexts, exponent, bound)

