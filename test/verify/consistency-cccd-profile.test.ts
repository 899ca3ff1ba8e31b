/**
 * MRZ against DG13 (docs/cccd-profile.md "MRZ" and "DG13"): the profile's synthetic MRZ,
 * whose check digits the `mrz` npm package confirms independently, against the published
 * synthetic DG13 (vectors/dg13-synthetic.hex); then one field changed at a time.
 */
import { readFileSync } from 'node:fs';
import { parse as mrzParse } from 'mrz';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/lds/bytes.js';
import { decodeDg13, type Dg13 } from '../../src/lds/dg13.js';
import { parseMrz } from '../../src/lds/mrz.js';
import { CONSISTENCY_CHECK_IDS, consistencyChecks, dg13DateIso, mrzDateIso } from '../../src/reader/consistency.js';

// cccd-profile.md "MRZ (TD1, 3 × 30)", synthetic example
const LINES = ['IDVNM0990123459001099012345<<0', '9901018M2401014VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<'];
const DG13 = decodeDg13(fromHex(readFileSync('test/vectors/dg13-synthetic.hex', 'utf8').replace(/\s+/g, '')));
const BEFORE_EXPIRY = new Date('2023-06-01T00:00:00Z');

const statusOf = (mrzLines: readonly string[], dg13: Dg13 | undefined, at = BEFORE_EXPIRY) =>
  Object.fromEntries(consistencyChecks({ mrz: parseMrz(mrzLines), dg13, at }).map((c) => [c.id, `${c.status}:${c.code}`]));

describe('the profile MRZ against the synthetic DG13', () => {
  it('the mrz package accepts the MRZ (independent check digits)', () => {
    expect(mrzParse([...LINES]).valid).toBe(true);
  });

  it('every check passes before the expiry date, in the documented order', () => {
    const checks = consistencyChecks({ mrz: parseMrz(LINES), dg13: DG13, at: BEFORE_EXPIRY });
    expect(checks.map((c) => c.id)).toEqual([...CONSISTENCY_CHECK_IDS]);
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([]);
  });

  it('the card (expiry 01/01/2024) is expired on 2024-01-02 but not on 2024-01-01', () => {
    expect(statusOf(LINES, DG13, new Date('2024-01-01T23:59:59Z'))['document.expiry']).toBe('pass:OK');
    expect(statusOf(LINES, DG13, new Date('2024-01-02T00:00:00Z'))['document.expiry']).toBe('fail:DOCUMENT_EXPIRED');
  });

  it('each DG13 field changed gives its own mismatch', () => {
    expect(statusOf(LINES, { ...DG13, fullName: 'Nguyễn Văn Á Bình' })['consistency.name']).toBe('fail:NAME_MISMATCH');
    expect(statusOf(LINES, { ...DG13, fullName: 'Nguyễn Văn Ä' })['consistency.name']).toBe('fail:NAME_MISMATCH'); // Ä → AE (Table A)
    expect(statusOf(LINES, { ...DG13, dateOfBirth: '02/01/1999' })['consistency.date-of-birth']).toBe('fail:BIRTH_DATE_MISMATCH');
    expect(statusOf(LINES, { ...DG13, sex: 'Nữ' })['consistency.sex']).toBe('fail:SEX_MISMATCH');
    expect(statusOf(LINES, { ...DG13, dateOfExpiry: '01/01/2025' })['consistency.expiry']).toBe('fail:EXPIRY_MISMATCH');
    expect(statusOf(LINES, { ...DG13, dateOfExpiry: 'Không thời hạn' })['consistency.expiry']).toBe('fail:EXPIRY_MISMATCH');
    const otherId = { ...DG13, personalId: '001099012346' };
    expect(statusOf(LINES, otherId)['consistency.id']).toBe('fail:ID_MISMATCH');
    expect(statusOf(LINES, otherId)['consistency.document-number']).toBe('fail:DOCUMENT_NUMBER_MISMATCH');
    // ID digit 4 = 0: a man born in the 1900s (cccd-profile.md); a woman is a warning only
    expect(statusOf(LINES, { ...DG13, sex: 'Nữ' })['consistency.id-prefix']).toBe('warn:ID_SEX_MISMATCH');
  });

  it('a name in decomposed Unicode (NFD) is the same name', () => {
    expect(statusOf(LINES, { ...DG13, fullName: DG13.fullName!.normalize('NFD') })['consistency.name']).toBe('pass:OK');
  });

  it('a wrong MRZ check digit fails mrz.check-digits, as the mrz package also says', () => {
    const bad = [LINES[0]!, '9901019M2401014VNM<<<<<<<<<<<2', LINES[2]!];
    expect(mrzParse(bad).valid).toBe(false);
    expect(statusOf(bad, DG13)['mrz.check-digits']).toBe('fail:MRZ_CHECK_DIGIT');
  });

  it('without DG13 or DG1 the checks are not applicable, not failed', () => {
    const s = statusOf(LINES, undefined);
    expect(s['consistency.name']).toBe('not-applicable:NO_DG13');
    expect(s['mrz.check-digits']).toBe('pass:OK');
    const none = consistencyChecks({ mrz: undefined, dg13: DG13, at: BEFORE_EXPIRY });
    expect(none.every((c) => c.status === 'not-applicable' && c.code === 'NO_DG1')).toBe(true);
  });
});

describe('dates', () => {
  it('DG13 dd/MM/yyyy and MRZ YYMMDD with the ICAO 9303-3 century window', () => {
    expect(dg13DateIso('01/01/1999')).toBe('1999-01-01');
    expect(dg13DateIso('31/02/1999')).toBeUndefined();
    expect(dg13DateIso('Không thời hạn')).toBeUndefined();
    const at = new Date('2026-01-01T00:00:00Z');
    expect(mrzDateIso('990101', 'birth', at)).toBe('1999-01-01');
    expect(mrzDateIso('250101', 'birth', at)).toBe('2025-01-01');
    expect(mrzDateIso('390101', 'expiry', at)).toBe('2039-01-01');
    expect(mrzDateIso('111001', 'expiry', at)).toBe('2011-10-01');
    expect(mrzDateIso('<<<<<<', 'expiry', at)).toBeUndefined();
  });

  it('hostile values: an invalid `at` is a TypeError', () => {
    for (const at of [new Date(NaN), 'now', 0, null]) {
      expect(() => consistencyChecks({ mrz: undefined, dg13: undefined, at: at as Date })).toThrow(TypeError);
    }
  });
});
