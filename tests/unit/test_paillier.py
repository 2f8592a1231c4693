"""Paillier over vectors: round trips, the homomorphic operations against numpy, an independent decryption
with python-paillier (phe), the wire format (hostile bytes refused), pools and precomputed obfuscation."""
import random

import msgpack
import numpy as np
import phe
import pytest

from fate_flow.secure.paillier import CryptoPool, EncryptedVector, PaillierPublicKey, generate_keypair, pack_vector
from fate_flow.serde.codec import Codec


@pytest.fixture(scope="module")
def keys():
    return generate_keypair(512, rng=random.Random(7))


@pytest.fixture(scope="module")
def values():
    rng = np.random.default_rng(3)
    return np.concatenate([rng.normal(0, 10, 200), [0.0, -0.0, 1e-9, -123456.789]])


def test_round_trip_keeps_values_and_signs(keys, values):
    public, private = keys
    np.testing.assert_allclose(private.decrypt(public.encrypt(values)), values, rtol=0, atol=1e-9)
    assert private.decrypt(public.encrypt(3.5)).tolist() == [3.5]


def test_encryption_is_randomised(keys):
    public, _ = keys
    a, b = public.encrypt([1.0, 1.0]).ciphertexts
    assert a != b


def test_seeded_keys_are_reproducible():
    assert generate_keypair(512, rng=random.Random(1))[0] == generate_keypair(512, rng=random.Random(1))[0]
    assert generate_keypair(512)[0].n.bit_length() == 512


