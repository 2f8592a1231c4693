#!/usr/bin/env bash
# A Java runtime for the Spark computing engine (pyspark 3.5 runs on Java 8/11/17/21).
# Does nothing when `java -version` already works; otherwise installs a headless JRE from Debian packages
# (needs root and apt-get): the first of openjdk-17/21/11-jre-headless that apt knows.
set -euo pipefail

say() { echo "java.sh: $*"; }
die() { echo "java.sh: error: $*" >&2; exit 1; }

if java -version >/dev/null 2>&1; then
    say "found $(java -version 2>&1 | head -n 1)"
    exit 0
fi
[[ "$(id -u)" == 0 ]] || die "no working java and this is not root; run: apt-get install openjdk-17-jre-headless"
command -v apt-get >/dev/null || die "no working java and apt-get is not available; install a Java 17 runtime"

export DEBIAN_FRONTEND=noninteractive
say "no working java: installing a headless JRE with apt-get"
apt-get update -qq || die "apt-get update failed"
package=""
for candidate in openjdk-17-jre-headless openjdk-21-jre-headless openjdk-11-jre-headless; do
    if apt-cache policy "$candidate" 2>/dev/null | grep -q 'Candidate: [0-9]'; then package="$candidate"; break; fi
done
[[ -n "$package" ]] || die "apt knows none of openjdk-17/21/11-jre-headless"
mkdir -p /usr/share/man/man1  # slim Debian images drop this directory, and the JRE's postinst needs it
apt-get install -y -qq --no-install-recommends "$package" >/dev/null || die "apt-get install $package failed"
hash -r
java -version >/dev/null 2>&1 || die "$package installed but \`java -version\` still fails"
say "installed $package: $(java -version 2>&1 | head -n 1)"
