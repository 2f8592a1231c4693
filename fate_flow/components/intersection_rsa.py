"""RSA blind-signature PSI: FATE 1.6's "rsa" intersection (its unified calculation).

Each host makes an RSA key and sends (e, n) to the guest. The guest hashes each of its ids to h = H(id),
blinds it with a fresh random r of Z_n*, b = h * r^e mod n, and sends the blinded values: they are
uniformly distributed whatever the ids, so the host learns nothing from them. The host signs them
(b^d = h^d * r) and returns them in order; the guest divides out r and hashes again: F(h^d). The host also
sends F(H(y)^d) for each of its own ids y; the guest can compare those with its own but cannot compute
them for ids it does not hold (it has no d). With sync_intersect_ids the guest sends each host that
host's values for the ids common to all hosts, and the host looks up its own ids.

Deviation from FATE 1.6: r is drawn from all of Z_n*, not from `random_bit` bits. With a short r the key
holder could test a guessed id y against a blinded b by checking whether b^d / H(y)^d mod n is below
2^random_bit, which would reveal the guest's ids.
"""
from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import gmpy2
from cryptography.hazmat.primitives.asymmetric import rsa

from fate_flow.components.base import ComponentContext
from fate_flow.components.id_hashing import digest, hash_to_int
from fate_flow.entity.errors import DataError
from fate_flow.federation.parties import PartyRef

PUBLIC_EXPONENT = 65537
MIN_KEY_LENGTH = 1024
# values signed per task of the signing thread pool (gmpy2 releases the GIL for a list of powmods)
_SIGN_CHUNK = 2048
# a random r shares a factor with n with probability about 2^-500: this many draws never all fail
_MAX_DRAWS = 16

PUBLIC_KEY = "rsa_public_key"
HOST_SIGNATURES = "host_id_signatures"
GUEST_BLINDED = "guest_blinded_ids"
GUEST_SIGNED = "guest_ids_signed_by_host"
INTERSECT_IDS = "intersect_ids"


@dataclass(frozen=True)
class RsaSettings:
    key_length: int
    hash_method: str
    final_hash_method: str
    salt: str
    sync_intersect_ids: bool


@dataclass(frozen=True)
class RsaPublicKey:
    e: int
    n: int

    @property
    def width(self) -> int:
        """Bytes of one number modulo n on the wire."""
        return (self.n.bit_length() + 7) // 8

    def to_wire(self) -> dict[str, bytes]:
        return {"e": _to_bytes(self.e), "n": _to_bytes(self.n)}

    @classmethod
    def from_wire(cls, value: Any, sender: str) -> "RsaPublicKey":
        if not isinstance(value, dict) or not isinstance(value.get("e"), bytes) or \
                not isinstance(value.get("n"), bytes):
            raise DataError(f"the RSA public key from {sender} is malformed")
        e, n = int.from_bytes(value["e"], "big"), int.from_bytes(value["n"], "big")
        if n.bit_length() < MIN_KEY_LENGTH or n % 2 == 0 or e < 3 or e % 2 == 0:
            raise DataError(f"the RSA public key from {sender} is not usable ({n.bit_length()}-bit modulus, "
                            f"exponent {e}); keys have at least {MIN_KEY_LENGTH} bits")
        return cls(e, n)

    def encode(self, x: Any) -> bytes:
        return int(x).to_bytes(self.width, "big")

    def decode_all(self, values: Any, what: str) -> list:
        """Numbers modulo n from their wire form; DataError if any is not one."""
        if not isinstance(values, list):
            raise DataError(f"{what} should be a list, got {type(values).__name__}")
        numbers = []
        for v in values:
            if not isinstance(v, bytes) or len(v) != self.width:
                raise DataError(f"{what} holds a value that is not a {self.width}-byte number")
            x = gmpy2.mpz(int.from_bytes(v, "big"))
            if x >= self.n:
                raise DataError(f"{what} holds a value out of the key's range")
            numbers.append(x)
        return numbers


