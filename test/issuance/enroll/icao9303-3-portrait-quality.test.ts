/**
 * ICAO 9303-3 (8th ed.) §3.9 / ISO/IEC 19794-5 portraits from enrollment photos: the synthetic
 * fixture faces pass, found by the detector; darkened, blown-out, blurred and shrunken versions of
 * them (made here with sharp) are rejected with their reason, judged on the face (the operator's
 * face box where the detector cannot find a drawn face any more); the portrait is 35:45, under the
 * byte budget, grayscale on request, and a portrait already made is kept byte for byte.
 * Real photographs: icao9303-3-face-detect.test.ts.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/lds/errors.js';
import { checkPhoto, makePortrait, portraitCrop } from '../../../src/issuance/portrait.js';

const face = new Uint8Array(readFileSync(new URL('../../../fixtures/faces/face-03.jpg', import.meta.url)));
const HEAD = { left: 225, top: 135, width: 350, height: 475 };

async function codeOf(photo: Uint8Array | Buffer, faceBox?: typeof HEAD): Promise<string | undefined> {
  try {
    await checkPhoto(new Uint8Array(photo), faceBox === undefined ? {} : { faceBox });
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).place.field).toBe('photo');
    return (e as ValidationError).code;
  }
}

describe('photo quality (issue 5 §1)', () => {
  it('accepts every synthetic fixture face, found by the detector, eyes level within 4°', async () => {
    for (let n = 1; n <= 20; n++) {
      const photo = new Uint8Array(readFileSync(new URL(`../../../fixtures/faces/face-${String(n).padStart(2, '0')}.jpg`, import.meta.url)));
      const analysis = await checkPhoto(photo);
      expect(analysis.face, `face-${n}`).toBeDefined();
      expect(Math.abs(analysis.rollDegrees), `face-${n}`).toBeLessThan(4);
      // The drawn head is centred at x = 400 in every fixture.
      const eyesX = (analysis.face!.rightEye.x + analysis.face!.leftEye.x) / 2;
      expect(Math.abs(eyesX - 400), `face-${n}`).toBeLessThan(20);
    }
  });

  it('rejects a darkened photo as too dark, measured on the face found', async () => {
    expect(await codeOf(await sharp(face).linear(0.15, 0).jpeg().toBuffer())).toBe('FACE_TOO_DARK');
    expect(await codeOf(await sharp(face).linear(0.15, 0).jpeg().toBuffer(), HEAD)).toBe('FACE_TOO_DARK');
  });

  it('rejects a blown-out photo as overexposed, measured in the face box', async () => {
    expect(await codeOf(await sharp(face).linear(3, 60).jpeg().toBuffer(), HEAD)).toBe('FACE_OVEREXPOSED');
  });

  it('rejects a blurred photo, measured in the face box', async () => {
    expect(await codeOf(await sharp(face).blur(12).jpeg().toBuffer(), HEAD)).toBe('BLURRED');
  });

  it('gives NO_FACE where a drawn face is blurred or blown out beyond what the detector finds', async () => {
    expect(await codeOf(await sharp(face).blur(12).jpeg().toBuffer())).toBe('NO_FACE');
    expect(await codeOf(await sharp(face).linear(3, 60).jpeg().toBuffer())).toBe('NO_FACE');
  });

  it('rejects a shrunken photo as too small', async () => {
    expect(await codeOf(await sharp(face).resize(120, 150).jpeg().toBuffer())).toBe('PHOTO_TOO_SMALL');
  });

  it('rejects bytes that are no image', async () => {
    expect(await codeOf(new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]))).toBe('PHOTO_UNREADABLE');
    expect(await codeOf(new Uint8Array(0))).toBe('PHOTO_UNREADABLE');
  });
});

describe('ICAO portrait', () => {
  it('is 35:45, under the default 15 000-byte budget, a JPEG sharp reads back', async () => {
    const p = await makePortrait(face, { faceBox: HEAD });
    expect(p.jpeg.length).toBeLessThanOrEqual(15_000);
    const meta = await sharp(p.jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([p.width, p.height]);
    expect(Math.abs(meta.width! / meta.height! - 35 / 45)).toBeLessThan(0.005);
  });

  it('meets a smaller budget', async () => {
    const p = await makePortrait(face, { maxBytes: 6000 });
    expect(p.jpeg.length).toBeLessThanOrEqual(6000);
  });

  it('is grayscale on request: one channel', async () => {
    const p = await makePortrait(face, { grayscale: true });
    expect((await sharp(p.jpeg).metadata()).channels).toBe(1);
    expect(p.grayscale).toBe(true);
  });

  it('centres the crop on the face box: head at 3/4 of the portrait height', () => {
    const crop = portraitCrop(800, 1000, HEAD);
    expect(crop.height).toBeCloseTo(475 / 0.75, -1);
    expect(crop.left + crop.width / 2).toBeCloseTo(400, -1);
    expect(crop.top + crop.height / 2).toBeCloseTo(135 + 475 / 2, -1);
  });

  it('keeps a portrait that already is one, byte for byte (no second JPEG generation)', async () => {
    const first = await makePortrait(face, { faceBox: HEAD });
    const again = await makePortrait(first.jpeg);
    expect(Buffer.from(again.jpeg).equals(Buffer.from(first.jpeg))).toBe(true);
    const gray = await makePortrait(first.jpeg, { grayscale: true });
    expect((await sharp(gray.jpeg).metadata()).channels).toBe(1);
  });

  it('cannot fit an impossible budget: PHOTO_BUDGET', async () => {
    await expect(makePortrait(face, { maxBytes: 300 })).rejects.toMatchObject({ code: 'PHOTO_BUDGET' });
  });
});
