#!/usr/bin/env bash
# A private MariaDB server for the database tests: its own datadir, socket, pid file and port on 127.0.0.1.
# It never touches a system MariaDB/MySQL and does not use systemd.
#
#   bin/mariadb.sh start    install mariadb-server (apt) if missing, start the server, create the test database
#   bin/mariadb.sh stop     shut the private server down (no-op when it is not running)
#   bin/mariadb.sh status   "running (pid N)" / "stopped", exit 0 / 1
#   bin/mariadb.sh url      print the mysql:// URL of the test database
#
# Environment (all optional):
#   FATE_FLOW_MARIADB_DIR   where datadir, socket, pid and log live (default: /tmp/fate_flow_mariadb-KEY)
#   FATE_FLOW_MARIADB_PORT  TCP port on 127.0.0.1 (default: 13306 + KEY % 1000)
# KEY is a checksum of this checkout's path, so checkouts on one machine each get their own server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KEY="$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
BASE_DIR="${FATE_FLOW_MARIADB_DIR:-/tmp/fate_flow_mariadb-$KEY}"
PORT="${FATE_FLOW_MARIADB_PORT:-$((13306 + KEY % 1000))}"
DB_NAME="fate_flow_test"
DB_USER="fate_flow"
DB_PASSWORD="fate_flow_pw"
DATA_DIR="$BASE_DIR/data"
SOCKET="$BASE_DIR/mysqld.sock"
PID_FILE="$BASE_DIR/mysqld.pid"
LOG_FILE="$BASE_DIR/mysqld.log"
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "mariadb.sh: $*"; }
die() { echo "mariadb.sh: error: $*" >&2; exit 1; }

find_bin() {  # first of the given names found on PATH or in the usual sbin dirs
    local name dir
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
        for dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
            if [[ -x "$dir/$name" ]]; then echo "$dir/$name"; return 0; fi
        done
    done
    return 1
}

install_if_missing() {
    if find_bin mariadbd mysqld >/dev/null && find_bin mariadb-install-db mysql_install_db >/dev/null \
        && find_bin mariadb mysql >/dev/null; then
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || die "mariadb-server is not installed and this is not root; run: apt-get install mariadb-server mariadb-client"
    command -v apt-get >/dev/null || die "mariadb-server is not installed and apt-get is not available"
    say "installing mariadb-server and mariadb-client with apt-get (first run only)"
    export DEBIAN_FRONTEND=noninteractive
    # the package's own service must not be started by the install: we run a private server instead
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod +x "$policy"
        created_policy=1
    fi
    local rc=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null; } || rc=$?
    if [[ "$created_policy" == 1 ]]; then rm -f "$policy"; fi
    [[ "$rc" == 0 ]] || die "apt-get install mariadb-server mariadb-client failed (exit $rc)"
    find_bin mariadbd mysqld >/dev/null || die "mariadb-server installed but no mariadbd/mysqld binary found"
}

server_pid() {  # prints the pid of the private server when it is alive
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' < "$PID_FILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

client() {  # run SQL as root over the private socket
    local mysql_bin
    mysql_bin="$(find_bin mariadb mysql)"
    "$mysql_bin" --no-defaults --protocol=socket --socket="$SOCKET" -uroot "$@"
}

cmd_start() {
    install_if_missing
    mkdir -p "$BASE_DIR"
    if pid="$(server_pid)"; then
        say "already running (pid $pid) on 127.0.0.1:$PORT"
    else
        rm -f "$PID_FILE" "$SOCKET"
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            die "port $PORT on 127.0.0.1 is taken by another program; pick another with FATE_FLOW_MARIADB_PORT=..."
        fi
        if [[ ! -d "$DATA_DIR/mysql" ]]; then
            say "initialising datadir $DATA_DIR"
            rm -rf "$DATA_DIR"
            mkdir -p "$DATA_DIR"
            "$(find_bin mariadb-install-db mysql_install_db)" --no-defaults --user=root --datadir="$DATA_DIR" \
                --auth-root-authentication-method=socket --skip-test-db >"$BASE_DIR/install-db.log" 2>&1 \
                || { tail -n 30 "$BASE_DIR/install-db.log" >&2; die "mariadb-install-db failed"; }
        fi
        say "starting private server on 127.0.0.1:$PORT (datadir $DATA_DIR)"
        # --no-defaults: ignore /etc/mysql so a system server's settings cannot leak in
        nohup "$(find_bin mariadbd mysqld)" --no-defaults --user=root --datadir="$DATA_DIR" \
            --bind-address=127.0.0.1 --port="$PORT" --socket="$SOCKET" --pid-file="$PID_FILE" \
            --log-error="$LOG_FILE" --skip-name-resolve --innodb-buffer-pool-size=64M \
            --innodb-log-file-size=16M --max-connections=200 --character-set-server=utf8mb4 \
            --collation-server=utf8mb4_general_ci </dev/null >/dev/null 2>&1 &
        local deadline=$((SECONDS + START_TIMEOUT))
        until client -e "SELECT 1" >/dev/null 2>&1; do
            if (( SECONDS >= deadline )); then
                tail -n 30 "$LOG_FILE" >&2 || true
                die "server did not accept connections within ${START_TIMEOUT}s (log: $LOG_FILE)"
            fi
            sleep 0.5
        done
        say "running (pid $(server_pid || echo '?'))"
    fi
    client <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
    say "database $DB_NAME ready: $(cmd_url_redacted)"
}

cmd_stop() {
    local pid
    if ! pid="$(server_pid)"; then
        rm -f "$PID_FILE"
        say "stopped (was not running)"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if (( SECONDS >= deadline )); then
            say "pid $pid still alive after ${STOP_TIMEOUT}s; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 0.5
    done
    rm -f "$PID_FILE" "$SOCKET"
    say "stopped (pid $pid)"
}

cmd_status() {
    local pid
    if pid="$(server_pid)"; then
        echo "running (pid $pid) on 127.0.0.1:$PORT"
        return 0
    fi
    echo "stopped"
    return 1
}

cmd_url() { echo "mysql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"; }
cmd_url_redacted() { echo "mysql://$DB_USER:***@127.0.0.1:$PORT/$DB_NAME"; }

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url ;;
    *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
