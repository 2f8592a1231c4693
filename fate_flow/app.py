"""create_app(runtime): the Flask app with one blueprint per API group and FATE-style error envelopes."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import Flask, Request, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from fate_flow.apps import (board_app, client_auth, data_app, job_app, job_control_app, model_app, permission_app,
                            pipeline_app, table_app, tracking_app, version_app, worker_app)
from fate_flow.apps.context import EXTENSION
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import CountingInput, record_refusal
from fate_flow.db.base import DB
from fate_flow.entity import api_paths, audit
from fate_flow.entity.errors import FateFlowError, InvalidParameterError, PathNotAllowedError
from fate_flow.entity.retcode import RetCode
from fate_flow.services.runtime import Runtime
from fate_flow.services.server.access_warnings import log_access_warnings
from fate_flow.services.server.disk_space import as_disk_full

LOG = logging.getLogger("fate_flow.app")


class UploadAwareRequest(Request):
    """Streams multipart file parts straight to a file under FATE_FLOW_HOME (not memory, not /tmp)
    and remembers them so the request's teardown removes whatever the handler did not take."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        runtime: Runtime = self.environ["fate_flow.context"]
        spool = runtime.settings.upload_spool_dir
        spool.mkdir(parents=True, exist_ok=True)
        f = tempfile.NamedTemporaryFile(dir=spool, prefix="upload-", delete=False)
        g.setdefault("spooled_files", []).append(Path(f.name))
        return f


def create_app(runtime: Runtime) -> Flask:
    """The Flask app over a built runtime (services/server/startup.py: database, migrations and recovery are
    done there, before any app exists); this only wires blueprints, hooks and error handlers."""
    settings = runtime.settings
    db = DB.obj
    app = Flask("fate_flow")
    app.request_class = UploadAwareRequest
    app.json.sort_keys = True
    app.json.ensure_ascii = True
    app.extensions[EXTENSION] = runtime
    for module in (data_app, table_app, job_app, job_control_app, worker_app, pipeline_app, tracking_app,
                   version_app, model_app, permission_app, board_app):
        app.register_blueprint(module.bp)
    log_access_warnings(settings)

    inner_wsgi = app.wsgi_app

    def counting_wsgi(environ, start_response):
        if environ.get("PATH_INFO") == api_paths.DATA_UPLOAD.path:
            environ["wsgi.input"] = environ[CountingInput.ENVIRON_KEY] = CountingInput(environ["wsgi.input"])
        return inner_wsgi(environ, start_response)

    app.wsgi_app = counting_wsgi

    @app.before_request
    def _before():
        request.environ["fate_flow.context"] = runtime
        is_upload = request.path == api_paths.DATA_UPLOAD.path
        request.max_content_length = settings.http.max_upload_bytes if is_upload else settings.http.max_json_bytes
        try:
            db.connect(reuse_if_open=True)
        except Exception as e:  # a full disk: requests that need no database (/v1/version) still answer
            if as_disk_full(e, settings) is None:
                raise

    client_auth.install(app, settings.http_auth, runtime.board)  # after _before: it sets the body limits the check reads within

    @app.teardown_request
    def _teardown(exc):
        for path in g.pop("spooled_files", []):
            if path.exists():
                path.unlink(missing_ok=True)
        if not db.is_closed():
            db.close()

    @app.errorhandler(FateFlowError)
    def _fate_error(e: FateFlowError):
        LOG.info("%s %s refused: %s", request.method, request.path, e.message)
        if isinstance(e, InvalidParameterError):
            record_refusal(e)
        elif isinstance(e, PathNotAllowedError):
            audit.refused(client=request.remote_addr or "-", route=request.path, reason=e.message)
        return json_result(e.retcode, e.message, data=e.data, job_id=e.job_id)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e):
        limit = request.max_content_length
        return json_result(RetCode.EXCEPTION_ERROR, f"request body is larger than the limit of {limit} bytes",
                           status=413)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        if e.code == 404:
            msg = f"no such endpoint: {request.method} {request.path}"
        elif e.code == 405:
            msg = f"method {request.method} is not allowed on {request.path}; use {', '.join(m for m in (e.valid_methods or []) if m not in ('HEAD', 'OPTIONS'))}"
        else:
            msg = f"{e.name}: {e.description}"
        return json_result(RetCode.EXCEPTION_ERROR, msg, status=e.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        """A real server fault: its traceback goes to the log (ERROR.log); the client learns that it happened,
        never the exception, its text or a server path. A full disk is named as such (which filesystem, how much
        to free), with a one-line warning instead of a traceback."""
        full = as_disk_full(e, settings, request.content_length)
        if full is not None:
            LOG.warning("%s %s failed: %s", request.method, request.path, full.message)
            return json_result(full.retcode, full.message)
        LOG.exception("%s %s failed", request.method, request.path)
        return json_result(RetCode.EXCEPTION_ERROR, f"internal error: the server could not complete {request.method} "
                                                    f"{request.path}; its administrator finds the cause in the "
                                                    f"server's ERROR.log")

    return app
