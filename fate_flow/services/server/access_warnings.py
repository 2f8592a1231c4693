"""Warnings the server logs when it starts on a conf that weakens, or spells in an older way, what clients
and partners may reach."""
from __future__ import annotations

import logging

from fate_flow.settings import Settings

LOG = logging.getLogger(__name__)


def log_access_warnings(settings: Settings) -> None:
    if settings.file_access.legacy_key:
        LOG.warning("service conf key file_access.allowed_dirs is deprecated: it now sets both "
                    "file_access.read_dirs and file_access.write_dirs; name those instead")
    if not settings.permission.enabled:
        LOG.warning("permission.enabled is false: partners on other servers may create, run and stop jobs on this "
                    "server's parties, run any component and read any table without a grant. Use this for closed "
                    "test setups only.")
