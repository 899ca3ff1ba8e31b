/**
 * QR decoding (ISO/IEC 18004, zxing-wasm then jsQR) from photo-like 1280×720 frames made with sharp: blur,
 * rotation up to 30°, shear/perspective, low contrast, noise, JPEG quality 20, a small code in
 * a large frame. The expected bytes are the payloads we put in; no timing is asserted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hex, utf8 } from '../../src/lds/bytes.js';
import { ParseError } from '../../src/lds/errors.js';
import { decodeQrImage } from '../../src/qr/decode-image.js';
import { degradedPhotos, qrPng } from './photos.js';

const TEXT = utf8('001099012345|123456789|Nguyễn Văn A|01011999|Nam|Số 1, Phường D, Quận E, Hà Nội|15032021');
// a binary payload: the BSI TR-03137 Annex D seal (bytes ≥ 0x80, UTF-8 inside)
const SEAL = new Uint8Array(readFileSync(join(import.meta.dirname, '../vectors/vds/seals/bsi_tr03137__D_social_insurance_card.bin')));

describe.each([
  ['plain text', TEXT],
  ['binary seal', SEAL],
] as const)('degraded photos of the %s', (_label, payload) => {
  it('every photo decodes to the exact payload bytes', async () => {
    const photos = await degradedPhotos(payload);
    expect(photos.map((p) => p.name)).toEqual(expect.arrayContaining(['blur', 'rotate30', 'perspective', 'low-contrast', 'noise', 'jpeg20', 'small-in-frame']));
    for (const photo of photos) {
      const meta = await sharp(photo.jpeg).metadata();
      expect([meta.width, meta.height]).toEqual([1280, 720]);
      const codes = await decodeQrImage(photo.jpeg);
      expect(codes.map((c) => hex(c.bytes)), photo.name).toEqual([hex(payload)]);
    }
  });
});

describe('decodeQrImage', () => {
  it('finds several codes in one image', async () => {
    const a = await qrPng(TEXT, 4);
    const b = await qrPng(SEAL, 4);
    const img = await sharp({ create: { width: 1000, height: 560, channels: 3, background: '#fff' } })
      .composite([{ input: a, left: 20, top: 40 }, { input: b, left: 520, top: 40 }])
      .png()
      .toBuffer();
    const codes = await decodeQrImage(img);
    expect(codes.map((c) => hex(c.bytes)).sort()).toEqual([hex(TEXT), hex(SEAL)].sort());
  });

  it('returns nothing for an image without a code, and ParseError for bytes that are no image', async () => {
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#888' } }).png().toBuffer();
    expect(await decodeQrImage(blank)).toEqual([]);
    await expect(decodeQrImage(Uint8Array.of(0x89, 0x50, 0x4e, 0x47))).rejects.toBeInstanceOf(ParseError);
    const png = await qrPng(TEXT, 4);
    await expect(decodeQrImage(png.subarray(0, png.length / 2))).rejects.toBeInstanceOf(ParseError);
  });
});
