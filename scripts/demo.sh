#!/usr/bin/env bash
# The quick start's main job: set up, then run a sample workload under Warden
# and print the session's summary and process tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
exec "$root/bin/warden" run --name sample-workload -- "$root/examples/sample-workload.sh"
