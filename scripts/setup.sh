#!/usr/bin/env bash
# Installs and builds everything Warden needs on a Debian 12 host, idempotently:
# Debian packages (only those missing), npm packages (only when the lockfile
# changed), the kernel sensor (make), the TypeScript and the dashboard (only
# when sources changed). --for-tests (scripts/test.sh asks for it) also installs
# what only the tests use: Debian's chromium, for the dashboard's browser tests,
# and the agent CLIs whose npm packages cannot be in package-lock.json (see the
# end).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf 'setup: %s\n' "$*" >&2; }

debs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libseccomp-dev libjansson-dev make gcc pkg-config clang-format openssl nats-server libclang-rt-14-dev curl python3)
for_tests=false
[ "${1:-}" = --for-tests ] && for_tests=true
[ "$for_tests" = true ] && debs+=(chromium)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]} (run this script as root to install them)"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# better-sqlite3 is built from source here (no prebuilt download): make sure it loads.
if ! node -e "require('better-sqlite3')(':memory:').close()" 2>/dev/null; then
  say "building better-sqlite3 from source"
  npm rebuild better-sqlite3 --build-from-source --loglevel=error
fi

make -s -C sensor all fuzz

stamp=dist/.built
if [ ! -f "$stamp" ] || [ -n "$(find src test bench tsconfig.json package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  say "compiling TypeScript"
  node_modules/.bin/tsc -p tsconfig.json
  touch "$stamp"
fi
if [ ! -f dist/bundle/warden.js ] || [ "$stamp" -nt dist/bundle/warden.js ]; then
  say "bundling the CLI"
  node scripts/bundle.mjs
fi

ui_stamp=dist/ui/.built
if [ ! -f "$ui_stamp" ] || [ -n "$(find src/ui package-lock.json -newer "$ui_stamp" -print -quit 2>/dev/null)" ]; then
  say "building the dashboard"
  node_modules/.bin/vite build --config src/ui/vite.config.ts
  touch "$ui_stamp"
fi

# Agent CLIs the suite tests that cannot be locked: Qwen Code's optional packages for other
# platforms are not all in the registry, so `npm ci` would refuse a lock file naming it. Installed
# at the pinned version (from npm, no other download) into .cache/agents/, once.
if [ "$for_tests" = true ]; then
  qwen=0.24.4
  have=$(node -p "require('./.cache/agents/qwen/node_modules/@qwen-code/qwen-code/package.json').version" 2>/dev/null || true)
  if [ "$have" != "$qwen" ]; then
    say "installing Qwen Code $qwen for its test (outside the lock file)"
    npm install --prefix .cache/agents/qwen --no-save --no-audit --no-fund --loglevel=error "@qwen-code/qwen-code@$qwen" >/dev/null
  fi
fi
