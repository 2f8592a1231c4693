#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run) and as the README tells a fresh machine to:
#   1. bin/install.sh '.[test,spark]'   project venv .venv with fate_flow, its test extras and pyspark
#   1b. bin/java.sh               a Java runtime for the Spark engine (apt-get installs a headless JRE if missing)
#   1c. bin/chromium.sh           Chromium and its WebDriver for the board's browser tests (apt-get on first use)
#   2. bin/mariadb.sh start       a private MariaDB on loopback (apt-get installs it on first use)
#   3. bin/client_venv.sh         .venv-client with the real fate-client 1.6.1 (flow CLI, flow_sdk, pipeline)
#   4. pytest tests/              everything, on SQLite
#   5. pytest tests/ -m db        the database tests again, on MariaDB (FATE_FLOW_TEST_DB=mysql://...)
#   6. bin/mariadb.sh stop
# Extra arguments go to both pytest runs (e.g. -x, -k name). Exits non-zero if any step or test failed;
# the last line is the combined count: "total: N passed, N failed, N skipped".
# FATE_FLOW_SKIP_MARIADB=1 skips steps 2, 5 and 6 (a machine where MariaDB cannot be installed).
# FATE_FLOW_SKIP_SPARK=1 skips pyspark and step 1b: the Spark engine's tests then skip instead of failing
# (otherwise FATE_FLOW_REQUIRE_SPARK=1 makes a missing pyspark/java a test failure).
# FATE_FLOW_SKIP_BROWSER=1 skips step 1c: the board's browser tests then skip instead of failing
# (otherwise FATE_FLOW_REQUIRE_BROWSER=1 makes a missing chromium/chromedriver a test failure).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
REPORTS="$(mktemp -d "${TMPDIR:-/tmp}/fate_flow_test.XXXXXX")"
STARTED=$SECONDS
declare -a SUMMARY=()
FAILED=0
MARIADB_STARTED=0

say() { echo; echo "==== test.sh: $* ===="; }
record() {  # record NAME STATUS
    SUMMARY+=("$(printf '%-44s %s' "$1" "$2")")
    if [[ "$2" != ok* && "$2" != skipped* ]]; then FAILED=1; fi
}

cleanup() {
    if [[ "$MARIADB_STARTED" == 1 ]]; then
        bash "$ROOT/bin/mariadb.sh" stop || true
        MARIADB_STARTED=0
    fi
    rm -rf "$REPORTS"
}
trap cleanup EXIT

step() {  # step NAME command...: run a setup step, record its outcome, never abort the script
    local name="$1" rc=0; shift
    say "$name"
    "$@" || rc=$?
    if [[ "$rc" == 0 ]]; then record "$name" ok; return 0; fi
    record "$name" "FAILED (exit $rc)"
    return 1
}

run_pytest() {  # run_pytest NAME REPORT_NAME TEST_DB_URL pytest-args...  (empty URL: SQLite)
    local name="$1" report="$REPORTS/$2.xml" url="$3" rc=0; shift 3
    say "$name"
    # the suite picks its database from FATE_FLOW_TEST_DB: set exactly as asked, whatever the caller exported
    if [[ -n "$url" ]]; then
        FATE_FLOW_TEST_DB="$url" "$PY" -m pytest --junitxml="$report" "$@" || rc=$?
    else
        env -u FATE_FLOW_TEST_DB "$PY" -m pytest --junitxml="$report" "$@" || rc=$?
    fi
    case "$rc" in
        0) record "$name" "ok$(counts "$report")" ;;
        5) record "$name" "ok (no tests collected)" ;;
        *) record "$name" "FAILED (pytest exit $rc)$(counts "$report")" ;;
    esac
}

counts() {  # ", N passed, N failed, N skipped" from a junit xml report
    [[ -f "$1" ]] || return 0
    "$PY" - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
failed = t["failures"] + t["errors"]
print(f": {t['tests'] - failed - t['skipped']} passed, {failed} failed, {t['skipped']} skipped", end="")
PY
}

EXTRAS="test,spark"
if [[ "${FATE_FLOW_SKIP_SPARK:-}" == 1 ]]; then EXTRAS="test"; fi
if ! step "install (.venv, fate_flow[$EXTRAS])" bash "$ROOT/bin/install.sh" ".[$EXTRAS]"; then
    echo "test.sh: cannot install the project; nothing to test" >&2
    printf '%s\n' "${SUMMARY[@]}"
    exit 1
fi

if [[ "${FATE_FLOW_SKIP_SPARK:-}" == 1 ]]; then
    record "Java for Spark" "skipped (FATE_FLOW_SKIP_SPARK=1)"
else
    export FATE_FLOW_REQUIRE_SPARK=1
    step "Java for Spark (bin/java.sh)" bash "$ROOT/bin/java.sh" || true
fi

if [[ "${FATE_FLOW_SKIP_BROWSER:-}" == 1 ]]; then
    record "Chromium for the board" "skipped (FATE_FLOW_SKIP_BROWSER=1)"
else
    export FATE_FLOW_REQUIRE_BROWSER=1
    step "Chromium for the board (bin/chromium.sh)" bash "$ROOT/bin/chromium.sh" || true
fi

DB_URL=""
if [[ "${FATE_FLOW_SKIP_MARIADB:-}" == 1 ]]; then
    record "MariaDB" "skipped (FATE_FLOW_SKIP_MARIADB=1)"
elif step "MariaDB (bin/mariadb.sh start)" bash "$ROOT/bin/mariadb.sh" start; then
    MARIADB_STARTED=1
    DB_URL="$(bash "$ROOT/bin/mariadb.sh" url)"
fi

step "fate-client venv (bin/client_venv.sh)" bash "$ROOT/bin/client_venv.sh" || true

run_pytest "pytest tests/ (SQLite)" sqlite "" tests "$@"

if [[ -n "$DB_URL" ]]; then
    run_pytest "pytest tests/ -m db (MariaDB)" mariadb "$DB_URL" tests -m db "$@"
elif [[ "${FATE_FLOW_SKIP_MARIADB:-}" != 1 ]]; then
    record "pytest tests/ -m db (MariaDB)" "NOT RUN (no MariaDB)"
fi
cleanup_rc=0
if [[ "$MARIADB_STARTED" == 1 ]]; then
    say "MariaDB stop"
    bash "$ROOT/bin/mariadb.sh" stop || cleanup_rc=$?
    MARIADB_STARTED=0
    if [[ "$cleanup_rc" == 0 ]]; then record "MariaDB stop" ok; else record "MariaDB stop" "FAILED (exit $cleanup_rc)"; fi
fi

TOTAL="$("$PY" - "$REPORTS" <<'PY'
import pathlib, sys, xml.etree.ElementTree as ET
t = dict(tests=0, failures=0, errors=0, skipped=0)
for report in pathlib.Path(sys.argv[1]).glob("*.xml"):
    root = ET.parse(report).getroot()
    for s in [root] if root.tag == "testsuite" else root.findall("testsuite"):
        for k in t:
            t[k] += int(s.get(k, 0))
failed = t["failures"] + t["errors"]
print(f"{t['tests'] - failed - t['skipped']} passed, {failed} failed, {t['skipped']} skipped")
PY
)"

echo
echo "==== test.sh summary ($((SECONDS - STARTED))s) ===="
printf '%s\n' "${SUMMARY[@]}"
if [[ "$FAILED" == 0 ]]; then echo "result: OK"; else echo "result: FAILED"; fi
echo "total: $TOTAL"
exit "$FAILED"
