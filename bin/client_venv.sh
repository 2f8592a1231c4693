#!/usr/bin/env bash
# Build .venv-client: the real FATE 1.6 clients (fate-client==1.6.1: `flow` CLI, flow_sdk, pipeline) for tests
# that talk to fate_flow the way FATE users do. It lives in its own venv because its pins (click 7) conflict
# with Flask 3 (click >= 8) in .venv.
#
# fate-client 1.6.1 is installed with --no-deps plus the pins it needs on Python 3.11. Its `pipeline` package
# imports tensorflow.python.keras.engine.base_layer at load time; a stub `tensorflow` package (no real
# TensorFlow) is written into the venv so that import succeeds. Idempotent: an existing, complete venv is kept.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-client"
PINS=(click==7.1.2 requests requests-toolbelt==0.9.1 "urllib3<2" ruamel.yaml==0.16.13 loguru==0.5.3)
# the `flow` CLI also imports flask (flask.Response in its error paths) though fate-client does not declare it:
# Flask 1.1 is the last line that accepts click 7; these are its newest compatible dependencies
FLASK_PINS=(flask==1.1.4 werkzeug==1.0.1 jinja2==2.11.3 markupsafe==2.0.1 itsdangerous==1.1.0)
STAMP="$VENV/.fate_flow_client_ready"
STAMP_TEXT="fate-client==1.6.1 ${PINS[*]} ${FLASK_PINS[*]} tf-stub-1"

say() { echo "client_venv.sh: $*"; }
die() { echo "client_venv.sh: error: $*" >&2; exit 1; }

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_TEXT" && -x "$VENV/bin/python" ]] \
    && "$VENV/bin/python" -c 'import flow_client.flow, flow_sdk, pipeline' >/dev/null 2>&1; then
    say "ready: $VENV (fate-client 1.6.1)"
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    PY="${PYTHON:-}"
    if [[ -z "$PY" ]]; then
        for candidate in python3.11 python3; do
            if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
        done
    fi
    [[ -n "$PY" ]] || die "no python3 found on PATH (set PYTHON=...)"
    say "creating $VENV with $("$PY" --version 2>&1)"
    "$PY" -m venv "$VENV" || die "python -m venv failed"
fi

PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
say "installing fate-client==1.6.1 (--no-deps) and its pins: ${PINS[*]} ${FLASK_PINS[*]}"
"${PIP[@]}" "${PINS[@]}" "${FLASK_PINS[@]}" || die "pip install of the client pins failed"
"${PIP[@]}" --no-deps fate-client==1.6.1 || die "pip install fate-client==1.6.1 failed"

# The stub: just enough of tensorflow for `import pipeline` (the real NN backend is never used by our tests).
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
STUB="$SITE/tensorflow"
if [[ ! -f "$STUB/FATE_FLOW_STUB" ]] && "$VENV/bin/python" -c 'import tensorflow' >/dev/null 2>&1; then
    say "a real tensorflow is installed in $VENV; leaving it alone"
else
    mkdir -p "$STUB/python/keras/engine"
    echo "stub written by fate_flow bin/client_venv.sh" > "$STUB/FATE_FLOW_STUB"
    echo '"""Stub tensorflow for fate-client 1.6.1 `pipeline` imports (written by fate_flow bin/client_venv.sh)."""' \
        > "$STUB/__init__.py"
    : > "$STUB/python/__init__.py"
    : > "$STUB/python/keras/__init__.py"
    : > "$STUB/python/keras/engine/__init__.py"
    cat > "$STUB/python/keras/engine/base_layer.py" <<'PY'
"""Stub: pipeline's keras backend names Layer at import; no model is ever built with it here."""


class Layer:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("tensorflow is a stub in .venv-client: the Keras NN backend is not available")
PY
fi

"$VENV/bin/python" -c 'import flow_client.flow, flow_sdk, pipeline' \
    || die "fate-client installed but 'import flow_client.flow, flow_sdk, pipeline' fails in $VENV"
echo "$STAMP_TEXT" > "$STAMP"
say "ready: $VENV (fate-client 1.6.1; CLI: $VENV/bin/flow)"
