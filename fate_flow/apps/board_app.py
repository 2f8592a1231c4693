"""The board: FATE-Board's pages served by this server (`/index.html#/dashboard?job_id=..&role=..&party_id=..`,
the files under fate_flow/board/static/), its login (/board/session, /board/login, /board/logout: see
services/server/board_access.py, the runtime's `board`) and the /v1 read endpoints it needs beyond FATE's API: a
page of the job list, the server's overview and log lines from an offset. The pages read everything else through the public /v1 API, as any client
does."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, redirect, request, send_from_directory

from fate_flow.services.server import board_access
from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import get_int, get_party_id, get_str, json_body
from fate_flow.entity import api_paths, audit
from fate_flow.entity.errors import AuthenticationError, InvalidParameterError, ParameterError
from fate_flow.entity.status import JobStatus
from fate_flow.services.jobs import browse as job_browse, log_lines

bp = Blueprint("board", __name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "board" / "static"
INDEX = "/index.html"
ASSETS = "/board/"
SESSION, LOGIN, LOGOUT = "/board/session", "/board/login", "/board/logout"
# endpoints anyone may fetch: the files (no data in them), and the login routes (they check for themselves)
PAGES = frozenset({"board.root", "board.index", "board.asset"})
SESSION_ROUTES = frozenset({"board.session_of", "board.login", "board.logout"})
PAGE_SIZE_MAX = 100
TEXT_MAX = 200
# the pages run only their own scripts and talk only to this server
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _route(endpoint: api_paths.Endpoint):
    return bp.route(endpoint.path, methods=endpoint.methods)


def _static(name: str) -> Response:
    response = send_from_directory(STATIC_DIR, name)
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.route("/", methods=("GET",))
def root():
    return redirect(INDEX)


@bp.route(INDEX, methods=("GET",))
def index():
    return _static("index.html")


@bp.route(ASSETS + "<path:name>", methods=("GET",))
def asset(name: str):
    return _static(name)


def _access() -> board_access.BoardAccess:
    return runtime().board


def _session_answer(cookie: str | None) -> dict:
    access = _access()
    session = access.session(cookie)
    answer = {"local": access.local(request.remote_addr or ""), "authenticated": session is not None}
    if session is not None:
        answer.update(app_key=session["app_key"], expires=session["expires"], csrf_token=access.csrf_token(cookie))
    return answer


@bp.route(SESSION, methods=("GET",))
def session_of():
    """Whether this browser may use the board: on this machine, or logged in (with the CSRF token to send)."""
    response = json_result(data=_session_answer(request.cookies.get(board_access.COOKIE)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(LOGIN, methods=("POST",))
def login():
    body = json_body()
    app_key = get_str(body, "app_key", max_length=256)
    secret = get_str(body, "secret", max_length=1024)
    peer = request.remote_addr or ""
    try:
        cookie = _access().login(peer, app_key, secret)
    except AuthenticationError as e:
        audit.refused(client=peer, route=request.path, reason=e.message, app_key=app_key[:64])
        raise
    response = json_result(data=_session_answer(cookie))
    response.set_cookie(board_access.COOKIE, cookie, max_age=board_access.SESSION_SECONDS, path="/",
                        httponly=True, samesite="Strict", secure=request.is_secure)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(LOGOUT, methods=("POST",))
def logout():
    cookie = request.cookies.get(board_access.COOKIE)
    if _access().admits(cookie, request.headers.get(board_access.CSRF_HEADER)):
        _access().logout(cookie)
    response = json_result()
    response.delete_cookie(board_access.COOKIE, path="/", httponly=True, samesite="Strict")
    return response


@_route(api_paths.JOB_LIST_PAGE)
def list_page():
    body = json_body()
    sort = get_str(body, "sort", default="create_time", choices=job_browse.SORT_COLUMNS)
    order = get_str(body, "order", default="desc", choices=("asc", "desc"))
    query = job_browse.JobPageQuery(
        page=get_int(body, "page", default=1, minimum=1, maximum=1_000_000),
        page_size=get_int(body, "page_size", default=20, minimum=1, maximum=PAGE_SIZE_MAX),
        job_id=get_str(body, "job_id", default="", max_length=TEXT_MAX),
        statuses=_statuses(body.get("status")),
        role=get_str(body, "role", default="", max_length=50),
        party_id=get_party_id(body, default=""),
        notes=get_str(body, "notes", default="", max_length=TEXT_MAX),
        created=_range_ms(body, "create_time"),
        sort=sort, descending=order == "desc")
    return json_result(data=job_browse.page_jobs(query))


@_route(api_paths.JOB_OVERVIEW)
def overview():
    return json_result(data=job_browse.overview(runtime().settings, runtime().clock.now_ms()))


@_route(api_paths.JOB_LOG_LINES)
def log_lines_of():
    body = json_body()
    component = get_str(body, "component_name", default=None, max_length=TEXT_MAX)
    role = get_str(body, "role", default=None, max_length=50)
    party_id = get_party_id(body, default=None)
    if component is not None and (role is None or party_id is None):
        raise ParameterError("parameters role and party_id are required with component_name")
    if (role is None) != (party_id is None):
        raise ParameterError("parameters role and party_id go together: give both or neither")
    query = log_lines.LogQuery(
        job_id=get_str(body, "job_id", max_length=TEXT_MAX), component=component, role=role, party_id=party_id,
        level=get_str(body, "level", default="DEBUG", choices=log_lines.LEVELS),
        task_version=get_int(body, "task_version", default=None, minimum=0, maximum=1_000_000),
        source=get_str(body, "source", default="log", choices=log_lines.SOURCES),
        offset=get_int(body, "offset", default=None, minimum=0, maximum=1 << 60))
    return json_result(data=log_lines.log_lines(runtime().settings, query))


def _statuses(value) -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    values = value if isinstance(value, list) else [value]
    known = [s.value for s in JobStatus]
    for v in values:
        if v not in known:
            raise InvalidParameterError(f"parameter status must be one of {', '.join(known)} (or a list of them), "
                                 f"got {v!r}")
    return tuple(values)


def _range_ms(body: dict, name: str) -> tuple[int | None, int | None]:
    value = body.get(name)
    if value in (None, "", []):
        return None, None
    if not isinstance(value, list) or len(value) != 2:
        raise InvalidParameterError(f"parameter {name} must be [from, to] in milliseconds (either may be null)")
    bounds = {f"{name}[0]": value[0], f"{name}[1]": value[1]}
    return tuple(get_int(bounds, key, default=None, minimum=0, maximum=1 << 50) for key in bounds)
