"""Partner permissions across two real servers with the checks on (the default): guest 9999 on one server
initiates, host (and arbiter) 10000 on the other. A job that would read a table, take a role or run a
component the host never granted is refused at job.create with retcode 108, and the guest's submit answers
that at once with no job left waiting or running anywhere; task run and stop commands are checked the same
way; the grants go through FATE-Flow 1.6's privilege API (legacy CLI, flow_sdk) and FATE-Flow 1.9's."""
import json

import pytest

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.federation import PartyRef
from fate_flow.settings import PROJECT_ROOT
from tests.federation.servers import client_for, make_federated_servers
from tests.integration.client_venv import require_client_venv, run_python
from tests.integration.test_example_jobs import cli, wait_for
from tests.integration.test_ml_jobs import evaluation

pytestmark = pytest.mark.slow

EXAMPLES = PROJECT_ROOT / "examples"
HOST_TABLE = {"namespace": "experiment", "name": "breast_hetero_host"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    servers = make_federated_servers(tmp_path_factory.mktemp("grants"), {"guest": ["9999"], "host": ["10000"]},
                                     permission_checks=True)
    guest, host = servers["guest"].start(), servers["host"].start()
    try:
        for server, role in ((guest, "guest"), (host, "host")):
            answer = FlowHttpClient("127.0.0.1", server.http_port).upload(
                {"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1, "partition": 4},
                EXAMPLES / "data" / f"breast_hetero_{role}.csv")
            assert answer["retcode"] == 0, answer
        yield guest, host
    finally:
        guest.stop()
        host.stop()


@pytest.fixture
def guest_host(servers):
    """The two servers with no grant on the host's side."""
    guest, host = servers
    host.post("/v1/permission/delete/privilege", json={"src_party_id": 9999, "src_role": "guest",
                                                       "privilege_role": "all", "privilege_command": "all",
                                                       "privilege_component": "all"})
    host.post("/v1/permission/delete", json={"party_id": 9999, "component": "*", "dataset": "*"})
    return guest, host


def submit(guest, conf, dsl):
    rc, answer = cli(guest, "-f", "submit_job", "-c", f"examples/{conf}", "-d", f"examples/{dsl}")
    return answer


def statuses(server, job_id):
    return {r["f_status"] for r in server.post("/v1/job/query", json={"job_id": job_id}).json().get("data") or []}


def refused(guest, host, answer):
    """A submit refused with 108 by the host: nothing of the job waits or runs on either server."""
    assert answer["retcode"] == 108, answer
    assert answer["retmsg"].startswith("permission denied: ") and \
        f"10000 has not granted guest 9999 (server 127.0.0.1:{guest.grpc_port})" in answer["retmsg"], answer
    assert statuses(guest, answer["jobId"]) == {"failed"}
    assert statuses(host, answer["jobId"]) <= {"failed"}
    return answer["retmsg"]


def audit_records(server):
    path = server.home / "logs" / "fate_flow" / "fate_flow_audit.log"
    return [json.loads(line.split(" ", 2)[2]) for line in path.read_text().splitlines()]


def test_a_partner_job_reading_a_table_we_did_not_grant_then_granted_then_revoked(guest_host):
    guest, host = guest_host
    job = ("data_transform_conf.json", "data_transform_dsl.json")
    message = refused(guest, host, submit(guest, *job))
    assert ("role host; commands create, run; components datatransform, reader; table "
            "experiment.breast_hetero_host to create job") in message
    [record] = [r for r in audit_records(host) if r["reason"] == message]
    assert record["route"] == "job.create" and record["client"] == f"party 9999 (127.0.0.1:{guest.grpc_port})"

    rc, granted = cli(host, "-f", "grant_privilege", "-src_party_id", "9999", "-src_role", "guest",
                      "-privilege_role", "host", "-privilege_command", "create,run,stop",
                      "-privilege_component", "reader,datatransform")
    assert rc == 0 and granted == {"retcode": 0, "retmsg": "success"}
    message = refused(guest, host, submit(guest, *job))
    assert "has not granted guest 9999 (server " in message and ") table experiment.breast_hetero_host to" in message

    assert host.post("/v1/permission/grant", json={"party_id": 9999, "dataset": HOST_TABLE}).json()["retcode"] == 0
    answer = submit(guest, *job)
    assert answer["retcode"] == 0, answer
    assert wait_for(guest, answer["jobId"]) == {("guest", "9999"): "success"}
    assert wait_for(host, answer["jobId"]) == {("host", "10000"): "success"}
    done = answer["jobId"]

    assert host.post("/v1/permission/delete", json={"party_id": 9999, "dataset": [HOST_TABLE]}).json()["retcode"] == 0
    message = refused(guest, host, submit(guest, *job))
    assert ") table experiment.breast_hetero_host to create job" in message

    # task run and stop commands from the guest are checked the same way
    client = client_for(guest)
    task = {"job_id": done, "task_id": f"{done}_reader_0", "task_version": 0}
    answer = client.send_command(PartyRef("host", "10000"), "task.start", task, src=PartyRef("guest", "9999"),
                                 job_id=done)
    assert answer["retcode"] == 108 and f") table experiment.breast_hetero_host to run task {done}_reader_0" in \
        answer["retmsg"], answer
    assert cli(host, "-f", "delete_privilege", "-src_party_id", "9999", "-src_role", "guest",
               "-privilege_command", "stop")[0] == 0
    answer = client.send_command(PartyRef("host", "10000"), "task.stop", {**task, "status": "canceled"},
                                 src=PartyRef("guest", "9999"), job_id=done)
    assert answer["retcode"] == 108 and f") command stop to stop task {done}_reader_0" in answer["retmsg"], answer
    assert statuses(host, done) == {"success"}
    client.close()


def test_the_flagship_job_across_two_servers_runs_once_the_host_grants_its_table_and_components(guest_host):
    guest, host = guest_host
    job = ("test_hetero_lr_job_conf.json", "test_hetero_lr_job_dsl.json")
    message = refused(guest, host, submit(guest, *job))
    assert "host 10000 has not granted" in message and "table experiment.breast_hetero_host" in message
    assert "arbiter 10000 has not granted guest 9999 (server" in message and "role arbiter" in message

    # on the host's server, as the README's several-servers section shows
    rc, granted = cli(host, "-f", "grant_privilege", "-src_party_id", "9999", "-src_role", "guest",
                      "-privilege_role", "host,arbiter", "-privilege_command", "create,run,stop")
    assert rc == 0 and granted["retcode"] == 0
    message = refused(guest, host, submit(guest, *job))
    assert "components dataio, evaluation, heterofeaturebinning" in message and "role arbiter" not in message
    grant = json.loads((EXAMPLES / "permission" / "grant_guest_on_host.json").read_text())
    assert host.post("/v1/permission/grant", json=grant).json() == {"retcode": 0, "retmsg": "success"}
    answer = submit(guest, *job)
    assert answer["retcode"] == 0, answer
    assert wait_for(guest, answer["jobId"], timeout=300) == {("guest", "9999"): "success"}
    assert wait_for(host, answer["jobId"], timeout=60) == {("host", "10000"): "success", ("arbiter", "10000"): "success"}
    assert evaluation(guest, answer["jobId"])["auc"] > 0.98


def test_flow_sdk_privilege_calls_of_fate_client(guest_host):
    require_client_venv()
    _, host = guest_host
    host.post("/v1/permission/grant/privilege", json={"src_party_id": 9999, "src_role": "guest",
                                                      "privilege_command": "run"})
    result = run_python(f"""
import json
from flow_sdk.client import FlowClient
c = FlowClient("127.0.0.1", {host.http_port}, "v1")
print(json.dumps(dict(grant=c.priviledge.grant(src_party_id=9999, src_role="guest"),
                      query=c.priviledge.query(src_party_id=9999, src_role="guest"),
                      delete=c.priviledge.delete(src_party_id=9999, src_role="guest"))))
""")
    assert result["grant"] == result["delete"] == {"retcode": 0, "retmsg": "success"}
    assert result["query"] == {"retcode": 0, "retmsg": "success", "data": {
        "src_party_id": "9999", "role": "guest", "privilege_role": [], "privilege_command": ["run"],
        "privilege_component": []}}


def test_a_partner_deploys_or_loads_only_models_it_was_a_party_of(guest_host):
    """model.deploy and model.load signed by guest 9999's server: refused (108, audited) for a model whose id
    does not name 9999, passed to the handler (which answers that the model does not exist) for one that does."""
    guest, host = guest_host
    client = client_for(guest)
    src, dst = PartyRef("guest", "9999"), PartyRef("host", "10000")
    try:
        for model_id, ours in (("guest-9998#host-10000#model", False), ("guest-9999#host-10000#model", True)):
            deploy = client.send_command(dst, "model.deploy", {"model_id": model_id, "model_version": "202101010000001",
                                                               "child_model_version": "202101010000002"}, src=src)
            load = client.send_command(dst, "model.load", {
                "initiator": {"role": "guest", "party_id": 9999}, "role": {"guest": [9999], "host": [10000]},
                "job_parameters": {"model_id": model_id, "model_version": "202101010000001"}}, src=src)
            for command, answer in (("model.deploy", deploy), ("model.load", load)):
                if ours:
                    assert answer["retcode"] not in (0, 108), answer
                else:
                    assert answer == {"retcode": 108, "retmsg": (
                        f"permission denied: guest 9999 (server 127.0.0.1:{guest.grpc_port}) is not a party of model "
                        f"{model_id}; {command} refused on host 10000")}, answer
    finally:
        client.close()
    reasons = [r for r in audit_records(host) if r.get("route") in ("model.deploy", "model.load")]
    assert [r["route"] for r in reasons] == ["model.deploy", "model.load"]
