"""The private channel between a server and the task workers it launches.

The server makes a fresh secret for each task version it starts and keeps only its SHA-256 (in the task's
row, so a restarted server still knows the workers of its previous run). The worker gets the secret at
launch through its environment (a spawned interpreter) or the fork server's pipe, never in argv, a file or
a log, and sends it with every /v1/worker/* request in the WORKER_SECRET_HEADER header.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

WORKER_SECRET_HEADER = "Worker-Secret"
WORKER_SECRET_ENV = "FATE_FLOW_WORKER_SECRET"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the server stores: the hex SHA-256 of the secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def matches(secret: str | None, stored_digest: str | None) -> bool:
    """Whether `secret` is the one whose digest was stored; constant time in the secret."""
    if not secret or not stored_digest:
        return False
    return hmac.compare_digest(digest(secret), stored_digest)
