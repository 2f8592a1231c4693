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

# /v1/job (the parts that exist so far)
JOB_QUERY = Endpoint("/v1/job/query")

# /v1/version
VERSION_GET = Endpoint("/v1/version/get", ("POST", "GET"))
# which routed parties answer a signed ping over gRPC (optional body: {"timeout": seconds})
VERSION_PARTIES = Endpoint("/v1/version/parties", ("POST", "GET"))
