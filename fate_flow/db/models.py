"""Tables (contract §5), without FATE's date sharding and with JSON where FATE pickled.

Column names keep FATE's `f_` names because FATE-Board style tools read t_job and t_task directly.
"""
from peewee import (AutoField, BigIntegerField, BooleanField, CharField, CompositeKey, DateTimeField, DoubleField,
                    IntegerField, TextField)

from fate_flow.db.base import BaseModel, JSONField


class Job(BaseModel):
    f_user_id = CharField(max_length=25, null=True, index=True)
    f_job_id = CharField(max_length=25, index=True)
    f_name = CharField(max_length=500, null=True, default="")
    f_description = TextField(null=True, default="")
    f_tag = CharField(max_length=50, null=True, index=True, default="")
    f_dsl = JSONField(empty={})
    f_runtime_conf = JSONField(empty={})
    f_runtime_conf_on_party = JSONField(empty={})
    f_train_runtime_conf = JSONField(null=True, empty={})
    f_roles = JSONField(empty={})
    f_work_mode = IntegerField(default=0)
    f_initiator_role = CharField(max_length=50, index=True)
    f_initiator_party_id = CharField(max_length=50, index=True)
    f_status = CharField(max_length=50, index=True)
    f_status_code = IntegerField(null=True, index=True)
    f_role = CharField(max_length=50, index=True)
    f_party_id = CharField(max_length=10, index=True)
    f_is_initiator = BooleanField(null=True, default=False, index=True)
    f_progress = IntegerField(null=True, default=0)
    f_ready_signal = BooleanField(default=False, index=True)
    f_ready_time = BigIntegerField(null=True)
    f_cancel_signal = BooleanField(default=False, index=True)
    f_cancel_time = BigIntegerField(null=True)
    f_rerun_signal = BooleanField(default=False, index=True)
    f_end_scheduling_updates = IntegerField(null=True, default=0)
    f_engine_name = CharField(max_length=50, null=True, index=True)
    f_engine_type = CharField(max_length=10, null=True, index=True)
    f_cores = IntegerField(default=0, index=True)
    f_memory = IntegerField(default=0, index=True)
    f_remaining_cores = IntegerField(default=0, index=True)
    f_remaining_memory = IntegerField(default=0, index=True)
    f_resource_in_use = BooleanField(default=False, index=True)
    f_apply_resource_time = BigIntegerField(null=True)
    f_return_resource_time = BigIntegerField(null=True)
    f_start_time = BigIntegerField(null=True)
    f_start_date = DateTimeField(null=True)
    f_end_time = BigIntegerField(null=True)
    f_end_date = DateTimeField(null=True)
    f_elapsed = BigIntegerField(null=True)
    # why the job ended failed/timeout/canceled (party and table named), for clients and FATE-Board notes
    f_fail_reason = TextField(null=True)

    class Meta:
        table_name = "t_job"
        # newest-first listings (list/job, list/task); the board's job list: a status by creation, sorts
        indexes = ((("f_create_time",), False), (("f_status", "f_create_time"), False), (("f_start_time",), False),
                   (("f_end_time",), False), (("f_elapsed",), False))
        primary_key = CompositeKey("f_job_id", "f_role", "f_party_id")


