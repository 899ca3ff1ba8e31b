/**
 * The plain CCCD QR text of docs/cccd-profile.md ("The QR code printed on the card"): the
 * exact example, the 2024 layout with extra fields, and a typed error per bad field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hex, utf8 } from '../../src/lds/bytes.js';
import { ParseError } from '../../src/lds/errors.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { cccdQrText } from '../../src/issuance/qr-payloads.js';
import { encodeCccdText, encodeCccdTextBytes, parseCccdText } from '../../src/qr/cccd-text.js';

// cccd-profile.md, verbatim
const EXAMPLE = '001099012345|123456789|Nguyễn Văn A|01011999|Nam|Số 1, Phường D, Quận E, Hà Nội|15032021';

describe('plain CCCD QR text', () => {
  it('parses the profile example', () => {
    const q = parseCccdText(utf8(EXAMPLE));
    expect(q).toMatchObject({
      personalId: '001099012345',
      oldIdNumber: '123456789',
      fullName: 'Nguyễn Văn A',
      dateOfBirth: '1999-01-01',
      sex: 'M',
      address: 'Số 1, Phường D, Quận E, Hà Nội',
      dateOfIssue: '2021-03-15',
      extra: [],
    });
    expect(encodeCccdText(q)).toBe(EXAMPLE);
    expect(hex(encodeCccdTextBytes(q))).toBe(hex(utf8(EXAMPLE)));
  });

  it('keeps the 2024 trailing fields and an empty old ID', () => {
    const text = '001099012345||Nguyễn Văn A|01011999|Nam|Số 1, Phường D, Quận E, Hà Nội|15032021||||';
    const q = parseCccdText(text);
    expect(q.oldIdNumber).toBeNull();
    expect(q.extra).toEqual(['', '', '', '']);
    expect(encodeCccdText(q)).toBe(text);
  });

  it('is what issuance writes for a citizen record (2021 and 2024 layouts)', () => {
    const record = parseCitizenRecord(readFileSync('fixtures/citizens/citizen-01.json', 'utf8'));
    const r = record as { fullName: string; placeOfResidence: string };
    expect(cccdQrText(record)).toBe(`001099012345|123456789|${r.fullName}|01011999|Nam|${r.placeOfResidence}|15032021`);
    expect(cccdQrText(record, '2024')).toBe(`${cccdQrText(record)}||||`);
  });

  it('reads "Nữ" as F, also in decomposed form', () => {
    expect(parseCccdText(EXAMPLE.replace('|001', '|001').replace('Nam', 'Nữ').replace('001099', '001199')).sex).toBe('F');
    expect(parseCccdText(EXAMPLE.replace('Nam', 'Nữ'.normalize('NFD'))).sex).toBe('F');
  });

  const bad = (text: string | Uint8Array): ParseError => {
    try {
      parseCccdText(text);
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      return e as ParseError;
    }
    throw new Error('expected a ParseError');
  };
  it.each([
    ['too few fields', EXAMPLE.split('|').slice(0, 6).join('|'), 'QR_TEXT_FIELD_COUNT', undefined],
    ['ID of 11 digits', EXAMPLE.replace('001099012345', '00109901234'), 'QR_TEXT_ID', 'personalId'],
    ['ID with a letter', EXAMPLE.replace('001099012345', '00109901234X'), 'QR_TEXT_ID', 'personalId'],
    ['old ID of 8 digits', EXAMPLE.replace('123456789', '12345678'), 'QR_TEXT_OLD_ID', 'oldIdNumber'],
    ['31 February', EXAMPLE.replace('01011999', '31021999'), 'QR_TEXT_DATE', 'dateOfBirth'],
    ['ISO issue date', EXAMPLE.replace('15032021', '2021-03-15'), 'QR_TEXT_DATE', 'dateOfIssue'],
    ['sex "M"', EXAMPLE.replace('|Nam|', '|M|'), 'QR_TEXT_SEX', 'sex'],
    ['empty name', EXAMPLE.replace('Nguyễn Văn A', ''), 'QR_TEXT_NAME', 'fullName'],
  ])('rejects %s', (_name, text, code, field) => {
    const e = bad(text);
    expect(e.code).toBe(code);
    expect(e.place.field).toBe(field);
  });

  it('gives the byte offset of the bad field (UTF-8 counted)', () => {
    const text = EXAMPLE.replace('15032021', '15132021');
    expect(bad(text).place.offset).toBe(utf8(text).length - 8);
  });

  it('rejects bytes that are not UTF-8, and random bytes only with ParseError', () => {
    expect(bad(Uint8Array.of(0x30, 0xff, 0x7c)).code).toBe('QR_TEXT_UTF8');
    let seed = 3;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const parts = EXAMPLE.split('|');
      parts[rnd() % parts.length] = String.fromCharCode(...Array.from({ length: rnd() % 14 }, () => 0x20 + (rnd() % 0x5e)));
      try {
        const q = parseCccdText(parts.join('|'));
        expect(encodeCccdText(q)).toBe(parts.join('|'));
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
      }
    }
  });
});
