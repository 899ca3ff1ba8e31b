/**
 * `cancuoc qr make` / `qr verify` end to end. ZXingReader (zxing-cpp) is the independent judge
 * of the images we write; the tamper matrix of issue 4 gives each forged QR its verdict and
 * exit code (0 valid, 1 invalid, 2 untrusted/unsigned, 4 bad input).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initPki } from '../../src/crypto/pki.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cancuoc-qr-'));
const RECORD = 'fixtures/citizens/citizen-01.json';
const p = (name: string): string => join(work, name);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function zxingBytes(image: string): Buffer {
  return execFileSync('ZXingReader', ['-bytes', '-format', 'QRCode', image]);
}

async function qrOf(bytes: Uint8Array, file: string): Promise<string> {
  writeFileSync(p(file), await QRCode.toBuffer([{ data: bytes, mode: 'byte' }], { errorCorrectionLevel: 'M', type: 'png', scale: 6 }));
  return p(file);
}

beforeAll(async () => {
  await initPki({ dir: p('pkiA'), suite: 'ecdsa-bp256', country: 'VN', insecurePlainKeys: true });
  await initPki({ dir: p('pkiB'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
  for (const [args, out] of [
    [['--seal', '--pki', p('pkiA')], 'seal.png'],
    [['--seal', '--pki', p('pkiA')], 'seal.svg'],
    [['--seal', '--pki', p('pkiB')], 'sealB.png'],
    [[], 'plain.png'],
    [['--layout', '2024'], 'plain.svg'],
  ] as const) {
    const r = runCli(['qr', 'make', '--record', RECORD, ...args, '--out', p(out)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }
  for (const svg of ['seal.svg', 'plain.svg']) await sharp(p(svg), { density: 144 }).png().toFile(p(`${svg}.png`));
});

describe('ZXingReader reads what qr make writes', () => {
  const record = JSON.parse(readFileSync(RECORD, 'utf8')) as { fullName: string; placeOfResidence: string };
  const plainText = `001099012345|123456789|${record.fullName}|01011999|Nam|${record.placeOfResidence}|15032021`;
  it('plain text, PNG and SVG (2024 layout), as the exact UTF-8 bytes', () => {
    expect(zxingBytes(p('plain.png')).toString('hex')).toBe(Buffer.from(plainText, 'utf8').toString('hex'));
    expect(zxingBytes(p('plain.svg.png')).toString('hex')).toBe(Buffer.from(`${plainText}||||`, 'utf8').toString('hex'));
  });
  it('the binary seal, PNG and SVG, byte for byte the same seal', () => {
    const png = zxingBytes(p('seal.png'));
    expect(png[0]).toBe(0xdc);
    const svg = zxingBytes(p('seal.svg.png'));
    expect(svg.subarray(0, svg.length - 64).toString('hex')).toBe(png.subarray(0, png.length - 64).toString('hex')); // ECDSA is randomised
    writeFileSync(p('seal.bin'), png);
  });
});

describe('qr verify: verdicts and exit codes', () => {
  const verify = (images: string[], trust: string[] = [p('pkiA')]) =>
    runCli(['qr', 'verify', ...images, ...trust.flatMap((t) => ['--trust', t]), '--json']);
  const json = (out: string) => JSON.parse(out) as { verdict: string; exitCode: number; images: { codes: { verdict: string; code: string; fields?: Record<string, unknown> }[] }[] };

  it('a seal of the trusted PKI is VALID (exit 0), with its fields', () => {
    const r = verify([p('seal.png')]);
    expect(r.status).toBe(0);
    const j = json(r.stdout);
    expect(j.verdict).toBe('VALID');
    expect(j.images[0]!.codes[0]!.fields).toMatchObject({ personalId: '001099012345', dateOfBirth: '1999-01-01', sex: 'M' });
  });

  it('the plain text is "unsigned" (exit 2), and stays so when edited', async () => {
    const edited = readFileSync(RECORD, 'utf8'); // a forger edits the name; the text has no signature to break
    const forged = `001099012345|123456789|${(JSON.parse(edited) as { fullName: string }).fullName}X|01011999|Nam|Hà Nội|15032021`;
    const r = runCli(['qr', 'verify', p('plain.png'), await qrOf(Buffer.from(forged, 'utf8'), 'forged-plain.png')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/unsigned/);
    expect(r.stdout.match(/plain CCCD text: UNSIGNED/g)).toHaveLength(2);
  });

  it('a seal from a signer outside the trust store is UNTRUSTED (exit 2)', () => {
    const unknown = verify([p('sealB.png')]);
    expect([unknown.status, json(unknown.stdout).images[0]!.codes[0]!.code]).toEqual([2, 'SEAL_SIGNER_UNKNOWN']);
    // B's seal certificate given, but not B's CSCA: found, signature good, chain missing
    copyFileSync(join(p('pkiB'), 'seal.pem'), p('sealB-cert.pem'));
    const chainless = verify([p('sealB.png')], [p('pkiA'), p('sealB-cert.pem')]);
    expect([chainless.status, json(chainless.stdout).images[0]!.codes[0]!.code]).toEqual([2, 'SEAL_SIGNER_UNTRUSTED']);
  });

  it('seal bytes flipped (message zone, signature) are INVALID (exit 1)', async () => {
    const seal = readFileSync(p('seal.bin'));
    const inMessage = Buffer.from(seal);
    inMessage[seal.length - 80] = inMessage[seal.length - 80]! ^ 0x04; // inside placeOfResidence / expiry, before the signature zone
    const inSignature = Buffer.from(seal);
    inSignature[seal.length - 5] = inSignature[seal.length - 5]! ^ 0x01;
    for (const [bytes, name] of [[inMessage, 'flip-msg.png'], [inSignature, 'flip-sig.png']] as const) {
      const r = verify([await qrOf(bytes, name)]);
      expect(r.status, name).toBe(1);
      expect(json(r.stdout).verdict).toBe('INVALID');
    }
  });

  it('no QR code, or an unreadable file, is bad input (exit 4)', async () => {
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#fff' } }).png().toFile(p('blank.png'));
    writeFileSync(p('junk.png'), 'not an image');
    expect(verify([p('blank.png')]).status).toBe(4);
    expect(verify([p('junk.png')]).status).toBe(4);
  });
});
