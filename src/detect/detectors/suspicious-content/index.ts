/**
 * What a written file says: reverse shells, decode-and-execute, and long
 * hidden base64 payloads. A file is read once its writer is done with it:
 * when the writer exits, or acts again a moment after its last write.
 */
import type { WardenEvent } from '../../../model/events.js';
import type { Detector, DetectorContext, Signal } from '../../detector.js';
import { writtenPath } from '../../facts.js';

const SETTLE_US = 100_000;
const PATTERNS: Array<{ what: string; re: RegExp }> = [
  {
    what: 'a reverse shell',
    re: /\/dev\/(tcp|udp)\/[\w.-]+\/\d+|\bnc(at)?\b[^\n]*\s-(e|c)\s|socat\b[^\n]*exec:|bash -i\s*>&|pty\.spawn\(|sh\s+-i\s*[<>]/,
  },
  {
    what: 'decode-and-execute',
    re: /base64\s+(-d|--decode)[^\n]*\|\s*(ba|z)?sh\b|eval\s*\(\s*(atob|Buffer\.from)\(|exec\s*\(\s*(base64\.b64decode|codecs\.decode|zlib\.decompress)|eval\s*\(\s*(base64_decode|gzinflate|str_rot13)\s*\(|curl[^\n|]*\|\s*(ba|z)?sh\b|wget[^\n|]*\|\s*(ba|z)?sh\b/,
  },
  { what: 'a hidden base64 payload', re: /["'`][A-Za-z0-9+/]{400,}={0,2}["'`]/ },
  {
    what: 'git configuration that runs commands',
    re: /^\s*(hooksPath|fsmonitor|sshCommand|askpass|editor|pager)\s*=\s*\S|^\s*\w+\s*=\s*!/im,
  },
];
/* git runs what these say: scanned although .git is otherwise skipped */
const GIT_CONFIG = /(\/\.git\/config|\/\.gitconfig)$/;
/* installed packages and caches: written by the thousand, not by the agent's hand */
const VENDORED =
  /\/(node_modules|\.git|site-packages|dist-packages|\.cache|\.npm|\.cargo\/registry|target|__pycache__)\//;
const TEXT_FILE =
  /\.(sh|bash|zsh|py|js|mjs|cjs|ts|rb|pl|php|go|rs|java|ya?ml|json|toml|cfg|ini|conf|service|timer|desktop)$|\/(\.?[\w-]*rc|\.?profile|Makefile|Dockerfile|crontab|[^/.]+)$/;

export default function suspiciousContent(): Detector {
  /* writer pid -> path -> (the write, when) */
  const written = new Map<number, Map<string, WardenEvent>>();
  const scan = (ctx: DetectorContext, pid: number, nowUs: number | null): Signal[] => {
    const files = written.get(pid);
    if (!files) return [];
    const out: Signal[] = [];
    for (const [path, w] of files) {
      if (nowUs !== null && nowUs - w.timeUs < SETTLE_US) continue;
      files.delete(path);
      const text = ctx.readFile(path, 1 << 20);
      if (!text) continue;
      for (const p of PATTERNS) {
        if (p.what.startsWith('git') !== GIT_CONFIG.test(path)) continue;
        const m = p.re.exec(text);
        if (m) {
          out.push({
            message: `${path} now holds ${p.what}: ${m[0].slice(0, 80)}; project code has no use for it`,
            events: [w],
            key: `${path}:${p.what}`,
            data: { path, excerpt: m[0].slice(0, 200) },
          });
        }
      }
    }
    if (!files.size) written.delete(pid);
    return out;
  };
  return {
    id: 'suspicious-content',
    severity: 'high',
    tags: ['backdoor', 'untrusted-execution'],
    description: 'a written file holds a reverse shell, decode-and-execute code or a long hidden base64 payload',
    event(e, ctx) {
      const path = writtenPath(e);
      const watched =
        path !== undefined &&
        (GIT_CONFIG.test(path) || (TEXT_FILE.test(path) && !VENDORED.test(path) && !/^\/(dev|proc|sys)\//.test(path)));
      if (path && watched) {
        const files = written.get(e.pid) ?? new Map<string, WardenEvent>();
        files.set(path, e);
        written.set(e.pid, files);
        return undefined;
      }
      if (!written.has(e.pid)) return undefined;
      return scan(ctx, e.pid, e.type === 'exit' ? null : e.timeUs);
    },
  };
}
