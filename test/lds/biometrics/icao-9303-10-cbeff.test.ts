/**
 * ICAO 9303-10 (8th ed.) §4.7.2 Table 44 / ISO/IEC 7816-11: the CBEFF templates of DG2, DG3, DG4.
 * Vectors: test/vectors/samples (BSI 2008 and Dutch 2006 test sets) and the header values listed
 * in icao-worked-examples.md §6.6.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { equalBytes, fromHex, hex } from '../../../src/lds/bytes.js';
import {
  biometricHeader,
  decodeBiometricDataGroup,
  encodeBiometricDataGroup,
  type BiometricTemplate,
} from '../../../src/lds/cbeff.js';
import { decodeDg2, encodeDg2 } from '../../../src/lds/dg2.js';
import { decodeDg3, encodeDg3 } from '../../../src/lds/dg3.js';
import { decodeDg4, encodeDg4, opaqueRecordCodec } from '../../../src/lds/dg4.js';
import { attempt, ParseError } from '../../../src/lds/errors.js';
import { encodeTlv } from '../../../src/lds/tlv.js';
import { mutations, randomBytes, truncations } from './hostile.js';

const SAMPLES = 'test/vectors/samples/';
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(SAMPLES + p));

const samples = [
  { file: 'bsi2008/Datagroup2.bin', decode: decodeDg2, encode: encodeDg2, count: 1 },
  { file: 'loes2006/ef0102.bin', decode: decodeDg2, encode: encodeDg2, count: 1 },
  { file: 'bsi2008/Datagroup3.bin', decode: decodeDg3, encode: encodeDg3, count: 2 },
  { file: 'bsi2008/Datagroup4.bin', decode: decodeDg4, encode: encodeDg4, count: 2 },
] as const;

/** Offsets of the 7F60 templates as `openssl asn1parse` reports them (an independent BER parser). */
function opensslTemplateOffsets(bytes: Uint8Array): number[] {
  const out = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: bytes }).toString();
  return out
    .split('\n')
    .filter((l) => /d=2 .*appl \[ 96 \]/.test(l))
    .map((l) => Number(l.split(':')[0]));
}

describe('sample data groups decode and re-encode byte for byte', () => {
  for (const s of samples) {
    it(s.file, () => {
      const bytes = read(s.file);
      const dg = s.decode(bytes);
      expect(dg.templates).toHaveLength(s.count);
      expect(equalBytes(dg.raw, bytes)).toBe(true);
      expect(dg.templates.map((t) => t.offset)).toEqual(opensslTemplateOffsets(bytes));
      const again = (s.encode as (t: typeof dg.templates) => Uint8Array)(dg.templates);
      expect(hex(again)).toBe(hex(bytes));
    });
  }
});

describe('biometric header template values (icao-worked-examples §6.6)', () => {
  it('face: 81 02, 82 00, 87 0101, 88 0008', () => {
    for (const f of ['bsi2008/Datagroup2.bin', 'loes2006/ef0102.bin']) {
      const h = decodeDg2(read(f)).templates[0]!.header;
      expect([h.biometricType, h.biometricSubtype, h.formatOwner, h.formatType]).toEqual([0x02, 0x00, 0x0101, 0x0008]);
      expect(h.patronHeaderVersion).toBeUndefined();
    }
  });

  it('finger image: 81 08, 82 09 / 0A, 87 0101, 88 0007', () => {
    const [a, b] = decodeDg3(read('bsi2008/Datagroup3.bin')).templates;
    expect([a!.header.biometricType, a!.header.biometricSubtype, a!.header.formatOwner, a!.header.formatType]).toEqual([8, 9, 0x0101, 7]);
    expect(b!.header.biometricSubtype).toBe(0x0a);
  });

  it('iris: 80 0101, 81 10, 82 01 / 02, 87 0101, 88 0009, records kept as "IIR\\0" bytes', () => {
    const dg = decodeDg4(read('bsi2008/Datagroup4.bin'));
    const subtypes = dg.templates.map((t) => t.header.biometricSubtype);
    expect(subtypes).toEqual([1, 2]);
    for (const t of dg.templates) {
      expect(hex(t.header.patronHeaderVersion!)).toBe('0101');
      expect([t.header.biometricType, t.header.formatOwner, t.header.formatType]).toEqual([0x10, 0x0101, 0x0009]);
      expect(t.bdb.encoding).toBe('ISO19794');
      if (t.bdb.encoding === 'ISO19794') expect(hex(t.bdb.record.subarray(0, 8))).toBe('4949520030313000');
    }
  });

  // [P10] App. A.3 header: 80 0101, 81 02, 83 20020315133000, 85 2002040120070331, 86 00010001, 87 0101, 88 0008.
  const a3Elements = '800201018101028307200203151330008508200204012007033186040001000187020101880200 08';

  it('App. A.3 header: every field read, and the builder writes the same elements', () => {
    const bdb = fromHex('DEADBEEF');
    const a1 = encodeTlv(0xa1, fromHex(a3Elements));
    const group = encodeTlv(0x7f61, fromHex('020101'), encodeTlv(0x7f60, a1, encodeTlv(0x5f2e, bdb)));
    const dg = decodeBiometricDataGroup(wrapInDg4(group), 0x76, opaqueRecordCodec);
    const h = dg.templates[0]!.header;
    expect(h.creationDate).toBe('20020315133000');
    expect(h.validityPeriod).toEqual({ from: '20020401', to: '20070331' });
    expect(hex(h.creatorPid!)).toBe('00010001');
    expect([h.biometricType, h.formatOwner, h.formatType]).toEqual([2, 0x0101, 8]);
    const built = biometricHeader({
      patronHeaderVersion: fromHex('0101'),
      biometricType: 2,
      creationDate: '20020315133000',
      validityPeriod: { from: '20020401', to: '20070331' },
      creatorPid: fromHex('00010001'),
      formatOwner: 0x0101,
      formatType: 0x0008,
    });
    const bytes = encodeBiometricDataGroup(0x76, [{ header: built, bdb: { encoding: 'ISO19794', record: bdb } }], opaqueRecordCodec);
    expect(hex(bytes)).toBe(hex(wrapInDg4(group)));
  });

  it('keeps unknown header tags in place', () => {
    const a1 = encodeTlv(0xa1, fromHex('80020101' + '810102' + '9F0103ABCDEF' + '870201018802000A'));
    const bytes = encodeTlv(0x76, encodeTlv(0x7f61, fromHex('020101'), encodeTlv(0x7f60, a1, fromHex('5F2E0101'))));
    const decoded = decodeDg4(bytes);
    const h = decoded.templates[0]!.header;
    expect(h.elements.map((e) => e.tag)).toEqual([0x80, 0x81, 0x9f01, 0x87, 0x88]);
    expect(hex(h.elements[2]!.value)).toBe('abcdef');
    expect(h.formatType).toBe(0x0a);
    expect(hex(encodeDg4(decoded.templates))).toBe(hex(bytes));
  });
});

