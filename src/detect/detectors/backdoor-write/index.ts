/**
 * Writes to the places a backdoor lives: SSH keys, shell start-up files, git
 * hooks, CI workflows, package install scripts, auth code.
 */
import type { Detector } from '../../detector.js';
import { base, inDependencyTree, targetPath } from '../../facts.js';

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
    what: 'a CI workflow',
    re: /\/\.github\/workflows\/[^/]+$|\/\.gitlab-ci\.ya?ml$|\/\.circleci\/config\.ya?ml$|\/Jenkinsfile$|\/azure-pipelines\.ya?ml$/,
  },
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
  return {
    id: 'backdoor-write',
    severity: 'high',
    tags: ['backdoor'],
    description: 'a write to SSH keys, shell rc files, git hooks, CI workflows, install scripts or auth code',
    event(e) {
      const t = targetPath(e);
      const path = t?.path;
      if (!path || base(path).startsWith('.#')) return undefined;
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
