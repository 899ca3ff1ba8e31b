/**
 * ICAO 9303-3 §4.9 check digits, 9303-5 TD1, 9303-4 TD3, 9303-11 App. D.2 MRZ_information,
 * and the vn-cccd TD1 profile. Expected values: test/vectors/icao-worked-examples.md
 * §1.1 and §6.5, docs/cccd-profile.md, and the independent `mrz` npm package.
 */
import { parse } from 'mrz';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/lds/errors.js';
import { buildTd1, buildTd3, checkDigit, mrzInformation, mrzInformationOf, parseMrz } from '../../src/lds/mrz.js';
import { CCCD_NO_EXPIRY, buildCccdTd1, readCccdProfile } from '../../src/lds/mrz-cccd.js';

/** Every check digit the `mrz` package knows about is valid there. */
function expectValidElsewhere(lines: readonly string[]): void {
  const r = parse([...lines]);
  const bad = r.details.filter((d) => !d.valid && /CheckDigit/.test(d.field ?? ''));
  expect(bad.map((d) => `${d.field}: ${d.error}`)).toEqual([]);
}

describe('ICAO 9303-3 §4.9 check digits (App. D.2 values)', () => {
  it.each([
    ['L898902C<', '3'],
    ['690806', '1'],
    ['940623', '6'],
    ['D23145890734', '9'],
    ['340712', '7'],
    ['950712', '2'],
    ['<<<<<<', '0'],
  ])('%s → %s', (field, digit) => expect(checkDigit(field)).toBe(digit));

  it('rejects characters outside the MRZ set', () => {
    expect(() => checkDigit('ab1')).toThrow(/MRZ character/);
  });
});

describe('ICAO 9303-11 §9.7.2 / App. D.2 MRZ_information', () => {
  it('reproduces the App. D.2 key strings (short and long document number)', () => {
    expect(mrzInformation('L898902C', '690806', '940623')).toBe('L898902C<369080619406236');
    expect(mrzInformation('D23145890734', '340712', '950712')).toBe('D23145890734934071279507122');
  });

  it('reproduces the vn-cccd key input of cccd-profile.md', () => {
    expect(mrzInformation('099012345', '990101', '240101')).toBe('0990123459' + '9901018' + '2401014');
  });
});

