/**
 * ISO/IEC 19794-5:2005 facial records (icao-worked-examples.md §6.7), checked on the BSI 2008 and
 * Dutch 2006 DG2 samples; JPEG records built from images made by sharp (libvips), an independent
 * encoder, and their size read back by sharp.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex, readUintBE } from '../../../src/lds/bytes.js';
import { decodeDg2, dg2FromFaceRecords } from '../../../src/lds/dg2.js';
import { attempt } from '../../../src/lds/errors.js';
import {
  decodeFaceRecord,
  detectImageFormat,
  encodeFaceRecord,
  eyeCentresOf,
  eyeCentrePoints,
  faceRecordFromJpeg,
  type FaceRecord,
} from '../../../src/lds/face-record.js';
import { mutations, randomBytes, truncations } from './hostile.js';

const SAMPLES = 'test/vectors/samples/';
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(SAMPLES + p));
/** The 5F2E value of a single-template DG2: 5F2E 82 LLLL at offset 33, value from 38. */
const bdbOf = (dg2: Uint8Array): Uint8Array => dg2.subarray(38, 38 + readUintBE(dg2, 36, 2));
const faceOf = (f: string): FaceRecord => {
  const bdb = decodeDg2(read(f)).templates[0]!.bdb;
  if (bdb.encoding !== 'ISO19794') throw new Error('expected a 19794 BDB');
  return bdb.record;
};

/** Width and height from the JP2 'ihdr' box (ISO/IEC 15444-1 §I.5.3.1), read here by hand. */
function jp2Size(jp2: Uint8Array): { width: number; height: number } {
  const at = Buffer.from(jp2).indexOf('ihdr');
  return { height: readUintBE(jp2, at + 4, 4), width: readUintBE(jp2, at + 8, 4) };
}

