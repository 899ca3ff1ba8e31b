/**
 * `cancuoc qr verify --card` through pcscd + vpcd: the QR printed on a card against the chip served
 * by `cancuoc card serve`. The plain QR of the same citizen becomes VALID; an edited one is INVALID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveImage } from '../../src/card/image.js';
import { ReaderWatch, waitForCard } from '../../src/reader/pcsc.js';
import { runCli } from '../helpers/cli.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../helpers/pcscd.js';
import { issueCard, makePki, personalizedChip, type TestPki } from './cards.js';

const ROOT = join(import.meta.dirname, '../..');
const RECORD = join(ROOT, 'fixtures/citizens/citizen-04.json');

describe.skipIf(!pcscStatus().available)('cancuoc qr verify --card over pcscd + vpcd', () => {
  let slot: HeldSlot;
  let pki: TestPki;
  let server: ChildProcess | undefined;
  const work = mkdtempSync(join(tmpdir(), 'cancuoc-qr-card-'));
  const csca = join(work, 'csca.pem');
  const id = (JSON.parse(readFileSync(RECORD, 'utf8')) as { id: string }).id;

  beforeAll(async () => {
    slot = await acquireVpcdSlot();
    pki = makePki();
    writeFileSync(csca, pki.csca.cert.pem);
    const image = join(work, 'card.json');
    saveImage(image, (await personalizedChip({ set: await issueCard('04', pki.ds) })).image());
    server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/cli.ts'), 'card', 'serve', '--image', image, '--port', String(slot.port)], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    await waitForCard({ reader: slot.reader, timeoutMs: 20_000 });
  });

  afterAll(async () => {
    if (server !== undefined) {
      const watch = await ReaderWatch.open(slot.reader, { timeoutMs: 10_000 });
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
      await watch.waitForRemoval(10_000).catch(() => undefined);
      await watch.close();
    }
    slot?.release();
    pki?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  const verify = (image: string) =>
    runCli(['qr', 'verify', image, '--card', '--id', id, '--reader', slot.reader, '--trust', csca, '--json']);

  it('the plain QR of the card holder agrees with the verified chip: VALID, exit 0', () => {
    const png = join(work, 'plain.png');
    expect(runCli(['qr', 'make', '--record', RECORD, '--out', png]).status).toBe(0);
    const r = verify(png);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { verdict: string; images: { codes: { verdict: string; code: string; chip: { verdict: string; checks: { match: boolean }[] } }[] }[] };
    const code = out.images[0]!.codes[0]!;
    expect(code.chip.verdict).toBe('VALID');
    expect(code.chip.checks.length).toBe(7);
    expect(code.chip.checks.every((c) => c.match)).toBe(true);
    expect(code.code).toBe('QR_MATCHES_CHIP');
    expect(out.verdict).toBe('VALID');
    expect(r.status).toBe(0);
  });

  it('an edited plain QR disagrees with the chip: INVALID, exit 1, naming the field', async () => {
    const text = await plainText();
    const edited = text.replace(/\|(\d{2})(\d{2})(\d{4})\|(Nam|Nữ)\|/, (_m, d: string, mo: string, y: string, sex: string) => `|${d}${mo}${Number(y) + 1}|${sex}|`);
    expect(edited).not.toBe(text);
    const png = join(work, 'edited.png');
    await QRCode.toFile(png, [{ data: Buffer.from(edited, 'utf8'), mode: 'byte' }], { errorCorrectionLevel: 'M' });
    const r = verify(png);
    const out = JSON.parse(r.stdout) as { verdict: string; images: { codes: { code: string; reason: string }[] }[] };
    expect(out.images[0]!.codes[0]!.code).toBe('QR_CHIP_MISMATCH');
    expect(out.images[0]!.codes[0]!.reason).toMatch(/^dateOfBirth on the QR/);
    expect(out.verdict).toBe('INVALID');
    expect(r.status).toBe(1);
  });

  async function plainText(): Promise<string> {
    const { cccdQrText } = await import('../../src/issuance/qr-payloads.js');
    const { parseCitizenRecord } = await import('../../src/issuance/citizen.js');
    return cccdQrText(parseCitizenRecord(readFileSync(RECORD, 'utf8')), '2021');
  }
});
