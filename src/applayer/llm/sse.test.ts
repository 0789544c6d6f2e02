import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser, type SseEvent } from './sse.js';

/** Feeds `chunks` and ends the stream, collecting every event. */
function parseAll(chunks: (string | Uint8Array)[], opts?: { maxEventBytes?: number }) {
  const parser = new SseParser(opts);
  const events: SseEvent[] = [];
  for (const c of chunks) events.push(...parser.push(c));
  const end = parser.end();
  events.push(...end.events);
  return { events, truncated: end.truncated, dropped: parser.dropped };
}

test('fields: event names, data lines joined, comments and ids skipped, one leading space stripped', () => {
  const stream =
    ': keep-alive\n' +
    'event: message_start\ndata: {"a":1}\n\n' +
    'data: first\ndata:second\ndata:  indented\nid: 7\nretry: 100\n\n' +
    'data\n\n' +
    'event: ping\n\n' +
    'data: after an event with no data\n\n';
  const { events, truncated } = parseAll([stream]);
  assert.deepEqual(events, [
    { event: 'message_start', data: '{"a":1}' },
    { event: 'message', data: 'first\nsecond\n indented' },
    { event: 'message', data: '' },
    // `event: ping` had no data: not dispatched, and its name does not leak into the next event.
    { event: 'message', data: 'after an event with no data' },
  ]);
  assert.equal(truncated, false);
});

test('lines end in \\n, \\r\\n or \\r, and a \\r\\n split across chunks is one line end', () => {
  assert.deepEqual(parseAll(['data: a\r\n\r\ndata: b\r\rdata: c\n\n']).events, [
    { event: 'message', data: 'a' },
    { event: 'message', data: 'b' },
    { event: 'message', data: 'c' },
  ]);
  // Were the split \r\n read as two line ends, `x` would be dispatched alone and `y` separately.
  assert.deepEqual(parseAll(['data: x\r', '\ndata: y\r', '\n\r', '\n']).events, [{ event: 'message', data: 'x\ny' }]);
});

test('push returns only the events its chunk completed', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('event: delta\nda'), []);
  assert.deepEqual(parser.push('ta: part'), []);
  assert.deepEqual(parser.push('ial\n'), []);
  assert.deepEqual(parser.push('\ndata: next\n\n'), [
    { event: 'delta', data: 'partial' },
    { event: 'message', data: 'next' },
  ]);
  assert.deepEqual(parser.end(), { events: [], truncated: false });
});

test('a multi-byte character split across chunks decodes whole', () => {
  const bytes = new TextEncoder().encode('data: héllo 東京 🚀\n\n');
  const oneByteAtATime = [...bytes].map((b) => Uint8Array.of(b));
  assert.deepEqual(parseAll(oneByteAtATime).events, [{ event: 'message', data: 'héllo 東京 🚀' }]);
  assert.deepEqual(parseAll([Buffer.from(bytes.subarray(0, 9)), Buffer.from(bytes.subarray(9))]).events, [
    { event: 'message', data: 'héllo 東京 🚀' },
  ]);
});

test('a leading byte-order mark is stripped, once', () => {
  const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
  assert.deepEqual(parseAll([bom, 'data: x\n\n']).events, [{ event: 'message', data: 'x' }]);
  assert.deepEqual(parseAll(['\uFEFFevent: e\ndata: \uFEFFy\n\n']).events, [{ event: 'e', data: '\uFEFFy' }]);
});

test('an event over maxEventBytes is dropped and counted; the events around it survive', () => {
  const big = 'x'.repeat(5000);
  const { events, dropped } = parseAll(['data: small\n\n', `data: ${big}\ndata: more\n\n`, 'data: after\n\n'], {
    maxEventBytes: 1024,
  });
  assert.deepEqual(events, [
    { event: 'message', data: 'small' },
    { event: 'message', data: 'after' },
  ]);
  assert.equal(dropped, 1);
});

test('a line that never ends is not buffered past the limit', () => {
  const parser = new SseParser({ maxEventBytes: 1024 });
  for (let i = 0; i < 1000; i++) assert.deepEqual(parser.push('y'.repeat(1000)), []);
  assert.deepEqual(parser.push('\n\ndata: ok\n\n'), [{ event: 'message', data: 'ok' }]);
  assert.equal(parser.dropped, 1);
});

test('a stream cut mid-event reports truncated and hands back the complete lines it had', () => {
  assert.deepEqual(parseAll(['data: done\n\ndata: whole line\ndata: half a li']), {
    events: [
      { event: 'message', data: 'done' },
      { event: 'message', data: 'whole line' },
    ],
    truncated: true,
    dropped: 0,
  });
  assert.equal(parseAll(['data: x\n\n: trailing comment\n']).truncated, true);
  assert.deepEqual(parseAll([]), { events: [], truncated: false, dropped: 0 });
});
