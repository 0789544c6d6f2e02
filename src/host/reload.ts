/**
 * `warden policy reload`: the request is a file dropped in the run directory, which the session
 * watches; its answer is a file beside it.
 */
import { existsSync, readFileSync, renameSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { reloadRequest, reloadResult, runDir, type Config } from '../config.js';
import { PolicyError } from '../policy/load.js';

export interface ReloadAnswer {
  ok: boolean;
  message: string;
  notes: string[];
}

/**
 * Watches for the session's reload requests; `apply` puts the named policy in force and says what
 * it noted, or throws to keep the policy in force.
 */
export function watchReloads(
  cfg: Config,
  sessionId: string,
  apply: (file: string, workspace: string) => Promise<{ name: string; mode: string; notes: string[] }>,
): FSWatcher {
  const answer = async (): Promise<void> => {
    const request = reloadRequest(cfg, sessionId);
    let result: ReloadAnswer;
    try {
      const { file, workspace } = JSON.parse(readFileSync(request, 'utf8')) as { file: string; workspace: string };
      rmSync(request, { force: true });
      const next = await apply(file, workspace);
      result = { ok: true, message: `policy "${next.name}" (${next.mode}) in force`, notes: next.notes };
    } catch (e) {
      rmSync(request, { force: true });
      const problems = e instanceof PolicyError ? e.problems.join('\n') : (e as Error).message;
      result = { ok: false, message: `kept the policy in force; the new one was refused:\n${problems}`, notes: [] };
    }
    const out = reloadResult(cfg, sessionId);
    writeFileSync(`${out}.tmp`, JSON.stringify(result));
    renameSync(`${out}.tmp`, out);
  };
  const watcher = watch(runDir(cfg), (_, name) => {
    if (name === `${sessionId}.reload` && existsSync(reloadRequest(cfg, sessionId))) void answer();
  });
  watcher.unref();
  return watcher;
}

/** Hands a reload request to a running session and returns its answer. */
export async function requestReload(
  cfg: Config,
  sessionId: string,
  file: string,
  workspace: string,
  timeoutMs = 10000,
): Promise<ReloadAnswer> {
  const request = reloadRequest(cfg, sessionId);
  const result = reloadResult(cfg, sessionId);
  rmSync(result, { force: true });
  writeFileSync(`${request}.tmp`, JSON.stringify({ file, workspace }), { mode: 0o600 });
  renameSync(`${request}.tmp`, request);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(result)) {
      const answer = JSON.parse(readFileSync(result, 'utf8')) as ReloadAnswer;
      rmSync(result, { force: true });
      return answer;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  rmSync(request, { force: true });
  throw new Error(`session ${sessionId} did not answer: is its warden run still running?`);
}
