/**
 * Consistency of what the chip says about its holder: the DG1 MRZ (ICAO 9303-3 (8th ed.) §4,
 * 9303-5 TD1) against the Vietnamese DG13 (docs/cccd-profile.md "DG13" and "MRZ"), and the
 * document's own expiry. Same list of check ids every time, so reports have a stable shape;
 * checks that cannot apply (no DG13, not a vn-cccd MRZ) are `not-applicable` with the reason.
 *
 * Pure: takes parsed structures, returns frozen checks, never throws on their content.
 */
import { checkIdConsistency, documentNumberFromId } from '../lds/cccd-id.js';
import type { Dg13 } from '../lds/dg13.js';
import { type Mrz } from '../lds/mrz.js';
import { CCCD_NO_EXPIRY, readCccdProfile } from '../lds/mrz-cccd.js';
import { vietnameseMrzName } from '../lds/transliterate.js';
import type { Check, CheckStatus } from './passive-auth.js';

/** DG13 field 12 of a card that never expires (cccd-profile.md: "Không thời hạn"). */
const DG13_NO_EXPIRY = 'Không thời hạn';

export interface ConsistencyInput {
  /** The MRZ of DG1, when DG1 was read and parsed. */
  readonly mrz: Mrz | undefined;
  /** DG13, when read and parsed. */
  readonly dg13: Dg13 | undefined;
  /** When the document must be valid. */
  readonly at: Date;
}

/** The check ids consistencyChecks returns, in order. */
export const CONSISTENCY_CHECK_IDS = Object.freeze([
  'mrz.check-digits',
  'mrz.cccd-profile',
  'consistency.id',
  'consistency.document-number',
  'consistency.name',
  'consistency.date-of-birth',
  'consistency.sex',
  'consistency.expiry',
  'consistency.id-prefix',
  'document.expiry',
] as const);

const check = (id: string, status: CheckStatus, code: string, reason: string): Check => Object.freeze({ id, status, code, reason });
const pass = (id: string, reason: string): Check => check(id, 'pass', 'OK', reason);

/** `dd/MM/yyyy` (DG13 fields 3, 11, 12) as ISO `yyyy-MM-dd`, or undefined when not a calendar date. */
export function dg13DateIso(text: string | undefined): string | undefined {
  const m = text === undefined ? null : /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text.trim());
  if (m === null) return undefined;
  return calendarDate(Number(m[3]), Number(m[2]), Number(m[1]));
}

/**
 * An MRZ date YYMMDD as ISO. ICAO 9303-3 §4.7 gives no century: a birth date is the latest
 * one not after `at`; an expiry date lies within 50 years either side of `at`.
 */
export function mrzDateIso(yymmdd: string, kind: 'birth' | 'expiry', at: Date): string | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(yymmdd);
  if (m === null) return undefined;
  const yy = Number(m[1]);
  const nowYear = at.getUTCFullYear();
  let year = nowYear - (nowYear % 100) + yy;
  if (kind === 'birth' && year > nowYear) year -= 100;
  if (kind === 'expiry' && year > nowYear + 50) year -= 100;
  if (kind === 'expiry' && year < nowYear - 50) year += 100;
  return calendarDate(year, Number(m[2]), Number(m[3]));
}

function calendarDate(y: number, mo: number, d: number): string | undefined {
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return t.toISOString().slice(0, 10);
}

const yymmddOf = (iso: string): string => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);

/** Every check of this module, in CONSISTENCY_CHECK_IDS order. */
export function consistencyChecks(input: ConsistencyInput): readonly Check[] {
  const { mrz, dg13, at } = input;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError('"at" expected a valid Date');
  if (mrz === undefined) {
    return Object.freeze(CONSISTENCY_CHECK_IDS.map((id) => check(id, 'not-applicable', 'NO_DG1', 'DG1 was not read or did not parse')));
  }
  const profile = mrz.format === 'TD1' && mrz.issuingState === 'VNM' ? readCccdProfile(mrz) : undefined;
  return Object.freeze([
    checkDigits(mrz, profile),
    profileCheck(mrz, profile),
    ...holderChecks(mrz, profile?.personalId, dg13),
    documentExpiry(mrz, dg13, at),
  ]);
}

