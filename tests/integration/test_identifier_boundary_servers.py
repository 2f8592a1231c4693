"""Identifiers from a partner that are not what they name, refused at the command boundary of a real server.

The partner is real in what matters: the commands are signed with its own private key (made for its server by
make_federated_servers) and checked by the host's server against the public key its route table names. A job id
or model version that would lead outside FATE_FLOW_HOME gets retcode 101 naming the field, the refusal is in the
audit log with the partner party, and nothing is written anywhere.
"""
from __future__ import annotations

import json

import pytest

from fate_flow.federation import PartyRef
from tests.federation.servers import client_for, make_federated_servers
from tests.scheduler.flow import dsl_conf

pytestmark = pytest.mark.slow

GUEST, HOST = PartyRef("guest", "9999"), PartyRef("host", "10000")


def create_body(job_id: str, model_version: str) -> dict:
    dsl, conf = dsl_conf({"secure_add_0": {"module": "SecureAddExample"}})
    return {"job_id": job_id, "dsl": dsl, "runtime_conf": conf, "train_runtime_conf": {},
            "model_id": "guest-9999#host-10000#model", "model_version": model_version}


def files_under(directory) -> set:
    return {p.relative_to(directory) for p in directory.rglob("*")} if directory.exists() else set()


def test_a_signed_command_with_traversal_ids_is_refused_naming_the_field_and_writes_nothing(tmp_path):
    servers = make_federated_servers(tmp_path, {"guest": ["9999"], "host": ["10000"]})
    host = servers["host"].start()
    try:
        partner = client_for(servers["guest"])  # signs with guest 9999's own key
        # FATE_FLOW_HOME is tmp_path/host/home: three levels up from jobs/ or model_local_cache/<id>/ is tmp_path
        outside = tmp_path / "escaped"

        answer = partner.send_command(HOST, "job.create", create_body("../../../escaped", "202101010000000000001"),
                                      src=GUEST, job_id="../../../escaped")
        assert answer["retcode"] == 101, answer
        assert answer["retmsg"].startswith("parameter job_id must be a job id"), answer

        answer = partner.send_command(HOST, "job.create", create_body("202101010000000000001", "../../escaped"),
                                      src=GUEST, job_id="202101010000000000001")
        assert answer["retcode"] == 101 and answer["retmsg"].startswith("parameter model_version must be a model "
                                                                        "version"), answer

        answer = partner.send_command(HOST, "model.deploy", {"model_id": "guest-9999#host-10000#model",
                                                             "model_version": "../../../escaped",
                                                             "child_model_version": "202101010000000000002"},
                                      src=GUEST)
        assert answer["retcode"] == 101 and "model_version" in answer["retmsg"], answer

        answer = partner.send_command(HOST, "task.status", {"job_id": "202101010000000000001", "task_id": "t",
                                                            "task_version": 10 ** 30}, src=GUEST)
        assert answer["retcode"] == 101 and "task_version" in answer["retmsg"], answer

        answer = partner.send_command(PartyRef("../../../escaped", "10000"), "job.create",
                                      create_body("202101010000000000001", "202101010000000000001"), src=GUEST,
                                      job_id="202101010000000000001")
        assert answer["retcode"] == 101 and answer["retmsg"].startswith("parameter dst.role must be a role"), answer

        answer = partner.send_command(HOST, "task.status", {"job_id": "202101010000000000001"}, src=GUEST)
        assert answer == {"retcode": 100, "retmsg": "required parameters are missing: task_id,task_version;"}

        assert not outside.exists()
        assert files_under(host.home / "jobs") == set() and files_under(host.home / "model_local_cache") == set()
        assert host.post("/v1/job/query", json={"job_id": "202101010000000000001"}).json()["data"] == []

        audit = [json.loads(line.split(" ", 2)[2]) for line in
                 (host.home / "logs" / "fate_flow" / "fate_flow_audit.log").read_text().splitlines()]
        refused = [r for r in audit if r["route"] == "command job.create"]
        assert {r["field"] for r in refused} == {"job_id", "model_version", "dst.role"}
        assert all(r["client"].startswith("party guest 9999 at ") for r in refused)
        error_log = host.home / "logs" / "fate_flow" / "ERROR.log"
        assert "Traceback" not in (error_log.read_text() if error_log.exists() else "")
    finally:
        host.stop()
