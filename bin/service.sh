#!/usr/bin/env bash
# Run the fate_flow server (gunicorn, the `fate_flow_server` entry point) in the background.
#
#   bin/service.sh start     start it; refuses (exit 1) when the pid in the pid file is alive; waits until
#                            /v1/version/get answers and prints the address, or fails showing the log tail
#   bin/service.sh stop      TERM, wait, then KILL the process group; removes a stale pid file (exit 0); then
#                            ends what task workers of this FATE_FLOW_HOME are left (a server killed with
#                            SIGKILL leaves its running tasks behind; a server stopped with TERM ends them)
#   bin/service.sh status    prints "running (pid N) ..." and exits 0, or "stopped" and exits 1
#   bin/service.sh restart   stop, then start
#   bin/service.sh start|stop|status|restart serving
#                            the same for the bundled online serving (`python -m fate_flow.serving`, the conf's
#                            `serving:` section): pid file FATE_FLOW_HOME/fate_flow_serving.pid, logs under
#                            log.dir/fate_flow_serving/; start waits until POST /serving/status answers
#
# Environment:
#   FATE_FLOW_CONF           service conf (default: conf/service_conf.yaml in the checkout)
#   FATE_FLOW_HOME           database, data, logs, pid file (default: fate_flow_home/ in the checkout)
#   FATE_FLOW_START_TIMEOUT  seconds start waits for the server to answer (default 60)
#   FATE_FLOW_STOP_TIMEOUT   seconds stop waits after TERM before KILL (default 30)
#
# Files: pid file FATE_FLOW_HOME/fate_flow.pid (written by gunicorn, the master's pid); server logs under the
# conf's log.dir (default FATE_FLOW_HOME/logs)/fate_flow/, stdout+stderr in console.log there.
# The server runs from the checkout's .venv when it exists, else `fate_flow_server` on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FATE_FLOW_HOME="${FATE_FLOW_HOME:-$ROOT/fate_flow_home}"
START_TIMEOUT="${FATE_FLOW_START_TIMEOUT:-60}"
STOP_TIMEOUT="${FATE_FLOW_STOP_TIMEOUT:-30}"
TARGET="${2:-server}"
case "$TARGET" in
    server) WHAT="fate_flow server"; PROBE_PATH="/v1/version/get"; PORT_KEY="fateflow.http_port" ;;
    serving) WHAT="fate_flow serving"; PROBE_PATH="/serving/status"; PORT_KEY="serving.http_port" ;;
    *) echo "usage: $0 start|stop|status|restart [serving]" >&2; exit 2 ;;
esac

say() { echo "service.sh: $*"; }
die() { echo "service.sh: error: $1" >&2; exit "${2:-1}"; }

if [[ -x "$ROOT/.venv/bin/fate_flow_server" ]]; then
    SERVER="$ROOT/.venv/bin/fate_flow_server"
    PY="$ROOT/.venv/bin/python"
elif SERVER="$(command -v fate_flow_server)"; then
    PY="$(sed -n '1s/^#![[:space:]]*//p' "$SERVER")"  # the interpreter fate_flow is installed in
    [[ -x "$PY" ]] || PY="$(command -v python3)"
else
    die "fate_flow_server not found: run bin/install.sh (creates $ROOT/.venv) or install fate_flow on PATH" 2
fi

# host, port, pid file and log dir as the server itself will read them (one python call, no shell parsing)
read_conf() {
    "$PY" -c '
import sys
from fate_flow.settings import SettingsError, load_settings
try:
    s = load_settings()
    if sys.argv[1] == "serving":
        import logging
        logging.disable(logging.WARNING)  # route table notes belong in the serving log, not here
        from fate_flow.serving.settings import serving_pid_file, serving_settings
        v = serving_settings(s)
        print(v.host, v.http_port, serving_pid_file(s), s.logs_dir / "fate_flow_serving", "", sep="\n")
    else:
        print(s.fateflow.host, s.fateflow.http_port, s.pid_file, s.logs_dir / "fate_flow", s.home, sep="\n")
except (SettingsError, ValueError) as e:
    sys.exit(f"service.sh: error: {e}")
' "$TARGET"
}
{ read -r HOST; read -r PORT; read -r PID_FILE; read -r LOG_DIR; read -r HOME_DIR; } < <(read_conf) || true
[[ -n "${LOG_DIR:-}" ]] || die "cannot read the service conf (FATE_FLOW_CONF=${FATE_FLOW_CONF:-conf/service_conf.yaml})" 2
CONSOLE_LOG="$LOG_DIR/console.log"
PROBE_HOST="$HOST"
case "$HOST" in 0.0.0.0|"") PROBE_HOST=127.0.0.1 ;; ::|"[::]") PROBE_HOST="::1" ;; esac
[[ "$PROBE_HOST" == *:* ]] && PROBE_HOST="[$PROBE_HOST]"
ADDRESS="http://$PROBE_HOST:$PORT"

alive() {  # a zombie (exited, not yet reaped: e.g. when PID 1 does not reap orphans) counts as gone
    kill -0 "$1" 2>/dev/null || return 1
    local state=""
    if [[ -r "/proc/$1/stat" ]]; then state="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null || true)"; fi
    [[ "$state" != Z ]]
}