def test_homomorphic_operations_match_numpy(keys, values):
    public, private = keys
    x = public.encrypt(values)
    rng = np.random.default_rng(5)
    other = rng.normal(size=len(values))
    matrix = rng.normal(size=(len(values), 4))
    segments = rng.integers(0, 6, len(values))
    checks = [
        (x + other, values + other), (other + x, values + other), (x - other, values - other),
        (other - x, other - values), (-x, -values), (x + public.encrypt(other), values + other),
        (x - public.encrypt(other), values - other), (x * 2.5, values * 2.5),
        (x.sum(), [values.sum()]),
        (x.segment_sum(segments, 7), np.bincount(segments, values, minlength=7)),
        (x[[3, 1]], values[[3, 1]]), (x[values > 0], values[values > 0]), (x[2:5], values[2:5]),
        (EncryptedVector.concatenate([x[:2], x * 2]), np.concatenate([values[:2], values * 2])),
        ((x * 0.5) + x, values * 1.5),  # different exponents are aligned
    ]
    for encrypted, expected in checks:
        np.testing.assert_allclose(private.decrypt(encrypted), expected, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_less(np.abs(private.decrypt(x * other) - values * other),
                                 np.abs(values) * 2.0 ** -20 + 1e-9)
    # dot encodes the plaintext matrix with 20 fractional bits: each product is off by up to |x| * 2**-21
    quantisation = np.abs(values).sum() * 2.0 ** -20
    np.testing.assert_allclose(private.decrypt(x.dot(matrix)), values @ matrix, rtol=0, atol=quantisation)
    np.testing.assert_allclose(private.decrypt(x.dot(other)), [values @ other], rtol=0, atol=quantisation)
    exact = private.decrypt(x.dot(np.round(matrix * 1024) / 1024))  # multipliers on the grid: exact
    np.testing.assert_allclose(exact, values @ (np.round(matrix * 1024) / 1024), rtol=1e-9, atol=1e-6)


def test_ciphertexts_are_standard_paillier(keys):
    """python-paillier, given our p and q, decrypts our ciphertexts to the encoded integers."""
    public, private = keys
    phe_public = phe.PaillierPublicKey(int(public.n))
    phe_private = phe.PaillierPrivateKey(phe_public, int(private.p), int(private.q))
    encrypted = public.encrypt([0.75, -2.0])
    decoded = [phe_private.raw_decrypt(int(c)) for c in encrypted.ciphertexts]
    n = int(public.n)
    assert decoded == [round(0.75 * 2 ** encrypted.exponent), n - 2 * 2 ** encrypted.exponent]


def test_mixing_keys_and_overflow_are_refused(keys):
    public, _ = keys
    other, _ = generate_keypair(512, rng=random.Random(8))
    with pytest.raises(ValueError, match="different public keys"):
        public.encrypt([1.0]) + other.encrypt([1.0])
    with pytest.raises(ValueError, match="plaintext range|too large"):
        x = public.encrypt([1e6])
        for _ in range(20):
            x = x * 1e6


def test_codec_round_trip_and_hostile_bytes(keys, values):
    public, private = keys
    codec = Codec()
    x = public.encrypt(values)
    back_key, back = codec.loads(codec.dumps((public, x)))
    assert back_key == public
    np.testing.assert_allclose(private.decrypt(back), values, atol=1e-9)
    packed = codec.dumps(x)
    with pytest.raises(ValueError):
        codec.loads(packed[:-10])  # truncated ciphertexts
    fields = codec.loads(codec.dumps(public))
    assert isinstance(fields, PaillierPublicKey)


def test_pool_and_precomputed_obfuscators_give_the_same_results(keys, values):
    public, private = keys
    matrix = np.random.default_rng(9).normal(size=(len(values), 3))
    with CryptoPool(2) as pool:
        x = public.encrypt(values, pool=pool)
        np.testing.assert_allclose(private.decrypt(x, pool=pool), values, atol=1e-9)
        np.testing.assert_allclose(private.decrypt(x.dot(matrix, pool=pool)), private.decrypt(x.dot(matrix)),
                                   rtol=0, atol=1e-9)
        ahead = public.precompute_obfuscators(len(values), pool=pool)
        y = public.encrypt(values, obfuscators=ahead)
        np.testing.assert_allclose(private.decrypt(y), values, atol=1e-9)
        with pytest.raises(ValueError, match="used already"):
            public.encrypt(values, obfuscators=ahead)


def test_negative_multipliers_and_shared_ciphertext_columns(keys, values):
    """Negative scalars go through one batch inversion; dot's columns share the same ciphertexts."""
    public, private = keys
    x = public.encrypt(values)
    np.testing.assert_allclose(private.decrypt(x * -1.5), values * -1.5, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(private.decrypt(-3 * x), values * -3, rtol=1e-12, atol=1e-9)
    grid = np.array([[1.0, -1.0, 0.0, 2.5, -0.25]] * len(values))  # same weight down each column
    np.testing.assert_allclose(private.decrypt(x.dot(grid)), values.sum() * grid[0], rtol=1e-9, atol=1e-6)


def test_a_1024_bit_key_round_trips_and_dots():
    public, private = generate_keypair(1024, rng=random.Random(11))
    assert public.n.bit_length() == 1024
    values = np.array([1.25, -7.5, 0.0, 3e6, -1e-6])
    x = public.encrypt(values)
    np.testing.assert_allclose(private.decrypt(x), values, rtol=0, atol=1e-9)
    matrix = np.array([[0.5, -2.0], [1.0, 0.25], [3.0, 3.0], [-1.0, 0.0], [2.0, -4.0]])
    np.testing.assert_allclose(private.decrypt(x.dot(matrix)), values @ matrix, rtol=1e-9)


@pytest.mark.parametrize("tamper", ["bad count", "ciphertext too big", "zero ciphertext", "short key",
                                    "negative exponent", "bound beyond the key", "not a list"])
def test_hostile_vectors_are_refused(keys, tamper):
    public, _ = keys
    codec = Codec()
    key, exponent, bound, count, blob = pack_vector(public.encrypt([1.0, 2.0]))
    width = len(blob) // count
    forged = {"bad count": [key, exponent, bound, count + 1, blob],
              "ciphertext too big": [key, exponent, bound, count, b"\xff" * len(blob)],
              "zero ciphertext": [key, exponent, bound, count, bytes(width) + blob[width:]],
              "short key": [[key[0][:8], key[1]], exponent, bound, count, blob],
              "negative exponent": [key, -1, bound, count, blob],
              "bound beyond the key": [key, exponent, 4096, count, blob],
              "not a list": {"key": key}}[tamper]
    hostile = msgpack.ExtType(18, codec.dumps(forged))
    with pytest.raises(ValueError):
        codec.loads(msgpack.packb(hostile))
