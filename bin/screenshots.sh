#!/usr/bin/env bash
# PNG screenshots of every page of the board (docs/screenshots/, shown in the README), taken by the headless
# Chromium of the browser tests from a real server that runs the flagship job (about two minutes).
#   bash bin/screenshots.sh [directory]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash bin/install.sh '.[test]'   # selenium
bash bin/chromium.sh
exec "$ROOT/.venv/bin/python" bin/screenshots.py "$@"
