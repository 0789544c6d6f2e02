import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonc } from './jsonc.js';

test('JSONC: comments and trailing commas go, strings stay as they are', () => {
  const text = `{
    // a line comment
    "a": "http://x/y", /* a block
    comment */ "b": ["//not a comment", "/* nor this */", "a \\"quoted\\" one",],
    "c": { "d": 1, }, "e": "x,]",
  }`;
  assert.deepEqual(parseJsonc(text), {
    a: 'http://x/y',
    b: ['//not a comment', '/* nor this */', 'a "quoted" one'],
    c: { d: 1 },
    e: 'x,]',
  });
  assert.throws(() => parseJsonc('[1,,]'), 'two commas are no trailing comma');
  assert.throws(() => parseJsonc('{ a: 1 }'));
});
