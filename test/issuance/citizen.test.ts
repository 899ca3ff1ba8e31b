/**
 * The citizen record → vn-cccd MRZ / DG1 / DG13 (cccd-profile.md). The synthetic person of the
 * profile and of dg13-synthetic.hex gives the expected MRZ and the expected 376 DG13 bytes;
 * the `mrz` npm package checks every MRZ independently.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'mrz';
import { describe, expect, it } from 'vitest';
import { CitizenRecord, NO_EXPIRY_TEXT, citizenDg1, citizenDg13, citizenMrz, parseCitizenRecord } from '../../src/issuance/citizen.js';
import { fromHex, hex } from '../../src/lds/bytes.js';
import { decodeDg1 } from '../../src/lds/dg1.js';
import { decodeDg13, encodeDg13 } from '../../src/lds/dg13.js';
import { ValidationError } from '../../src/lds/errors.js';

const base = {
  id: '001099012345',
  fullName: 'Nguyễn Văn A',
  dateOfBirth: '1999-01-01',
  sex: 'M',
  nationality: 'Việt Nam',
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Xã A, Huyện B, Tỉnh C',
  placeOfResidence: 'Số 1, Phường D, Quận E, Hà Nội',
  identifyingMarks: 'Nốt ruồi C:1cm dưới mép trái',
  dateOfIssue: '2021-03-15',
  dateOfExpiry: '2024-01-01',
  father: 'Nguyễn Văn B',
  mother: 'Trần Thị C',
  spouse: null,
  oldIdNumber: '123456789',
};

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).place.field;
  }
  return 'no error';
}

describe('citizen record → vn-cccd MRZ, DG1, DG13', () => {
  const record: CitizenRecord = parseCitizenRecord(JSON.stringify(base));

  it('gives the synthetic MRZ of cccd-profile.md, valid for the mrz package', () => {
    const lines = citizenMrz(record);
    expect(lines).toEqual(['IDVNM0990123459001099012345<<0', '9901018M2401014VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<']);
    expect(parse([...lines]).valid).toBe(true);
    expect(decodeDg1(citizenDg1(record)).mrz.lines).toEqual(lines);
  });

  it('gives the DG13 of dg13-synthetic.hex except field 16 (the serial is not in the record)', () => {
    const vector = decodeDg13(fromHex(readFileSync('test/vectors/dg13-synthetic.hex', 'utf8')));
    const { order: _o, unknown: _u, raw: _r, serial: _s, version: _v, oid: _i, ...expected } = vector;
    const ours = citizenDg13(record);
    expect(ours).toEqual(expected);
    expect(hex(encodeDg13({ ...ours, serial: '0123456789ABCDEF' }))).toBe(hex(vector.raw));
  });

  it('no expiry: MRZ "<<<<<<0", DG13 field 12 "Không thời hạn"', () => {
    const r = parseCitizenRecord({ ...base, id: '001059012345', dateOfBirth: '1959-05-05', dateOfExpiry: null });
    const lines = citizenMrz(r);
    expect(lines[1]!.slice(8, 15)).toBe('<<<<<<0');
    expect(parse([...lines]).details.filter((d) => /CheckDigit/.test(d.field ?? '') && !d.valid)).toEqual([]);
    expect(citizenDg13(r).dateOfExpiry).toBe(NO_EXPIRY_TEXT);
  });

  it('optional fields may be null or absent', () => {
    const { identifyingMarks: _i, father: _f, mother: _m, spouse: _s, oldIdNumber: _o, ...rest } = base;
    const r = parseCitizenRecord(rest);
    expect(r.oldIdNumber).toBeNull();
    const d = citizenDg13(r);
    expect(d.spouse).toBe('');
    expect(d.oldIdNumber).toBeUndefined();
    expect(decodeDg13(encodeDg13(d)).order).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14]);
  });
});

describe('citizen record validation names the field', () => {
  it.each<[string, Record<string, unknown>]>([
    ['id', { id: '00109901234' }],
    ['id', { id: '001199012345' }], // female digit, record says M
    ['id', { id: '001098012345' }], // birth year 1998
    ['sex', { sex: 'X' }],
    ['dateOfBirth', { dateOfBirth: '1999-02-30' }],
    ['dateOfBirth', { dateOfBirth: '01/01/1999' }],
    ['dateOfIssue', { dateOfIssue: '1998-12-31' }],
    ['dateOfExpiry', { dateOfExpiry: '2021-03-15' }],
    ['fullName', { fullName: 'Nguyễn Văn 3' }],
    ['fullName', { fullName: 'Nguyễn  Văn A' }],
    ['fullName', { fullName: '李小龍' }],
    ['placeOfResidence', { placeOfResidence: 'Số 1 | Hà Nội' }],
    ['placeOfResidence', { placeOfResidence: 'x'.repeat(201) }],
    ['nationality', { nationality: '' }],
    ['religion', { religion: 7 }],
    ['oldIdNumber', { oldIdNumber: '12345678' }],
    ['spouse', { spouse: 'Bob\u0000' }],
    ['extra', { extra: 1 }],
  ])('%s', (field, patch) => {
    expect(fieldOf(() => parseCitizenRecord({ ...base, ...patch }))).toBe(field);
  });

  it('missing required fields and non-objects', () => {
    const { religion: _r, ...rest } = base;
    expect(fieldOf(() => parseCitizenRecord(rest))).toBe('religion');
    expect(() => parseCitizenRecord('{')).toThrow(ValidationError);
    expect(() => parseCitizenRecord([base])).toThrow(ValidationError);
    expect(() => parseCitizenRecord(null)).toThrow(ValidationError);
  });

  it('an unknown province code is allowed', () => {
    expect(parseCitizenRecord({ ...base, id: '999099012345' }).id).toBe('999099012345');
  });
});
