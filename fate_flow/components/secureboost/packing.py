"""Gradients and hessians packed into one Paillier plaintext per row, as FATE packs g and h, so the guest encrypts
and a host accumulates one ciphertext per row instead of two (and one for all classes of a round when they fit).

Layout of a row's plaintext, lowest bits first: a count field holding 1, then for each class of the group its
hessian and its gradient, each as a non-negative fixed-point integer (the gradient shifted by its minimum) in a
field wide enough that the sum over every row cannot carry into the next field. A host multiplies ciphertexts,
which adds plaintexts field by field; the guest decrypts a sum and reads back count, sum g and sum h per class.

Encryption takes the random factors (hs^alpha mod n^2) from fate_flow.secure's precomputed obfuscators, so they
can be made in a CryptoPool while the parties are busy with something else. The guest decrypts a host's sums
several per decryption (decrypt_sums); a host folds a share of them itself (compress) while the guest works on
the rest, so both cores work on a level's histograms.
"""
from __future__ import annotations

from dataclasses import dataclass

import gmpy2
import numpy as np
from gmpy2 import mpz

from fate_flow.secure.kernels import crt_constants
from fate_flow.secure.paillier import EncryptedVector, Obfuscators, PaillierPrivateKey, PaillierPublicKey

# significant bits kept of each gradient / hessian: sums and gains agree with float64 to ~1e-9, and every bit
# costs the guest squarings when it folds sums into one decryption
PRECISION_BITS = 32


@dataclass(frozen=True)
class ClassField:
    g_offset: float     # subtracted from every gradient (the minimum), so fields stay non-negative
    g_exponent: int     # fixed-point: g_int = round((g - g_offset) * 2**g_exponent)
    h_exponent: int
    h_shift: int        # bit position of the hessian field
    g_shift: int


@dataclass(frozen=True)
class PackLayout:
    count_bits: int
    field_bits: int
    classes: tuple[ClassField, ...]

    @property
    def total_bits(self) -> int:
        return self.count_bits + 2 * self.field_bits * len(self.classes)