/** Wraps a 7F61 group in a DG4 (76) for the generic decoder. */
function wrapInDg4(group: Uint8Array): Uint8Array {
  return encodeTlv(0x76, group);
}

describe('ISO/IEC 39794 BDBs (7F2E) are kept as bytes', () => {
  it('round-trips a 7F2E block unchanged', () => {
    const header = biometricHeader({ formatOwner: 0x0101, formatType: 0x002a });
    const value = fromHex('A10A6408A106A004800201FF');
    const templates: BiometricTemplate<Uint8Array>[] = [{ header, bdb: { encoding: 'ISO39794', value } }];
    const bytes = encodeDg4(templates);
    const back = decodeDg4(bytes);
    const bdb = back.templates[0]!.bdb;
    expect(bdb.encoding).toBe('ISO39794');
    if (bdb.encoding === 'ISO39794') expect(hex(bdb.value)).toBe(hex(value));
    expect(hex(encodeDg4(back.templates))).toBe(hex(bytes));
  });
});

describe('structural errors carry code, tag and offset', () => {
  const dg2 = read('bsi2008/Datagroup2.bin');

  it('count that disagrees with the templates: CBEFF_COUNT_MISMATCH at the 02 object', () => {
    const bad = dg2.slice();
    bad[11] = 2; // 02 01 01 at offset 9
    const r = attempt(() => decodeDg2(bad));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('CBEFF_COUNT_MISMATCH');
      expect(r.error.place).toMatchObject({ tag: 0x02, offset: 9 });
    }
  });

  it('missing format type: CBEFF_MISSING_FORMAT at the A1 object', () => {
    const bad = dg2.slice();
    bad[29] = 0x89; // 88 02 0008 at offset 29 becomes an unknown tag
    const r = attempt(() => decodeDg2(bad));
    expect(!r.ok && r.error.code).toBe('CBEFF_MISSING_FORMAT');
    expect(!r.ok && r.error.place).toMatchObject({ tag: 0xa1, offset: 17 });
  });

  it('wrong data group tag', () => {
    const r = attempt(() => decodeDg3(dg2));
    expect(!r.ok && r.error.code).toBe('TLV_UNEXPECTED_TAG');
  });

  it('non-BCD creation date: CBEFF_BAD_HEADER_ELEMENT at the 83 element', () => {
    const a1 = encodeTlv(0xa1, fromHex('83072002031513300A' + '87020101' + '88020008'));
    const group = encodeTlv(0x7f61, fromHex('020101'), encodeTlv(0x7f60, a1, fromHex('5F2E00')));
    const r = attempt(() => decodeBiometricDataGroup(wrapInDg4(group), 0x76, opaqueRecordCodec));
    expect(!r.ok && r.error.code).toBe('CBEFF_BAD_HEADER_ELEMENT');
    // 76 L | 7F61 L | 02 01 01 | 7F60 L | A1 L | 83 …: the 83 element starts at byte 13
    expect(!r.ok && r.error.place).toMatchObject({ tag: 0x83, offset: 13 });
  });

  it('the header builder rejects bad arguments with RangeError/TypeError', () => {
    expect(() => biometricHeader({ formatOwner: 0x10000, formatType: 1 })).toThrow(RangeError);
    expect(() => biometricHeader({ formatOwner: 1, formatType: 1, creationDate: '2002' })).toThrow(RangeError);
    expect(() => biometricHeader({ formatOwner: 1, formatType: 1, extra: [{ tag: 0x87, value: new Uint8Array(2) }] })).toThrow(RangeError);
    expect(() => biometricHeader({ formatOwner: 1, formatType: 1, creatorPid: 'x' as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => decodeDg2('75' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('hostile input: only ParseError', () => {
  it('every prefix of DG2, DG3 and DG4 (stride 7)', () => {
    for (const s of samples) truncations(s.decode, read(s.file), 7);
  });

  it('mutated headers and records', () => {
    for (const s of samples) mutations(s.decode, read(s.file), 400, 160);
  });

  it('random bytes, bare and behind a DG2 prefix', () => {
    randomBytes(decodeDg2, 500);
    randomBytes(decodeDg3, 500, 5, fromHex('6381FF7F6181FB020101'));
    randomBytes(decodeDg4, 500, 9, fromHex('76'));
  });

  it('a decoder error is never INTERNAL', () => {
    const r = attempt(() => decodeDg2(new Uint8Array([0x75, 0x03, 0x7f, 0x61, 0x00])));
    expect(!r.ok && r.error).toBeInstanceOf(ParseError);
  });
});
