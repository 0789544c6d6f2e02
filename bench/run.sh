#!/usr/bin/env bash
# Runs Warden's benchmarks (as root): ./bench/run.sh [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
mkdir -p "$root/bench/build"
cc -O2 -Wall -o "$root/bench/build/loadgen" "$root/bench/loadgen.c"
exec node --enable-source-maps "$root/dist/bench/run.js" "$@"
