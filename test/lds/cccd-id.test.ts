/** The 12-digit personal ID `PPP G YY RRRRRR` (cccd-profile.md; Circular 59/2021/TT-BCA App. I). */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lds/errors.js';
import { PROVINCE_CODES, canFromId, checkIdConsistency, documentNumberFromId, parseCccdId } from '../../src/lds/cccd-id.js';

describe('personal ID number', () => {
  it('decodes the profile example 001099012345', () => {
    const id = parseCccdId('001099012345');
    expect(id.provinceCode).toBe('001');
    expect(id.province).toBe('Hà Nội');
    expect(id.sex).toBe('M');
    expect(id.birthYear).toBe(1999);
    expect(canFromId('001099012345')).toBe('012345');
    expect(documentNumberFromId('001099012345')).toBe('099012345');
  });

  it.each([
    ['0', 'M', 1900],
    ['1', 'F', 1900],
    ['2', 'M', 2000],
    ['3', 'F', 2000],
    ['4', 'M', 2100],
    ['5', 'F', 2100],
    ['6', 'M', 2200],
    ['7', 'F', 2200],
    ['8', 'M', 2300],
    ['9', 'F', 2300],
  ])('century digit %s → %s, %i + YY', (g, sex, century) => {
    const id = parseCccdId(`079${g}05123456`);
    expect(id.sex).toBe(sex);
    expect(id.birthYear).toBe(century + 5);
    expect(id.province).toBe('Hồ Chí Minh');
  });

  it('has the 63 province codes, Cà Mau last', () => {
    expect(PROVINCE_CODES.size).toBe(63);
    expect(PROVINCE_CODES.get('096')).toBe('Cà Mau');
  });

  it('returns warnings, not errors, for inconsistencies and unknown provinces', () => {
    expect(checkIdConsistency('001099012345', { sex: 'M', birthYear: 1999 })).toEqual([]);
    const w = checkIdConsistency('999199012345', { sex: 'M', birthYear: 2000 });
    expect(w.map((x) => x.code).sort()).toEqual(['ID_BIRTH_YEAR_MISMATCH', 'ID_SEX_MISMATCH', 'ID_UNKNOWN_PROVINCE']);
    expect(parseCccdId('999199012345').province).toBeUndefined();
  });

  it.each(['00109901234', '0010990123456', '00109901234A', ''])('rejects %j', (bad) => {
    expect(() => parseCccdId(bad)).toThrow(ValidationError);
  });
});
