#!/usr/bin/env bash
# An agent-style workload in a workspace (a clone of this repository, its
# node_modules linked): type-check the project, search it with rg and grep,
# look around and commit with git, start node ten times. ./bench/workload.sh WS
set -euo pipefail
cd "$1"
node_modules/.bin/tsc --noEmit -p tsconfig.json
rg -n 'export function' src | wc -l >/dev/null
rg --files | wc -l >/dev/null
grep -rn 'TODO\|FIXME' src test | wc -l >/dev/null || true
git status --short >/dev/null
git log --oneline -n 50 >/dev/null
git diff HEAD~5 --stat >/dev/null
echo "// touched $(date +%s%N)" >> src/config.ts
git add src/config.ts
git -c user.name=bench -c user.email=bench@localhost commit -qm 'bench: touch'
for i in 1 2 3 4 5 6 7 8 9 10; do node -e 0; done
