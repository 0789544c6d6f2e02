/**
 * Writes to the places a backdoor lives: SSH keys, shell start-up files, git
 * hooks, CI workflows, package install scripts, auth code.
 */
import type { Detector, Signal } from '../../detector.js';
import { base, inDependencyTree, targetPath, UntilWriterExits } from '../../facts.js';

/* code fetched and run, a raw address, a reverse shell, a secret handed to a download tool */
const RUNS_FETCHED =
  /\b(curl|wget)\b[^\n]*\|\s*(sudo\s+)?(ba|z|da)?sh\b|\bbase64\s+(-d|--decode)\b[^\n]*\|\s*(ba|z)?sh\b|\/dev\/tcp\/|\bhttps?:\/\/\d{1,3}(\.\d{1,3}){3}\b|\b(curl|wget)\b[^\n]*\$\{\{\s*secrets\./;
const LIFECYCLE = /^(pre|post)?install$|^prepare$|^prepublish(Only)?$|^(pre|post)?pack$/;

/** Places whose content decides: a CI workflow or an install script that runs fetched code. */
const JUDGED: Array<{ what: string; ordinary: string; re: RegExp; runs: (text: string) => string | undefined }> = [
  {
    what: 'a CI workflow',
    ordinary: 'workflows build and test the project',
    re: /\/\.github\/workflows\/[^/]+$|\/\.gitlab-ci\.ya?ml$|\/\.circleci\/config\.ya?ml$|\/Jenkinsfile$|\/azure-pipelines\.ya?ml$/,
    runs: (text) => RUNS_FETCHED.exec(text)?.[0],
  },
  {
    what: "a package's install script",
    ordinary: 'install scripts build what the package ships',
    re: /\/package\.json$/,
    runs: (text) => {
      let scripts: Record<string, unknown> = {};
      try {
        scripts = ((JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts ?? {}) as Record<
          string,
          unknown
        >;
      } catch {
        return undefined; /* half-written, or not JSON: nothing npm would run */
      }
      for (const [k, v] of Object.entries(scripts))
        if (LIFECYCLE.test(k) && typeof v === 'string' && RUNS_FETCHED.test(v)) return `"${k}": "${v}"`;
      return undefined;
    },
  },
];

const PLACES: Array<{
  what: string;
  re: RegExp;
  severity?: 'critical' | 'high' | 'medium';
  /** the project's own code only: the same names fill installed packages */
  projectOnly?: boolean;
}> = [
  { what: 'SSH authorized keys', re: /\/\.ssh\/(authorized_keys2?|config|rc)$/, severity: 'critical' },
  {
    what: 'a shell start-up file',
    re: /\/\.(bashrc|bash_profile|bash_login|profile|zshrc|zprofile|zshenv|bash_logout)$|\/etc\/(profile(\.d\/.*)?|bash\.bashrc|environment)$/,
  },
  { what: 'a git hook', re: /\/\.git\/hooks\/(?!.*\.sample$)[^/]+$/ },

  {
    what: 'a package install script',
    re: /\/(setup\.py|setup\.cfg|build\.rs|\.npmrc|install\.sh|postinstall\.[cm]?js)$/,
    severity: 'medium',
    projectOnly: true,
  },
  {
    what: 'authentication code',
    re: /\/[^/]*(auth|login|passw(or)?d|session|token|permission|acl)[^/]*\.(ts|js|py|go|rb|java|rs|php)$/i,
    severity: 'medium',
    projectOnly: true,
  },
  {
    what: 'the system sudoers or PAM configuration',
    re: /^\/etc\/(sudoers(\.d\/.*)?|pam\.d\/.*)$/,
    severity: 'critical',
  },
];

export default function backdoorWrite(): Detector {
  const written = new UntilWriterExits();
  return {
    id: 'backdoor-write',
    severity: 'high',
    tags: ['backdoor'],
    description: 'a write to SSH keys, shell rc files, git hooks, CI workflows, install scripts or auth code',
    event(e, ctx) {
      const t = targetPath(e);
      const path = t?.path;
      const out: Signal[] = [];
      for (const [p, w] of written.done(e)) {
        const place = JUDGED.find((j) => j.re.test(p));
        const says = place?.runs(ctx.readFile(p, 1 << 20) ?? '');
        if (place && says)
          out.push({
            message: `${place.what} written that runs fetched code: ${p} by ${w.comm} (pid ${w.pid}) says ${says.slice(0, 100)}; ${place.ordinary}, they do not fetch and run code`,
            events: [w],
            key: p,
            data: { path: p, place: place.what },
          });
      }
      if (out.length) return out;
      if (!path || base(path).startsWith('.#')) return undefined;
      /* the project's CI and package scripts are the agent's to edit when asked: judged by what they
       * run once written; a refused attempt is the policy's note to make */
      if (JUDGED.some((j) => j.re.test(path) && !inDependencyTree(path))) {
        if (!t.refused) written.note(path, e);
        return undefined;
      }
      const hit = PLACES.find((p) => p.re.test(path) && !(p.projectOnly && inDependencyTree(path)));
      if (!hit) return undefined;
      return [
        {
          severity: hit.severity,
          message: `${hit.what} ${t.refused ? 'write attempted (refused)' : 'written'}: ${path} by ${e.comm} (pid ${e.pid}); what is written there runs later, unreviewed, with the user's rights`,
          events: [e],
          key: path,
          data: { path, place: hit.what },
        },
      ];
    },
  };
}
