/**
 * The console's static files (docs/service.md "Console"): the pages, their script and style from
 * the package's console/ folder, and the zxing-wasm reader (script and WebAssembly) from its npm
 * package, so the browser fetches nothing from anywhere else. Only the files listed here are
 * served; a Content-Security-Policy keeps the pages to this origin.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  wasm: 'application/wasm',
};

// 'wasm-unsafe-eval' lets zxing-wasm compile its module; no inline script, no other origin.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'";

export interface ConsoleFiles {
  /** The package's console/ folder. */
  readonly pages: string;
  /** The zxing-wasm package folder (node_modules/zxing-wasm). */
  readonly zxing: string;
}

/** A request handler for the console; it answers false for paths that are not its own. */
export function consoleHandler(files: ConsoleFiles): (req: IncomingMessage, res: ServerResponse) => boolean {
  const page = (name: string) => join(files.pages, name);
  const routes = new Map<string, string>([
    ['/', page('index.html')],
    ['/console/zxing/reader.js', join(files.zxing, 'dist/iife/reader/index.js')],
    ['/console/zxing/zxing_reader.wasm', join(files.zxing, 'dist/reader/zxing_reader.wasm')],
    ...['checkpoint.html', 'station.html', 'index.html', 'console.css', 'i18n.js', 'checkpoint.js', 'station.js'].map((f): [string, string] => [`/console/${f}`, page(f)]),
  ]);
  // Read once at start: a missing file is an installation fault to see at once, not on first use.
  const cache = new Map([...routes].map(([path, file]) => [path, readFileSync(file)]));
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const body = cache.get(path);
    if (body === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const ext = routes.get(path)!.split('.').pop()!;
    res.writeHead(200, {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'content-length': body.length,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