class Task(BaseModel):
    f_job_id = CharField(max_length=25, index=True)
    f_component_name = TextField()
    f_task_id = CharField(max_length=100, index=True)
    f_task_version = BigIntegerField(index=True)
    f_initiator_role = CharField(max_length=50, index=True)
    f_initiator_party_id = CharField(max_length=50, index=True, default="-1")
    f_federated_mode = CharField(max_length=10, index=True, default="MULTIPLE")
    f_federated_status_collect_type = CharField(max_length=10, index=True, default="PUSH")
    f_status = CharField(max_length=50, index=True)
    f_status_code = IntegerField(null=True, index=True)
    f_role = CharField(max_length=50, index=True)
    f_party_id = CharField(max_length=10, index=True)
    f_run_on_this_party = BooleanField(null=True, default=False, index=True)
    f_run_ip = CharField(max_length=100, null=True)
    f_run_pid = IntegerField(null=True)
    f_party_status = CharField(max_length=50, index=True)
    f_start_time = BigIntegerField(null=True)
    f_start_date = DateTimeField(null=True)
    f_end_time = BigIntegerField(null=True)
    f_end_date = DateTimeField(null=True)
    f_elapsed = BigIntegerField(null=True)
    # the worker process: its start time (psutil create_time) tells a reused pid from the worker
    f_run_start_time = DoubleField(null=True)
    f_fail_reason = TextField(null=True)
    # automatic retries left for this task after this version
    f_auto_retries = IntegerField(default=0)
    # SHA-256 of the secret its worker proves itself with on /v1/worker/* (entity/worker_secret.py)
    f_worker_secret_digest = CharField(max_length=64, null=True)

    class Meta:
        table_name = "t_task"
        indexes = ((("f_create_time",), False),)  # newest-first listings (list/job, list/task)
        primary_key = CompositeKey("f_job_id", "f_task_id", "f_task_version", "f_role", "f_party_id")


class TrackingMetric(BaseModel):
    f_id = AutoField()
    f_job_id = CharField(max_length=25, index=True)
    f_component_name = CharField(max_length=100, index=True)
    f_task_id = CharField(max_length=100, null=True, index=True)
    f_task_version = BigIntegerField(null=True, index=True)
    f_role = CharField(max_length=50, index=True)
    f_party_id = CharField(max_length=10, index=True)
    f_metric_namespace = CharField(max_length=180, index=True)
    f_metric_name = CharField(max_length=180, index=True)
    f_key = JSONField()
    f_value = JSONField()
    f_type = IntegerField(index=True)  # 0 meta, 1 data point, 2 job view entry

    class Meta:
        table_name = "t_tracking_metric"


class TrackingOutputDataInfo(BaseModel):
    f_job_id = CharField(max_length=25, index=True)
    f_component_name = CharField(max_length=100, index=True)
    f_task_id = CharField(max_length=100, index=True)
    f_task_version = BigIntegerField(index=True)
    f_data_name = CharField(max_length=30)
    f_role = CharField(max_length=50, index=True)
    f_party_id = CharField(max_length=10, index=True)
    f_table_name = CharField(max_length=500, null=True)
    f_table_namespace = CharField(max_length=500, null=True)
    f_description = TextField(null=True, default="")

    class Meta:
        table_name = "t_tracking_output_data_info"
        primary_key = CompositeKey("f_job_id", "f_task_id", "f_task_version", "f_data_name", "f_role", "f_party_id")


class ComponentSummary(BaseModel):
    f_id = AutoField()
    f_job_id = CharField(max_length=25, index=True)
    f_role = CharField(max_length=25, index=True)
    f_party_id = CharField(max_length=10, index=True)
    f_component_name = CharField(max_length=100, index=True)
    f_task_id = CharField(max_length=100, null=True, index=True)
    f_task_version = CharField(max_length=50, null=True, index=True)
    f_summary = JSONField(empty={})

    class Meta:
        table_name = "t_component_summary"


class MachineLearningModelInfo(BaseModel):
    f_role = CharField(max_length=50, index=True)
    f_party_id = CharField(max_length=10, index=True)
    f_roles = JSONField(empty={})
    f_job_id = CharField(max_length=25, index=True)
    f_model_id = CharField(max_length=100, index=True)
    f_model_version = CharField(max_length=100, index=True)
    f_loaded_times = IntegerField(default=0)
    f_size = BigIntegerField(default=0)
    f_description = TextField(null=True, default="")
    f_initiator_role = CharField(max_length=50, index=True)
    f_initiator_party_id = CharField(max_length=50, index=True, default="-1")
    f_runtime_conf = JSONField(empty={})
    f_work_mode = IntegerField(default=0)
    f_train_dsl = JSONField(empty={})
    f_train_runtime_conf = JSONField(empty={})
    f_imported = IntegerField(default=0)
    f_job_status = CharField(max_length=50, null=True)
    f_runtime_conf_on_party = JSONField(empty={})
    f_fate_version = CharField(max_length=10, null=True, default="")
    f_parent = BooleanField(null=True, default=None)
    f_parent_info = JSONField(empty={})
    f_inference_dsl = JSONField(empty={})

    class Meta:
        table_name = "t_machine_learning_model_info"
        primary_key = CompositeKey("f_role", "f_party_id", "f_model_id", "f_model_version")


