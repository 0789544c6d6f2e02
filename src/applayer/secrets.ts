/**
 * Finds secrets in what an agent sends out (model prompts, tool results) and
 * redacts them. Two sources: credential formats recognisable on sight, and
 * the literal values the agent read from .env-style files.
 *
 * Every scan runs on the request path. Each pattern starts with a literal
 * (or a short set of them) so the regex engine skips through ordinary text;
 * that measured faster than guarding each pattern with substring searches.
 * Known values are one alternation, one pass however many there are.
 */

export interface SecretHit {
  /** what was found: 'private-key', 'aws-access-key', 'openai-key', 'env-value', ... */
  kind: string;
  /** first 4 characters, '…', then the length: enough to recognise, never the secret */
  preview: string;
}

interface SecretPattern {
  kind: string;
  /** global, and linear on any input: no nested unbounded repetition, no lazy scan to the end */
  regex: RegExp;
  /** the secret is this group, which ends the match (the rest is the name it was assigned to) */
  group?: number;
  /** rejects look-alikes the regex alone cannot tell apart */
  accept?: (secret: string, match: RegExpMatchArray) => boolean;
}

/** Random keys mix classes; identifiers such as `sk-learn-pipeline-step` do not. */
const mixesCase = (s: string): boolean => /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s);
const classCount = (s: string): number => [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(s)).length;
/** A PEM body has base64 lines; code or prose that only names the header has none. */
const hasKeyBody = (m: RegExpMatchArray): boolean => /[A-Za-z0-9+/=]{40}/.test(m[3] ?? m[4] ?? '');

const PATTERNS: SecretPattern[] = [
  {
    kind: 'private-key',
    // Through the END line; when that is missing (a cut or partial paste), through the
    // base64 body. Backslashes let `\n` pairs through: the same key inside a JSON string.
    regex:
      /-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY( BLOCK)?-----(?:([A-Za-z0-9+/=:,.\s\\-]*)-----END \1PRIVATE KEY\2-----|([A-Za-z0-9+/=:,.\s\\-]*))/g,
    accept: (_, m) => hasKeyBody(m),
  },
  { kind: 'aws-access-key', regex: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g },
  {
    kind: 'aws-secret-key',
    // The secret key has no prefix of its own: it is recognised by the name it is assigned to.
    regex:
      /(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)[\\"'\s]{0,4}(?:[:=]|=>)[\\"'\s]{0,4}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    accept: (s) => classCount(s) >= 2,
  },
  {
    kind: 'github-token',
    regex: /\bgh[pousr]_[A-Za-z0-9]{36,251}\b/g,
  },
  { kind: 'github-token', regex: /\bgithub_pat_[A-Za-z0-9_]{22,251}\b/g },
  { kind: 'anthropic-key', regex: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}/g },
  {
    kind: 'openai-key',
    regex: /(?<![A-Za-z0-9_-])sk-(?!ant-)[A-Za-z0-9_-]{20,}/g,
    accept: (s) => mixesCase(s.slice(3)),
  },
  {
    kind: 'slack-token',
    regex: /\bxox[abpors]-(?:[A-Za-z0-9]{1,40}-){1,6}[A-Za-z0-9]{1,64}\b/g,
    accept: (s) => s.length >= 20 && /[0-9]/.test(s),
  },
  { kind: 'google-api-key', regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: 'stripe-key', regex: /\b[rs]k_live_[0-9A-Za-z]{20,247}\b/g },
  {
    kind: 'jwt',
    // Only at the start of a base64url run: a match tried from inside one would rescan it (quadratic).
    regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}(?![A-Za-z0-9_-])/g,
  },
];

const MIN_KNOWN_VALUE_LENGTH = 8;

interface Found {
  start: number;
  end: number;
  kind: string;
  /** the secret as first written, for the preview and to tell hits apart */
  secret: string;
  /** a recognised format outranks a known value over the same text: its kind says more */
  known: boolean;
}

export class SecretScanner {
  // Each form a known value may take in the text (as read, JSON-escaped), to what it stands for.
  private readonly known = new Map<string, { kind: string; secret: string }>();
  // Built on first use after a change; null when there is nothing to look for.
  private knownRegex: RegExp | null = null;
  private knownChanged = false;

  /** Watches for values the agent read from .env-style files; each at least 8 chars, trimmed of quotes. */
  addKnownValues(values: Iterable<string>, kind = 'env-value'): void {
    for (const raw of values) {
      const secret = stripQuotes(raw.trim());
      if (secret.length < MIN_KNOWN_VALUE_LENGTH) continue;
      for (const form of encodedForms(secret)) this.known.set(form, { kind, secret });
      this.knownChanged = true;
    }
  }

