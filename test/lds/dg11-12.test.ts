/**
 * ICAO 9303-10 §4.7.11 DG11 and §4.7.12 DG12. No published DG11/DG12 sample exists in the
 * vectors, so the expected bytes are written out by hand from the §4.7.11/§4.7.12 tag tables.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex, utf8 } from '../../src/lds/bytes.js';
import { decodeDg11, encodeDg11 } from '../../src/lds/dg11.js';
import { decodeDg12, encodeDg12 } from '../../src/lds/dg12.js';
import { ParseError } from '../../src/lds/errors.js';

const tlv = (tag: string, value: string): string => {
  const len = value.length / 2;
  return tag + (len < 0x80 ? len.toString(16).padStart(2, '0') : '81' + len.toString(16).padStart(2, '0')) + value;
};
const txt = (s: string): string => hex(utf8(s));

describe('ICAO 9303-10 §4.7.11 DG11', () => {
  // 6B { 5C [5F0E 5F0F 5F10 5F2B 5F11 5F42], 5F0E, A0 { 02 01 02, 5F0F, 5F0F }, 5F10, 5F2B, 5F11, 5F42, 5F99 unknown }
  const body =
    tlv('5c', '5f0e5f0f5f105f2b5f115f425f50') +
    tlv('5f0e', txt('NGUYỄN<<VĂN A')) +
    tlv('a0', '020102' + tlv('5f0f', txt('NGUYEN<<A')) + tlv('5f0f', txt('NGUYEN<<B'))) +
    tlv('5f10', txt('001099012345')) +
    tlv('5f2b', txt('19990101')) +
    tlv('5f11', txt('HA NOI<VIET NAM')) +
    tlv('5f42', txt('SO 1<PHUONG D<HA NOI')) +
    tlv('5f50', 'cafe');
  const bytes = fromHex(tlv('6b', body));

  it('decodes every element, keeps the unknown one, and re-encodes the same bytes', () => {
    const dg = decodeDg11(bytes);
    expect(dg.fullName).toBe('NGUYỄN<<VĂN A');
    expect(dg.otherNames).toEqual(['NGUYEN<<A', 'NGUYEN<<B']);
    expect(dg.personalNumber).toBe('001099012345');
    expect(dg.fullDateOfBirth).toBe('19990101');
    expect(dg.placeOfBirth).toBe('HA NOI<VIET NAM');
    expect(dg.permanentAddress).toBe('SO 1<PHUONG D<HA NOI');
    expect(dg.unknown).toEqual([{ tag: 0x5f50, value: fromHex('cafe') }]);
    expect(dg.tagList).toEqual([0x5f0e, 0x5f0f, 0x5f10, 0x5f2b, 0x5f11, 0x5f42, 0x5f50]);
    expect(hex(encodeDg11(dg))).toBe(hex(bytes));
  });

  it('encodes the remaining elements (telephone … custody, image bytes) and reads them back', () => {
    const value = {
      telephone: '+84 24 1234 5678',
      profession: 'KY SU',
      title: 'TS',
      personalSummary: 'x',
      proofOfCitizenship: Uint8Array.of(0xff, 0xd8, 0xff, 0xd9),
      otherValidTdNumbers: 'B1234567<C7654321',
      custodyInformation: 'none',
    };
    const bytes2 = encodeDg11(value);
    expect(hex(bytes2.subarray(0, 2))).toBe('6b' + (bytes2.length - 2).toString(16));
    expect(hex(bytes2.subarray(2, 18))).toBe('5c0e5f125f135f145f155f165f175f18');
    const back = decodeDg11(bytes2);
    expect(back).toMatchObject(value);
    expect(hex(encodeDg11(back))).toBe(hex(bytes2));
  });

  it('rejects a list whose count disagrees, a missing tag list, invalid UTF-8 and duplicates', () => {
    const badCount = tlv('6b', tlv('5c', '5f0f') + tlv('a0', '020103' + tlv('5f0f', txt('A'))));
    expect(() => decodeDg11(fromHex(badCount))).toThrow(expect.objectContaining({ code: 'DETAIL_LIST_INVALID' }));
    expect(() => decodeDg11(fromHex(tlv('6b', tlv('5f0e', txt('A')))))).toThrow(ParseError);
    expect(() => decodeDg11(fromHex(tlv('6b', tlv('5c', '5f0e') + tlv('5f0e', 'c328'))))).toThrow(
      expect.objectContaining({ code: 'DETAIL_TEXT_INVALID', place: expect.objectContaining({ offset: 9 }) }),
    );
    const dup = tlv('6b', tlv('5c', '5f0e5f0e') + tlv('5f0e', txt('A')) + tlv('5f0e', txt('B')));
    expect(() => decodeDg11(fromHex(dup))).toThrow(expect.objectContaining({ code: 'DETAIL_DUPLICATE' }));
  });
});

describe('ICAO 9303-10 §4.7.12 DG12', () => {
  const body =
    tlv('5c', '5f195f265f1a5f1b5f1c5f1d5f1e5f555f56') +
    tlv('5f19', txt('CỤC CẢNH SÁT QLHC VỀ TTXH')) +
    tlv('5f26', txt('20210315')) +
    tlv('a0', '020101' + tlv('5f1a', txt('TRAN<<THI C'))) +
    tlv('5f1b', txt('none')) +
    tlv('5f1c', txt('none')) +
    tlv('5f1d', 'ffd8ffd9') +
    tlv('5f1e', 'ffd8ffd9') +
    tlv('5f55', txt('20210315101500')) +
    tlv('5f56', txt('SN-0001'));
  const bytes = fromHex(tlv('6c', body));

  it('decodes every element and re-encodes the same bytes', () => {
    const dg = decodeDg12(bytes);
    expect(dg.issuingAuthority).toBe('CỤC CẢNH SÁT QLHC VỀ TTXH');
    expect(dg.dateOfIssue).toBe('20210315');
    expect(dg.namesOfOtherPersons).toEqual(['TRAN<<THI C']);
    expect(dg.imageOfFront).toEqual(fromHex('ffd8ffd9'));
    expect(dg.dateAndTimeOfPersonalization).toBe('20210315101500');
    expect(dg.personalizationSystemSerialNumber).toBe('SN-0001');
    expect(hex(encodeDg12(dg))).toBe(hex(bytes));
  });

  it('rejects the wrong outer tag', () => {
    expect(() => decodeDg12(fromHex(tlv('6b', body)))).toThrow(expect.objectContaining({ code: 'TLV_UNEXPECTED_TAG' }));
  });
});
