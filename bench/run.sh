#!/usr/bin/env bash
# Runs Warden's benchmarks (as root): ./bench/run.sh [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# the peers the benchmark measures Warden beside (sandbox-runtime needs bubblewrap and socat)
missing=()
for p in bubblewrap socat strace ripgrep; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p "$root/bench/build"
cc -O2 -Wall -o "$root/bench/build/loadgen" "$root/bench/loadgen.c"
exec node --enable-source-maps "$root/dist/bench/run.js" "$@"
