"""Where a job's conf files and logs are and where its board page is, as job-creating answers tell clients."""
from __future__ import annotations

from pathlib import Path

from fate_flow.entity.home_paths import home_path
from fate_flow.settings import Settings


def job_files(settings: Settings, job_id: str, initiator_role: str) -> dict[str, Path]:
    """Where a job's conf files live (contract §12.4); the submit-style responses print these paths."""
    base = home_path(settings.jobs_dir, job_id)
    return {
        "job_dsl_path": base / "job_dsl.json",
        "job_runtime_conf_path": base / "job_runtime_conf.json",
        "job_runtime_conf_on_party_path": home_path(base, initiator_role, "job_runtime_on_party_conf.json"),
        "train_runtime_conf_path": base / "train_runtime_conf.json",
        "pipeline_dsl_path": base / "pipeline_dsl.json",
    }


def board_url(settings: Settings, job_id: str, role: str, party_id: str) -> str:
    """The FATE-Board dashboard of a job as one party sees it (contract §10.4): on the external FATE-Board the
    fateboard conf section names, else on the board this server serves on its own HTTP port."""
    board = settings.fateboard
    if board is not None:
        host, port = board.host, board.port
    else:
        host, port = settings.fateflow.host, settings.fateflow.http_port
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # a wildcard bind
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/index.html#/dashboard?job_id={job_id}&role={role}&party_id={party_id}"


def submit_response(settings: Settings, job_id: str, role: str, party_id: str, model_id: str) -> dict:
    """The `data` of a job-creating response, with the keys FATE clients read or print."""
    return {
        "job_id": job_id,
        "model_info": {"model_id": model_id, "model_version": job_id},
        "logs_directory": str(home_path(settings.logs_dir, job_id)),
        "board_url": board_url(settings, job_id, role, party_id),
        **{k: str(v) for k, v in job_files(settings, job_id, role).items()},
    }
