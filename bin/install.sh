#!/usr/bin/env bash
# Create the project venv (.venv in the checkout) if missing and install fate_flow into it (editable).
# Idempotent: re-running only re-checks the install. Extra arguments are passed to pip, e.g.
#   bin/install.sh            -> pip install -e .
#   bin/install.sh '.[test]'  -> pip install -e '.[test]'
# PYTHON picks the interpreter used to create the venv (default: python3.11, else python3; needs >= 3.11).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { echo "install.sh: $*"; }
die() { echo "install.sh: error: $*" >&2; exit 1; }

pick_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    local candidate
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then echo "$candidate"; return; fi
    done
    die "no python3 found on PATH (set PYTHON=/path/to/python3.11)"
}

if [[ ! -x "$VENV/bin/python" ]]; then
    PY="$(pick_python)"
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$PY is $("$PY" --version 2>&1); fate_flow needs Python >= 3.11 (set PYTHON=...)"
    say "creating $VENV with $("$PY" --version 2>&1)"
    "$PY" -m venv "$VENV" || die "python -m venv failed (on Debian: apt-get install python3-venv)"
fi

target="${1:-.}"
say "pip install -e $target into $VENV"
cd "$ROOT"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target" \
    || die "pip install -e $target failed"
say "done: $("$VENV/bin/python" -c 'import fate_flow, sys; print("fate_flow", getattr(fate_flow, "__version__", "?"), "on Python", sys.version.split()[0])')"
