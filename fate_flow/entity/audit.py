"""The audit trail of refusals at the trust boundary: one JSON line per refused request or command.

Records go to the `fate_flow.audit` logger; the server's logging setup sends that logger to
`logs/fate_flow/fate_flow_audit.log` and nowhere else. A record never holds a secret, a signature, a
private key or a request body: only who asked, for what, and why it was refused.
"""
from __future__ import annotations

import json
import logging
from typing import Any

LOGGER_NAME = "fate_flow.audit"
FILE_NAME = "fate_flow_audit.log"


def refused(*, client: str, route: str, reason: str, app_key: str | None = None, **extra: Any) -> None:
    """Record one refusal. `client` is the caller's address (HTTP) or the partner party and its server
    address (federation); `route` the HTTP path or the federation command."""
    record: dict[str, Any] = {"event": "refused", "client": client, "route": route, "reason": reason}
    if app_key:
        record["app_key"] = app_key
    record.update({k: v for k, v in extra.items() if v is not None})
    logging.getLogger(LOGGER_NAME).warning("%s", json.dumps(record, ensure_ascii=True, sort_keys=True, default=str))
