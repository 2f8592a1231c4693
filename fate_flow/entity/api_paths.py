"""Every HTTP route of the /v1 API, written once: the server registers these, the clients call these."""
from dataclasses import dataclass

API_VERSION = "v1"


@dataclass(frozen=True)
class Endpoint:
    path: str
    methods: tuple[str, ...] = ("POST",)
    # streams a file on success (HTTP 200 + Content-Disposition) and a JSON envelope otherwise
    streams_file: bool = False

    @property
    def method(self) -> str:
        """The method clients use."""
        return self.methods[0]


# /v1/data
DATA_UPLOAD = Endpoint("/v1/data/upload")
DATA_DOWNLOAD = Endpoint("/v1/data/download")
DATA_UPLOAD_HISTORY = Endpoint("/v1/data/upload/history")

# /v1/table
TABLE_INFO = Endpoint("/v1/table/table_info")
TABLE_DELETE = Endpoint("/v1/table/delete")
TABLE_ADD = Endpoint("/v1/table/add")
TABLE_BIND = Endpoint("/v1/table/bind")
TABLE_LIST = Endpoint("/v1/table/list")

# /v1/job (contract §1.2)
JOB_SUBMIT = Endpoint("/v1/job/submit")
JOB_STOP = Endpoint("/v1/job/stop")
JOB_RERUN = Endpoint("/v1/job/rerun")
JOB_QUERY = Endpoint("/v1/job/query")
JOB_LIST = Endpoint("/v1/job/list/job")
JOB_UPDATE = Endpoint("/v1/job/update")
JOB_CONFIG = Endpoint("/v1/job/config")
JOB_LOG = Endpoint("/v1/job/log", ("GET", "POST"), streams_file=True)
TASK_QUERY = Endpoint("/v1/job/task/query")
TASK_LIST = Endpoint("/v1/job/list/task")
JOB_DATA_VIEW_QUERY = Endpoint("/v1/job/data/view/query")
JOB_CLEAN = Endpoint("/v1/job/clean")
JOB_CLEAN_QUEUE = Endpoint("/v1/job/clean/queue")
JOB_DSL_GENERATE = Endpoint("/v1/job/dsl/generate")
JOB_URL_GET = Endpoint("/v1/job/url/get")
# ours, read by the board: a page of the job list (filters, sort, paging in the database), the server's
# overview (jobs by status, the queue, cores per hosted party), lines of a job's or a component's log from an offset
JOB_LIST_PAGE = Endpoint("/v1/job/list/page")
JOB_OVERVIEW = Endpoint("/v1/job/overview")
JOB_LOG_LINES = Endpoint("/v1/job/log/lines")

# /v1/pipeline (contract §1.4)
PIPELINE_DAG_DEPENDENCY = Endpoint("/v1/pipeline/dag/dependency")

# /v1/worker: a task's worker process reporting to its own server (internal, loopback)
WORKER_TASK_STATUS = Endpoint("/v1/worker/task/status")
WORKER_TASK_OUTPUT_TABLE = Endpoint("/v1/worker/task/output_table")
WORKER_TASK_METRIC = Endpoint("/v1/worker/task/metric")
WORKER_TASK_MODEL = Endpoint("/v1/worker/task/model")
WORKER_TASK_MODEL_GET = Endpoint("/v1/worker/task/model/get")
WORKER_TASK_SUMMARY = Endpoint("/v1/worker/task/summary")

# /v1/permission: FATE-Flow 1.6's privileges (contract §1.7) and FATE-Flow 1.9's component and dataset grants,
# one store of what partners on other servers may do here
PERMISSION_GRANT_PRIVILEGE = Endpoint("/v1/permission/grant/privilege")
PERMISSION_DELETE_PRIVILEGE = Endpoint("/v1/permission/delete/privilege")
PERMISSION_QUERY_PRIVILEGE = Endpoint("/v1/permission/query/privilege")
PERMISSION_GRANT = Endpoint("/v1/permission/grant")
PERMISSION_DELETE = Endpoint("/v1/permission/delete")
PERMISSION_QUERY = Endpoint("/v1/permission/query")

# /v1/version
VERSION_GET = Endpoint("/v1/version/get", ("POST", "GET"))
# which routed parties answer a signed ping over gRPC (optional body: {"timeout": seconds})
VERSION_PARTIES = Endpoint("/v1/version/parties", ("POST", "GET"))