/** ICAO 9303-3 §4.9; vn-cccd adds a check digit over the 12-digit ID at TD1 position 30. */
function checkDigits(mrz: Mrz, profile: ReturnType<typeof readCccdProfile> | undefined): Check {
  const id = 'mrz.check-digits';
  const bad = Object.entries(mrz.checks)
    .filter(([, c]) => c !== undefined && !c.valid)
    .map(([name]) => name);
  if (profile?.personalIdCheck !== undefined && !profile.personalIdCheck.valid) bad.push('personalId');
  return bad.length === 0
    ? pass(id, `every check digit of the ${mrz.format} MRZ is valid`)
    : check(id, 'fail', 'MRZ_CHECK_DIGIT', `wrong check digit(s): ${bad.join(', ')}`);
}

/** cccd-profile.md "MRZ": document number = last 9 digits of the ID, the full ID at positions 16–27. */
function profileCheck(mrz: Mrz, profile: ReturnType<typeof readCccdProfile> | undefined): Check {
  const id = 'mrz.cccd-profile';
  if (profile === undefined) return check(id, 'not-applicable', 'NOT_VN_CCCD', `a ${mrz.format} MRZ of ${mrz.issuingState}, not a vn-cccd TD1`);
  if (profile.personalId === undefined) return check(id, 'fail', 'MRZ_NO_PERSONAL_ID', 'TD1 positions 16–29 do not hold a 12-digit ID and <<');
  if (!profile.documentNumberMatches) {
    return check(id, 'fail', 'MRZ_DOCUMENT_NUMBER', `document number ${mrz.documentNumber} is not the last 9 digits of the ID`);
  }
  return pass(id, 'document number and ID agree as the vn-cccd profile writes them');
}

function holderChecks(mrz: Mrz, mrzId: string | undefined, dg13: Dg13 | undefined): Check[] {
  const ids = CONSISTENCY_CHECK_IDS.slice(2, 9);
  if (dg13 === undefined) return ids.map((id) => check(id, 'not-applicable', 'NO_DG13', 'no DG13 to compare the MRZ with'));
  return [
    idCheck(mrzId, dg13),
    documentNumberCheck(mrz, dg13),
    nameCheck(mrz, dg13),
    birthCheck(mrz, dg13),
    sexCheck(mrz, dg13),
    expiryCheck(mrz, dg13),
    idPrefixCheck(dg13),
  ];
}

function missing(id: string, field: string): Check {
  return check(id, 'fail', 'DG13_FIELD_MISSING', `DG13 has no ${field}`);
}

function idCheck(mrzId: string | undefined, dg13: Dg13): Check {
  const id = 'consistency.id';
  if (dg13.personalId === undefined) return missing(id, 'personal ID (field 1)');
  if (mrzId === undefined) return check(id, 'fail', 'MRZ_NO_PERSONAL_ID', 'the MRZ carries no 12-digit ID to compare');
  return mrzId === dg13.personalId
    ? pass(id, 'DG13 field 1 equals the ID in the MRZ')
    : check(id, 'fail', 'ID_MISMATCH', 'the personal ID in DG13 differs from the one in the MRZ');
}

function documentNumberCheck(mrz: Mrz, dg13: Dg13): Check {
  const id = 'consistency.document-number';
  if (dg13.personalId === undefined || !/^[0-9]{12}$/.test(dg13.personalId)) return missing(id, 'valid 12-digit ID (field 1)');
  return mrz.documentNumber === documentNumberFromId(dg13.personalId)
    ? pass(id, 'MRZ document number = last 9 digits of the DG13 ID')
    : check(id, 'fail', 'DOCUMENT_NUMBER_MISMATCH', 'MRZ document number is not the last 9 digits of the DG13 ID');
}

/** ICAO 9303-3 §6 Table A transliteration of the DG13 name must give the MRZ name field. */
function nameCheck(mrz: Mrz, dg13: Dg13): Check {
  const id = 'consistency.name';
  if (dg13.fullName === undefined || dg13.fullName === '') return missing(id, 'full name (field 2)');
  let expected: string;
  try {
    expected = vietnameseMrzName(dg13.fullName, mrz.nameField.length);
  } catch {
    return check(id, 'fail', 'NAME_NOT_TRANSLITERABLE', 'the DG13 name has characters without an MRZ transliteration');
  }
  return expected === mrz.nameField
    ? pass(id, 'the DG13 name transliterates to the MRZ name')
    : check(id, 'fail', 'NAME_MISMATCH', 'the DG13 name does not transliterate to the MRZ name');
}

