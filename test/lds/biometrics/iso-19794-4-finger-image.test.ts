/**
 * ISO/IEC 19794-4:2005 finger image records inside the BSI 2008 DG3 sample. Expected values are
 * the bytes of that published file (general header at 5F2E+0, finger image header at +32).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hex, readUintBE } from '../../../src/lds/bytes.js';
import { decodeDg3, fingerSubtype } from '../../../src/lds/dg3.js';
import { attempt } from '../../../src/lds/errors.js';
import { decodeFingerImageRecord, encodeFingerImageRecord, FINGER_IMAGE_COMPRESSION, type FingerImageRecord } from '../../../src/lds/finger-image.js';
import { mutations, randomBytes, truncations } from './hostile.js';

const dg3 = new Uint8Array(readFileSync('test/vectors/samples/bsi2008/Datagroup3.bin'));
/** The two 5F2E values: 5F2E 82 LLLL at 33 and 16494 (offsets from `openssl asn1parse`). */
const bdbs = [33, 16494].map((at) => ({ at: at + 5, bytes: dg3.subarray(at + 5, at + 5 + readUintBE(dg3, at + 3, 2)) }));

describe('BSI 2008 DG3 finger image records', () => {
  const templates = decodeDg3(dg3).templates;
  const records = templates.map((t) => (t.bdb.encoding === 'ISO19794' ? t.bdb.record : undefined)) as FingerImageRecord[];

  it('general header: 500 ppi, 8-bit, WSQ, one finger each', () => {
    for (const [i, r] of records.entries()) {
      expect(r.kind).toBe('finger-image');
      expect(r.recordLength).toBe(bdbs[i]!.bytes.length);
      expect([r.captureDeviceId, r.acquisitionLevel, r.scaleUnits]).toEqual([0, 31, 1]);
      expect([r.scanResolutionX, r.scanResolutionY, r.imageResolutionX, r.imageResolutionY]).toEqual([500, 500, 500, 500]);
      expect([r.pixelDepth, r.compression, r.reserved]).toEqual([8, FINGER_IMAGE_COMPRESSION.wsq, 0]);
      expect(r.images).toHaveLength(1);
      expect(r.warnings).toEqual([]);
    }
  });

  it('finger image headers: right index then left index, 620 × 620, quality 100, WSQ data', () => {
    const [a, b] = records.map((r) => r.images[0]!);
    expect([a!.position, b!.position]).toEqual([2, 7]);
    for (const img of [a!, b!]) {
      expect([img.viewCount, img.viewNumber, img.quality, img.impressionType, img.width, img.height, img.reserved]).toEqual([1, 1, 100, 0, 620, 620, 0]);
      // WSQ starts with SOI FFA0 (ANSI/NIST WSQ specification)
      expect(hex(img.imageData.subarray(0, 2))).toBe('ffa0');
    }
    expect(a!.offset).toBe(bdbs[0]!.at + 32);
    expect(a!.imageData.length).toBe(readUintBE(dg3, bdbs[0]!.at + 32, 4) - 14);
  });

  it('the header subtype agrees with the finger position (7816-11 Table C.3)', () => {
    templates.forEach((t, i) => expect(fingerSubtype(records[i]!.images[0]!.position)).toBe(t.header.biometricSubtype));
  });

  it('re-encodes each record to its 5F2E bytes', () => {
    records.forEach((r, i) => expect(hex(encodeFingerImageRecord(r))).toBe(hex(bdbs[i]!.bytes)));
  });
});

describe('errors', () => {
  const bdb = bdbs[0]!;

  it('a record length that disagrees: warning, and it is kept', () => {
    const odd = bdb.bytes.slice();
    odd[13] = odd[13]! + 1;
    const r = decodeFingerImageRecord(odd);
    expect(r.warnings).toEqual(['RECORD_LENGTH_MISMATCH']);
    expect(hex(encodeFingerImageRecord(r))).toBe(hex(odd));
  });

  it('an image block shorter than its header: FIR_BAD_IMAGE_LENGTH at that block', () => {
    const bad = bdb.bytes.slice();
    bad.set([0, 0, 0, 13], 32);
    expect(attempt(() => decodeFingerImageRecord(bad, bdb.at, 0x5f2e))).toMatchObject({
      ok: false,
      error: { code: 'FIR_BAD_IMAGE_LENGTH', place: { offset: bdb.at + 32, tag: 0x5f2e } },
    });
  });

  it('the encoder names bad fields', () => {
    const r = decodeFingerImageRecord(bdb.bytes);
    expect(() => encodeFingerImageRecord({ ...r, images: [] })).toThrow(RangeError);
    expect(() => encodeFingerImageRecord({ ...r, pixelDepth: 256 })).toThrow(/"pixelDepth"/);
  });
});

describe('hostile input: only ParseError', () => {
  const small = encodeFingerImageRecord({ ...decodeFingerImageRecord(bdbs[0]!.bytes), images: [{ ...decodeFingerImageRecord(bdbs[0]!.bytes).images[0]!, imageData: Uint8Array.of(0xff, 0xa0, 0xff, 0xa1) }], recordLength: undefined });

  it('every prefix', () => {
    truncations(decodeFingerImageRecord, small);
    truncations(decodeFingerImageRecord, bdbs[1]!.bytes, 211);
  });

  it('mutations and random bytes', () => {
    mutations(decodeFingerImageRecord, small, 2000);
    randomBytes(decodeFingerImageRecord, 1000, 4, Uint8Array.from(Buffer.from('FIR\x00010\x00', 'latin1')));
  });
});
