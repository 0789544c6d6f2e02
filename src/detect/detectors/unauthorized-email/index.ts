/** Mail sent by an agent: SMTP connections, mail API hosts, mail programs. */
import type { Detector } from '../../detector.js';
import { program } from '../../facts.js';

const SMTP_PORTS = new Set([25, 465, 587, 2525]);
const MAIL_APIS =
  /(^|\.)(api\.sendgrid\.com|api\.mailgun\.net|api\.postmarkapp\.com|api\.resend\.com|api\.brevo\.com|api\.sparkpost\.com|mandrillapp\.com|gmail\.googleapis\.com|email\.[\w-]+\.amazonaws\.com|smtp\.[\w.-]+)$/i;
const MAIL_PROGRAMS = /^(sendmail|mail|mailx|mutt|msmtp|swaks|ssmtp|exim4?|postfix)$/;

export default function unauthorizedEmail(): Detector {
  return {
    id: 'unauthorized-email',
    severity: 'high',
    tags: ['unauthorized-email'],
    description: 'an SMTP connection, a mail-sending API looked up, or a mail program run',
    event(e) {
      if ((e.type === 'connect' || e.type === 'send') && SMTP_PORTS.has(e.dport) && e.family !== 'unix') {
        return [
          {
            message: `SMTP connection to ${e.daddr}:${e.dport} by ${e.comm}; no one asked the agent to send mail`,
            events: [e],
            key: `${e.daddr}:${e.dport}`,
          },
        ];
      }
      if (e.type === 'dns' && MAIL_APIS.test(e.name.replace(/\.$/, ''))) {
        return [
          {
            message: `mail service ${e.name} looked up by ${e.comm}; no one asked the agent to send mail`,
            events: [e],
            key: e.name,
          },
        ];
      }
      if (e.type === 'exec' && MAIL_PROGRAMS.test(program(e))) {
        return [
          {
            message: `mail program run: ${e.argv.join(' ').slice(0, 120)}; no one asked the agent to send mail`,
            events: [e],
            key: program(e),
          },
        ];
      }
      return undefined;
    },
  };
}
