#!/usr/bin/env bash
# Builds Warden's Debian package from this checkout: everything already compiled (the sensor's
# CO-RE objects are inside its loader, the CLI is bundled), so the target needs no compiler, only
# the shared libraries the binaries link and Node 20.
#
#   ./scripts/package.sh [--out DIR]     -> DIR/warden_VERSION_ARCH.deb (default: dist/pkg)
#
# Layout: /usr/lib/warden (the tree bin/warden expects: bin/, dist/bundle, dist/ui, policies/,
# sensor/build/, node_modules/better-sqlite3), /usr/bin/warden, the warden.service unit for
# `warden daemon`, state in /var/lib/warden (the unit's StateDirectory).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf 'package: %s\n' "$*" >&2; }
out=dist/pkg
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--out DIR]" >&2; exit 2 ;;
  esac
done
./scripts/setup.sh
command -v dpkg-deb >/dev/null || { echo "package: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }

version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
stage=$(mktemp -d /tmp/warden-pkg-XXXXXX)
trap 'rm -rf "$stage"' EXIT
lib=$stage/usr/lib/warden
mkdir -p "$lib/bin" "$lib/dist" "$lib/sensor/build" "$lib/node_modules" "$stage/usr/bin" \
  "$stage/lib/systemd/system" "$stage/DEBIAN"

cp package.json "$lib/"
cp bin/warden "$lib/bin/"
cp -r policies "$lib/"
# the bundle without its source maps (they name dist/src, which is not shipped)
mkdir -p "$lib/dist/bundle"
find dist/bundle -maxdepth 1 -name '*.js' -exec cp {} "$lib/dist/bundle/" \;
cp -r dist/ui "$lib/dist/"
binaries=(warden-sensor warden-launch warden-hook warden-run warden-probe)
for b in "${binaries[@]}"; do install -m 0755 "sensor/build/$b" "$lib/sensor/build/$b"; done
# the one native addon the bundle leaves out, as this checkout built it (no download at install)
for m in better-sqlite3 bindings file-uri-to-path; do
  mkdir -p "$lib/node_modules/$m"
  cp node_modules/$m/package.json "$lib/node_modules/$m/"
  for part in lib index.js bindings.js; do
    [ -e "node_modules/$m/$part" ] && cp -r "node_modules/$m/$part" "$lib/node_modules/$m/"
  done
done
mkdir -p "$lib/node_modules/better-sqlite3/build/Release"
cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$lib/node_modules/better-sqlite3/build/Release/"

cat > "$stage/usr/bin/warden" <<'EOF'
#!/bin/sh
# Warden's CLI, installed from the Debian package.
exec /usr/lib/warden/bin/warden "$@"
EOF
chmod 0755 "$stage/usr/bin/warden"
install -m 0644 packaging/warden.service "$stage/lib/systemd/system/warden.service"

# Depends: Node, and the package of every shared library the binaries link (as ldd finds them here)
libs=$(for b in "${binaries[@]}"; do ldd "sensor/build/$b"; done | awk '/=> \//{print $3}' | sort -u)
pkgs=$(for l in $libs; do dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l"; done | cut -d: -f1 | sort -u)
depends="nodejs (>= 20)"
for p in $pkgs; do depends="$depends, $p"; done
size=$(du -sk "$stage/usr" "$stage/lib" | awk '{s+=$1} END {print s}')
cat > "$stage/DEBIAN/control" <<EOF
Package: warden
Version: $version
Architecture: $arch
Maintainer: Warden maintainers <maintainers@users.noreply.b-seed-96649327.example>
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Description: runtime security for AI agents
 Warden records what an AI agent does at the kernel (exec, files, network) and at the
 application layer (LLM traffic, tool calls, MCP), ties each action to the tool call that
 caused it, and enforces a policy in the kernel before an action completes. The package ships
 the prebuilt sensor (CO-RE BPF, no compiler needed), the CLI and the warden.service unit for
 the daemon.
EOF
install -m 0755 packaging/postinst packaging/prerm packaging/postrm "$stage/DEBIAN/"

mkdir -p "$out"
deb="$out/warden_${version}_${arch}.deb"
dpkg-deb --build --root-owner-group -Zgzip "$stage" "$deb" >/dev/null
say "built $deb ($(du -h "$deb" | cut -f1)); Depends: $depends"
echo "$deb"
