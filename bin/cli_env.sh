# Source it before the README's commands: `source bin/cli_env.sh` (bash). It puts this checkout's .venv first on
# PATH, so `python fate_flow/fate_flow_client.py ...` runs with fate_flow's packages, and defines two helpers:
#   field EXPR        print EXPR of the JSON on stdin, which is `d`: ... | field 'd["jobId"]'
#   wait_job JOB [S]  poll query_job until every party has ended JOB (at most S seconds, default 300);
#                     succeeds only when every party succeeded
_FATE_FLOW_CHECKOUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ ! -x "$_FATE_FLOW_CHECKOUT/.venv/bin/python" ]]; then
    echo "cli_env.sh: $_FATE_FLOW_CHECKOUT/.venv is missing: run bash bin/install.sh (or bash bin/demo.sh) first" >&2
    return 1 2>/dev/null || exit 1
fi
source "$_FATE_FLOW_CHECKOUT/.venv/bin/activate"

field() { python -c 'import json, sys; print(eval(sys.argv[1], {"d": json.load(sys.stdin)}))' "$1"; }

wait_job() {
    local job="$1" limit="${2:-300}" status start=$SECONDS
    while (( SECONDS - start < limit )); do
        status="$(python "$_FATE_FLOW_CHECKOUT/fate_flow/fate_flow_client.py" -f query_job -j "$job" \
                  | field '",".join(sorted({r["f_status"] for r in d["data"]}))')" || return 1
        case "$status" in
            success) echo "job $job: success"; return 0 ;;
            *failed*|*canceled*|*timeout*) echo "job $job ended $status" >&2; return 1 ;;
        esac
        sleep 0.5
    done
    echo "job $job did not end within $limit s" >&2
    return 1
}
