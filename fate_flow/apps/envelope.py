"""The FATE-Flow response envelope (contract §0.2): retcode, retmsg, and data/jobId/meta when not None."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from fate_flow.entity.retcode import RetCode


def envelope(retcode: int = RetCode.SUCCESS, retmsg: str = "success", data: Any = None, job_id: str | None = None,
             meta: Any = None) -> dict:
    body: dict[str, Any] = {"retcode": int(retcode), "retmsg": retmsg}
    if data is not None:
        body["data"] = data
    if job_id is not None:
        body["jobId"] = job_id
    if meta is not None:
        body["meta"] = meta
    return body


def json_result(retcode: int = RetCode.SUCCESS, retmsg: str = "success", data: Any = None,
                job_id: str | None = None, meta: Any = None, status: int = 200) -> Response:
    response = jsonify(envelope(retcode, retmsg, data, job_id, meta))
    response.status_code = status
    return response
