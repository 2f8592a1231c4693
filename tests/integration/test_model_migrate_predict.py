"""Migrate end to end: a model trained by guest 9999 and host 10000 on one server, migrated to new
party ids (guest 9998, host 20000), imported on another server that hosts only the new ids, predicts there
under the new ids exactly what it predicts under the old ones."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from fate_flow.client.http_client import FlowHttpClient
from tests.integration.test_jobs_servers import wait_status, with_plugins
from tests.scheduler.flow import dsl_conf
from tests.scheduler.test_predict_jobs import SOURCE, TRAINER
from tests.server_process import make_server

pytestmark = pytest.mark.slow

OLD = {"guest": ["9999"], "host": ["10000"]}
NEW = {"guest": ["9998"], "host": ["20000"]}
OLD_MODEL_ID = "guest-9999#host-10000#model"
NEW_MODEL_ID = "guest-9998#host-20000#model"
UNIFY = "202301010000000000001"


def run(server, dsl: dict, conf: dict, timeout: float = 120) -> str:
    answer = server.post("/v1/job/submit", json={"job_dsl": dsl, "job_runtime_conf": conf}).json()
    assert answer["retcode"] == 0, answer
    job_id = answer["jobId"]
    rows = wait_status(server, job_id, {"success", "failed", "canceled", "timeout"}, timeout=timeout)
    if any(r["f_status"] != "success" for r in rows):
        tasks = server.post("/v1/job/task/query", json={"job_id": job_id}).json().get("data") or []
        raise AssertionError(f"job {job_id} did not succeed: {[(r['f_role'], r['f_status']) for r in rows]} "
                             f"{[(t['f_component_name'], t['f_role'], t.get('f_fail_reason')) for t in tasks]}")
    return job_id


def predict_conf(roles: dict, model_id: str, version: str) -> dict:
    return {"dsl_version": 2, "initiator": {"role": "guest", "party_id": int(roles["guest"][0])},
            "role": {r: [int(p) for p in ps] for r, ps in roles.items()},
            "job_parameters": {"common": {"work_mode": 0, "job_type": "predict", "model_id": model_id,
                                          "model_version": version}},
            "component_parameters": {"role": {"guest": {"0": {"source_0": {"rows": 5}}}}}}


def predicted_rows(server, job_id: str, roles: dict) -> dict:
    """role -> the trainer's output rows (the stored preview holds every row of these small tables)."""
    rows = {}
    for role, (party_id,) in roles.items():
        answer = server.post("/v1/tracking/component/output/data", json={
            "job_id": job_id, "component_name": "trainer_0", "role": role, "party_id": party_id}).json()
        assert answer["retcode"] == 0, answer
        rows[role] = sorted(answer["data"][0])
    return rows


def test_a_migrated_model_predicts_under_the_new_party_ids_on_their_server(tmp_path):
    old_server = with_plugins(make_server(tmp_path / "old", party_ids=[9999, 10000]))
    new_server = with_plugins(make_server(tmp_path / "new", party_ids=[9998, 20000]))
    try:
        old_server.start()
        new_server.start()
        dsl, conf = dsl_conf({"source_0": SOURCE, "trainer_0": TRAINER}, params={"trainer_0": {"scale": 2.0}},
                             role_params={"guest": {"0": {"source_0": {"rows": 8}}},
                                          "host": {"0": {"source_0": {"rows": 6}}}})
        train_id = run(old_server, dsl, conf)
        deployed = old_server.post("/v1/model/deploy", json={"model_id": OLD_MODEL_ID, "model_version": train_id,
                                                             "cpn_list": ["source_0", "trainer_0"]}).json()
        assert deployed["retcode"] == 0, deployed
        child = deployed["data"]["model_version"]
        reference = predicted_rows(old_server, run(old_server, {}, predict_conf(OLD, OLD_MODEL_ID, child)), OLD)
        assert len(reference["guest"]) == 5 and len(reference["host"]) == 6

        migrated = old_server.post("/v1/model/migrate", json={
            "migrate_initiator": {"role": "guest", "party_id": 9998}, "role": OLD, "migrate_role": NEW,
            "model_id": OLD_MODEL_ID, "model_version": child, "unify_model_version": UNIFY,
            "execute_party": OLD, "job_parameters": {"federated_mode": "MULTIPLE", "work_mode": 0}}).json()
        assert migrated["retcode"] == 0, migrated
        client = FlowHttpClient("127.0.0.1", new_server.http_port, timeout=60)
        for role in ("guest", "host"):
            (old_party,), (new_party,) = OLD[role], NEW[role]
            detail = migrated["data"]["detail"][role][old_party]
            assert (detail["model_id"], detail["model_version"]) == (NEW_MODEL_ID, UNIFY), detail
            imported = client.model_import({"model_id": NEW_MODEL_ID, "model_version": UNIFY, "role": role,
                                            "party_id": new_party}, Path(detail["path"]))
            assert imported["retcode"] == 0, imported

        started = time.monotonic()
        predict_id = run(new_server, {}, predict_conf(NEW, NEW_MODEL_ID, UNIFY))
        assert time.monotonic() - started < 120
        assert predicted_rows(new_server, predict_id, NEW) == reference
        job = new_server.post("/v1/job/query", json={"job_id": predict_id, "role": "host"}).json()["data"][0]
        assert job["f_party_id"] == "20000" and job["f_roles"] == {"guest": [9998], "host": [20000]}
    finally:
        old_server.stop()
        new_server.stop()
