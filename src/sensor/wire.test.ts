import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Header, WIRE_VERSION } from './layout.js';
import { ipString, joinPath, normalizePath, walkedPath } from './text.js';
import { decodeFrame, FrameSplitter, WireError } from './wire.js';

const enc = new TextEncoder();

test('a walked path (leaf first, NUL-terminated) reads as an absolute path', () => {
  assert.equal(walkedPath(enc.encode('hostname\0etc\0')), '/etc/hostname');
  assert.equal(walkedPath(enc.encode('')), '/');
  assert.equal(walkedPath(enc.encode('/\0')), '/');
});

test('relative paths are joined to their base and normalized', () => {
  assert.equal(joinPath('a.txt', '/work/dir'), '/work/dir/a.txt');
  assert.equal(joinPath('../x/./y', '/work/dir'), '/work/x/y');
  assert.equal(joinPath('/etc//passwd', '/ignored'), '/etc/passwd');
  assert.equal(joinPath('rel', ''), 'rel', 'an unknown base keeps the path as given');
  assert.equal(normalizePath('/../..'), '/');
});

test('IPv4 and IPv6 addresses print in their usual forms', () => {
  assert.equal(ipString(2, new Uint8Array([127, 0, 0, 1, ...new Array(12).fill(0)])), '127.0.0.1');
  const v6 = new Uint8Array(16);
  v6[15] = 1;
  assert.equal(ipString(10, v6), '::1');
  const mapped = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
  assert.equal(ipString(10, mapped), '::ffff:10.1.2.3');
  const doc = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(ipString(10, doc), '2001:db8::1');
});

function header(type: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt16LE(WIRE_VERSION, 0);
  b.writeUInt16LE(type, 2);
  b.writeUInt32LE(size, 4);
  return b;
}

test('the splitter reassembles frames cut at any byte', () => {
  const frames = Buffer.concat([header(102, 56), header(101, 32), header(102, 56)]);
  for (let cut = 1; cut < frames.length; cut += 7) {
    const s = new FrameSplitter();
    const got = [...s.push(frames.subarray(0, cut)), ...s.push(frames.subarray(cut))];
    assert.deepEqual(
      got.map((f) => f.length),
      [56, 32, 56],
    );
  }
});

test('a corrupt stream is refused, not misread', () => {
  const bad = header(102, 56);
  bad.writeUInt32LE(3, 4);
  assert.throws(() => new FrameSplitter().push(bad), WireError);
  const wrongVersion = header(102, 56);
  wrongVersion.writeUInt16LE(99, 0);
  assert.throws(() => decodeFrame(wrongVersion), /wire version 99/);
  assert.throws(() => decodeFrame(header(999, Header.size)), /unknown frame type/);
  assert.throws(() => decodeFrame(header(1, Header.size)), /wd_exec frame of 16 bytes/);
});
