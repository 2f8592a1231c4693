"""The messages between servers and from workers: what a sender encodes is what the receiver decodes, and a
body that is not the message is refused naming the field."""
import pytest

from fate_flow.entity import messages as msg
from fate_flow.entity.errors import InvalidParameterError, MissingParametersError
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import JobStatus


def test_a_message_survives_encode_and_decode_with_none_fields_left_out():
    stop = msg.TaskStop("202601010000000000001", "202601010000000000001_step_0", 2, JobStatus.CANCELED, "no data")
    body = msg.encode(stop)
    assert body == {"job_id": "202601010000000000001", "task_id": "202601010000000000001_step_0", "task_version": 2,
                    "status": "canceled", "reason": "no data"}
    assert msg.decode(msg.TaskStop, body) == stop
    update = msg.JobStatusUpdate("202601010000000000001", JobStatus.RUNNING, progress=50)
    assert msg.encode(update) == {"job_id": "202601010000000000001", "status": "running", "progress": 50,
                                  "rerun": False}


def test_decode_reads_what_json_carries_and_ignores_unknown_keys():
    report = msg.decode(msg.PartyTaskStatus, {"job_id": 1, "task_id": "t", "task_version": "3", "role": "host",
                                              "party_id": 10000, "party_status": "success", "extra": [1]})
    assert (report.job_id, report.task_version, report.party_id, report.party_status) == ("1", 3, "10000",
                                                                                          JobStatus.SUCCESS)
    assert report.fail_reason is None


def test_every_missing_field_is_named_at_once_with_retcode_100():
    with pytest.raises(MissingParametersError) as refused:
        msg.decode(msg.TaskCreate, {"job_id": "j", "task_version": 1})
    assert refused.value.retcode == RetCode.EXCEPTION_ERROR
    assert refused.value.message == "required parameters are missing: component_name,task_id;"


@pytest.mark.parametrize("cls,body,field", [
    (msg.JobStatusUpdate, {"job_id": "j", "status": "done"}, "status"),
    (msg.TaskRef, {"job_id": "j", "task_id": "t", "task_version": "one"}, "task_version"),
    (msg.TaskRef, {"job_id": "j", "task_id": "t", "task_version": True}, "task_version"),
    (msg.JobStatusUpdate, {"job_id": "j", "status": "waiting", "rerun": "yes"}, "rerun"),
    (msg.JobCreate, {"job_id": "j", "dsl": [], "runtime_conf": {}, "model_id": "m", "model_version": "v"}, "dsl"),
])
def test_a_field_of_the_wrong_kind_is_refused_with_retcode_101_naming_it(cls, body, field):
    with pytest.raises(InvalidParameterError) as refused:
        msg.decode(cls, body)
    assert refused.value.retcode == RetCode.PARAMETER_ERROR and refused.value.field == field
    assert refused.value.message.startswith(f"parameter {field} must be")


def test_the_commands_name_their_messages_and_required_fields():
    assert msg.required_fields(msg.COMMANDS[msg.TASK_REPORT]) == (
        "job_id", "task_id", "task_version", "role", "party_id", "party_status")
    assert msg.required_fields(msg.COMMANDS[msg.JOB_CREATE]) == (
        "job_id", "dsl", "runtime_conf", "model_id", "model_version")
    assert msg.COMMANDS[msg.TASK_START] is msg.COMMANDS[msg.TASK_STATUS] is msg.TaskRef


TASK = {"job_id": "202601010000000000001", "task_id": "202601010000000000001_reader_0", "task_version": 0,
        "role": "guest", "party_id": "9999", "component_name": "reader_0"}


@pytest.mark.parametrize("report", [
    msg.WorkerOutputTable(**TASK, data_name="data", namespace="output_ns", name="t1",
                          address={"storage_type": "lmdb", "path": "x"}, engine="standalone", partitions=4,
                          schema={"header": ["x0"]}, count=3, part_of_data=[["1", "0.5"]]),
    msg.WorkerMetric(**TASK, metric_namespace="train", metric_name="loss", type=msg.METRIC_DATA,
                     values=[[0, 0.69], [1, 0.5]]),
    msg.WorkerMetric(**TASK, metric_namespace="train", metric_name="loss", type=msg.METRIC_META,
                     values={"metric_type": "LOSS"}),
    msg.WorkerSummary(**TASK, summary={"loss": 0.5}),
    msg.WorkerModel(**TASK, model_alias="model", buffers={"Param": {"type": "a.b.Param", "b64": "AAE="}}),
    msg.WorkerModelGet(**TASK, model_alias="model", model_component="hetero_lr_0"),
    msg.WorkerTaskStatus(**TASK, status=JobStatus.SUCCESS, elapsed=12),
    msg.ModelDeploy("arbiter-1#guest-9999#host-10000#model", "202601010000000000001", "202601010000000000002",
                    {"role": "guest", "party_id": "9999"}, cpn_list=["reader_0"]),
    msg.ModelLoad({"role": "guest", "party_id": "9999"}, {"guest": ["9999"], "host": ["10000"]},
                  {"model_id": "m", "model_version": "v"}, ["127.0.0.1:8000"]),
])
def test_worker_reports_and_model_commands_survive_encode_and_decode(report):
    body = msg.encode(report)
    assert type(report).__name__ not in str(body)  # plain JSON data
    assert msg.decode(type(report), body) == report


def test_a_worker_report_names_its_task_and_its_own_fields():
    with pytest.raises(MissingParametersError) as missing:
        msg.decode(msg.WorkerOutputTable, {"job_id": "1", "data_name": "data"})
    assert missing.value.retcode == RetCode.EXCEPTION_ERROR
    for field in ("task_id", "task_version", "role", "party_id", "namespace", "name", "address"):
        assert field in missing.value.message
    with pytest.raises(InvalidParameterError, match="summary must be an object"):
        msg.decode(msg.WorkerSummary, {**TASK, "summary": [1]})
    with pytest.raises(InvalidParameterError, match="metric_namespace|type must be an integer"):
        msg.decode(msg.WorkerMetric, {**TASK, "type": "meta"})


def test_deploy_and_load_are_commands_with_their_required_fields():
    assert msg.COMMANDS[msg.MODEL_DEPLOY] is msg.ModelDeploy and msg.COMMANDS[msg.MODEL_LOAD] is msg.ModelLoad
    assert msg.required_fields(msg.ModelDeploy) == ("model_id", "model_version", "child_model_version")
    assert msg.required_fields(msg.ModelLoad) == ("initiator", "role", "job_parameters")
