/** Serves the dashboard's built files (dist/ui) from the daemon. */
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function dashboardFiles(dir: string): ((path: string, res: ServerResponse) => boolean) | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  return (path, res) => {
    const rel = normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, rel);
    if (!file.startsWith(dir) || !existsSync(file) || !TYPES[extname(file)]) return false;
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': rel.startsWith('/assets/') ? 'max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'",
    });
    res.end(readFileSync(file));
    return true;
  };
}
