"""Job, task and output-data rows written straight through the db models, as the scheduler would leave them,
for tests of the read endpoints (the scheduler is not needed to read)."""
from __future__ import annotations

import datetime
import json
from pathlib import Path

from fate_flow.db.base import ms_to_datetime
from fate_flow.db.models import Job, Task, TrackingOutputDataInfo

EXAMPLES = Path(__file__).resolve().parent.parent / "unit" / "dsl_examples"
MS_2021 = int(datetime.datetime(2021, 3, 31, 12, 0, 0).timestamp() * 1000)


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def job_values(job_id: str, role: str = "guest", party_id: str = "10000", **overrides) -> dict:
    conf = example("v2_train_conf")
    conf["job_parameters"]["common"].update(model_id="arbiter-9999#guest-10000#host-9999#model",
                                            model_version=job_id)
    created = overrides.pop("created", MS_2021)
    values = dict(
        f_job_id=job_id, f_role=role, f_party_id=party_id, f_dsl=example("v2_train_dsl"), f_runtime_conf=conf,
        f_runtime_conf_on_party=conf["job_parameters"]["common"], f_train_runtime_conf={}, f_roles=conf["role"],
        f_initiator_role="guest", f_initiator_party_id="10000", f_is_initiator=role == "guest",
        f_status="success", f_tag="job_end", f_progress=100, f_work_mode=0, f_engine_type="computing",
        f_engine_name="STANDALONE", f_create_time=created, f_create_date=ms_to_datetime(created),
        f_update_time=created, f_update_date=ms_to_datetime(created), f_start_time=created + 1000,
        f_start_date=ms_to_datetime(created + 1000), f_end_time=created + 61000,
        f_end_date=ms_to_datetime(created + 61000), f_elapsed=60000)
    values.update(overrides)
    return values


def add_job(job_id: str, role: str = "guest", party_id: str = "10000", **overrides) -> dict:
    values = job_values(job_id, role, party_id, **overrides)
    Job.insert(**values).execute()
    return values


def add_task(job_id: str, component: str, version: int = 0, role: str = "guest", party_id: str = "10000",
             status: str = "success", created: int = MS_2021, **overrides) -> None:
    values = dict(
        f_job_id=job_id, f_component_name=component, f_task_id=f"{job_id}_{component}", f_task_version=version,
        f_initiator_role="guest", f_initiator_party_id="10000", f_status=status, f_party_status=status,
        f_role=role, f_party_id=party_id, f_run_on_this_party=True, f_create_time=created,
        f_create_date=ms_to_datetime(created), f_update_time=created)
    values.update(overrides)
    Task.insert(**values).execute()


def add_output(job_id: str, component: str, version: int = 0, data_name: str = "data", role: str = "guest",
               party_id: str = "10000", table: str | None = None) -> None:
    TrackingOutputDataInfo.insert(
        f_job_id=job_id, f_component_name=component, f_task_id=f"{job_id}_{component}", f_task_version=version,
        f_data_name=data_name, f_role=role, f_party_id=party_id, f_table_name=table or f"{component}_{version}",
        f_table_namespace=f"output_data_{job_id}_{component}_{version}", f_create_time=MS_2021).execute()


def write_job_logs(home, job_id: str, logs: dict[str, str]) -> None:
    """Log files of a job under a server's FATE_FLOW_HOME/logs/<job_id>/ (relative path -> text)."""
    for name, text in logs.items():
        path = home / "logs" / job_id / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