# /v1/tracking (contract §1.3)
TRACKING_JOB_DATA_VIEW = Endpoint("/v1/tracking/job/data_view")
# ours: a job at a glance (status per party, components' status/duration/runs, evaluation summaries)
TRACKING_JOB_SUMMARY = Endpoint("/v1/tracking/job/summary")
TRACKING_METRICS = Endpoint("/v1/tracking/component/metrics")
TRACKING_METRIC_DATA = Endpoint("/v1/tracking/component/metric_data")
TRACKING_METRIC_ALL = Endpoint("/v1/tracking/component/metric/all")
TRACKING_METRIC_DELETE = Endpoint("/v1/tracking/component/metric/delete")
TRACKING_PARAMETERS = Endpoint("/v1/tracking/component/parameters")
TRACKING_OUTPUT_MODEL = Endpoint("/v1/tracking/component/output/model")
TRACKING_OUTPUT_DATA = Endpoint("/v1/tracking/component/output/data")
TRACKING_OUTPUT_DATA_DOWNLOAD = Endpoint("/v1/tracking/component/output/data/download", ("GET", "POST"),
                                         streams_file=True)
TRACKING_OUTPUT_DATA_TABLE = Endpoint("/v1/tracking/component/output/data/table")
TRACKING_SUMMARY_DOWNLOAD = Endpoint("/v1/tracking/component/summary/download")
TRACKING_COMPONENT_LIST = Endpoint("/v1/tracking/component/list")

# /v1/model (contract §1.5)
MODEL_DEPLOY = Endpoint("/v1/model/deploy")
MODEL_QUERY = Endpoint("/v1/model/query")
MODEL_GET_PREDICT_DSL = Endpoint("/v1/model/get/predict/dsl")
MODEL_GET_PREDICT_CONF = Endpoint("/v1/model/get/predict/conf")
# model store / restore (§1.5.6) and migrate (§1.5.7)
MODEL_STORE = Endpoint("/v1/model/store")
MODEL_RESTORE = Endpoint("/v1/model/restore")
MODEL_MIGRATE = Endpoint("/v1/model/migrate")
# homogeneous model conversion and serving (FATE-Flow 1.7)
MODEL_HOMO_CONVERT = Endpoint("/v1/model/homo/convert")
MODEL_HOMO_DEPLOY = Endpoint("/v1/model/homo/deploy")
# export (streams the model zip) / import (multipart: the zip + model_id, model_version, role, party_id) (§1.5.4-5)
MODEL_EXPORT = Endpoint("/v1/model/export", ("GET", "POST"), streams_file=True)
MODEL_IMPORT = Endpoint("/v1/model/import")
# tags (§1.5.12); the <operation> routes answer the operations that do not exist
MODEL_TAG_CREATE = Endpoint("/v1/model/tag/create")
MODEL_TAG_RETRIEVE = Endpoint("/v1/model/tag/retrieve")
MODEL_TAG_UPDATE = Endpoint("/v1/model/tag/update")
MODEL_TAG_DESTROY = Endpoint("/v1/model/tag/destroy")
MODEL_TAG_LIST = Endpoint("/v1/model/tag/list")
MODEL_TAG_OTHER = Endpoint("/v1/model/tag/<operation>")
MODEL_MODEL_TAG_CREATE = Endpoint("/v1/model/model_tag/create")
MODEL_MODEL_TAG_REMOVE = Endpoint("/v1/model/model_tag/remove")
MODEL_MODEL_TAG_RETRIEVE = Endpoint("/v1/model/model_tag/retrieve")
MODEL_MODEL_TAG_OTHER = Endpoint("/v1/model/model_tag/<operation>")
# FATE-Serving: model buffers download (§1.5.3), publish load (federated, §1.5.1) and bind (§1.5.2); unload and
# unbind are ours (FATE-Flow 1.6 never calls the serving's unload/unbind)
MODEL_TRANSFER = Endpoint("/v1/model/transfer")
MODEL_LOAD = Endpoint("/v1/model/load")
MODEL_BIND = Endpoint("/v1/model/bind")
MODEL_UNLOAD = Endpoint("/v1/model/unload")
MODEL_UNBIND = Endpoint("/v1/model/unbind")