function birthCheck(mrz: Mrz, dg13: Dg13): Check {
  const id = 'consistency.date-of-birth';
  const iso = dg13DateIso(dg13.dateOfBirth);
  if (iso === undefined) return missing(id, 'date of birth dd/MM/yyyy (field 3)');
  return yymmddOf(iso) === mrz.dateOfBirth
    ? pass(id, 'DG13 and MRZ give the same date of birth')
    : check(id, 'fail', 'BIRTH_DATE_MISMATCH', 'DG13 and MRZ give different dates of birth');
}

const SEX_OF: Readonly<Record<string, string>> = Object.freeze({ Nam: 'M', Nữ: 'F' });

function sexCheck(mrz: Mrz, dg13: Dg13): Check {
  const id = 'consistency.sex';
  const sex = dg13.sex === undefined ? undefined : SEX_OF[dg13.sex.normalize('NFC')];
  if (sex === undefined) return missing(id, 'sex Nam / Nữ (field 4)');
  return sex === mrz.sex ? pass(id, 'DG13 and MRZ give the same sex') : check(id, 'fail', 'SEX_MISMATCH', 'DG13 and MRZ give different sexes');
}

function expiryCheck(mrz: Mrz, dg13: Dg13): Check {
  const id = 'consistency.expiry';
  const text = dg13.dateOfExpiry?.normalize('NFC').trim();
  if (text === DG13_NO_EXPIRY) {
    return mrz.dateOfExpiry === CCCD_NO_EXPIRY
      ? pass(id, 'no expiry in DG13 nor in the MRZ')
      : check(id, 'fail', 'EXPIRY_MISMATCH', 'DG13 says no expiry, the MRZ has an expiry date');
  }
  const iso = dg13DateIso(text);
  if (iso === undefined) return missing(id, 'date of expiry (field 12)');
  return yymmddOf(iso) === mrz.dateOfExpiry
    ? pass(id, 'DG13 and MRZ give the same expiry date')
    : check(id, 'fail', 'EXPIRY_MISMATCH', 'DG13 and MRZ give different expiry dates');
}

/** cccd-profile.md "The 12-digit personal ID number": digit 4 and 5–6 encode sex and birth year (warnings only). */
function idPrefixCheck(dg13: Dg13): Check {
  const id = 'consistency.id-prefix';
  const birth = dg13DateIso(dg13.dateOfBirth);
  const sex = dg13.sex === undefined ? undefined : SEX_OF[dg13.sex.normalize('NFC')];
  if (dg13.personalId === undefined || !/^[0-9]{12}$/.test(dg13.personalId)) return missing(id, 'valid 12-digit ID (field 1)');
  const warnings = checkIdConsistency(dg13.personalId, {
    ...(sex === 'M' || sex === 'F' ? { sex } : {}),
    ...(birth === undefined ? {} : { birthYear: Number(birth.slice(0, 4)) }),
  }).filter((w) => w.code !== 'ID_UNKNOWN_PROVINCE');
  return warnings.length === 0
    ? pass(id, 'ID digits 4–6 agree with the sex and birth year')
    : check(id, 'warn', warnings[0]!.code, warnings.map((w) => w.message).join('; '));
}

/**
 * The document is valid up to and including its expiry date. DG13 gives the year in full; the
 * MRZ date is read with the window of mrzDateIso.
 */
function documentExpiry(mrz: Mrz, dg13: Dg13 | undefined, at: Date): Check {
  const id = 'document.expiry';
  if (mrz.dateOfExpiry === CCCD_NO_EXPIRY) return check(id, 'pass', 'NO_EXPIRY', 'the document does not expire');
  const fromDg13 = dg13DateIso(dg13?.dateOfExpiry);
  const iso = fromDg13 !== undefined && yymmddOf(fromDg13) === mrz.dateOfExpiry ? fromDg13 : mrzDateIso(mrz.dateOfExpiry, 'expiry', at);
  if (iso === undefined) return check(id, 'fail', 'EXPIRY_INVALID', `MRZ expiry ${mrz.dateOfExpiry} is not a date`);
  const end = Date.parse(`${iso}T00:00:00Z`) + 86_400_000;
  return at.getTime() < end
    ? pass(id, `valid until ${iso}`)
    : check(id, 'fail', 'DOCUMENT_EXPIRED', `expired on ${iso}, checked at ${at.toISOString()}`);
}