describe('BSI 2008 DG2 facial record (§6.7 table)', () => {
  const dg2 = read('bsi2008/Datagroup2.bin');
  const face = faceOf('bsi2008/Datagroup2.bin');

  it('header fields', () => {
    expect(face.recordLength).toBe(0x3ac5);
    expect(face.images).toHaveLength(1);
    const img = face.images[0]!;
    expect(img.featurePoints).toEqual([]);
    expect([img.gender, img.eyeColour, img.hairColour, img.featureMask, img.expression]).toEqual([0, 0, 0, 0, 0]);
    expect([...img.poseAngle, ...img.poseAngleUncertainty]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([img.faceImageType, img.imageDataType, img.width, img.height]).toEqual([1, 1, 337, 449]);
    expect([img.colourSpace, img.sourceType, img.deviceType, img.quality]).toEqual([0, 0, 0, 0]);
    expect(img.format).toBe('jpeg2000');
    // facial record data length 0x3AB7 = 32 bytes of headers + the image
    expect(img.imageData.length).toBe(0x3ab7 - 32);
    expect(img.offset).toBe(38 + 14);
  });

  it('the image is a JP2 whose own size (413 × 531) differs from the header: IMAGE_SIZE_MISMATCH', () => {
    const img = face.images[0]!;
    expect(hex(img.imageData.subarray(0, 12))).toBe('0000000c6a5020200d0a870a');
    expect(jp2Size(img.imageData)).toEqual({ width: 413, height: 531 });
    expect(face.warnings).toEqual(['IMAGE_SIZE_MISMATCH']);
  });

  it('re-encodes to the 5F2E bytes', () => {
    expect(hex(encodeFaceRecord(face))).toBe(hex(bdbOf(dg2)));
  });
});

describe('Dutch 2006 DG2 facial record', () => {
  it('449 × 598 JPEG 2000, 24-bit RGB, size agrees with the JP2 header', () => {
    const face = faceOf('loes2006/ef0102.bin');
    expect(face.warnings).toEqual([]);
    const img = face.images[0]!;
    expect([img.faceImageType, img.imageDataType, img.width, img.height, img.colourSpace]).toEqual([1, 1, 449, 598, 1]);
    expect(jp2Size(img.imageData)).toEqual({ width: 449, height: 598 });
  });
});

describe('record-length quirks of issued passports (gmrtd: up to 8 bytes)', () => {
  const bdb = bdbOf(read('bsi2008/Datagroup2.bin'));

  it('a record length 8 bytes short plus 8 trailing bytes: warnings, same bytes back', () => {
    const quirky = concat(bdb, new Uint8Array(8));
    const face = decodeFaceRecord(quirky);
    expect(face.warnings).toEqual(['IMAGE_SIZE_MISMATCH', 'TRAILING_BYTES', 'RECORD_LENGTH_MISMATCH']);
    expect(face.recordLength).toBe(bdb.length);
    expect(hex(encodeFaceRecord(face))).toBe(hex(quirky));
  });

  it('a record length 1 byte short (UK): warning only', () => {
    const quirky = bdb.slice();
    quirky[11] = quirky[11]! - 1;
    expect(decodeFaceRecord(quirky).warnings).toEqual(['IMAGE_SIZE_MISMATCH', 'RECORD_LENGTH_MISMATCH']);
  });

  it('9 trailing bytes, or a record length over the data: ParseError', () => {
    expect(attempt(() => decodeFaceRecord(concat(bdb, new Uint8Array(9))))).toMatchObject({ ok: false, error: { code: 'FACE_TRAILING_BYTES' } });
    const over = bdb.slice();
    over[11] = over[11]! + 1;
    expect(attempt(() => decodeFaceRecord(over, 38, 0x5f2e))).toMatchObject({
      ok: false,
      error: { code: 'FACE_RECORD_LENGTH', place: { offset: 38 + 8, tag: 0x5f2e } },
    });
  });

  it('image data type that disagrees with the magic bytes: warning', () => {
    const bad = bdb.slice();
    bad[14 + 20 + 1] = 0; // data type JPEG, but the data is JP2
    expect(decodeFaceRecord(bad).warnings).toEqual(['IMAGE_DATA_TYPE_MISMATCH', 'IMAGE_SIZE_MISMATCH']);
  });
});

describe('faceRecordFromJpeg (enrollment)', () => {
  it('takes the size from the JPEG frame and builds a DG2 that decodes back', async () => {
    const jpeg = new Uint8Array(await sharp({ create: { width: 240, height: 320, channels: 3, background: '#8090a0' } }).jpeg().toBuffer());
    const meta = await sharp(jpeg).metadata();
    const face = faceRecordFromJpeg(jpeg, { gender: 2, sourceType: 2 });
    const img = face.images[0]!;
    expect([img.width, img.height]).toEqual([meta.width, meta.height]);
    expect([img.imageDataType, img.faceImageType, img.colourSpace, img.gender, img.sourceType]).toEqual([0, 1, 1, 2, 2]);
    expect(img.format).toBe('jpeg');
    expect(face.warnings).toEqual([]);
    expect(face.recordLength).toBe(14 + 32 + jpeg.length);
    const dg2 = decodeDg2(dg2FromFaceRecords([face]));
    const t = dg2.templates[0]!;
    expect([t.header.biometricType, t.header.biometricSubtype, t.header.formatOwner, t.header.formatType]).toEqual([2, 0, 0x0101, 8]);
    expect(t.bdb.encoding === 'ISO19794' && hex(t.bdb.record.images[0]!.imageData)).toBe(hex(jpeg));
  });

  it('carries the eye centres as feature points 12.1 (left) and 12.2 (right), and reads them back', async () => {
    const jpeg = new Uint8Array(await sharp({ create: { width: 240, height: 320, channels: 3, background: '#8090a0' } }).jpeg().toBuffer());
    const face = faceRecordFromJpeg(jpeg, { featurePoints: eyeCentrePoints({ left: { x: 150.4, y: 140 }, right: { x: 90, y: 141.6 } }) });
    // Hand-built bytes of 19794-5:2005 §5.5–5.6: the point count after the block length, then each
    // point (type 1, code 0xC1 / 0xC2, x, y, reserved) after the 14-byte header and 20-byte facial information.
    expect(hex(face.raw.subarray(14 + 4, 14 + 6))).toBe('0002');
    expect(hex(face.raw.subarray(14 + 20, 14 + 20 + 16))).toBe(hex(fromHex('01C10096008C0000' + '01C2005A008E0000')));
    const back = decodeFaceRecord(face.raw).images[0]!;
    const eyes = eyeCentresOf(back)!;
    expect([eyes.left.x, eyes.left.y, eyes.right.x, eyes.right.y]).toEqual([150, 140, 90, 142]);
    expect(eyeCentresOf(faceRecordFromJpeg(jpeg).images[0]!)).toBeUndefined();
  });

  it('a greyscale JPEG gets colour space 8-bit greyscale', async () => {
    const jpeg = new Uint8Array(await sharp({ create: { width: 16, height: 24, channels: 3, background: '#777' } }).toColourspace('b-w').jpeg().toBuffer());
    expect((await sharp(jpeg).metadata()).channels).toBe(1);
    expect(faceRecordFromJpeg(jpeg).images[0]!.colourSpace).toBe(3);
  });

  it('rejects a wrong size, a non-JPEG and a JPEG without frame header', () => {
    const tiny = fromHex('FFD8FFD9');
    expect(attempt(() => faceRecordFromJpeg(tiny))).toMatchObject({ ok: false, error: { code: 'JPEG_NO_FRAME' } });
    expect(attempt(() => faceRecordFromJpeg(fromHex('89504E47')))).toMatchObject({ ok: false, error: { code: 'JPEG_BAD_MAGIC' } });
    // SOF0 for 8 × 8, one component
    const sof = fromHex('FFD8FFC0000B08000800080101110000FFD9');
    expect(faceRecordFromJpeg(sof).images[0]!.width).toBe(8);
    expect(() => faceRecordFromJpeg(sof, { width: 9 })).toThrow(RangeError);
    expect(() => faceRecordFromJpeg('jpeg' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('image format detection', () => {
  it('JPEG SOI, JP2 signature box, J2K codestream, else undefined', () => {
    expect(detectImageFormat(fromHex('FFD8FFE0'))).toBe('jpeg');
    expect(detectImageFormat(fromHex('0000000C6A5020200D0A870A'))).toBe('jpeg2000');
    expect(detectImageFormat(fromHex('FF4FFF51'))).toBe('jpeg2000');
    expect(detectImageFormat(fromHex('FFA0FFA8'))).toBeUndefined();
  });
});

describe('hostile input: only ParseError', () => {
  const bdb = bdbOf(read('bsi2008/Datagroup2.bin'));
  const small = encodeFaceRecord({
    images: [
      {
        ...faceOf('bsi2008/Datagroup2.bin').images[0]!,
        featurePoints: [{ type: 1, major: 12, minor: 2, x: 100, y: 120, reserved: 0 }],
        imageData: fromHex('FFD8FFD9'),
        imageDataType: 0,
      },
    ],
  });

  it('every prefix fails', () => {
    truncations(decodeFaceRecord, small);
    truncations(decodeFaceRecord, bdb, 97);
  });

  it('mutations of the headers', () => {
    mutations(decodeFaceRecord, small, 2000);
    mutations(decodeFaceRecord, bdb, 500, 60);
  });

  it('random bytes behind a valid identifier', () => {
    randomBytes(decodeFaceRecord, 1000, 3, fromHex('4641430030313000'));
  });

  it('feature points survive a round trip', () => {
    const back = decodeFaceRecord(small);
    expect(back.images[0]!.featurePoints).toEqual([{ type: 1, major: 12, minor: 2, x: 100, y: 120, reserved: 0 }]);
    expect(hex(encodeFaceRecord(back))).toBe(hex(small));
  });
});
