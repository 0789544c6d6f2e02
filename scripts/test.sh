#!/usr/bin/env bash
# Runs the whole test suite: set-up (idempotent), lint and format checks, then
# unit, kernel and end-to-end tests. Kernel tests need root; under CI=true a
# test that cannot run counts as failed. The last line gives the counts.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh" --for-tests || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

lint_failed=0
echo "== lint: eslint, the dashboard's types, prettier, clang-format"
node_modules/.bin/tsc -p src/ui/tsconfig.json || lint_failed=1
node_modules/.bin/eslint . || lint_failed=1
node_modules/.bin/prettier --check --log-level warn . || lint_failed=1
c_files=$(find sensor test -name build -prune -o \( -name '*.c' -o -name '*.h' \) -print)
clang-format --dry-run --Werror $c_files || lint_failed=1

echo "== tests"
tap=$(mktemp /tmp/warden-tap.XXXXXX)
trap 'rm -f "$tap"' EXIT
mapfile -t files < <(find dist/src dist/test -name '*.test.js' | sort)
node --enable-source-maps --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"
status=$?

count() { grep -E "^# $1 [0-9]+" "$tap" | tail -1 | awk '{print $3}'; }
passed=$(count pass); failed=$(count fail); skipped=$(count skipped)
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
if [ "$lint_failed" != 0 ]; then
  echo "lint failed (see above)"
  failed=$((failed + 1))
fi
[ "$status" != 0 ] && [ "$failed" = 0 ] && failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
