/**
 * `cancuoc read` and `cancuoc verify` through the real PC/SC stack: the chip is served by
 * `cancuoc card serve` (vpcd driver of pcscd), the CLI reads it with pcsclite. A genuine card,
 * its dump, a wrong CAN, and two tamper-matrix cases give their verdicts and exit codes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveImage } from '../../src/card/image.js';
import type { DocumentSet } from '../../src/issuance/document-set.js';
import { ReaderWatch, waitForCard } from '../../src/reader/pcsc.js';
import { runCli } from '../helpers/cli.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../helpers/pcscd.js';
import { issueCard, makePki, newChipKey, personalizedChip, resign, type ChipSpec, type TestPki } from './cards.js';

const status = pcscStatus();
const ROOT = join(import.meta.dirname, '../..');

describe.skipIf(!status.available)('cancuoc read / verify over pcscd + vpcd', () => {
  let slot: HeldSlot;
  let pki: TestPki;
  let card: DocumentSet;
  let server: ChildProcess | undefined;
  const work = mkdtempSync(join(tmpdir(), 'cancuoc-verify-pcsc-'));
  const csca = join(work, 'csca.pem');

  beforeAll(async () => {
    slot = await acquireVpcdSlot();
    pki = makePki();
    writeFileSync(csca, pki.csca.cert.pem);
    card = await issueCard('04', pki.ds);
  });

  afterAll(async () => {
    await stop();
    slot?.release();
    pki?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  /** Serves a chip made from `spec` in the held vpcd slot until stop(). */
  async function serve(spec: ChipSpec): Promise<void> {
    await stop();
    const image = join(work, `card-${Date.now()}.json`);
    saveImage(image, (await personalizedChip(spec)).image());
    server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/cli.ts'), 'card', 'serve', '--image', image, '--port', String(slot.port)], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    await waitForCard({ reader: slot.reader, timeoutMs: 20_000 });
  }

  async function stop(): Promise<void> {
    const child = server;
    if (child === undefined) return;
    server = undefined;
    const watch = await ReaderWatch.open(slot.reader, { timeoutMs: 10_000 });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    await watch.waitForRemoval(10_000).catch(() => undefined);
    await watch.close();
  }

  const verifyCli = (...args: string[]) => runCli(['verify', '--reader', slot.reader, '--trust', csca, ...args]);

  it('a genuine card: read --id dumps it, verify gives VALID (exit 0) and a PNG face, the dump verifies too', async () => {
    await serve({ set: card });
    const id = JSON.parse(readFileSync(join(ROOT, 'fixtures/citizens/citizen-04.json'), 'utf8')).id as string;
    const dump = join(work, 'dump');
    const read = runCli(['read', '--reader', slot.reader, '--id', id, '--out', dump]);
    expect(read.stderr).toBe('');
    expect(read.status).toBe(0);
    for (const name of ['CardAccess', 'COM', 'SOD', 'DG1', 'DG2', 'DG13', 'DG14', 'DG15']) {
      expect(readFileSync(join(dump, `${name}.bin`)).equals(Buffer.from(card.files.get(name)!)), name).toBe(true);
    }

    const face = join(work, 'face.png');
    const r = verifyCli('--can', card.can, '--json', '--face', face);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { verdict: string; accessControl: string; checks: { id: string; status: string }[] };
    expect(json.verdict).toBe('VALID');
    expect(json.accessControl).toBe('PACE');
    expect(json.checks.find((c) => c.id === 'aa')?.status).toBe('pass');
    expect(json.checks.find((c) => c.id === 'ca')?.status).toBe('pass');
    expect(readFileSync(face).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a'); // PNG signature

    const human = runCli(['verify', '--dir', dump, '--trust', csca, '--no-face']);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('Số định danh:');
    // a dump: VALID for its data, and it says the chip was not authenticated (docs/trust-policy.md)
    expect(human.stdout).toMatch(/VERDICT: VALID \(the data are the issuer's; chip authenticity NOT checked\)\n$/);
  }, 120_000);

  it('a wrong CAN: exit 3 with a clear message', () => {
    const r = verifyCli('--can', card.can === '000000' ? '111111' : '000000');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/access denied: wrong CAN or MRZ key/);
  });

  it('read into a non-empty folder: refused (exit 4) and the folder untouched; --force replaces the whole dump', () => {
    const dir = join(work, 'not-empty');
    mkdirSync(dir);
    writeFileSync(join(dir, 'DG1.bin'), 'another citizen');
    const refused = runCli(['read', '--reader', slot.reader, '--can', card.can, '--out', dir]);
    expect(refused.status).toBe(4);
    expect(refused.stderr).toMatch(/output folder is not empty/);
    expect(readdirSync(dir)).toEqual(['DG1.bin']);
    expect(readFileSync(join(dir, 'DG1.bin'), 'utf8')).toBe('another citizen');

    const forced = runCli(['read', '--reader', slot.reader, '--can', card.can, '--out', dir, '--force']);
    expect(forced.stderr).toBe('');
    expect(forced.status).toBe(0);
    expect(readFileSync(join(dir, 'DG1.bin')).equals(Buffer.from(card.files.get('DG1')!))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([...card.files.keys()].filter((n) => n !== 'DG3').map((n) => `${n}.bin`).sort());
  }, 120_000);

  it('AA signature wrong (chip key differs from DG15): INVALID, exit 1', async () => {
    await serve({ set: card, aaKey: newChipKey() });
    const r = verifyCli('--can', card.can, '--no-face');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\[FAIL\] aa +the chip's signature over a fresh challenge does not verify/);
    expect(r.stdout).toMatch(/VERDICT: INVALID\n$/);
  }, 120_000);

  it('SOD re-signed by an untrusted DS: UNTRUSTED, exit 2', async () => {
    await serve({ set: card, files: await resign(card.files, pki.foreignDs) });
    const r = verifyCli('--can', card.can, '--no-face');
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/VERDICT: UNTRUSTED\n$/);
  }, 120_000);

  it('no such reader: exit 3', () => {
    const r = runCli(['verify', '--reader', 'No Such Reader 99', '--can', '123456', '--trust', csca, '--wait', '1']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no card/);
  });
});