class Tag(BaseModel):
    f_id = AutoField()
    f_name = CharField(max_length=100, unique=True)
    f_desc = TextField(null=True)

    class Meta:
        table_name = "t_tags"


class ModelTag(BaseModel):
    f_id = AutoField()
    f_m_id = CharField(max_length=25, index=True)
    f_t_id = BigIntegerField(index=True)

    class Meta:
        table_name = "t_model_tag"


class ModelOperationLog(BaseModel):
    f_id = AutoField()
    f_operation_type = CharField(max_length=20, index=True)
    f_operation_status = CharField(max_length=20, null=True, index=True)
    f_initiator_role = CharField(max_length=50, null=True, index=True)
    f_initiator_party_id = CharField(max_length=10, null=True, index=True)
    f_request_ip = CharField(max_length=50, null=True)
    f_model_id = CharField(max_length=100, index=True)
    f_model_version = CharField(max_length=100, index=True)

    class Meta:
        table_name = "t_model_operation_log"


class StorageTableMeta(BaseModel):
    f_name = CharField(max_length=100, index=True)
    f_namespace = CharField(max_length=100, index=True)
    f_address = JSONField(empty={})
    f_engine = CharField(max_length=100, index=True)
    f_type = CharField(max_length=50, index=True)
    f_options = JSONField(empty={})
    f_partitions = IntegerField(null=True)
    f_id_delimiter = CharField(max_length=255, null=True)
    f_in_serialized = BooleanField(default=True)
    f_have_head = BooleanField(default=True)
    f_schema = JSONField(empty={})
    f_count = BigIntegerField(null=True)
    f_part_of_data = JSONField(empty=[])
    f_description = TextField(default="")

    class Meta:
        table_name = "t_storage_table_meta"
        primary_key = CompositeKey("f_name", "f_namespace")


class UploadHistory(BaseModel):
    """One row per successful upload job (FATE derives this from t_task + the table meta)."""

    f_job_id = CharField(max_length=25, primary_key=True)
    f_namespace = CharField(max_length=100, index=True)
    f_table_name = CharField(max_length=100, index=True)
    f_partitions = IntegerField()
    f_count = BigIntegerField()
    f_schema = JSONField(empty={})
    f_notes = TextField(default="")

    class Meta:
        table_name = "t_upload_history"


class PartnerGrant(BaseModel):
    """What a partner party on another server may do here: one row per granted value. `f_kind` is role,
    command, component (lower-case module name) or dataset (JSON [namespace, name]); `f_role` the partner's
    role the grant holds for, "*" for any (FATE-Flow 1.9's grants have no role)."""

    f_party_id = CharField(max_length=50, index=True)
    f_role = CharField(max_length=50)
    f_kind = CharField(max_length=20)
    f_value = CharField(max_length=400)

    class Meta:
        table_name = "t_partner_grant"
        primary_key = CompositeKey("f_party_id", "f_role", "f_kind", "f_value")


class SchemaVersion(BaseModel):
    f_version = IntegerField(primary_key=True)
    f_description = CharField(max_length=200)

    class Meta:
        table_name = "t_schema_version"


ALL_MODELS = (Job, Task, TrackingMetric, TrackingOutputDataInfo, ComponentSummary, MachineLearningModelInfo,
              Tag, ModelTag, ModelOperationLog, StorageTableMeta, UploadHistory, PartnerGrant)
