/**
 * Issue 15 items 3–6: inputs that ended in "internal error" (exit 5) now end in exit 4 with one
 * line saying what is wrong — or work, for a phone photo with an EXIF orientation. The hostile
 * files are written byte by byte here (an EXIF APP1 segment, a cut JPEG); sharp only turns the
 * pixels of the phone photo.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cancuoc-crashes-'));
const pki = join(work, 'pki');
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => {
  expect(runCli(['pki', 'init', '--out', pki, '--insecure-plain-keys']).status).toBe(0);
});

const FACE = 'fixtures/faces/face-02.jpg'; // 800×1000
const FMR = 'test/vectors/fmr/iso19794-2-2005_sourceafis-probe.fmr';

/** The JPEG with an Exif APP1 right after SOI: big-endian TIFF, one IFD0 entry 0112 (Orientation) = `orientation` (CIPA DC-008 §4.6.4). */
function withOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

const build = (photo: string, out: string, extra: string[] = []) =>
  runCli(['lds', 'build', '--record', 'fixtures/citizens/citizen-02.json', '--photo', photo, '--pki', pki, '--out', join(work, out), '--insecure-plain-keys', ...extra]);

function expectBadInput(r: CliResult, text: string): void {
  expect(r.status).toBe(4);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(text);
  expect(r.stderr).not.toContain('internal error');
}

describe('issue 15 crash fixes', () => {
  it('3: a phone photo with EXIF orientation 6 (stored 1000×800 on its side, shown 800×1000 upright) makes a portrait', async () => {
    // a phone stores the sensor's pixels and says how to turn them: the face lies on its side in
    // the file (turned 90° anticlockwise here) and orientation 6 turns it upright for display
    const sideways = await sharp(readFileSync(FACE)).rotate(270).jpeg({ quality: 92 }).toBuffer();
    const photo = join(work, 'rotated.jpg');
    writeFileSync(photo, withOrientation(sideways, 6));
    const r = build(photo, 'rotated');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('portrait 420×540');
  });

  it('3: a face box is taken in the shown (rotated) photo, and one outside it is named as such', () => {
    const photo = join(work, 'rotated-box.jpg');
    writeFileSync(photo, withOrientation(readFileSync(FACE), 6));
    const r = runCli(['enroll', '--record', 'fixtures/citizens/citizen-02.json', '--photo', photo, '--pki', pki, '--out', join(work, 'box'), '--insecure-plain-keys', '--face-box', '900,100,200,300']);
    expectBadInput(r, 'face box 900,100,200,300 is outside the 1000×800 photo');
  });

  it('4: a truncated JPEG', () => {
    const jpeg = readFileSync(FACE);
    const photo = join(work, 'cut.jpg');
    writeFileSync(photo, jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    expectBadInput(build(photo, 'cut'), 'photo is not a readable image');
  });

  it('5: lds build with three --finger files, as enroll', () => {
    expectBadInput(build(FACE, 'three', ['--finger', FMR, FMR, FMR]), '3 finger records given; a card holds at most 2');
  });

  it('6: qr make --seal with an RSA PKI says a seal is ECDSA only', () => {
    const rsa = join(work, 'pki-rsa');
    expect(runCli(['pki', 'init', '--out', rsa, '--alg', 'rsa-pss-3072', '--insecure-plain-keys']).status).toBe(0);
    const r = runCli(['qr', 'make', '--record', 'fixtures/citizens/citizen-02.json', '--seal', '--pki', rsa, '--out', join(work, 'seal.png')]);
    expectBadInput(r, 'a VDS seal is signed with ECDSA only');
  });
});
