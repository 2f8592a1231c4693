"""Where a party's pipelined model lives on disk (contract §8.1), shared by whoever writes and reads it."""
from __future__ import annotations

from pathlib import Path

from fate_flow.dsl.model_id import gen_party_model_id
from fate_flow.entity.home_paths import home_path
from fate_flow.settings import Settings


def model_dir(settings: Settings, role: str, party_id: str, model_id: str, model_version: str) -> Path:
    """model_local_cache/<role>#<party_id>#<model_id>/<model_version>"""
    return home_path(settings.model_cache_dir, gen_party_model_id(model_id, role, party_id), model_version)


def component_model_dir(settings: Settings, role: str, party_id: str, model_id: str, model_version: str,
                        component: str, alias: str) -> Path:
    return home_path(model_dir(settings, role, party_id, model_id, model_version), "variables", "data", component,
                     alias)
