"""Site keys: a key pair per hosted party under FATE_FLOW_HOME/keys (<party_id>.pem, <party_id>.pub.pem),
made on first start when absent, and the partners' public keys named by the route table.

Ed25519 (what we generate), Ed448, RSA and EC keys are accepted, e.g. from `openssl genpkey`.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from fate_flow.entity.atomic_files import write_if_absent
from fate_flow.federation.config import FederationConfigError, FederationSettings
from fate_flow.federation.errors import AuthenticationError

LOG = logging.getLogger("fate_flow.federation")

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


def private_key_path(keys_dir: Path, party_id: str) -> Path:
    return keys_dir / f"{party_id}.pem"


def public_key_path(keys_dir: Path, party_id: str) -> Path:
    return keys_dir / f"{party_id}.pub.pem"


class KeyRing:
    """Signs as the hosted parties and verifies any party it holds a public key for."""

    def __init__(self, private: dict[str, object], public: dict[str, object]):
        self._private = dict(private)
        self._public = dict(public)

    @classmethod
    def load(cls, fed: FederationSettings, create: bool = True) -> "KeyRing":
        """Hosted parties' keys from keys_dir (made when absent and `create`), partners' from the routes."""
        private, public = {}, {}
        for party_id in fed.local_parties:
            private[party_id] = load_or_create_private_key(fed.keys_dir, party_id, create)
            public[party_id] = private[party_id].public_key()
        for party_id, route in fed.routes.items():
            if party_id in private or not route.public_key:
                continue
            public[party_id] = load_public_key(route.public_key, party_id)
        return cls(private, public)

    def can_verify(self, party_id: str) -> bool:
        return party_id in self._public

    def sign(self, party_id: str, data: bytes) -> bytes:
        key = self._private.get(party_id)
        if key is None:
            raise AuthenticationError(f"this server holds no private key for party {party_id}; it can only send"
                                      f" as the parties it hosts ({', '.join(sorted(self._private)) or 'none'})")
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, _PSS, hashes.SHA256())
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hashes.SHA256()))
        return key.sign(data)

    def verify(self, party_id: str, data: bytes, signature: bytes) -> None:
        """Raise AuthenticationError unless `signature` over `data` was made with party_id's key."""
        key = self._public.get(party_id)
        if key is None:
            raise AuthenticationError(f"no public key is configured for party {party_id} (route table entry"
                                      f" public_key), so its messages cannot be authenticated")
        if not signature:
            raise AuthenticationError(f"message claiming to be from party {party_id} is not signed")
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(signature, data, _PSS, hashes.SHA256())
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            else:
                key.verify(signature, data)
        except InvalidSignature:
            raise AuthenticationError(f"signature does not match party {party_id}: the message was not signed with"
                                      f" that party's key (forged sender or wrong public_key in the route table)"
                                      ) from None


def load_or_create_private_key(keys_dir: Path, party_id: str, create: bool = True):
    path = private_key_path(keys_dir, party_id)
    if not path.exists():
        if not create:
            raise FederationConfigError(f"private key {path} of party {party_id} does not exist")
        if public_key_path(keys_dir, party_id).exists():
            raise FederationConfigError(f"{public_key_path(keys_dir, party_id)} exists but its private key {path}"
                                        f" does not; restore it or remove both to make a new pair")
        _create_key_pair(keys_dir, party_id)
    check_private_key_mode(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise FederationConfigError(f"cannot load private key {path} of party {party_id}: {e}") from e
    if not isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey, rsa.RSAPrivateKey,
                            ec.EllipticCurvePrivateKey)):
        raise FederationConfigError(f"{path}: unsupported key type {type(key).__name__} (use Ed25519, RSA or EC)")
    pub = public_key_path(keys_dir, party_id)
    if not pub.exists():
        write_if_absent(pub, _public_pem(key.public_key()), 0o644)
    return key


def check_private_key_mode(path: Path) -> None:
    """Refuse a private key that anyone but its owner may read or write (as ssh does)."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError as e:
        raise FederationConfigError(f"cannot read private key {path}: {e.strerror}") from None
    if mode & 0o077:
        raise FederationConfigError(f"private key {path} is readable or writable by other users (mode "
                                    f"{mode:04o}); the server will not use it until only its owner can: "
                                    f"chmod 600 {path}")


def check_private_keys(fed: FederationSettings) -> None:
    """The modes of the hosted parties' private keys that exist (a missing one is made on start)."""
    for party_id in fed.local_parties:
        path = private_key_path(fed.keys_dir, party_id)
        if path.exists():
            check_private_key_mode(path)


def load_public_key(source: str, party_id: str):
    """`source` is a PEM file path or the PEM text."""
    try:
        pem = source.encode() if "-----BEGIN" in source else Path(source).read_bytes()
        return serialization.load_pem_public_key(pem)
    except (OSError, ValueError) as e:
        raise FederationConfigError(f"cannot load public key of party {party_id} from {source[:200]}: {e}") from e


def _create_key_pair(keys_dir: Path, party_id: str) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(keys_dir, 0o700)  # also when it was there already (e.g. holding a partner's public key)
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if write_if_absent(private_key_path(keys_dir, party_id), pem, 0o600):
        write_if_absent(public_key_path(keys_dir, party_id), _public_pem(key.public_key()), 0o644)
        LOG.info("made a new Ed25519 key pair for party %s in %s", party_id, keys_dir)


def _public_pem(key) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

