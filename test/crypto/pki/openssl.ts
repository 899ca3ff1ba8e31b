/** Runs the openssl CLI, the independent tool these tests check cancuoc's PKI output against. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly out: Buffer;
}

export function openssl(args: readonly string[], input?: Uint8Array | string, env?: NodeJS.ProcessEnv): Run {
  const r = spawnSync('openssl', args, { input, env: env ?? process.env, maxBuffer: 16 << 20 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('utf8'), out: r.stdout };
}

/** DER made by `openssl asn1parse -genconf` from an ASN1_generate_nconf(3) description. */
export function derFromConf(conf: string, dir: string): Uint8Array {
  writeFileSync(join(dir, 'gen.conf'), conf);
  const r = openssl(['asn1parse', '-genconf', join(dir, 'gen.conf'), '-noout', '-out', join(dir, 'gen.der')]);
  if (r.status !== 0) throw new Error(`openssl asn1parse -genconf failed: ${r.stderr}`);
  return new Uint8Array(readFileSync(join(dir, 'gen.der')));
}

const made: string[] = [];
// Evaluated while the importing test file is collected, so this hook belongs to that file.
afterAll(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A temp directory removed after the importing test file has run. */
export function tempDir(prefix = 'cancuoc-pki-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
