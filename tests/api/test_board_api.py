"""The board's pages and its read endpoints: /index.html and the files under /board/, /v1/job/list/page
(filters, sort and paging in the database), /v1/job/overview and /v1/job/log/lines."""
import time

import pytest

from fate_flow.db.models import Job
from tests.api.job_rows import MS_2021, add_job, add_task, write_job_logs

pytestmark = pytest.mark.db


def post(client, path, **body):
    response = client.post(path, json=body)
    assert response.status_code == 200
    return response.get_json()


# ---------------------------------------------------------------------------------------------------- pages
def test_index_and_assets_are_served_with_a_strict_policy(client):
    index = client.get("/index.html")
    assert index.status_code == 200 and index.mimetype == "text/html"
    assert b'src="board/js/app.js"' in index.data and b'src="board/vendor/echarts.common.min.js"' in index.data
    policy = index.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    root = client.get("/")
    assert root.status_code == 302 and root.headers["Location"].endswith("/index.html")
    script = client.get("/board/js/app.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript", "application/javascript")
    assert client.get("/board/vendor/echarts.common.min.js").status_code == 200
    assert b"ECharts" in client.get("/board/vendor/README.md").data


@pytest.mark.parametrize("path", ["/board/../../settings.py", "/board/%2e%2e/%2e%2e/app.py", "/board/nope.js",
                                  "/board//etc/passwd"])
