#!/usr/bin/env bash
# The README's main command: install fate_flow into .venv, start a server on the embedded defaults
# (SQLite + LMDB under fate_flow_home/, http://127.0.0.1:9380, hosting guest 9999 and host 10000), and run the
# flagship example end to end with the legacy CLI: upload the breast guest/host data and check the round trip,
# run the hetero LR job (DSL v2, real Paillier) and print its AUC; last, the board URL of that job (its DAG, ROC
# curve and logs in a browser). The server keeps running afterwards: bash bin/service.sh stop stops it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash bin/install.sh
if ! bash bin/service.sh status >/dev/null 2>&1; then
    bash bin/service.sh start
fi
source bin/cli_env.sh   # .venv's python first on PATH; field, wait_job (as the README's "Using it" uses them)
flow() { python fate_flow/fate_flow_client.py "$@"; }

for role in guest host; do
    table="breast_hetero_$role"
    echo "== upload examples/data/$table.csv as experiment.$table"
    flow -f upload -c "examples/upload_$role.json" -drop 1 | field '"   job " + d["jobId"] + ": " + d["retmsg"]'
    flow -f table_info -n experiment -t "$table" \
        | field '"   count %(count)s, partitions %(partition)s" % d["data"]'
    out="$(field 'd["output_path"]' < "examples/download_$role.json")"
    flow -f download -c "examples/download_$role.json" >/dev/null
    if cmp -s "examples/data/$table.csv" "$out"; then
        echo "   download round trip OK: $out is identical to examples/data/$table.csv"
    else
        echo "   download round trip FAILED: $out differs from examples/data/$table.csv" >&2
        exit 1
    fi
done

echo "== the flagship hetero LR job: reader -> dataio -> intersection -> binning -> selection -> hetero LR -> evaluation"
echo "   guest 9999 holds labels and 10 features, host 10000 holds 20 features, arbiter 10000 holds the Paillier key"
submitted="$(flow -f submit_job -c examples/test_hetero_lr_job_conf.json -d examples/test_hetero_lr_job_dsl.json)"
job="$(field 'd["jobId"]' <<< "$submitted")"
board_url="$(field 'd["data"]["board_url"]' <<< "$submitted")"   # the job's page on this server's board
wait_job "$job" 300 >/dev/null || { echo "see fate_flow_home/logs/$job" >&2; exit 1; }
flow -f component_metric_all -j "$job" -r guest -p 9999 -cpn evaluation_0 \
    | field '"   job " + "'"$job"': success; AUC %(auc)s, KS %(ks)s" % dict(d["data"]["train"]["hetero_lr_0"]["data"])'
flow -f component_output_model -j "$job" -r host -p 10000 -cpn hetero_lr_0 \
    | field '"   host 10000 keeps the weights of its own features: %s" % ", ".join(
             "%s %.4f" % (k, v) for k, v in sorted(d["data"]["weight"].items()))'
echo
echo "The server is still running ($(bash bin/service.sh status)); stop it with: bash bin/service.sh stop"
echo "The job on the board (its DAG, ROC curve and logs):"
echo "$board_url"
