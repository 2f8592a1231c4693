"""create_app(settings): the Flask app with one blueprint per API group and FATE-style error envelopes."""
from __future__ import annotations

import importlib
import logging
import tempfile
from pathlib import Path

from flask import Flask, Request, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from fate_flow.apps import client_auth
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import CountingInput, record_refusal
from fate_flow.db.base import DB, init_db
from fate_flow.db.migrations import migrate
from fate_flow.entity import api_paths, audit
from fate_flow.entity.errors import FateFlowError, InvalidParameterError, PathNotAllowedError
from fate_flow.entity.retcode import RetCode
from fate_flow.services import job_runtime
from fate_flow.services.context import EXTENSION, ServiceContext, build_context
from fate_flow.services.server.access_warnings import log_access_warnings
from fate_flow.services.server.disk_space import as_disk_full
from fate_flow.services.server.recovery import recover_local_jobs
from fate_flow.settings import Settings

LOG = logging.getLogger("fate_flow.app")


class UploadAwareRequest(Request):
    """Streams multipart file parts straight to a file under FATE_FLOW_HOME (not memory, not /tmp)
    and remembers them so the request's teardown removes whatever the handler did not take."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        ctx: ServiceContext = self.environ["fate_flow.context"]
        spool = ctx.settings.upload_spool_dir
        spool.mkdir(parents=True, exist_ok=True)
        f = tempfile.NamedTemporaryFile(dir=spool, prefix="upload-", delete=False)
        g.setdefault("spooled_files", []).append(Path(f.name))
        return f


def create_app(settings: Settings, db=None, migrate_db: bool = True) -> Flask:
    """Build the app. `db` is an already-open peewee database; by default settings.database.url is opened."""
    if db is None:
        d = settings.database
        if d.url.startswith("sqlite:"):
            Path(d.url.split("sqlite:///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
        db = init_db(d.url, d.max_connections, d.stale_timeout, d.busy_timeout_ms)
    else:
        DB.initialize(db)
    if migrate_db:
        migrate()
    for directory in (settings.home, settings.jobs_dir, settings.logs_dir, settings.temp_dir, settings.storage.root):
        directory.mkdir(parents=True, exist_ok=True)

    for plugin in settings.worker.component_plugins:  # components they add must be known at submit
        importlib.import_module(plugin)
    ctx = build_context(settings)
    with db.connection_context():
        recover_local_jobs(ctx)

    app = Flask("fate_flow")
    app.request_class = UploadAwareRequest
    app.json.sort_keys = True
    app.json.ensure_ascii = True
    app.extensions[EXTENSION] = ctx
    app.extensions[job_runtime.EXTENSION] = job_runtime.JobRuntime(ctx)

    from fate_flow.apps import (board_app, data_app, job_app, job_control_app, model_app, permission_app,
                                pipeline_app, table_app, tracking_app, version_app, worker_app)
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
        request.environ["fate_flow.context"] = ctx
        is_upload = request.path == api_paths.DATA_UPLOAD.path
        request.max_content_length = settings.http.max_upload_bytes if is_upload else settings.http.max_json_bytes
        try:
            db.connect(reuse_if_open=True)
        except Exception as e:  # a full disk: requests that need no database (/v1/version) still answer
            if as_disk_full(e, settings) is None:
                raise

    client_auth.install(app, settings.http_auth)  # after _before: it sets the body limits the check reads within

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
