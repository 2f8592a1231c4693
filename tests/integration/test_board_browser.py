"""The board in a real browser (headless Debian Chromium through Selenium) against a real server that ran the
flagship hetero LR job: the job list shows it, its DAG has 7 nodes coloured success, clicking evaluation_0 draws
the ROC curve from the job's own points, the log tab shows that component's lines; a running job's page changes
without a reload and the page's Stop button stops the job on every party."""
from __future__ import annotations

import json
import os

import pytest
import requests

from fate_flow.settings import PROJECT_ROOT
from tests import browser
from tests.integration.test_example_jobs import cli, wait_for
from tests.server_process import make_server

pytestmark = pytest.mark.slow

EXAMPLES = PROJECT_ROOT / "examples"
SUCCESS_STROKE = "rgb(31, 169, 113)"  # --success of board.css
GUEST = {"role": "guest", "party_id": 9999}


@pytest.fixture(scope="module", autouse=True)
def needs_a_browser():
    reason = browser.missing()
    if reason:
        if os.environ.get("FATE_FLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FATE_FLOW_REQUIRE_BROWSER=1 but the browser cannot run: {reason}")
        pytest.skip(reason)


def submit(server, conf_path) -> str:
    rc, answer = cli(server, "-f", "submit_job", "-c", str(conf_path), "-d",
                     str(EXAMPLES / "test_hetero_lr_job_dsl.json"))
    assert rc == 0 and answer["retcode"] == 0, answer
    return answer["jobId"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = make_server(tmp_path_factory.mktemp("board"), party_ids=(9999, 10000)).start()
    try:
        for conf in ("upload_guest.json", "upload_host.json"):
            rc, answer = cli(server, "-f", "upload", "-c", f"examples/{conf}", "-drop", "1")
            assert rc == 0 and answer["retcode"] == 0, answer
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def flagship(server) -> str:
    job_id = submit(server, EXAMPLES / "test_hetero_lr_job_conf.json")
    assert set(wait_for(server, job_id, timeout=300).values()) == {"success"}
    return job_id


@pytest.fixture(scope="module")
def driver():
    with browser.chromium() as driver:
        yield driver


def url(server, fragment: str) -> str:
    return f"{server.base_url}/index.html#/{fragment}"


def dashboard(job_id: str, **extra) -> str:
    query = f"job_id={job_id}&role=guest&party_id=9999"
    return ("details?" if extra else "dashboard?") + query + "".join(f"&{k}={v}" for k, v in extra.items())


def api(server, path, **body):
    answer = server.post(path, json=body).json()
    assert answer["retcode"] == 0, answer
    return answer["data"]


def test_the_list_shows_the_finished_flagship_job(server, flagship, driver):
    driver.get(url(server, "jobs"))
    row = f'#job-table tr[data-job-id="{flagship}"][data-role="guest"]'
    status = browser.wait_until(lambda: driver.execute_script(
        "const r = document.querySelector(arguments[0]); return r && r.dataset.status", row), what="the job's row")
    assert status == "success"
    texts = driver.execute_script("return [...document.querySelector(arguments[0]).cells].map(c => c.innerText)", row)
    assert texts[1] == flagship and texts[4] == "success" and "100%" in texts[5]
    driver.find_element("css selector", f"{row} td.notes a.edit").click()  # notes, edited in place
    notes = browser.wait_until(lambda: driver.find_element("css selector", f"{row} td.notes input"))
    notes.clear()
    notes.send_keys("first flagship run")
    driver.find_element("css selector", f"{row} td.notes button").click()
    browser.wait_until(lambda: api(server, "/v1/job/query", job_id=flagship, role="guest", party_id=9999)[0][
        "f_description"] == "first flagship run", what="the notes saved")
    driver.get(url(server, f"jobs?job_id={flagship[-6:]}&status=failed"))  # filtered in the database
    browser.wait_until(lambda: driver.execute_script(
        "return document.querySelector('#job-table')?.dataset.total === '0'"), what="the filtered list")


def test_the_dag_shows_seven_nodes_coloured_success(server, flagship, driver):
    driver.get(url(server, dashboard(flagship)))
    nodes = browser.wait_until(lambda: driver.execute_script(
        "const n = [...document.querySelectorAll('.dag-node')];"
        "return n.length === 7 && n.every(x => x.dataset.status === 'success') &&"
        " n.map(x => [x.dataset.component, getComputedStyle(x.querySelector('rect')).stroke])"), what="7 green nodes")
    dsl = json.loads((EXAMPLES / "test_hetero_lr_job_dsl.json").read_text())
    assert sorted(name for name, _ in nodes) == sorted(dsl["components"])
    assert {stroke for _, stroke in nodes} == {SUCCESS_STROKE}
    edges = driver.execute_script("return [...document.querySelectorAll('.dag-edge')].map(e => "
                                  "[e.dataset.from, e.dataset.to, e.dataset.type])")
    assert ["hetero_feature_binning_0", "hetero_feature_selection_0", "model"] in edges
    assert ["hetero_lr_0", "evaluation_0", "data"] in edges


def test_clicking_evaluation_draws_the_roc_curve_from_the_jobs_points(server, flagship, driver):
    driver.get(url(server, dashboard(flagship)))
    roc = '[data-metric-type="ROC_EVALUATION"]'
    node = lambda name: driver.find_element("css selector", f'.dag-node[data-component="{name}"]')  # noqa: E731
    browser.wait_until(lambda: browser.chart_series(driver, roc), what="the ROC of the job's evaluation, shown first")
    browser.wait_until(lambda: node("hetero_feature_binning_0")).click()
    browser.wait_until(lambda: driver.execute_script(
        "return document.querySelector('#component-name')?.textContent === 'hetero_feature_binning_0' &&"
        " !document.querySelector(arguments[0])", roc), what="the binning component instead")
    node("evaluation_0").click()
    browser.wait_until(lambda: "#/details?" in driver.current_url and "component_name=evaluation_0" in driver.current_url)
    series = browser.wait_until(lambda: browser.chart_series(driver, roc), what="the ROC chart")
    recorded = api(server, "/v1/tracking/component/metric_data", job_id=flagship, component_name="evaluation_0",
                   metric_namespace="train", metric_name="hetero_lr_0_roc", **GUEST)
    assert series[0]["name"] == "hetero_lr_0" and len(recorded) > 10
    assert [list(map(float, p)) for p in series[0]["data"]] == [list(map(float, p)) for p in recorded]
    auc = driver.execute_script("return document.querySelector('table.evaluation-summary td[data-key=auc]').innerText")
    assert float(auc) > 0.98


def test_the_log_tab_shows_the_lines_of_that_component(server, flagship, driver):
    driver.get(url(server, dashboard(flagship, component_name="evaluation_0")))
    browser.wait_until(lambda: driver.find_element("css selector", '#component .tabs [data-tab="log"]')).click()
    lines = browser.wait_until(lambda: driver.execute_script(
        "const p = document.querySelector('#component pre.log');"
        "return p && p.childNodes.length && [...p.childNodes].map(n => n.textContent.trimEnd())"), what="log lines")
    expected = api(server, "/v1/job/log/lines", job_id=flagship, component_name="evaluation_0", level="INFO", **GUEST)
    assert lines == expected["lines"]
    assert any("running evaluation_0 (Evaluation) as guest 9999" in line for line in lines)


@pytest.fixture(scope="module")
def long_job(server, tmp_path_factory) -> str:
    """The flagship job with 300 LR iterations that never converge early: it runs long enough to be watched and
    stopped."""
    conf = json.loads((EXAMPLES / "test_hetero_lr_job_conf.json").read_text())
    conf["component_parameters"]["common"]["hetero_lr_0"].update(max_iter=300, tol=0)
    path = tmp_path_factory.mktemp("long") / "conf.json"
    path.write_text(json.dumps(conf))
    return submit(server, path)


def test_a_running_jobs_page_changes_without_a_reload(server, long_job, driver):
    driver.get(url(server, dashboard(long_job)))
    first = browser.wait_until(lambda: driver.execute_script(
        "const n = [...document.querySelectorAll('.dag-node')];"
        "return n.length === 7 && n.map(x => x.dataset.status)"), what="the DAG")
    assert first.count("success") < 7
    driver.execute_script("window.notReloaded = true")
    changed = browser.wait_until(lambda: driver.execute_script(
        "const n = [...document.querySelectorAll('.dag-node')].map(x => x.dataset.status);"
        "return JSON.stringify(n) !== arguments[0] && n", json.dumps(first, separators=(",", ":"))), timeout=120,
        what="a status change on the page")
    assert changed != first and driver.execute_script("return window.notReloaded === true")
    browser.wait_until(lambda: driver.execute_script(
        "return document.querySelector('#info-status')?.dataset.status === 'running'"), timeout=120,
        what="the job shown running")


def test_stop_from_the_page_stops_the_job(server, long_job, driver):
    driver.get(url(server, dashboard(long_job)))
    stop = browser.wait_until(lambda: driver.execute_script(
        "const b = document.querySelector('#stop-job'); return b && !b.disabled && b"), what="an enabled Stop")
    stop.click()
    browser.wait_until(lambda: driver.find_element("css selector", '#modal [data-action="Stop the job"]')).click()
    browser.wait_until(lambda: driver.execute_script(
        "return document.querySelector('#info-status')?.dataset.status === 'canceled'"), timeout=120,
        what="the job shown canceled")
    assert set(wait_for(server, long_job, timeout=60).values()) == {"canceled"}
    assert driver.execute_script("return document.querySelector('#stop-job').disabled")


def test_the_board_files_come_from_this_server_only(server):
    index = requests.get(f"{server.base_url}/index.html", timeout=10).text
    assert "http://" not in index and "https://" not in index


def test_from_elsewhere_the_board_asks_for_an_app_key_and_holds_a_session(tmp_path):
    """A server that answers nobody unsigned (unsigned_from: []) treats this browser as one from elsewhere."""
    secret = "a3f1c2e4b5d6978812345678deadbeef"
    server = make_server(tmp_path, extra_conf={"http_auth": {"clients": {"analyst": secret},
                                                             "unsigned_from": []}}).start()
    try:
        with browser.chromium() as driver:
            driver.get(url(server, "jobs"))
            browser.wait_until(lambda: "#/login" in driver.current_url, what="the login page")
            driver.find_element("id", "app-key").send_keys("analyst")
            driver.find_element("id", "secret").send_keys("wrong")
            driver.find_element("id", "login").click()
            browser.wait_until(lambda: "wrong secret" in driver.find_element("css selector", ".flash").text)
            driver.find_element("id", "secret").send_keys(secret)
            driver.find_element("id", "login").click()
            browser.wait_until(lambda: driver.execute_script(
                "return document.querySelector('#job-table')?.dataset.total === '0'"), what="the job list")
            [cookie] = driver.get_cookies()
            assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and secret not in cookie["value"]
            assert driver.execute_script("return document.cookie") == ""  # out of the page scripts' reach
            assert "analyst" in driver.find_element("id", "who").text
            driver.find_element("id", "logout").click()
            browser.wait_until(lambda: "#/login" in driver.current_url, what="the login page after logout")
            assert driver.get_cookies() == []
    finally:
        server.stop()
