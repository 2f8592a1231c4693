"""Who may use the board (services/server/board_access.py, the runtime's `board`, through the app): its pages open to all; on loopback the API
answers unsigned as before; from elsewhere a login with an app key and its secret gives an HttpOnly, SameSite=Strict,
expiring session cookie, and calls made with it need the session's CSRF token; browsers' requests for other sites
are refused; every refusal is 109 and audited."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from types import MappingProxyType

import pytest

from fate_flow.apps import board_app
from fate_flow.services.server import board_access
from fate_flow.entity import audit
from fate_flow.entity.http_signature import parse_networks
from fate_flow.settings import HttpAuthSettings
from tests.api.job_rows import add_job
from tests.conftest import runtime_of

APP_KEY, SECRET = "analyst", "f3a9c2d4e5b6a7980123456789abcdef"
REMOTE = {"REMOTE_ADDR": "10.20.30.40"}
JOB = "202103311200000000001"


@pytest.fixture
def settings(settings):
    return replace(settings, http_auth=HttpAuthSettings(clients=MappingProxyType({APP_KEY: SECRET}),
                                                        unsigned_from=parse_networks(["127.0.0.0/8", "::1"])))


@pytest.fixture
def refusals():
    records: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(json.loads(record.getMessage()))

    handler = Keep()
    logger = logging.getLogger(audit.LOGGER_NAME)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture
def job(app):
    add_job(JOB, "guest", "9999", f_status="running")


def login(client, secret=SECRET, app_key=APP_KEY, peer=REMOTE):
    return client.post("/board/login", json={"app_key": app_key, "secret": secret}, environ_base=peer)


def session_of(client, peer=REMOTE):
    return client.get("/board/session", environ_base=peer).get_json()["data"]


def list_page(client, csrf=None, peer=REMOTE, **headers):
    if csrf is not None:
        headers[board_access.CSRF_HEADER] = csrf
    return client.post("/v1/job/list/page", json={}, headers=headers, environ_base=peer).get_json()


def test_the_pages_open_from_anywhere_but_the_api_needs_a_login(client, job, refusals):
    assert client.get("/index.html", environ_base=REMOTE).status_code == 200
    assert client.get("/board/js/api.js", environ_base=REMOTE).status_code == 200
    assert session_of(client) == {"local": False, "authenticated": False}
    answer = list_page(client)
    assert answer["retcode"] == 109 and "unsigned request from 10.20.30.40" in answer["retmsg"]
    assert refusals[-1]["route"] == "/v1/job/list/page"


def test_on_loopback_the_board_opens_directly(client, job):
    assert session_of(client, peer={}) == {"local": True, "authenticated": False}
    assert list_page(client, peer={})["data"]["total"] == 1


def test_a_login_gives_a_strict_httponly_expiring_cookie_and_a_csrf_token(client, job):
    response = login(client)
    answer = response.get_json()
    assert answer["retcode"] == 0 and answer["data"]["authenticated"] and answer["data"]["app_key"] == APP_KEY
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{board_access.COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert f"Max-Age={board_access.SESSION_SECONDS}" in cookie and "Path=/" in cookie
    assert SECRET not in cookie and SECRET not in response.get_data(as_text=True)
    csrf = answer["data"]["csrf_token"]
    assert session_of(client)["csrf_token"] == csrf
    assert list_page(client, csrf)["data"]["total"] == 1


def test_a_session_call_without_its_csrf_token_is_refused(client, job, refusals):
    login(client)
    for csrf in (None, "", "forged"):
        answer = list_page(client, csrf)
        assert answer["retcode"] == 109 and "CSRF token" in answer["retmsg"], answer
    stop = client.post("/v1/job/stop", json={"job_id": JOB}, environ_base=REMOTE).get_json()
    assert stop["retcode"] == 109
    notes = client.post("/v1/job/update", json={"job_id": JOB, "role": "guest", "party_id": 9999, "notes": "x"},
                        environ_base=REMOTE).get_json()
    assert notes["retcode"] == 109
    assert all(r["reason"].startswith("a board session must send its CSRF token") for r in refusals[-5:])


def test_notes_through_a_session(client, job):
    csrf = login(client).get_json()["data"]["csrf_token"]
    answer = client.post("/v1/job/update", json={"job_id": JOB, "role": "guest", "party_id": 9999, "notes": "ok"},
                         headers={board_access.CSRF_HEADER: csrf}, environ_base=REMOTE).get_json()
    assert answer["retcode"] == 0
    assert list_page(client, csrf)["data"]["jobs"][0]["f_description"] == "ok"


def test_wrong_secrets_are_refused_audited_and_throttled(client, job, refusals):
    for secret in ("nope", SECRET.upper()):
        answer = login(client, secret).get_json()
        assert answer["retcode"] == 109 and answer["retmsg"] == "unknown app key or wrong secret"
    assert login(client, app_key="someone").get_json()["retcode"] == 109
    assert refusals[-1] == {"event": "refused", "client": "10.20.30.40", "route": "/board/login",
                            "reason": "unknown app key or wrong secret", "app_key": "someone"}
    assert all(SECRET not in json.dumps(r) and "nope" not in json.dumps(r) for r in refusals)
    for _ in range(board_access.MAX_FAILURES - 3):
        login(client, "nope")
    answer = login(client).get_json()  # the right secret, too late
    assert answer["retcode"] == 109 and answer["retmsg"].startswith("too many failed logins from 10.20.30.40")
    assert login(client, peer={"REMOTE_ADDR": "10.20.30.41"}).get_json()["retcode"] == 0  # another address


def test_a_session_expires_and_a_logout_ends_it(client, app, job):
    access = runtime_of(app).board
    response = login(client)
    csrf = response.get_json()["data"]["csrf_token"]
    cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    started = access.clock()
    access.clock = lambda: started + board_access.SESSION_SECONDS + 1
    assert list_page(client, csrf)["retcode"] == 109 and session_of(client)["authenticated"] is False
    access.clock = lambda: started + 10
    logout = client.post("/board/logout", headers={board_access.CSRF_HEADER: csrf}, environ_base=REMOTE)
    assert logout.get_json()["retcode"] == 0 and f"{board_access.COOKIE}=;" in logout.headers["Set-Cookie"]
    client.set_cookie(board_access.COOKIE, cookie)  # the old cookie, kept by someone
    assert list_page(client, csrf)["retcode"] == 109


@pytest.mark.parametrize("cookie", ["", "x", "a.b", "e30.AAAA", "." * 2000])
def test_forged_cookies_are_no_session(client, job, cookie):
    client.set_cookie(board_access.COOKIE, cookie)
    assert session_of(client)["authenticated"] is False
    assert list_page(client, "anything")["retcode"] == 109


def test_a_tampered_session_is_no_session(client, job):
    response = login(client)
    cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    payload, signature = cookie.rsplit(".", 1)
    longer = board_access._b64(json.dumps({"k": APP_KEY, "e": 2 ** 40, "n": "0"}).encode())
    client.set_cookie(board_access.COOKIE, f"{longer}.{signature}")
    assert session_of(client)["authenticated"] is False


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"}])
def test_browser_requests_for_other_sites_are_refused_even_on_loopback(client, job, headers, refusals):
    answer = client.post("/v1/job/stop", json={"job_id": JOB}, headers=headers).get_json()
    assert answer["retcode"] == 109 and "refused" in answer["retmsg"], answer
    assert refusals[-1]["route"] == "/v1/job/stop"
    # the board's own requests and plain clients pass, also through a proxy that rewrites Host
    assert list_page(client, peer={}, **{"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"})["retcode"] == 0
    assert list_page(client, peer={}, **{"Sec-Fetch-Site": "same-origin", "Origin": "https://board.example"})[
        "retcode"] == 0
    assert list_page(client, peer={}, Origin="http://localhost")["retcode"] == 0  # an older browser
    assert list_page(client, peer={})["retcode"] == 0
    # a link from another site to the board's page still opens it
    assert client.get("/index.html", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
