"""Run FATE's real clients (fate-client 1.6.1: flow_sdk, the `flow` CLI, FATE-Pipeline) from their own
venv (.venv-client, made by bin/client_venv.sh): their pins (click 7, urllib3 1) cannot live beside Flask 3."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fate_flow.settings import PROJECT_ROOT

CLIENT_VENV = Path(os.environ.get("FATE_CLIENT_VENV", PROJECT_ROOT / ".venv-client"))


def require_client_venv() -> Path:
    if not (CLIENT_VENV / "bin" / "flow").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CLIENT_VENV} is missing: bin/test.sh builds it with bin/client_venv.sh")
        pytest.skip(f"{CLIENT_VENV} is missing; run bash bin/client_venv.sh")
    return CLIENT_VENV


def run_client(args: list[str], timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
    venv = require_client_venv()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def run_python(code: str, timeout: float = 120) -> object:
    """Run `code` with the client venv's python; it must print one JSON document last."""
    result = run_client([str(CLIENT_VENV / "bin" / "python"), "-c", code], timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_json(args: list[str], timeout: float = 120) -> dict:
    result = run_client(args, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)