  /** The distinct secrets in `text`. */
  scan(text: string): SecretHit[] {
    const hits = new Map<string, SecretHit>();
    for (const f of this.find(text)) addHit(hits, f);
    return [...hits.values()];
  }

  /**
   * Walks a parsed JSON value and returns a copy with every secret inside a
   * string replaced by `[REDACTED:<kind>]`, plus the hits. Object keys are left alone.
   */
  redact(value: unknown): { value: unknown; hits: SecretHit[] } {
    const hits = new Map<string, SecretHit>();
    let result: unknown = value;
    // A work list, not recursion: a deeply nested body must not overflow the stack.
    const work: { value: unknown; set: (v: unknown) => void }[] = [{ value, set: (v) => (result = v) }];
    for (let item = work.pop(); item !== undefined; item = work.pop()) {
      const v = item.value;
      if (typeof v === 'string') {
        item.set(this.redactString(v, hits));
      } else if (Array.isArray(v)) {
        const copy: unknown[] = v.slice();
        item.set(copy);
        for (let i = copy.length - 1; i >= 0; i--) work.push({ value: copy[i], set: (x) => (copy[i] = x) });
      } else if (typeof v === 'object' && v !== null) {
        // Own keys only, `__proto__` included as the plain key JSON.parse made it.
        const copy: Record<string, unknown> = { ...v };
        item.set(copy);
        for (const [k, child] of Object.entries(copy).reverse()) work.push({ value: child, set: (x) => (copy[k] = x) });
      }
    }
    return { value: result, hits: [...hits.values()] };
  }

  private redactString(text: string, hits: Map<string, SecretHit>): string {
    const found = this.find(text);
    if (found.length === 0) return text;
    let out = '';
    let at = 0;
    for (const f of found) {
      addHit(hits, f);
      out += `${text.slice(at, f.start)}[REDACTED:${f.kind}]`;
      at = f.end;
    }
    return out + text.slice(at);
  }

  /** Secrets in `text`, in order, none overlapping. */
  private find(text: string): Found[] {
    const found: Found[] = [];
    for (const p of PATTERNS) {
      for (const m of text.matchAll(p.regex)) {
        const secret = (p.group === undefined ? m[0] : m[p.group]) ?? '';
        if (p.accept !== undefined && !p.accept(secret, m)) continue;
        const end = m.index + m[0].length;
        found.push({ start: end - secret.length, end, kind: p.kind, secret, known: false });
      }
    }
    const knownRegex = this.knownValuesRegex();
    for (const m of knownRegex === null ? [] : text.matchAll(knownRegex)) {
      const value = this.known.get(m[0]);
      if (value !== undefined) found.push({ start: m.index, end: m.index + m[0].length, ...value, known: true });
    }
    if (found.length < 2) return found;
    found.sort((a, b) => a.start - b.start || b.end - a.end || Number(a.known) - Number(b.known));
    const kept: Found[] = [];
    for (const f of found) {
      const last = kept[kept.length - 1];
      if (last === undefined || f.start >= last.end) kept.push(f);
    }
    return kept;
  }

  private knownValuesRegex(): RegExp | null {
    if (this.knownChanged) {
      // Longest first: where one value starts another, the alternation takes the whole.
      const forms = [...this.known.keys()].sort((a, b) => b.length - a.length);
      this.knownRegex = forms.length === 0 ? null : new RegExp(forms.map(escapeRegex).join('|'), 'g');
      this.knownChanged = false;
    }
    return this.knownRegex;
  }
}

/**
 * The forms a known value may take in a request: as read, JSON-escaped,
 * URL-encoded, hex, and base64 (standard and URL-safe) at each of the three
 * alignments it can have inside a longer encoded text (a whole .env file
 * piped through base64 holds the value at any byte offset).
 */
