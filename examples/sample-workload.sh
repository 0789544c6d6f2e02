#!/bin/sh
# A small agent-like workload for the quick start: it reads, writes, renames and
# deletes files, spawns children, and talks TCP and UDP on loopback only.
set -eu
work=$(mktemp -d /tmp/warden-sample.XXXXXX)
cat /etc/hostname > "$work/host.txt"
echo "draft" > "$work/notes.md"
mv "$work/notes.md" "$work/NOTES.md"
sh -c 'ls "$1" > /dev/null' sh "$work"
node -e '
const net = require("node:net"), dgram = require("node:dgram");
const srv = net.createServer((s) => s.end("hello\n")).listen(0, "127.0.0.1", () => {
  const c = net.connect(srv.address().port, "127.0.0.1");
  c.on("data", () => {
    c.end();
    srv.close();
    const u = dgram.createSocket("udp4");
    u.send("ping", 9, "127.0.0.1", () => u.close());
  });
});'
rm -rf "$work"
