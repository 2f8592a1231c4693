"""Whole jobs on one server: submit over HTTP, the scheduler driven by tick(now), real worker processes,
real gRPC federation between the guest and host parties the server hosts."""
from __future__ import annotations

import json

from fate_flow.db.base import DB
from fate_flow.db.models import MachineLearningModelInfo, StorageTableMeta, TrackingOutputDataInfo
from tests.scheduler.flow import dsl_conf

SOURCE = {"module": "TestSource", "output": {"data": ["data"]}}


def test_one_component_job_runs_to_success_on_guest_and_host(flow):
    dsl, conf = dsl_conf({"source_0": SOURCE}, params={"source_0": {"rows": 7}})
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 0, answer
    job_id = answer["jobId"]
    data = answer["data"]
    assert data["model_info"] == {"model_id": "guest-9999#host-10000#model", "model_version": job_id}
    assert data["board_url"].endswith(f"job_id={job_id}&role=guest&party_id=9999")
    assert json.loads(open(data["job_dsl_path"]).read()) == dsl
    assert all(j.f_status == "waiting" for j in flow.jobs(job_id)) and len(flow.jobs(job_id)) == 2

    flow.run_until(lambda: flow.job_status(job_id) == "success", timeout=60)
    flow.run_until(lambda: all(j.f_status == "success" for j in flow.jobs(job_id)), timeout=10)
    for job in flow.jobs(job_id):
        assert job.f_progress == 100 and job.f_end_time and not job.f_resource_in_use
    tasks = flow.tasks(job_id)
    assert [(t.f_role, t.f_status, t.f_party_status) for t in tasks] == [("guest", "success", "success"),
                                                                         ("host", "success", "success")]
    home = flow.settings.home
    for t in tasks:
        spec = home / "jobs" / job_id / t.f_role / t.f_party_id / "source_0" / t.f_task_id / "0" / "task_spec.json"
        assert json.loads(spec.read_text())["parameters"] == {"rows": 7}
        log_dir = flow.settings.logs_dir / job_id / t.f_role / t.f_party_id / "source_0"
        assert "succeeded" in (log_dir / "INFO.log").read_text()
    with DB.obj.connection_context():
        outputs = list(TrackingOutputDataInfo.select().where(TrackingOutputDataInfo.f_job_id == job_id))
        assert len(outputs) == 2
        meta = StorageTableMeta.get(StorageTableMeta.f_name == outputs[0].f_table_name)
        assert meta.f_count == 7 and len(meta.f_part_of_data) == 7
        assert meta.f_namespace == f"output_data_{job_id}_source_0_0"
        assert MachineLearningModelInfo.select().where(MachineLearningModelInfo.f_job_id == job_id).count() == 2


def test_chain_takes_the_upstream_output_and_secure_add_exchanges_over_federation(flow):
    dsl, conf = dsl_conf({
        "source_0": SOURCE,
        "add_0": {"module": "TestAdd", "input": {"data": {"data": ["source_0.data"]}}, "output": {"data": ["data"]}},
        "secure_add_0": {"module": "SecureAddExample"},
    }, params={"source_0": {"rows": 5}, "add_0": {"add": 100}, "secure_add_0": {"data_num": 50, "partition": 2}})
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 0, answer
    job_id = answer["jobId"]
    flow.run_until(lambda: flow.job_status(job_id) in ("success", "failed"), timeout=90)
    assert flow.job_status(job_id) == "success", [(t.f_task_id, t.f_role, t.f_fail_reason) for t in flow.tasks(job_id)]
    with DB.obj.connection_context():
        out = TrackingOutputDataInfo.get(TrackingOutputDataInfo.f_job_id == job_id,
                                         TrackingOutputDataInfo.f_component_name == "add_0",
                                         TrackingOutputDataInfo.f_role == "guest")
        meta = StorageTableMeta.get(StorageTableMeta.f_name == out.f_table_name)
    assert sorted(row[1][0] for row in meta.f_part_of_data) == [100, 101, 102, 103, 104]
    assert {(t.f_component_name, t.f_status) for t in flow.tasks(job_id)} == {
        ("source_0", "success"), ("add_0", "success"), ("secure_add_0", "success")}


def test_bad_submits_are_refused_with_retcode_100_naming_the_fault(flow):
    dsl, conf = dsl_conf({"source_0": {"module": "NoSuchModule"}})
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 100 and "NoSuchModule" in answer["retmsg"], answer

    dsl, conf = dsl_conf({"add_0": {"module": "TestAdd", "input": {"data": {"data": ["ghost_0.data"]}}}})
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 100 and "ghost_0" in answer["retmsg"], answer

    dsl, conf = dsl_conf({"source_0": SOURCE}, params={"source_0": {"rows": "many"}})
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 100 and "source_0" in answer["retmsg"] and "rows" in answer["retmsg"], answer

    dsl, conf = dsl_conf({"source_0": SOURCE})
    del conf["job_parameters"]["common"]["work_mode"]
    assert flow.submit(dsl, conf)["retcode"] == 100

    # 20 cores per party: 8 x 3 can never fit
    dsl, conf = dsl_conf({"source_0": SOURCE}, job_parameters={"task_cores": 8, "task_parallelism": 3})
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 100, answer
    assert "asks for 24 cores on party" in answer["retmsg"] and "has only 20 cores" in answer["retmsg"], answer

    # a host no route reaches: the job is created nowhere that matters and fails
    dsl, conf = dsl_conf({"source_0": SOURCE}, hosts=(20000,))
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 100 and answer["retmsg"] == "create job failed", answer
    assert answer["data"]["host"]["20000"]["retcode"] == 104
    assert "20000" in answer["data"]["host"]["20000"]["retmsg"]
    [guest_row] = flow.jobs(answer["jobId"])
    assert guest_row.f_status == "failed" and guest_row.f_tag == "submit_failed"


def test_a_reader_of_a_table_missing_at_the_host_fails_the_job_naming_party_and_table(flow):
    from fate_flow.services.data import table_meta as tables
    from fate_flow.services.data.table_meta import TableMeta
    with DB.obj.connection_context():
        store = flow.runtime.store
        t = store.create(1)
        t.writer().close()
        tables.insert_meta(TableMeta("exp", "guest_only", "STANDALONE", store.address_of(t, "exp", "guest_only"), 1))
    dsl = {"components": {"reader_0": {"module": "Reader", "output": {"data": ["data"]}}}}
    _, conf = dsl_conf({})
    conf["component_parameters"] = {"role": {
        "guest": {"0": {"reader_0": {"table": {"name": "guest_only", "namespace": "exp"}}}},
        "host": {"0": {"reader_0": {"table": {"name": "nowhere", "namespace": "exp"}}}}}}
    answer = flow.submit(dsl, conf)
    assert answer["retcode"] == 0, answer
    job_id = answer["jobId"]
    flow.run_until(lambda: flow.job_status(job_id) == "failed", timeout=60)
    reason = flow.job(job_id).f_fail_reason
    assert "host 10000" in reason and "exp.nowhere" in reason, reason
    host_task = [t for t in flow.tasks(job_id) if t.f_role == "host"][-1]
    assert host_task.f_party_status == "failed" and "exp.nowhere" in host_task.f_fail_reason
    errors = (flow.settings.logs_dir / job_id / "fate_flow_schedule_error.log").read_text()
    assert "exp.nowhere" in errors