export function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  forms.add(bytes.toString('hex'));
  forms.add(bytes.toString('hex').toUpperCase());
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    /* only the characters no neighbouring byte shares */
    const inner = b64.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    if (inner.length < MIN_KNOWN_VALUE_LENGTH) continue;
    forms.add(inner);
    forms.add(inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function addHit(hits: Map<string, SecretHit>, f: Found): void {
  const key = `${f.kind}\0${f.secret}`;
  if (!hits.has(key)) hits.set(key, { kind: f.kind, preview: `${f.secret.slice(0, 4)}…${f.secret.length}` });
}

function stripQuotes(s: string): string {
  const q = s[0];
  return s.length >= 2 && (q === '"' || q === "'" || q === '`') && s.endsWith(q) ? s.slice(1, -1) : s;
}

const ENV_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
// Names under which a value is a secret whatever it looks like.
const SECRET_NAME = /KEY|SECRET|TOKEN|PASS|PWD|CREDENTIAL|AUTH|PRIVATE|SIGNATURE|SALT|DSN|COOKIE|SESSION|CERT/i;
const PLAIN_WORD = /^(?:true|false|yes|no|on|off|null|none|nil|undefined|enabled|disabled)$/i;
const NUMBER = /^[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const LOOPBACK_OR_IP = /^(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[?[0-9a-f]*:[0-9a-f:]*\]?)(?::\d+)?$/i;
const URL = /^[a-z][a-z0-9+.-]*:\/\/(?:([^\s/@]*)@)?/i;
const HOSTNAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?$/;
const PATH = /^(?:~|\.{1,2})?\/[\w./-]*$/;

/**
 * The values worth watching in a credential file the agent read: a .netrc's
 * passwords and accounts, a private key's body lines (so the key is found
 * however it is re-encoded), else a .env file's values.
 */
export function credentialValues(path: string, text: string): string[] {
  if (/(^|\/)[._]netrc$/.test(path)) {
    const words = text.split(/\s+/);
    return words.filter(
      (w, i) => i > 0 && /^(password|passwd|account)$/.test(words[i - 1] ?? '') && w.length >= MIN_KNOWN_VALUE_LENGTH,
    );
  }
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    return text
      .split(/\r?\n/)
      .filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l.trim()))
      .map((l) => l.trim());
  }
  return envFileValues(text);
}

/**
 * Parses KEY=VALUE lines of a .env file (export prefix, quotes, comments) and
 * returns the values worth watching: at least 8 characters, not obviously
 * non-secret (true/false/numbers/localhost/urls without credentials are skipped).
 */
export function envFileValues(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  const values = new Set<string>();
  const unclosed = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const m = ENV_LINE.exec(lines[i] ?? '');
    if (m === null) continue;
    const key = m[1] ?? '';
    const raw = (m[2] ?? '').trim();
    // A comment starts at a `#` after whitespace (a search, not /\s+#.*$/, which backtracks on long blanks).
    const comment = raw.search(/\s#/);
    let value = comment === -1 ? raw : raw.slice(0, comment).trimEnd();
    const quote = raw[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // A quoted value may run over several lines (a PEM key); unclosed, it is read as written.
      const quoted = readQuoted(lines, i, raw.slice(1), quote, unclosed);
      if (quoted !== null) {
        value = quoted.value;
        i = quoted.lastLine;
      }
    }
    for (const v of worthWatching(key, value)) values.add(v);
  }
  return [...values];
}

/**
 * Reads a quoted value from `rest` on, over following lines until its closing
 * quote. `unclosed` holds the quotes already searched for to the end of the
 * file in vain: past the current line they cannot close, so none is searched twice.
 */
function readQuoted(
  lines: string[],
  first: number,
  rest: string,
  quote: string,
  unclosed: Set<string>,
): { value: string; lastLine: number } | null {
  const parts: string[] = [];
  const last = unclosed.has(quote) ? first : lines.length - 1;
  for (let line = first; line <= last; line++) {
    const text = line === first ? rest : (lines[line] ?? '');
    const close = closingQuote(text, quote);
    if (close !== -1) return { value: [...parts, text.slice(0, close)].join('\n'), lastLine: line };
    parts.push(text);
  }
  unclosed.add(quote);
  return null;
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && quote === '"') i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

function worthWatching(key: string, value: string): string[] {
  if (value.length < MIN_KNOWN_VALUE_LENGTH) return [];
  if (PLAIN_WORD.test(value) || NUMBER.test(value) || LOOPBACK_OR_IP.test(value)) return [];
  const url = URL.exec(value);
  if (url !== null) {
    // Only a URL carrying credentials is a secret; watch its password on its own too.
    const userinfo = url[1];
    if (userinfo === undefined) return [];
    const password = userinfo.slice(userinfo.indexOf(':') + 1);
    return userinfo.includes(':') && password.length >= MIN_KNOWN_VALUE_LENGTH ? [value, password] : [value];
  }
  if (SECRET_NAME.test(key)) return [value];
  // Under any other name, only what looks generated: long, letters and digits mixed.
  const generated = value.length >= 16 && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
  return generated && !HOSTNAME.test(value) && !PATH.test(value) ? [value] : [];
}
