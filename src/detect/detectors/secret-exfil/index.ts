/**
 * A secret read, then data leaving: the shape of exfiltration. Secrets are
 * credential files and .env files; egress is a connection or datagram to
 * another machine, or a DNS name carrying an encoded payload.
 */
import type { WardenEvent } from '../../../pipeline/events.js';
import type { Detector } from '../../detector.js';
import { HOME, isEgress, readPath } from '../../facts.js';

const SECRET = new RegExp(
  [
    `^${HOME}/\\.(ssh|aws|gnupg|azure|kube|docker/config\\.json|netrc|git-credentials|pgpass|config/gcloud|config/gh/hosts\\.yml)`,
    '(^|/)\\.env(\\.[\\w.-]+)?$',
    '(^|/)(id_rsa|id_ed25519|id_ecdsa)(\\.pub)?$',
    '\\.(pem|key|p12|pfx)$',
    '(^|/)(credentials|secrets?)(\\.(json|ya?ml|toml))?$',
    '^/etc/(shadow|gshadow|ssl/private/)',
  ].join('|'),
);
/** Public certificates and CA bundles: .pem, but nothing secret. */
const PUBLIC_CERT =
  /^\/(etc\/ssl\/certs|etc\/pki\/ca-trust|usr\/share|usr\/lib\/ssl|usr\/local\/share\/ca-certificates)\/|(^|[-_./])(ca|certs?|bundle|chain|fullchain)([-_.]|$)[^/]*$/i;
/** A label too long and too random to be a host name someone chose. */
const ENCODED_LABEL = /(^|\.)([a-z0-9+/=_-]{32,})\./i;

export default function secretExfil(): Detector {
  let secretRead: WardenEvent | undefined;
  return {
    id: 'secret-exfil',
    severity: 'critical',
    tags: ['exfiltration'],
    description: 'a credential or .env file read, then a connection, datagram or encoded DNS name leaving the machine',
    event(e) {
      const read = readPath(e);
      if (read && SECRET.test(read) && !read.endsWith('.pub') && !PUBLIC_CERT.test(read)) secretRead ??= e;
      if (e.type === 'dns' && ENCODED_LABEL.test(e.name)) {
        const first = secretRead;
        return [
          {
            severity: first ? 'critical' : 'high',
            message: first
              ? `${first.type === 'open' ? first.path : 'a secret'} was read, then a DNS query carried an encoded label: ${e.name.slice(0, 80)}`
              : `a DNS query carried an encoded label (DNS tunnelling): ${e.name.slice(0, 80)}`,
            events: first ? [first, e] : [e],
            key: `dns:${first ? 'after-secret' : 'bare'}`,
          },
        ];
      }
      /* a DNS lookup is not a channel by itself: an encoded name is (above) */
      if (secretRead && isEgress(e) && e.dport !== 53) {
        const path = secretRead.type === 'open' ? secretRead.path : '?';
        return [
          {
            message: `${path} was read, then ${e.comm} (pid ${e.pid}) ${e.decision?.verdict === 'denied' ? 'tried to send data (refused)' : 'sent data'} to ${e.daddr}:${e.dport}`,
            events: [secretRead, e],
            key: `${e.daddr}:${e.dport}`,
            data: { secret: path, destination: `${e.daddr}:${e.dport}` },
          },
        ];
      }
      return undefined;
    },
  };
}
