/**
 * EAC end to end through the real PC/SC stack, as a user runs it (docs/eac.md): `pki init`
 * (with its CVCA), `pki terminal`, `lds build` with a fingerprint, `card serve` on vpcd,
 * `personalize`, then `verify --terminal` reads DG3 and says VALID (and `read --terminal` saves
 * it); without `--terminal` DG3 is
 * denied as before; an IS without the DG3 right, an expired IS and an IS of another country's
 * CVCA leave DG3 closed and exit 3.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPki } from '../../src/crypto/pki.js';
import { issueTerminal } from '../../src/crypto/terminal-pki.js';
import { ReaderWatch, waitForCard } from '../../src/reader/pcsc.js';
import { runCli } from '../helpers/cli.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../helpers/pcscd.js';
import { tempDir } from '../crypto/pki/openssl.js';

const status = pcscStatus();
const ROOT = join(import.meta.dirname, '..', '..');
const ID = '001099012345';

describe.skipIf(!status.available)('verify --terminal through pcscd + vpcd', () => {
  const work = tempDir();
  const at = (p: string): string => join(work, p);
  let slot: HeldSlot;
  let server: ChildProcess;

  const cli = (...args: string[]) => {
    const r = runCli(args);
    if (r.status !== 0) throw new Error(`cancuoc ${args.slice(0, 2).join(' ')} exited ${r.status}: ${r.stderr}`);
    return r;
  };

  beforeAll(async () => {
    cli('pki', 'init', '--out', at('pki'), '--insecure-plain-keys');
    cli('pki', 'terminal', '--pki', at('pki'), '--out', at('term'), '--rights', 'dg3', '--insecure-plain-keys');
    cli('pki', 'terminal', '--pki', at('pki'), '--out', at('term-no-dg3'), '--rights', 'dg4', '--insecure-plain-keys');
    cli('pki', 'init', '--out', at('other'), '--country', 'UT', '--insecure-plain-keys');
    cli('pki', 'terminal', '--pki', at('other'), '--out', at('term-other'), '--insecure-plain-keys');
    // `pki terminal` only issues from today; an expired IS is made through the library
    const pki = await loadPki(at('pki'));
    try {
      await issueTerminal({ pki, out: at('term-expired'), rights: { readDg3: true, readDg4: true }, now: new Date(Date.now() - 40 * 86400000), days: 30, insecurePlainKeys: true });
    } finally {
      pki.close();
    }
    const fx = (p: string): string => join(ROOT, 'fixtures', p);
    cli('lds', 'build', '--record', fx('citizens/citizen-01.json'), '--photo', fx('faces/face-01.jpg'), '--finger', fx('fingers/finger-01.iso'), '--pki', at('pki'), '--out', at('set'), '--insecure-plain-keys');
    cli('card', 'new', '--out', at('card.img'));
    slot = await acquireVpcdSlot();
    server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/cli.ts'), 'card', 'serve', '--image', at('card.img'), '--port', String(slot.port)], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    await waitForCard({ reader: slot.reader, timeoutMs: 20_000 });
    cli('personalize', at('set'), '--reader', slot.reader);
  }, 240_000);

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      const watch = await ReaderWatch.open(slot.reader, { timeoutMs: 10_000 });
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
      await watch.waitForRemoval(10_000).catch(() => undefined);
      await watch.close();
    }
    slot?.release();
  });

  const verify = (terminal?: string) => {
    const r = runCli(['verify', '--reader', slot.reader, '--id', ID, '--trust', at('pki/csca.pem'), '--json', '--no-face', ...(terminal ? ['--terminal', at(terminal)] : [])]);
    let json: { verdict: string; checks: { id: string; status: string; code: string; reason: string }[]; files: { name: string; status: string }[]; fingerprints?: { fingers: number; formats: string[] } };
    try {
      json = JSON.parse(r.stdout);
    } catch {
      throw new Error(`verify printed no JSON (exit ${r.status}): ${r.stderr}`);
    }
    const ta = json.checks.find((c) => c.id === 'ta');
    const dg3 = json.files.find((f) => f.name === 'DG3')?.status;
    return { status: r.status, json, ta, dg3 };
  };

  it('verify --terminal: TA, DG3 read and hashed, fingerprints in the report, VALID (exit 0)', () => {
    const v = verify('term');
    expect(v.ta).toMatchObject({ status: 'pass' });
    expect(v.dg3).toBe('read');
    expect(v.json.checks.find((c) => c.id === 'dg.3.hash')?.status).toBe('pass');
    expect(v.json.fingerprints).toMatchObject({ fingers: 1, formats: ['ISO19794-2:2005'] });
    expect([v.json.verdict, v.status]).toEqual(['VALID', 0]);
  });

  it('read --terminal writes DG3.bin beside the other files', () => {
    const r = runCli(['read', '--reader', slot.reader, '--id', ID, '--out', at('read'), '--terminal', at('term')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/DG3\.bin {2}\d+ bytes/);
    expect(r.stdout).toMatch(/^Terminal Authentication: Terminal Authentication as VNIS/m);
    expect(readFileSync(at('read/DG3.bin'))[0]).toBe(0x63);
  });

  it('without --terminal DG3 is denied as before and the card is VALID', () => {
    const v = verify();
    expect([v.ta, v.dg3, v.json.verdict, v.status]).toEqual([undefined, 'denied', 'VALID', 0]);
  });

  it('an IS without the DG3 right, an expired IS, another country\'s IS: DG3 closed, exit 3', () => {
    for (const [dir, code] of [['term-no-dg3', 'TA_RIGHT_MISSING'], ['term-expired', 'TA_CERTIFICATE_EXPIRED'], ['term-other', 'TA_REFUSED']] as const) {
      const v = verify(dir);
      expect([v.ta?.code, v.dg3, v.status], dir).toEqual([code, 'denied', 3]);
    }
  });
});
