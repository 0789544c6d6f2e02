#!/usr/bin/env bash
# The file gate under back-pressure, on its own: ./scripts/stress.sh [SECONDS]   (default 60)
# Four sessions hosted by one daemon storm failing opens and gated opens while
# processes outside every session open their protected files; prints the worst
# waits, the drop counts and how each session ended (test/stress.test.ts).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh" || exit 1
WARDEN_STRESS_SECONDS=${1:-60} node --enable-source-maps --test --test-reporter=spec dist/test/stress.test.js
