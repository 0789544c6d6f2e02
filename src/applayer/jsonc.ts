/**
 * JSON with comments and trailing commas (JSONC), as agent CLIs' settings are written (opencode's
 * opencode.jsonc, VS Code-style files): comments and trailing commas outside strings are dropped,
 * then it is JSON. Anything else that is not JSON still throws.
 */
export function parseJsonc(text: string): unknown {
  let out = '';
  let comma = false; /* a comma seen, kept back until what follows says it is not a trailing one */
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      out += c;
      i++;
      continue;
    }
    if (comma && c !== '}' && c !== ']') out += ',';
    comma = false;
    if (c === ',') {
      comma = true;
      i++;
    } else if (c === '"') {
      /* a string, escapes and all, as it is */
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(comma ? `${out},` : out);
}