describe('ICAO 9303-5 TD1', () => {
  it('parses the App. D.2 TD1 and finds the printed composite digit wrong (1, correct 2)', () => {
    const m = parseMrz(['I<UTOL898902C<3<<<<<<<<<<<<<<<', '6908061F9406236UTO<<<<<<<<<<<1', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<']);
    expect(m.format).toBe('TD1');
    expect(m.documentNumber).toBe('L898902C');
    expect(m.checks.documentNumber.valid).toBe(true);
    expect(m.checks.dateOfBirth.valid).toBe(true);
    expect(m.checks.dateOfExpiry.valid).toBe(true);
    expect(m.checks.composite.valid).toBe(false);
    expect(checkDigit(m.checks.composite.data)).toBe('2');
    expect(m.valid).toBe(false);
    expect(m.primaryIdentifier).toBe('ERIKSSON');
    expect(m.secondaryIdentifier).toBe('ANNA MARIA');
    // the mrz package agrees
    const other = parse([...m.lines]);
    expect(other.details.find((d) => d.field === 'compositeCheckDigit')?.valid).toBe(false);
    expect(mrzInformationOf(m)).toBe('L898902C<369080619406236');
  });

  it('parses the 9303-10 App. A.2.1 DG1 TD1 string: composite printed 4, correct 8', () => {
    const m = parseMrz('I<NLDXI85935F86999999990<<<<<<7208148F1108268NLD<<<<<<<<<<<4VAN<DER<STEEN<<MARIANNE<LOUISE');
    expect(m.checks.documentNumber.valid && m.checks.dateOfBirth.valid && m.checks.dateOfExpiry.valid).toBe(true);
    expect(m.checks.composite.digit).toBe('4');
    expect(checkDigit(m.checks.composite.data)).toBe('8');
    expect(m.primaryIdentifier).toBe('VAN DER STEEN');
  });

  it('builds a long document number TD1 (9303-5 note j) that both parsers accept', () => {
    const lines = buildTd1({
      documentCode: 'I',
      issuingState: 'UTO',
      documentNumber: 'D23145890734',
      dateOfBirth: '340712',
      sex: 'M',
      dateOfExpiry: '950712',
      nationality: 'UTO',
      name: 'STEVENSON<<PETER<JOHN',
    });
    expect(lines[0]).toBe('I<UTOD23145890<7349<<<<<<<<<<<');
    expectValidElsewhere(lines);
    const m = parseMrz(lines);
    expect(m.documentNumber).toBe('D23145890734');
    expect(m.checks.documentNumber).toEqual({ data: 'D23145890734', digit: '9', valid: true });
    expect(m.valid).toBe(true);
    expect(mrzInformationOf(m)).toBe('D23145890734934071279507122');
  });
});

describe('ICAO 9303-4 TD3', () => {
  const specimen = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10';

  it('parses the 9303-4 specimen with every check digit valid', () => {
    const m = parseMrz(specimen);
    expect(m.format).toBe('TD3');
    expect(m.valid).toBe(true);
    expect(m.checks.optionalData?.valid).toBe(true);
    expect(m.optionalData1).toBe('ZE184226B');
    expect(mrzInformationOf(m)).toBe('L898902C3674081221204159');
  });

  it('rebuilds the specimen byte for byte', () => {
    const lines = buildTd3({
      documentCode: 'P',
      issuingState: 'UTO',
      documentNumber: 'L898902C3',
      optionalData1: 'ZE184226B',
      dateOfBirth: '740812',
      sex: 'F',
      dateOfExpiry: '120415',
      nationality: 'UTO',
      name: 'ERIKSSON<<ANNA<MARIA',
    });
    expect(lines.join('')).toBe(specimen);
    expectValidElsewhere(lines);
  });

  it('builds a TD3 with an empty personal number ("<" check digit) like the BSI sample', () => {
    const lines = buildTd3({
      documentCode: 'P',
      issuingState: 'D',
      documentNumber: 'C11T002JM',
      dateOfBirth: '960812',
      sex: 'F',
      dateOfExpiry: '231031',
      nationality: 'D',
      name: 'MUSTERMANN<<ERIKA',
    });
    expect(lines.join('')).toBe(
      'P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<C11T002JM4D<<9608122F2310314<<<<<<<<<<<<<<<4',
    );
    expectValidElsewhere(lines);
  });
});

describe('vn-cccd TD1 profile (cccd-profile.md)', () => {
  const example = ['IDVNM0990123459001099012345<<0', '9901018M2401014VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<'];

  it('reproduces the synthetic example byte for byte', () => {
    const lines = buildCccdTd1({
      personalId: '001099012345',
      dateOfBirth: '990101',
      sex: 'M',
      dateOfExpiry: '240101',
      name: 'NGUYEN<<VAN<A',
    });
    expect(lines).toEqual(example);
    const r = parse([...lines]);
    expect(r.valid).toBe(true);
    expect(r.fields.documentNumber).toBe('099012345');
  });

  it('reads the profile fields back', () => {
    const p = readCccdProfile(parseMrz(example));
    expect(p.personalId).toBe('001099012345');
    expect(p.personalIdCheck?.valid).toBe(true);
    expect(p.documentNumberMatches).toBe(true);
    expect(p.noExpiry).toBe(false);
  });

  it('writes "<<<<<<" with check digit 0 for a card without expiry, valid for the mrz package', () => {
    const lines = buildCccdTd1({ personalId: '001059012345', dateOfBirth: '590101', sex: 'M', dateOfExpiry: null, name: 'NGUYEN<<VAN<A' });
    expect(lines[1]!.slice(8, 15)).toBe(CCCD_NO_EXPIRY + '0');
    expectValidElsewhere(lines);
    expect(parseMrz(lines).valid).toBe(true);
    expect(readCccdProfile(parseMrz(lines)).noExpiry).toBe(true);
  });

  it('reports (does not throw on) a wrong ID check digit and a wrong composite', () => {
    const bad = [example[0]!.slice(0, 29) + '7', example[1]!.slice(0, 29) + '5', example[2]!];
    const m = parseMrz(bad);
    expect(m.checks.composite.valid).toBe(false);
    expect(readCccdProfile(m).personalIdCheck?.valid).toBe(false);
  });
});

describe('MRZ parse errors', () => {
  it('throws MRZ_LENGTH for a wrong total length', () => {
    const e = (() => {
      try {
        parseMrz('IDVNM099');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ParseError);
    expect((e as ParseError).code).toBe('MRZ_LENGTH');
  });

  it('throws MRZ_CHARACTER with the field and the character position', () => {
    const text = 'IDVNM0990123459001099012345<<0' + '99010a8M2401014VNM<<<<<<<<<<<2' + 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<';
    try {
      parseMrz(text, { offset: 5 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ParseError);
      expect((err as ParseError).code).toBe('MRZ_CHARACTER');
      expect((err as ParseError).place.field).toBe('dateOfBirth');
      expect((err as ParseError).place.offset).toBe(5 + 30 + 5);
    }
  });

  it('throws for a digit in the name field and a bad sex', () => {
    const l = ['IDVNM0990123459001099012345<<0', '9901018M2401014VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<'.replace('A', '4')];
    expect(() => parseMrz(l)).toThrow(expect.objectContaining({ code: 'MRZ_CHARACTER', place: expect.objectContaining({ field: 'name', offset: 69 }) }));
    const s = ['IDVNM0990123459001099012345<<0', '9901018Q2401014VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<'];
    expect(() => parseMrz(s)).toThrow(/sex/);
  });
});
