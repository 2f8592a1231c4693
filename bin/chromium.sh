#!/usr/bin/env bash
# Chromium and its WebDriver for the board's browser tests and bin/screenshots.sh (Debian's chromium and
# chromium-driver). Does nothing when both answer `--version`; otherwise installs them with apt-get (needs root).
#   bin/chromium.sh          install if missing, print both versions
set -euo pipefail

say() { echo "chromium.sh: $*"; }
die() { echo "chromium.sh: error: $*" >&2; exit 1; }

present() { chromium --version >/dev/null 2>&1 && chromedriver --version >/dev/null 2>&1; }

if ! present; then
    [[ "$(id -u)" == 0 ]] || die "chromium/chromedriver missing and this is not root; run: apt-get install chromium chromium-driver"
    command -v apt-get >/dev/null || die "chromium/chromedriver missing and apt-get is not available"
    export DEBIAN_FRONTEND=noninteractive
    say "installing chromium and chromium-driver with apt-get (first run only)"
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null \
        || die "apt-get install chromium chromium-driver failed"
    hash -r
    present || die "chromium and chromium-driver installed but \`--version\` still fails"
fi
say "$(chromium --version 2>/dev/null | head -n 1); $(chromedriver --version 2>/dev/null | head -n 1)"
