#!/usr/bin/env bash
# Runs each agent CLI's tests with its latest release from npm (beside the pinned one the suite
# uses), and prints a version matrix: CLI, pinned, latest, and how its tests went with the latest.
#
#   ./scripts/compat.sh [claude codex gemini opencode qwen]    (as root; default: all of them)
#
# The latest releases go to $WARDEN_COMPAT_DIR (default /opt/warden-compat), one npm prefix each;
# each test log is kept there too.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh --for-tests || exit 1
dir=${WARDEN_COMPAT_DIR:-/opt/warden-compat}
mkdir -p "$dir"
declare -A pkg=([claude]=@anthropic-ai/claude-code [codex]=@openai/codex [gemini]=@google/gemini-cli [opencode]=opencode-ai [qwen]=@qwen-code/qwen-code)
# the package the suite pins, where it is not the one npm installs as the CLI, or not in node_modules
declare -A pinnedPkg=([opencode]=node_modules/opencode-linux-x64 [qwen]=.cache/agents/qwen/node_modules/@qwen-code/qwen-code)
declare -A override=([claude]=WARDEN_TEST_CLAUDE [codex]=WARDEN_TEST_CODEX [gemini]=WARDEN_TEST_GEMINI [opencode]=WARDEN_TEST_OPENCODE [qwen]=WARDEN_TEST_QWEN)
declare -A tests=(
  [claude]="dist/test/applayer.test.js dist/test/agent-sabotage.test.js dist/test/provenance.test.js"
  [codex]="dist/test/codex.test.js"
  [gemini]="dist/test/gemini.test.js"
  [opencode]="dist/test/opencode.test.js"
  [qwen]="dist/test/qwen.test.js"
)
clis=("$@")
[ ${#clis[@]} -eq 0 ] && clis=(claude codex gemini opencode qwen)
rows=()
failed=0
for cli in "${clis[@]}"; do
  [ -n "${pkg[$cli]:-}" ] || { echo "compat: no such CLI: $cli (one of ${!pkg[*]})" >&2; exit 2; }
  p=${pkg[$cli]}
  pinned=$(node -p "require('./${pinnedPkg[$cli]:-node_modules/$p}/package.json').version" 2>/dev/null || echo '-')
  echo "compat: installing $p@latest into $dir/$cli" >&2
  if ! npm install --prefix "$dir/$cli" --no-audit --no-fund --loglevel=error "$p@latest" >"$dir/$cli.install.log" 2>&1; then
    rows+=("$cli|$pinned|?|install failed (see $dir/$cli.install.log)")
    failed=1
    continue
  fi
  latest=$(node -p "require('$dir/$cli/node_modules/$p/package.json').version")
  log="$dir/$cli.test.log"
  echo "compat: $cli $latest: ${tests[$cli]}" >&2
  env "${override[$cli]}=$dir/$cli/node_modules/.bin/$cli" node --test --test-concurrency=1 ${tests[$cli]} >"$log" 2>&1
  status=$?
  pass=$(sed -n 's/^# pass //p' "$log" | tail -1)
  fail=$(sed -n 's/^# fail //p' "$log" | tail -1)
  skip=$(sed -n 's/^# skipped //p' "$log" | tail -1)
  result="${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
  [ "$status" -eq 0 ] || { result="$result (see $log)"; failed=1; }
  rows+=("$cli|$pinned|$latest|$result")
done
printf '\n%-10s %-12s %-12s %s\n' CLI PINNED LATEST 'TESTS WITH THE LATEST'
for r in "${rows[@]}"; do
  IFS='|' read -r c pv lv res <<<"$r"
  printf '%-10s %-12s %-12s %s\n' "$c" "$pv" "$lv" "$res"
done
exit $failed
