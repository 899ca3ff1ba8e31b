/**
 * DG13 in the vn-cccd layout (docs/cccd-profile.md "DG13"), against the synthetic vector
 * test/vectors/dg13-synthetic.hex (376 bytes) and hand-written tolerant variants.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex, utf8 } from '../../src/lds/bytes.js';
import { decodeDg13, encodeDg13 } from '../../src/lds/dg13.js';
import { ParseError } from '../../src/lds/errors.js';
import { encodeTlv } from '../../src/lds/tlv.js';

const vector = fromHex(readFileSync('test/vectors/dg13-synthetic.hex', 'utf8'));

/** A DG13 around the given field SEQUENCEs, header as in the profile. */
const dg13 = (...fields: Uint8Array[]): Uint8Array =>
  encodeTlv(0x6d, encodeTlv(0x30, fromHex('020101'), fromHex('060628d316010008'), encodeTlv(0x31, concat(...fields))));
const field = (n: number, ...value: Uint8Array[]): Uint8Array => encodeTlv(0x30, Uint8Array.of(2, 1, n), ...value);
const str = (tag: number, s: string): Uint8Array => encodeTlv(tag, utf8(s));

describe('vn-cccd DG13 synthetic vector', () => {
  it('decodes to the values it holds', () => {
    expect(vector.length).toBe(376);
    const d = decodeDg13(vector);
    expect(d).toMatchObject({
      version: 1,
      oid: '1.0.10646.1.0.8',
      personalId: '001099012345',
      fullName: 'Nguyễn Văn A',
      dateOfBirth: '01/01/1999',
      sex: 'Nam',
      nationality: 'Việt Nam',
      ethnicity: 'Kinh',
      religion: 'Không',
      placeOfOrigin: 'Xã A, Huyện B, Tỉnh C',
      placeOfResidence: 'Số 1, Phường D, Quận E, Hà Nội',
      identifyingMarks: 'Nốt ruồi C:1cm dưới mép trái',
      dateOfIssue: '15/03/2021',
      dateOfExpiry: '01/01/2024',
      father: 'Nguyễn Văn B',
      mother: 'Trần Thị C',
      spouse: '',
      oldIdNumber: '123456789',
      serial: '0123456789ABCDEF',
    });
    expect(d.order).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(d.raw).toEqual(vector);
  });

  it('re-encodes to the same 376 bytes, also from the typed fields alone', () => {
    const d = decodeDg13(vector);
    expect(hex(encodeDg13(d))).toBe(hex(vector));
    const { order: _o, unknown: _u, raw: _r, ...fields } = d;
    expect(hex(encodeDg13(fields))).toBe(hex(vector));
  });
});

describe('tolerant DG13 reading (cccd-profile.md)', () => {
  it('reads fields in any order, keeps unknown numbers and writes them back in place', () => {
    const f17 = field(17, str(0x0c, 'A+'));
    const bytes = dg13(field(2, str(0x0c, 'Lê Thị D')), f17, field(1, str(0x13, '079305012345')));
    const d = decodeDg13(bytes);
    expect(d.personalId).toBe('079305012345');
    expect(d.fullName).toBe('Lê Thị D');
    expect(d.order).toEqual([2, 17, 1]);
    expect(d.unknown).toEqual([{ number: 17, raw: f17, text: 'A+' }]);
    expect(hex(encodeDg13(d))).toBe(hex(bytes));
  });

  it('accepts PrintableString, UTF8String and IA5String, and NFC-normalises text', () => {
    const nfd = 'Nguyễn'.normalize('NFD');
    const bytes = dg13(field(1, str(0x16, '001099012345')), field(2, str(0x0c, nfd)), field(3, str(0x0c, '01/01/1999')));
    const d = decodeDg13(bytes);
    expect(d.personalId).toBe('001099012345');
    expect(d.fullName).toBe('Nguyễn'.normalize('NFC'));
    expect(d.fullName).not.toBe(nfd);
    expect(d.dateOfBirth).toBe('01/01/1999');
  });

  it('reads field 13 as one SEQUENCE holding both names', () => {
    const bytes = dg13(field(13, encodeTlv(0x30, str(0x0c, 'Cha'), str(0x0c, 'Mẹ'))));
    expect(decodeDg13(bytes)).toMatchObject({ father: 'Cha', mother: 'Mẹ' });
  });

  it('reads field 14 with a spouse and writes it in the profile form', () => {
    const bytes = dg13(field(14, encodeTlv(0x30, str(0x0c, 'Phạm Văn E'))));
    const d = decodeDg13(bytes);
    expect(d.spouse).toBe('Phạm Văn E');
    expect(hex(encodeDg13(d))).toBe(hex(bytes));
  });

  it('writes "Không thời hạn" in field 12 as UTF8String', () => {
    const bytes = encodeDg13({ dateOfExpiry: 'Không thời hạn' });
    // 'Không thời hạn' is 19 UTF-8 bytes: 30 18 { 02 01 0C, 0C 13 … }
    expect(hex(bytes)).toContain('3018' + '02010c' + '0c13' + hex(utf8('Không thời hạn')));
  });
});

describe('DG13 errors carry the field number and offset', () => {
  it('a BOOLEAN where text belongs', () => {
    const bytes = dg13(field(1, str(0x13, '001099012345')), field(4, Uint8Array.of(1, 1, 0xff)));
    try {
      decodeDg13(bytes);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      expect((e as ParseError).code).toBe('DG13_TEXT_TYPE');
      expect((e as ParseError).place.field).toBe('4');
      expect((e as ParseError).place.offset).toBe(bytes.length - 3);
    }
  });

  it('duplicate field numbers, invalid UTF-8, three parents', () => {
    expect(() => decodeDg13(dg13(field(2, str(0x0c, 'A')), field(2, str(0x0c, 'B'))))).toThrow(
      expect.objectContaining({ code: 'DG13_DUPLICATE_FIELD' }),
    );
    expect(() => decodeDg13(dg13(field(2, encodeTlv(0x0c, fromHex('c328')))))).toThrow(
      expect.objectContaining({ code: 'DG13_TEXT' }),
    );
    expect(() => decodeDg13(dg13(field(13, str(0x0c, 'a'), str(0x0c, 'b'), str(0x0c, 'c'))))).toThrow(
      expect.objectContaining({ code: 'DG13_FIELD_VALUE', place: expect.objectContaining({ field: '13' }) }),
    );
  });

  it('refuses to write non-PrintableString characters into a PrintableString field', () => {
    expect(() => encodeDg13({ personalId: 'số 1' })).toThrow(expect.objectContaining({ code: 'DG13_VALUE_INVALID' }));
  });
});
