import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gitDestroys } from './index.js';

const git = (line: string): boolean => gitDestroys(line.split(' '));

test('history-destroying git commands are read as git reads them', () => {
  for (const l of [
    'git push --force origin main',
    'git push -qf /tmp/origin.git main',
    'git -C /w push origin +main',
    'git push --force-with-lease=main:abc origin main',
    'git reset --hard HEAD~3',
    'git clean -fdx',
    'git branch -D feature',
    'git filter-branch --tree-filter x',
    'git reflog expire --expire=now --all',
    'git gc --prune=now',
    'git update-ref -d refs/heads/main',
  ])
    assert.equal(git(l), true, l);
});

test("an agent's own git with hook and force-named options is not destroying anything", () => {
  for (const l of [
    'git -c hook.pre-push.enabled=false -c core.quotePath=false update-index --force-remove -z --stdin',
    'git push origin main',
    'git reset --soft HEAD~1',
    'git clean -n',
    'git branch -d merged',
    'git -c push.default=current status --porcelain',
    'git gc --auto',
  ])
    assert.equal(git(l), false, l);
});
