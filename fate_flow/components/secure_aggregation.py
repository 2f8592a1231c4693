"""Secure aggregation by pairwise masks: the server (arbiter) learns the sum of the clients' vectors and
nothing about any single one. For homo modules, whose clients are the guest and the hosts.

Every pair of clients (i, j) agrees on a secret by X25519 Diffie-Hellman, exchanging public keys directly
over the data plane (its messages are signed site to site, so the arbiter cannot swap keys in between).
Each vector a client sends is encoded in fixed point as integers modulo 2**64; client i adds the mask
PRG(secret_ij, round, purpose) for every peer j after it and subtracts it for every peer before it. Over
all clients the masks cancel exactly (uint64 arithmetic wraps modulo 2**64), so the server's sum equals
the sum of the encoded values, while one masked vector alone is uniformly random. The PRG is the ChaCha20
keystream under a key derived (HKDF-SHA256) from the pair secret, the round and the purpose; a
(purpose, round) is never masked twice, since two vectors under one mask would give away their difference.
With one client there is nothing to hide among, so it is refused. Clients that drop out mid-round are not
recovered (every client must send every round).
"""
from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fate_flow.components.base import ComponentContext
from fate_flow.entity.errors import DataError
from fate_flow.federation.parties import PartyRef

FRACTION_BITS = 24
SCALE = float(1 << FRACTION_BITS)
# encoded values and their sum over all clients must stay inside int64
SUM_LIMIT = 2.0 ** (63 - FRACTION_BITS)
PUBLIC_KEY = "secure_aggregation_public_key"
_PAIR_INFO = b"fate_flow secure aggregation pair secret"


def encode(values: np.ndarray, clients: int = 1) -> np.ndarray:
    """Fixed-point integers modulo 2**64 (uint64) of `values`; refuses values whose sum over `clients`
    parties could leave the int64 range."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise DataError("secure aggregation got non-finite values (NaN or infinity); the model diverged, "
                        "try a smaller learning_rate")
    largest = float(np.max(np.abs(values), initial=0.0))
    if largest * clients >= SUM_LIMIT:
        raise DataError(f"secure aggregation cannot encode {largest:g}: with {clients} parties, values must stay "
                        f"below {SUM_LIMIT / clients:g} in {FRACTION_BITS}-bit fixed point")
    return np.rint(values * SCALE).astype(np.int64).view(np.uint64)


def decode(encoded: np.ndarray) -> np.ndarray:
    return np.asarray(encoded, dtype=np.uint64).view(np.int64).astype(np.float64) / SCALE


def wrapping_sum(vectors: list[np.ndarray]) -> np.ndarray:
    """Sum of uint64 vectors modulo 2**64."""
    total = np.zeros_like(np.asarray(vectors[0], dtype=np.uint64))
    for v in vectors:
        total += np.asarray(v, dtype=np.uint64)
    return total


def new_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def public_bytes(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def pair_secret(own: X25519PrivateKey, peer_public: bytes) -> bytes:
    """The 32-byte secret both ends of a pair derive from their Diffie-Hellman exchange."""
    try:
        peer = X25519PublicKey.from_public_bytes(bytes(peer_public))
    except (TypeError, ValueError) as e:
        raise DataError(f"secure aggregation got a malformed public key from a peer: {e}") from None
    shared = own.exchange(peer)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PAIR_INFO).derive(shared)


def mask_stream(secret: bytes, round_id: int, purpose: str, size: int) -> np.ndarray:
    """`size` pseudo-random uint64 words, the same at both ends of a pair for a (round, purpose)."""
    info = f"mask|{purpose}|{round_id}".encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
    keystream = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor().update(bytes(8 * size))
    return np.frombuffer(keystream, dtype=np.uint64).copy()


class PairwiseMasker:
    """Client `index`'s masks, given its secret with every other client (by their index)."""

    def __init__(self, index: int, secrets: dict[int, bytes], clients: int):
        if clients < 2:
            raise DataError("secure aggregation needs at least two parties besides the arbiter: with one, "
                            "the aggregate is that party's own model")
        if set(secrets) != set(range(clients)) - {index}:
            raise ValueError(f"client {index} needs a secret with each of the other {clients - 1} clients")
        self.index = index
        self.clients = clients
        self._secrets = dict(secrets)
        self._used: set[tuple[str, int]] = set()

    def mask(self, values: np.ndarray, round_id: int, purpose: str) -> np.ndarray:
        if (purpose, round_id) in self._used:
            raise ValueError(f"secure aggregation already masked a {purpose} vector for round {round_id}; a mask "
                             f"is never used twice")
        self._used.add((purpose, round_id))
        masked = encode(values, self.clients)
        for peer, secret in sorted(self._secrets.items()):
            stream = mask_stream(secret, round_id, purpose, masked.size).reshape(masked.shape)
            if peer > self.index:
                masked += stream
            else:
                masked -= stream
        return masked


def _name(purpose: str) -> str:
    return f"secure_aggregation_{purpose}"


class SecureAggregationClient:
    """A client's side: agrees pair secrets with the other clients, then sends masked vectors to the server.

    `clients` lists every client in the same order at every party (e.g. guests, then hosts). One per task run:
    the key exchange uses a fixed tag of the task."""

    def __init__(self, ctx: ComponentContext, clients: list[PartyRef], server: PartyRef):
        me = PartyRef(ctx.role, ctx.party_id)
        if me not in clients:
            raise ValueError(f"{me} is not among the secure aggregation clients")
        if len(clients) < 2:
            raise DataError("secure aggregation needs at least two parties besides the arbiter: with one, "
                            "the aggregate is that party's own model")
        self._ctx = ctx
        self._server = server
        index = clients.index(me)
        peers = [c for c in clients if c != me]
        private_key = new_private_key()
        tag = ctx.tag("secure_aggregation", "key_exchange")
        ctx.federation.remote(public_bytes(private_key), PUBLIC_KEY, tag, peers)
        received = ctx.federation.get(PUBLIC_KEY, tag, peers)
        secrets = {clients.index(peer): pair_secret(private_key, key) for peer, key in zip(peers, received)}
        self.masker = PairwiseMasker(index, secrets, len(clients))

    def send(self, values: np.ndarray, purpose: str, round_id: int) -> None:
        masked = self.masker.mask(values, round_id, purpose)
        self._ctx.federation.remote(masked, _name(purpose), self._ctx.tag("secure_aggregation", purpose, round_id),
                                    [self._server])


class SecureAggregationServer:
    """The server's side: receives every client's masked vector and decodes their sum."""

    def __init__(self, ctx: ComponentContext, clients: list[PartyRef]):
        if len(clients) < 2:
            raise DataError("secure aggregation needs at least two parties besides the arbiter: with one, "
                            "the aggregate is that party's own model")
        self._ctx = ctx
        self._clients = list(clients)

    def receive_sum(self, purpose: str, round_id: int) -> np.ndarray:
        tag = self._ctx.tag("secure_aggregation", purpose, round_id)
        vectors = self._ctx.federation.get(_name(purpose), tag, self._clients)
        shapes = {getattr(v, "shape", None) for v in vectors}
        if any(not isinstance(v, np.ndarray) or v.dtype != np.uint64 for v in vectors) or len(shapes) != 1:
            sent = ", ".join(f"{c}: {getattr(v, 'dtype', type(v).__name__)} {getattr(v, 'shape', '')}"
                             for c, v in zip(self._clients, vectors))
            raise DataError(f"secure aggregation of {purpose} in round {round_id} needs one uint64 vector of one "
                            f"shape from every party; got {sent}")
        return decode(wrapping_sum(vectors))
