import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WardenEvent } from '../pipeline/events.js';
import { Judge } from './judge.js';

const judge = new Judge(null, new Set(), { paths: ['/proc', '/opt/warden'], pids: () => [] });
const chmod = (path: string, result = 0): WardenEvent => ({ type: 'chmod', path, mode: 0o755, result }) as never;

test("a file descriptor's own name is the file it is, not a write to /proc", () => {
  for (const p of [
    '/proc/self/fd/3',
    '/proc/thread-self/fd/7',
    '/proc/1234/fd/0',
    '/proc/9/task/9/fd/4',
    '/dev/fd/5',
    '/proc/self/fd/15/b9il60v9r.output' /* beneath a directory's descriptor: Bun's unlink */,
  ])
    assert.equal(judge.judge(chmod(p)), undefined, p);
});

test('a write to /proc itself, or to Warden, is still tampering', () => {
  assert.equal(judge.judge(chmod('/proc/sys/kernel/x'))?.verdict, 'would-deny');
  assert.equal(judge.judge(chmod('/proc/self/fd'))?.verdict, 'would-deny', 'the directory, not a descriptor');
  assert.equal(judge.judge(chmod('/proc/self/fdinfo/3'))?.verdict, 'would-deny');
  const refused = judge.judge(chmod('/opt/warden/bin/warden', -30));
  assert.deepEqual([refused?.verdict, refused?.mechanism], ['denied', 'mount-ns']);
});
