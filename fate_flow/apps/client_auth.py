"""Who may call the HTTP API: the one check every request passes before a handler sees it.

A request that carries signature headers is verified (FATE-Flow 1.7's scheme, fate_flow.entity.http_signature)
against `http_auth.clients`; one that carries none is let through only from `http_auth.unsigned_from`
(loopback by default). The client address is the socket peer; forwarding headers are not believed.
The routes of the worker channel (/v1/worker/*) are left to its own check (the per-task secret, apps/worker_app.py).
A browser logged in to the board (services/server/board_access.py, the runtime's `board`) is admitted by its session and CSRF token; the board's
pages and its login are open to all, and no API request a browser sends for another site is answered.
Every refusal answers retcode 109 and is written to the audit log.
"""
from __future__ import annotations

from flask import Flask, request

from fate_flow.apps import board_app, worker_app
from fate_flow.entity import audit
from fate_flow.entity.errors import AuthenticationError
from fate_flow.entity.http_signature import APP_KEY, ClientGate, path_with_query
from fate_flow.services.server import board_access
from fate_flow.settings import HttpAuthSettings


def install(app: Flask, auth: HttpAuthSettings, board: board_access.BoardAccess) -> ClientGate:
    """Register the check as a before_request hook (after the hooks registered so far, which set the body
    limits); returns the gate, whose nonce memory lives as long as the app."""
    gate = ClientGate(auth.clients, auth.unsigned_from)

    @app.before_request
    def _authenticate():
        if request.blueprint == worker_app.bp.name or request.endpoint in board_app.PAGES:
            return None  # the worker channel checks its own callers; the board's files hold no data
        peer = request.remote_addr or ""
        target = path_with_query(request.path, request.query_string.decode("utf-8", "replace"))
        try:
            board.refuse_cross_site(request.headers, request.host)
            if request.endpoint in board_app.SESSION_ROUTES or board.admits(
                    request.cookies.get(board_access.COOKIE), request.headers.get(board_access.CSRF_HEADER)):
                return None
            gate.admit(peer, request.headers, target, request.content_type, lambda: request.get_data(cache=True),
                       _form_fields)
        except AuthenticationError as e:
            audit.refused(client=peer, route=request.path, reason=e.message,
                          app_key=(request.headers.get(APP_KEY) or "")[:64] or None)
            raise
        return None

    return gate


def _form_fields() -> list[tuple[str, str]]:
    """Every value of every form field; file parts are not among them (werkzeug streams those to the upload
    spool, never into memory)."""
    form = request.form
    return [(name, value) for name in form for value in form.getlist(name)]
