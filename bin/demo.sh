#!/usr/bin/env bash
# The README's main command: install fate_flow into .venv, start a server on the embedded defaults
# (SQLite + LMDB under fate_flow_home/, http://127.0.0.1:9380), and run the example end to end with the
# legacy CLI: upload the breast guest/host data, show the tables, download them, and check the round trip.
# The server keeps running afterwards: bin/service.sh stop stops it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash bin/install.sh
if ! bash bin/service.sh status >/dev/null 2>&1; then
    bash bin/service.sh start
fi
PY="$ROOT/.venv/bin/python"
flow() { "$PY" fate_flow/fate_flow_client.py "$@"; }
field() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }

for role in guest host; do
    table="breast_hetero_$role"
    echo "== upload examples/data/$table.csv as experiment.$table"
    flow -f upload -c "examples/upload_$role.json" -drop 1 | field '"job " + d["jobId"] + ": " + d["retmsg"]'
    echo "== table_info experiment.$table"
    flow -f table_info -n experiment -t "$table" \
        | field '"count %(count)s, partitions %(partition)s, columns %(schema)s" % d["data"]'
    echo "== download experiment.$table"
    out="$(field 'd["output_path"]' < "examples/download_$role.json")"
    flow -f download -c "examples/download_$role.json" | field '"job " + d["jobId"] + ": wrote " + str(d["data"]["count"]) + " rows to " + d["data"]["output_path"]'
    if cmp -s "examples/data/$table.csv" "$out"; then
        echo "   round trip OK: $out is identical to examples/data/$table.csv"
    else
        echo "   round trip FAILED: $out differs from examples/data/$table.csv" >&2
        exit 1
    fi
done
echo "== upload history"
flow -f upload_history -limit 2 | field '"\n".join("   %s: %s rows into %s.%s" % (j, v["upload_info"]["upload_count"], v["upload_info"]["namespace"], v["upload_info"]["table_name"]) for h in d["data"] for j, v in h.items())'
echo
echo "The server is still running ($(bash bin/service.sh status)); stop it with: bash bin/service.sh stop"
