/**
 * Writes to the places a backdoor lives: SSH keys, shell start-up files, git
 * hooks and git set to run commands, whatever is written; CI workflows,
 * package install scripts and auth code by what they say once written.
 */
import type { Detector, Signal } from '../../detector.js';
import {
  base,
  gitConfiguredToRun,
  inDependencyTree,
  packageScripts,
  targetPath,
  UntilWriterExits,
} from '../../facts.js';

/* code fetched and run, a raw address, a reverse shell, a secret handed to a download tool */
const RUNS_FETCHED =
  /\b(curl|wget)\b[^\n]*\|\s*(sudo\s+)?(ba|z|da)?sh\b|\bbase64\s+(-d|--decode)\b[^\n]*\|\s*(ba|z)?sh\b|\/dev\/tcp\/|\bhttps?:\/\/\d{1,3}(\.\d{1,3}){3}\b|\b(curl|wget)\b[^\n]*\$\{\{\s*secrets\./;
/* a way in that skips the check: a hard-coded credential compared with, a condition always true */
const BYPASS =
  /\b\w*(token|passw(or)?d|secret|key|auth\w*|credential|header|got)\w*\s*(===?|!==?)\s*['"][^'"\n$]{6,}['"]|\|\|\s*true\b|\bif\s*\(\s*(true|1)\s*\)|\bor\s+True\b|\b(master|backdoor|bypass|debug)_?(password|token|key)\b/i;
/* Python that runs a command, fetches, or decodes code to run */
const PY_RUNS =
  /\b(os\.(system|popen|exec\w*|spawn\w*)|subprocess|pty\.spawn|exec\s*\(|eval\s*\(|urllib|urlopen|requests\.(get|post)|socket\.|http\.client|b64decode|codecs\.decode)\b|\b(curl|wget)\s/;
const LIFECYCLE = /^(pre|post)?install$|^prepare$|^prepublish(Only)?$|^(pre|post)?pack$/;

/** Places whose content decides: a CI workflow or an install script that runs fetched code, auth code with a way in. */
const JUDGED: Array<{
  what: string;
  /** what the content does that makes it a backdoor */
  finding: string;
  /** why ordinary work's version does not */
  ordinary: string;
  re: RegExp;
  runs: (text: string, path: string) => string | undefined;
  /** judged inside installed packages too: the place itself is there */
  inDependencies?: boolean;
}> = [
  {
    what: 'a CI workflow',
    finding: 'runs fetched code or sends secrets out',
    ordinary: 'workflows build and test the project, they do not fetch and run code',
    re: /\/\.github\/workflows\/[^/]+$|\/\.gitlab-ci\.ya?ml$|\/\.circleci\/config\.ya?ml$|\/Jenkinsfile$|\/azure-pipelines\.ya?ml$/,
    runs: (text) => RUNS_FETCHED.exec(text)?.[0],
  },
  {
    what: 'authentication code',
    finding: 'lets a hard-coded way in',
    ordinary: 'access checks compare what they are given with what is configured, not with a literal',
    re: /\/[^/]*(auth|login|passw(or)?d|session|token|permission|acl)[^/]*\.(ts|js|mjs|cjs|py|go|rb|java|rs|php)$/i,
    runs: (text) => BYPASS.exec(text)?.[0],
  },
  {
    /* a .pth line starting with import runs at every Python start; pip's own (an editable install's
     * finder, setuptools' distutils shim) import a module and call it, nothing more */
    what: 'a Python start-up file',
    finding: 'runs a command or fetched code at every Python start',
    ordinary: "packages' .pth files add paths or install an import hook, they do not run commands",
    re: /\/(site|dist)-packages\/([^/]+\.pth|sitecustomize\.py|usercustomize\.py)$/,
    runs: (text, path) => {
      /* a .pth runs its import lines only (the rest are paths); a *customize.py runs whole */
      const code = path.endsWith('.pth')
        ? text
            .split('\n')
            .filter((l) => /^import[ \t]/.test(l))
            .join('\n')
        : text;
      return PY_RUNS.exec(code)?.[0];
    },
    inDependencies: true,
  },
  {
    what: "a package's install script",
    finding: 'runs fetched code',
    ordinary: 'install scripts build what the package ships, they do not fetch and run code',
    re: /\/package\.json$/,
    runs: (text) => {
      /* half-written, or not JSON: nothing npm would run */
      for (const [k, v] of packageScripts(text) ?? [])
        if (LIFECYCLE.test(k) && RUNS_FETCHED.test(v)) return `"${k}": "${v}"`;
      return undefined;
    },
  },
];

/** The place whose content decides, if `path` is one (in installed packages only those that live there). */
const judgedPlace = (path: string): (typeof JUDGED)[number] | undefined =>
  JUDGED.find((j) => j.re.test(path) && (j.inDependencies || !inDependencyTree(path)));

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
      const setting = gitConfiguredToRun(e);
      if (setting && e.type === 'exec')
        out.push({
          message: `git set to run a command (${setting}): ${e.argv.join(' ').slice(0, 120)}; git then runs it on the next commit, status or fetch, unreviewed`,
          events: [e],
          key: `git-config:${setting}`,
          data: { place: 'a git configuration' },
        });
      for (const [p, w] of written.done(e)) {
        const place = judgedPlace(p);
        const says = place?.runs(ctx.readFile(p, 1 << 20) ?? '', p);
        if (place && says)
          out.push({
            message: `${place.what} written that ${place.finding}: ${p} by ${w.comm} (pid ${w.pid}) says ${says.slice(0, 100)}; ${place.ordinary}`,
            events: [w],
            key: p,
            data: { path: p, place: place.what },
          });
      }
      if (out.length) return out;
      if (!path || base(path).startsWith('.#')) return undefined;
      /* the project's CI and package scripts are the agent's to edit when asked: judged by what they
       * run once written; a refused attempt is the policy's note to make */
      if (judgedPlace(path)) {
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