def test_nothing_outside_the_board_files_is_served(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert b"fate_flow" not in response.data.replace(b"fate_flow.", b"")  # no server path in the answer


# ------------------------------------------------------------------------------------------------ job list
@pytest.fixture
def many_jobs(app):
    """30 jobs (guest 9999 rows), every third failed, every fifth running; notes on a few; a host row too."""
    for i in range(30):
        status = "running" if i % 5 == 0 else "failed" if i % 3 == 0 else "success"
        add_job(f"2021033112000000{i:05d}", "guest", "9999", created=MS_2021 + i * 1000, f_status=status,
                f_description="tuned 100%_done" if i in (7, 8) else "", f_elapsed=1000 * (30 - i))
    add_job("202103311200000000007", "host", "10000", created=MS_2021 + 7000)


def page(client, **body):
    answer = post(client, "/v1/job/list/page", **body)
    assert answer["retcode"] == 0, answer
    return answer["data"]


def test_first_page_is_the_newest_with_the_total(client, many_jobs):
    data = page(client, page_size=10)
    assert data["total"] == 31 and data["page"] == 1 and data["page_size"] == 10
    assert [j["f_job_id"] for j in data["jobs"]][:3] == ["202103311200000000029", "202103311200000000028",
                                                         "202103311200000000027"]
    assert set(data["jobs"][0]) >= {"f_job_id", "f_role", "f_party_id", "f_status", "f_progress", "f_create_time",
                                    "f_start_time", "f_end_time", "f_elapsed", "f_description", "f_roles"}
    assert "f_dsl" not in data["jobs"][0] and "f_runtime_conf" not in data["jobs"][0]


def test_pages_cover_every_row_once(client, many_jobs):
    seen = []
    for number in range(1, 5):
        seen += [(j["f_job_id"], j["f_role"]) for j in page(client, page=number, page_size=10)["jobs"]]
    assert len(seen) == 31 and len(set(seen)) == 31
    assert page(client, page=5, page_size=10)["jobs"] == []


def test_filters(client, many_jobs):
    assert page(client, status="running")["total"] == 6
    assert page(client, status=["running", "failed"])["total"] == 6 + 8
    assert {j["f_role"] for j in page(client, role="host")["jobs"]} == {"host"}
    assert page(client, party_id=10000)["total"] == 1
    found = page(client, job_id="00000002", page_size=100)
    assert found["total"] == 11 and {j["f_job_id"][-2:] for j in found["jobs"]} == {"02", *map(str, range(20, 30))}
    assert page(client, notes="100%_d")["total"] == 2  # % and _ are matched literally
    assert page(client, notes="1000")["total"] == 0
    assert post(client, "/v1/job/list/page", job_id="%")["retcode"] == 101  # not a part of a job id
    created = page(client, create_time=[MS_2021 + 10_000, MS_2021 + 12_000])
    assert [j["f_job_id"][-2:] for j in created["jobs"]] == ["12", "11", "10"]
    assert page(client, create_time=[None, MS_2021 + 1000])["total"] == 2
    combined = page(client, status="success", role="guest", create_time=[MS_2021 + 8000, None], notes="tuned")
    assert [j["f_job_id"][-2:] for j in combined["jobs"]] == ["08"]


def test_sort(client, many_jobs):
    oldest = page(client, sort="create_time", order="asc", page_size=2)["jobs"]
    assert [j["f_job_id"][-2:] for j in oldest] == ["00", "01"]
    longest = page(client, sort="elapsed", page_size=1, role="guest")["jobs"][0]
    assert longest["f_job_id"][-2:] == "00"
    by_id = page(client, sort="job_id", order="asc", page_size=3)["jobs"]
    assert [(j["f_job_id"][-2:], j["f_role"]) for j in by_id] == [("00", "guest"), ("01", "guest"), ("02", "guest")]


@pytest.mark.parametrize("body, message", [
    ({"status": "done"}, "parameter status must be one of"),
    ({"status": ["running", 3]}, "parameter status must be one of"),
    ({"sort": "f_dsl"}, "parameter sort must be one of"),
    ({"order": "up"}, "parameter order must be one of"),
    ({"page": 0}, "parameter page must be between 1 and"),
    ({"page_size": 101}, "parameter page_size must be between 1 and 100"),
    ({"create_time": "2021-03-31"}, "parameter create_time must be [from, to]"),
    ({"create_time": ["yesterday", None]}, "parameter create_time[0] must be an integer"),
    ({"party_id": "9999; drop"}, "parameter party_id must be a party id"),
    ({"job_id": "x" * 26}, "parameter job_id must be a job id of at most 25 characters"),
])
def test_list_refusals_name_the_field(client, many_jobs, body, message):
    answer = post(client, "/v1/job/list/page", **body)
    assert answer["retcode"] == 101 and answer["retmsg"].startswith(message), answer


# ------------------------------------------------------------------------------------------------ overview
def test_overview_counts_jobs_the_queue_and_cores(client, app, settings):
    now = int(time.time() * 1000)
    add_job("202612010000000000001", "guest", "9999", created=now - 5000, f_status="running",
            f_cores=4, f_resource_in_use=True)
    add_job("202612010000000000001", "host", "10000", created=now - 5000, f_status="running",
            f_cores=4, f_resource_in_use=True)
    add_job("202612010000000000002", "guest", "9999", created=now - 3000, f_status="waiting", f_cores=8)
    add_job("202612010000000000003", "guest", "9999", created=now - 2000, f_status="waiting", f_cores=2)
    add_job("202612010000000000004", "guest", "9999", created=now - 9000, f_status="failed", f_end_time=now - 100)
    add_job("202103311200000000001", "guest", "9999", f_status="success")  # ended long before today
    data = post(client, "/v1/job/overview")["data"]
    assert data["jobs"]["running"] == 1 and data["jobs"]["waiting"] == 2
    assert data["jobs"]["ended_today"] == {"canceled": 0, "failed": 1, "success": 0, "timeout": 0}
    assert [q["job_id"] for q in data["queue"]] == ["202612010000000000002", "202612010000000000003"]
    assert data["queue"][0]["cores"] == 8 and data["queue"][0]["initiator"] == {"role": "guest", "party_id": "10000"}
    parties = {p["party_id"]: p for p in data["parties"]}
    assert set(parties) == {str(p) for p in settings.fateflow.party_ids}
    capacity = settings.resources.cores_of(9999)
    assert parties["9999"] == {"party_id": "9999", "cores": capacity, "used": 4, "free": capacity - 4,
                               "running_jobs": 1}


# ----------------------------------------------------------------------------------------------- log lines
JOB = "202103311200000000001"


def record(level, pid, text):
    return f"[{level}] [2021-03-31 12:00:00,000] [{JOB}] [{pid}:1] - x.py[line:1]: {text}\n"


@pytest.fixture
def logged(app, settings):
    add_job(JOB, "guest", "10000")
    add_task(JOB, "reader_0", version=0, status="failed", f_run_pid=111)
    add_task(JOB, "reader_0", version=1, status="success", f_run_pid=222)
    debug = (record("INFO", 111, "first try") + record("DEBUG", 111, "detail")
             + record("ERROR", 111, "broke") + "Traceback (most recent call last):\n  boom\n"
             + record("INFO", 222, "second try") + record("WARNING", 222, "slow"))
    write_job_logs(settings.home, JOB, {
        "guest/10000/reader_0/DEBUG.log": debug,
        "guest/10000/reader_0/std.log": "plain output\n",
        "fate_flow_schedule.log": record("INFO", 9, "job created") + record("ERROR", 9, "job failed"),
    })
    return debug


def lines(client, **body):
    answer = post(client, "/v1/job/log/lines", job_id=JOB, **body)
    assert answer["retcode"] == 0, answer
    return answer["data"]


def at(**body):
    return {"role": "guest", "party_id": 10000, "component_name": "reader_0", **body}


def test_component_log_with_levels_versions_and_sources(client, logged):
    every = lines(client, **at())
    assert len(every["lines"]) == 7 and every["offset"] == every["size"] == len(logged.encode())
    assert every["versions"] == [{"version": 0, "status": "failed", "start_time": None, "end_time": None},
                                 {"version": 1, "status": "success", "start_time": None, "end_time": None}]
    info = lines(client, **at(level="INFO"))["lines"]
    assert [line.split(": ", 1)[-1] if line.startswith("[") else line for line in info] == [
        "first try", "broke", "Traceback (most recent call last):", "  boom", "second try", "slow"]
    errors = lines(client, **at(level="ERROR"))["lines"]
    assert errors[0].endswith("broke") and errors[1:] == ["Traceback (most recent call last):", "  boom"]
    first = lines(client, **at(task_version=0))["lines"]
    assert len(first) == 5 and all("second" not in line for line in first)
    second = lines(client, **at(task_version=1, level="WARNING"))["lines"]
    assert len(second) == 1 and second[0].endswith("slow")
    assert lines(client, **at(source="std"))["lines"] == ["plain output"]
    schedule = lines(client, role="guest", party_id=10000, level="ERROR")["lines"]
    assert len(schedule) == 1 and schedule[0].endswith("job failed")
    assert len(lines(client)["lines"]) == 2  # the initiator's view when no party is named


def test_following_a_log_from_its_offset_reads_only_what_was_added(client, logged, settings):
    first = lines(client, **at())
    path = settings.logs_dir / JOB / "guest" / "10000" / "reader_0" / "DEBUG.log"
    with open(path, "a") as f:
        f.write(record("INFO", 222, "more") + "[INFO] half a li")
    added = lines(client, **at(offset=first["offset"]))
    assert [line[-4:] for line in added["lines"]] == ["more"]
    with open(path, "a") as f:
        f.write("ne\n")
    rest = lines(client, **at(offset=added["offset"]))
    assert rest["lines"] == ["[INFO] half a line"] and rest["offset"] == rest["size"]
    assert lines(client, **at(offset=rest["offset"]))["lines"] == []
    beyond = lines(client, **at(offset=rest["size"] + 1000))  # a replaced log starts over at its tail
    assert beyond["from"] == 0 and len(beyond["lines"]) == 9


def test_the_tail_starts_at_a_whole_line(client, logged, settings):
    from fate_flow.services.jobs import log_lines
    path = settings.logs_dir / JOB / "guest" / "10000" / "reader_0" / "DEBUG.log"
    path.write_text(record("INFO", 222, "x" * 100) * (log_lines.TAIL_BYTES // 100))
    tail = lines(client, **at())
    assert tail["from"] > 0 and all(line.startswith("[INFO]") for line in tail["lines"])
    assert tail["offset"] == tail["size"] and tail["size"] - tail["from"] <= log_lines.TAIL_BYTES


def test_no_log_yet_is_an_empty_answer(client, logged):
    add_task(JOB, "dataio_0", role="guest", party_id="10000")
    answer = lines(client, **at(component_name="dataio_0"))
    assert answer["lines"] == [] and answer["size"] == 0


@pytest.mark.parametrize("body, retcode, message", [
    ({"role": "guest", "party_id": 10000, "component_name": "ghost_0"}, 101, "component ghost_0 is not in job"),
    ({"component_name": "reader_0"}, 100, "parameters role and party_id are required with component_name"),
    ({"role": "guest"}, 100, "parameters role and party_id go together"),
    ({"role": "arbiter", "party_id": 1, "component_name": "reader_0"}, 101, "can not found this job"),
    ({"role": "guest", "party_id": 10000, "level": "TRACE"}, 101, "parameter level must be one of"),
    ({"role": "guest", "party_id": 10000, "offset": -1}, 101, "parameter offset must be between 0 and"),
    ({"role": "guest", "party_id": 10000, "component_name": "reader_0", "source": "../x"}, 101,
     "parameter source must be one of"),
])
def test_log_refusals(client, logged, body, retcode, message):
    answer = post(client, "/v1/job/log/lines", job_id=JOB, **body)
    assert answer["retcode"] == retcode and message in answer["retmsg"], answer


def test_a_component_name_cannot_lead_out_of_the_logs(client, app, settings):
    add_job(JOB, "guest", "10000", f_dsl={"components": {"../../../../secret": {"module": "Reader"}}})
    (settings.home / "secret").mkdir(parents=True, exist_ok=True)
    (settings.home / "secret" / "DEBUG.log").write_text("[INFO] secret\n")
    answer = post(client, "/v1/job/log/lines", job_id=JOB, role="guest", party_id=10000,
                  component_name="../../../../secret")
    assert answer["retcode"] == 101 and "secret" not in str(answer.get("data"))
    assert Job.select().count() == 1