@dataclass(frozen=True)
class RsaPrivateKey:
    public: RsaPublicKey
    p: Any
    q: Any
    dp: Any
    dq: Any
    q_inv: Any

    @classmethod
    def generate(cls, key_length: int) -> "RsaPrivateKey":
        numbers = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=key_length).private_numbers()
        mpz = gmpy2.mpz
        return cls(RsaPublicKey(numbers.public_numbers.e, numbers.public_numbers.n), mpz(numbers.p), mpz(numbers.q),
                   mpz(numbers.dmp1), mpz(numbers.dmq1), mpz(numbers.iqmp))

    def sign_all(self, values: list) -> list:
        """x^d mod n for each x, by the Chinese remainder theorem, spread over the CPU cores."""
        chunks = [values[i:i + _SIGN_CHUNK] for i in range(0, len(values), _SIGN_CHUNK)]
        if len(chunks) <= 1:
            return self._sign_chunk(values)
        with ThreadPoolExecutor(max_workers=min(len(chunks), _cores())) as pool:
            return [s for part in pool.map(self._sign_chunk, chunks) for s in part]

    def _sign_chunk(self, xs: list) -> list:
        p, q, q_inv = self.p, self.q, self.q_inv
        m1 = gmpy2.powmod_base_list([x % p for x in xs], self.dp, p)
        m2 = gmpy2.powmod_base_list([x % q for x in xs], self.dq, q)
        return [b + (q_inv * (a - b) % p) * q for a, b in zip(m1, m2)]


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _to_bytes(x: int) -> bytes:
    return int(x).to_bytes((int(x).bit_length() + 7) // 8 or 1, "big")


def _final(signature: Any, s: RsaSettings) -> bytes:
    return digest(int(signature), s.final_hash_method, s.salt)


def _first_hashes(ids: list, s: RsaSettings) -> list:
    return [gmpy2.mpz(hash_to_int(i, s.hash_method, s.salt)) for i in ids]


def _random_unit(n: Any) -> Any:
    """A uniformly random element of Z_n* (other than 1)."""
    for _ in range(_MAX_DRAWS):
        r = gmpy2.mpz(secrets.randbelow(int(n) - 2) + 2)
        if gmpy2.gcd(r, n) == 1:
            return r
    raise RuntimeError("could not draw a blinding factor coprime to the RSA modulus")


def blind(hashes: list, key: RsaPublicKey) -> tuple[list[bytes], list]:
    """(blinded values on the wire, the inverse of each blinding factor)."""
    n, e = gmpy2.mpz(key.n), gmpy2.mpz(key.e)
    factors = [_random_unit(n) for _ in hashes]
    powers = gmpy2.powmod_base_list(factors, e, n)
    blinded = [key.encode(h * r_e % n) for h, r_e in zip(hashes, powers)]
    return blinded, [gmpy2.invert(r, n) for r in factors]


def guest_intersect(ctx: ComponentContext, ids: list, s: RsaSettings) -> set:
    """The guest's side with every host; returns the guest's ids held by all hosts."""
    hosts = ctx.parties("host")
    tag = ctx.tag("intersection")
    keys = [RsaPublicKey.from_wire(v, f"host {h.party_id}")
            for v, h in zip(ctx.federation.get(PUBLIC_KEY, tag, hosts), hosts)]
    hashes = _first_hashes(ids, s)
    inverses = []
    for host, key in zip(hosts, keys):
        blinded, r_inv = blind(hashes, key)
        ctx.federation.remote(blinded, GUEST_BLINDED, tag, [host])
        inverses.append(r_inv)
    common = set(range(len(ids)))
    finals_per_host = []
    for host, key, r_inv in zip(hosts, keys, inverses):
        finals = _unblinded_finals(ctx, host, key, r_inv, tag, s)
        [host_finals] = ctx.federation.get(HOST_SIGNATURES, tag, [host])
        host_set = _digest_set(host_finals, f"the id signatures of host {host.party_id}")
        common &= {i for i, f in enumerate(finals) if f in host_set}
        finals_per_host.append(finals)
    if s.sync_intersect_ids:
        for host, finals in zip(hosts, finals_per_host):
            ctx.federation.remote(sorted(finals[i] for i in common), INTERSECT_IDS, tag, [host])
    return {ids[i] for i in common}


def _unblinded_finals(ctx: ComponentContext, host: PartyRef, key: RsaPublicKey, r_inv: list, tag: str,
                      s: RsaSettings) -> list[bytes]:
    [signed] = ctx.federation.get(GUEST_SIGNED, tag, [host])
    values = key.decode_all(signed, f"the signed ids from host {host.party_id}")
    if len(values) != len(r_inv):
        raise DataError(f"host {host.party_id} returned {len(values)} signed ids for {len(r_inv)} sent")
    n = gmpy2.mpz(key.n)
    return [_final(v * inv % n, s) for v, inv in zip(values, r_inv)]


def _digest_set(values: Any, what: str) -> set[bytes]:
    if not isinstance(values, list) or not all(isinstance(v, bytes) for v in values):
        raise DataError(f"{what} should be a list of digests")
    return set(values)


def host_intersect(ctx: ComponentContext, ids: list, s: RsaSettings) -> set | None:
    """The host's side: returns its ids in the intersection, or None when the guest does not share it."""
    guest = ctx.parties("guest")[:1]
    tag = ctx.tag("intersection")
    key = RsaPrivateKey.generate(s.key_length)
    ctx.federation.remote(key.public.to_wire(), PUBLIC_KEY, tag, guest)
    own = {_final(sig, s): i for sig, i in zip(key.sign_all(_first_hashes(ids, s)), ids)}
    ctx.federation.remote(sorted(own), HOST_SIGNATURES, tag, guest)
    [blinded] = ctx.federation.get(GUEST_BLINDED, tag, guest)
    values = key.public.decode_all(blinded, "the blinded ids from the guest")
    ctx.federation.remote([key.public.encode(v) for v in key.sign_all(values)], GUEST_SIGNED, tag, guest)
    ctx.log.info("signed %s blinded guest ids and %s own ids with a %s-bit key", len(values), len(ids),
                 key.public.n.bit_length())
    if not s.sync_intersect_ids:
        return None
    [common] = ctx.federation.get(INTERSECT_IDS, tag, guest)
    common = _digest_set(common, "the intersect ids from the guest")
    unknown = common - own.keys()
    if unknown:
        raise DataError(f"the guest sent {len(unknown)} intersect ids that are none of this host's ids")
    return {own[d] for d in common}
