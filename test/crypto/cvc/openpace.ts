/**
 * Runs Debian's openpace tools (cvc-create, cvc-print), the independent EAC implementation these
 * tests check cancuoc's CV certificates against. Keys for cvc-create are made by the openssl CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl } from '../pki/openssl.js';

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function tool(name: 'cvc-create' | 'cvc-print', args: readonly string[], cwd?: string): Run {
  const r = spawnSync(name, args, { cwd, maxBuffer: 16 << 20 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('utf8') };
}

/** cvc-print's reading of a certificate (or request): its labelled lines. */
export function printed(path: string, kind: 'cvc' | 'csr' = 'cvc', trustDir?: string): { fields: Record<string, string>; chat: string[]; verified: boolean; status: number } {
  const r = tool('cvc-print', [`--${kind}=${path}`, ...(trustDir === undefined ? [] : [`--cvc-dir=${trustDir}`])]);
  const fields: Record<string, string> = {};
  const chat: string[] = [];
  let inChat = false;
  for (const line of r.stdout.split('\n')) {
    const m = /^ {2}([A-Za-z ]+): ?(.*)$/.exec(line);
    if (m) {
      fields[m[1]!] = m[2]!;
      inChat = m[1] === 'CHAT';
    } else if (inChat && /^ {4,}\S/.test(line)) chat.push(line.trim());
  }
  return { fields, chat, verified: /^certificate verified$/m.test(r.stdout), status: r.status };
}

/** A PKCS#8 DER EC key made by openssl, as cvc-create wants it. */
export function pkcs8Key(dir: string, name: string, curve: string): string {
  const pem = join(dir, `${name}.pem`);
  const der = join(dir, `${name}.pkcs8`);
  if (openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', pem]).status !== 0) throw new Error('openssl genpkey failed');
  if (openssl(['pkcs8', '-topk8', '-nocrypt', '-in', pem, '-outform', 'DER', '-out', der]).status !== 0) throw new Error('openssl pkcs8 failed');
  return der;
}

/** cvc-print --cvc-dir looks trust anchors up by CHR as a file name. */
export function trustDir(dir: string, certs: readonly { chr: string; raw: Uint8Array }[]): string {
  const t = join(dir, 'trust');
  mkdirSync(t, { recursive: true });
  for (const c of certs) writeFileSync(join(t, c.chr), c.raw);
  return t;
}
