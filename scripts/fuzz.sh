#!/usr/bin/env bash
# The long fuzzing pass: ./scripts/fuzz.sh [SECONDS]   (per target; default 60)
# Every TypeScript decoder target (test/fuzz/) and every libFuzzer target
# (sensor/fuzz/), each for SECONDS; findings are kept in test/fuzz/crashes/
# and sensor/fuzz/crashes/, and become regression seeds. Exits 1 on a finding.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
"$root/scripts/setup.sh" || exit 1
make -s -C sensor fuzz || exit 1
mkdir -p bench/results
status=0
node --enable-source-maps dist/test/fuzz/run.js --seconds "$seconds" --json bench/results/fuzz-ts.json || status=1
for name in command gate-match git-config hook-answer; do
  work=$(mktemp -d)
  mkdir -p "sensor/fuzz/crashes/$name"
  out=$(sensor/build/$name-fuzz -max_total_time="$seconds" -timeout=2 -max_len=4200 \
    -artifact_prefix="sensor/fuzz/crashes/$name/" "$work" "sensor/fuzz/corpus/$name" 2>&1)
  rc=$?
  runs=$(grep -oE 'Done [0-9]+ runs' <<<"$out" | awk '{print $2}')
  if [ $rc = 0 ]; then
    printf '%-18s %9s inputs  %s s  no findings (libFuzzer)\n' "$name" "${runs:-?}" "$seconds"
  else
    printf '%-18s FOUND (libFuzzer): see sensor/fuzz/crashes/%s/\n%s\n' "$name" "$name" "$(tail -20 <<<"$out")"
    status=1
  fi
  rm -rf "$work"
done
exit $status