def classes_per_plaintext(rows: int, key_bits: int) -> int:
    """How many (g, h) pairs fit one plaintext of a key_bits key for sums over `rows` rows."""
    count_bits, field_bits = _widths(rows)
    return max(1, (key_bits - 2 - count_bits) // (2 * field_bits))


def _widths(rows: int) -> tuple[int, int]:
    count_bits = int(rows).bit_length() + 1
    return count_bits, PRECISION_BITS + count_bits


def _exponent(values: np.ndarray) -> int:
    """The fixed-point exponent that keeps PRECISION_BITS significant bits of the largest value."""
    top = float(np.max(values)) if values.size else 0.0
    if top <= 0.0 or not np.isfinite(top):
        return PRECISION_BITS
    return PRECISION_BITS - 1 - int(np.floor(np.log2(top)))


def make_layout(g: np.ndarray, h: np.ndarray) -> PackLayout:
    """The layout for gradients g and hessians h of shape (rows, classes in this plaintext)."""
    rows = g.shape[0]
    count_bits, field_bits = _widths(rows)
    fields = []
    position = count_bits
    for c in range(g.shape[1]):
        offset = float(np.min(g[:, c])) if rows else 0.0
        fields.append(ClassField(offset, _exponent(g[:, c] - offset), _exponent(h[:, c]), position,
                                 position + field_bits))
        position += 2 * field_bits
    return PackLayout(count_bits, field_bits, tuple(fields))


def pack(layout: PackLayout, g: np.ndarray, h: np.ndarray) -> list[int]:
    """One plaintext integer per row."""
    packed = [1] * g.shape[0]
    for c, f in enumerate(layout.classes):
        g_int = np.rint(np.ldexp(g[:, c] - f.g_offset, f.g_exponent)).astype(np.int64).tolist()
        h_int = np.rint(np.ldexp(h[:, c], f.h_exponent)).astype(np.int64).tolist()
        packed = [p + (a << f.g_shift) + (b << f.h_shift) for p, a, b in zip(packed, g_int, h_int)]
    return packed


def unpack(layout: PackLayout, sums: list[int], klass: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sum g, sum h, count) of class `klass` (its index in this layout) from decrypted sums."""
    f = layout.classes[klass]
    field_mask = (1 << layout.field_bits) - 1
    count_mask = (1 << layout.count_bits) - 1
    counts = np.array([s & count_mask for s in sums], dtype=np.float64)
    g = np.ldexp(np.array([float((s >> f.g_shift) & field_mask) for s in sums]), -f.g_exponent)
    h = np.ldexp(np.array([float((s >> f.h_shift) & field_mask) for s in sums]), -f.h_exponent)
    return g + counts * f.g_offset, h, counts


def encrypt(public_key: PaillierPublicKey, plaintexts: list[int], obfuscators: Obfuscators,
            layout: PackLayout) -> EncryptedVector:
    n, nsquare = public_key.n, public_key.nsquare
    factors = obfuscators.take(len(plaintexts))
    ciphertexts = [(1 + mpz(m) * n) * r % nsquare for m, r in zip(plaintexts, factors)]
    return EncryptedVector(public_key, ciphertexts, 0, layout.total_bits)


def slots_per_ciphertext(slot_bits: int, key_bits: int) -> int:
    return max(1, (key_bits - 2) // slot_bits)


def expand(plaintexts: list[int], slot_bits: int, key_bits: int, count: int) -> list[int]:
    """The sums packed by compress, in their original order (count of them)."""
    per = slots_per_ciphertext(slot_bits, key_bits)
    mask = (1 << slot_bits) - 1
    out = []
    for m in plaintexts:
        for _ in range(per):
            out.append(m & mask)
            m >>= slot_bits
    return out[:count]


def compress(ciphertexts: list[mpz], slot_bits: int, key_bits: int, nsquare: mpz) -> list[mpz]:
    """A host's share of the folding (it has no private key, so it works modulo n^2): several encrypted sums per
    ciphertext, c_0 * c_1^(2^b) * c_2^(2^2b) ..., by Horner's rule with b squarings per sum."""
    per = slots_per_ciphertext(slot_bits, key_bits)
    shift = mpz(1) << slot_bits
    out = []
    for start in range(0, len(ciphertexts), per):
        chunk = ciphertexts[start:start + per]
        acc = chunk[-1]
        for c in reversed(chunk[:-1]):
            acc = gmpy2.powmod(acc, shift, nsquare) * c % nsquare
        out.append(acc)
    return out


def decrypt_sums(private_key: PaillierPrivateKey, vector: EncryptedVector, slot_bits: int,
                 compressed_count: int | None = None) -> list[int]:
    """The plaintexts (non-negative, each below 2**slot_bits) of a host's encrypted sums: one sum per ciphertext,
    or, with compressed_count, that many sums the host already packed several to a ciphertext (compress).

    Several sums share one decryption: with the private key, the guest works modulo p^2 and q^2 (a quarter of
    the cost of n^2) and folds `per` ciphertexts into c_0 * c_1^(2^b) * c_2^(2^2b) ... (Horner's rule, b squarings
    per sum), whose plaintext holds the sums side by side; one CRT decryption then reads them all."""
    if vector.public_key != private_key.public_key:
        raise ValueError("the histogram was encrypted with another public key")
    p, q = private_key.p, private_key.q
    p2, q2, hp, hq, p_inverse = crt_constants(p, q)
    per = slots_per_ciphertext(slot_bits, private_key.public_key.bits)
    ciphertexts = list(vector.ciphertexts)
    count, fold = (len(ciphertexts), per) if compressed_count is None else (compressed_count, 1)
    ciphertexts += [mpz(1)] * (-len(ciphertexts) % fold)  # 1 encrypts 0: padding slots
    groups = [ciphertexts[i:i + fold] for i in range(0, len(ciphertexts), fold)]
    shift = mpz(1) << slot_bits

    def folded(modulus: mpz) -> list[mpz]:
        acc = [group[-1] % modulus for group in groups]
        for j in range(fold - 2, -1, -1):
            acc = [a * (group[j] % modulus) % modulus
                   for a, group in zip(gmpy2.powmod_base_list(acc, shift, modulus), groups)]
        return acc

    mp = [gmpy2.divexact(x - 1, p) * hp % p for x in gmpy2.powmod_base_list(folded(p2), p - 1, p2)]
    mq = [gmpy2.divexact(x - 1, q) * hq % q for x in gmpy2.powmod_base_list(folded(q2), q - 1, q2)]
    packed = [int(a + p * ((b - a) * p_inverse % q)) for a, b in zip(mp, mq)]
    return expand(packed, slot_bits, private_key.public_key.bits, count)