# the pid from the pid file when that process is alive and is a fate_flow server
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' < "$PID_FILE")"
    [[ -n "$pid" ]] && alive "$pid" || return 1
    if [[ -r "/proc/$pid/cmdline" ]] && ! tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "fate_flow"; then
        return 1  # the pid was reused by an unrelated process: the pid file is stale
    fi
    echo "$pid"
}

answers() {  # exit 0 when the probe path (/v1/version/get, /serving/status) answers with retcode 0, or 109
            # (a server whose http_auth wants signed requests from here too refuses the unsigned probe: it is up)
    "$PY" -c '
import json, sys, urllib.request
try:
    with urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{}", method="POST",
                                headers={"Content-Type": "application/json"}), timeout=2) as r:
        sys.exit(0 if json.load(r).get("retcode") in (0, 109) else 1)
except Exception:
    sys.exit(1)
' "$ADDRESS$PROBE_PATH"
}

show_log_tail() {
    local f
    for f in "$CONSOLE_LOG" "$LOG_DIR/gunicorn.log" "$LOG_DIR/serving.log"; do
        if [[ -s "$f" ]]; then
            echo "---- last lines of $f ----" >&2
            tail -n 25 "$f" >&2
        fi
    done
}

cmd_start() {
    local pid
    if pid="$(running_pid)"; then
        die "already running (pid $pid, pid file $PID_FILE); not starting a second $WHAT"
    fi
    if [[ -f "$PID_FILE" ]]; then
        say "removing stale pid file $PID_FILE"
        rm -f "$PID_FILE"
    fi
    if answers; then  # another server (another FATE_FLOW_HOME) already serves this address
        die "a $WHAT already answers on $ADDRESS but not the one of $PID_FILE; stop it, or give this one another ${PORT_KEY}"
    fi
    mkdir -p "$FATE_FLOW_HOME" "$LOG_DIR"
    echo "==== $(date '+%Y-%m-%d %H:%M:%S') service.sh start ====" >> "$CONSOLE_LOG"
    # setsid: the server gets its own session and process group, so it outlives this shell and stop can
    # signal the whole group; nohup and setsid exec, so $! is gunicorn's master pid (or the serving's)
    if [[ "$TARGET" == serving ]]; then
        nohup setsid "$PY" -m fate_flow.serving </dev/null >> "$CONSOLE_LOG" 2>&1 &
    else
        nohup setsid "$SERVER" </dev/null >> "$CONSOLE_LOG" 2>&1 &
    fi
    pid=$!
    echo "$pid" > "$PID_FILE"  # gunicorn rewrites it with the same pid (and removes it on exit)
    local deadline=$((SECONDS + START_TIMEOUT))
    while ! answers; do
        if ! alive "$pid"; then
            rm -f "$PID_FILE"
            show_log_tail
            die "$WHAT exited during start-up (see $CONSOLE_LOG)"
        fi
        if (( SECONDS >= deadline )); then
            show_log_tail
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            rm -f "$PID_FILE"
            die "$WHAT did not answer on $ADDRESS within ${START_TIMEOUT}s; killed pid $pid"
        fi
        sleep 0.5
    done
    say "started (pid $pid) on $ADDRESS; home $FATE_FLOW_HOME, logs $LOG_DIR"
}

# task workers of this home still running (their environment names the home in FATE_FLOW_WORKER_OF): TERM,
# then KILL after 5 s; prints how many there were
stop_task_workers() {
    [[ -n "${HOME_DIR:-}" ]] || return 0
    "$PY" -c '
import sys, psutil
marker = sys.argv[1]
procs = []
for p in psutil.process_iter(["environ", "status"]):
    try:
        if (p.info["environ"] or {}).get("FATE_FLOW_WORKER_OF") == marker and p.info["status"] != psutil.STATUS_ZOMBIE:
            procs.append(p)
    except psutil.Error:
        pass
for p in procs:
    try:
        p.terminate()
    except psutil.Error:
        pass
_, alive = psutil.wait_procs(procs, timeout=5)
for p in alive:
    try:
        p.kill()
    except psutil.Error:
        pass
psutil.wait_procs(alive, timeout=5)
print(len(procs))
' "$HOME_DIR"
}

cmd_stop() {
    local pid left
    if ! pid="$(running_pid)"; then
        if [[ -f "$PID_FILE" ]]; then
            rm -f "$PID_FILE"
            say "stopped (removed stale pid file $PID_FILE)"
        else
            say "stopped (was not running)"
        fi
        left="$(stop_task_workers)"
        [[ "${left:-0}" == 0 ]] || say "ended $left task worker processes left by an earlier run"
        return 0
    fi
    say "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid"; do
        if (( SECONDS >= deadline )); then
            say "pid $pid still alive after ${STOP_TIMEOUT}s; sending KILL to its process group"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            local kill_deadline=$((SECONDS + 10))
            while alive "$pid" && (( SECONDS < kill_deadline )); do sleep 0.2; done
            alive "$pid" && die "pid $pid survived KILL"
            break
        fi
        sleep 0.2
    done
    rm -f "$PID_FILE"
    left="$(stop_task_workers)"
    [[ "${left:-0}" == 0 ]] || say "ended $left task worker processes still running"
    say "stopped (pid $pid)"
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        if answers; then
            echo "running (pid $pid) on $ADDRESS"
        else
            echo "running (pid $pid), not answering on $ADDRESS"
        fi
        return 0
    fi
    echo "stopped"
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_stop; cmd_start ;;
    *) echo "usage: $0 start|stop|status|restart [serving]" >&2; exit 2 ;;
esac
