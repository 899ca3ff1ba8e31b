/**
 * The citizen record an enrollment starts from, validated, and the LDS values derived from it:
 * the vn-cccd TD1 MRZ, DG1 and the DG13 fields (docs/cccd-profile.md).
 *
 * JSON: {"id","fullName","dateOfBirth","sex","nationality","ethnicity","religion",
 * "placeOfOrigin","placeOfResidence","identifyingMarks","dateOfIssue","dateOfExpiry",
 * "father","mother","spouse","oldIdNumber"} with ISO dates (YYYY-MM-DD), sex "M"/"F",
 * dateOfExpiry null for a card without expiry; identifyingMarks, father, mother, spouse and
 * oldIdNumber may be null or absent.
 */
import { checkIdConsistency } from '../lds/cccd-id.js';
import { encodeDg1 } from '../lds/dg1.js';
import type { Dg13Fields } from '../lds/dg13.js';
import { CancuocError, ValidationError } from '../lds/errors.js';
import { buildCccdTd1 } from '../lds/mrz-cccd.js';
import { vietnameseMrzName } from '../lds/transliterate.js';

export interface CitizenRecord {
  readonly id: string;
  readonly fullName: string;
  readonly dateOfBirth: string;
  readonly sex: 'M' | 'F';
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly placeOfOrigin: string;
  readonly placeOfResidence: string;
  readonly identifyingMarks: string | null;
  readonly dateOfIssue: string;
  readonly dateOfExpiry: string | null;
  readonly father: string | null;
  readonly mother: string | null;
  readonly spouse: string | null;
  readonly oldIdNumber: string | null;
}

/** DG13 field 12 text for a card without expiry. */
export const NO_EXPIRY_TEXT = 'Không thời hạn';

const KEYS = [
  'id', 'fullName', 'dateOfBirth', 'sex', 'nationality', 'ethnicity', 'religion', 'placeOfOrigin',
  'placeOfResidence', 'identifyingMarks', 'dateOfIssue', 'dateOfExpiry', 'father', 'mother', 'spouse', 'oldIdNumber',
] as const;
const OPTIONAL = new Set<string>(['identifyingMarks', 'father', 'mother', 'spouse', 'oldIdNumber']);

const invalid = (field: string, message: string, code = 'CITIZEN_FIELD_INVALID'): ValidationError =>
  new ValidationError(code, `${field}: ${message}`, { field });

// Letters with their marks, digits, space and the punctuation addresses use. '|' is excluded
// because it separates the fields of the card's QR text.
const TEXT = /^[\p{L}\p{M}\p{N} ,.\-/'():;]+$/u;

function text(raw: Record<string, unknown>, field: string, max: number): string {
  const v = raw[field];
  if (typeof v !== 'string') throw invalid(field, 'expected a string');
  const s = v.normalize('NFC');
  if (s.length === 0 || s.length > max) throw invalid(field, `length ${s.length}, expected 1 to ${max}`);
  if (s !== s.trim() || /\s{2}/u.test(s)) throw invalid(field, 'leading, trailing or repeated whitespace');
  if (!TEXT.test(s)) {
    const bad = [...s].find((c) => !TEXT.test(c)) ?? '';
    throw invalid(field, `character ${JSON.stringify(bad)} not allowed`);
  }
  return s;
}

function optionalText(raw: Record<string, unknown>, field: string, max: number): string | null {
  return raw[field] === undefined || raw[field] === null ? null : text(raw, field, max);
}

const VIETNAM_UTC_OFFSET_MS = 7 * 3600 * 1000;

/** A real calendar date in ISO form; returned as UTC milliseconds for comparisons. */
function isoDate(raw: Record<string, unknown>, field: string): { iso: string; time: number } {
  const v = raw[field];
  const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
  if (m === null) throw invalid(field, 'expected a date YYYY-MM-DD');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const time = Date.UTC(y, mo - 1, d);
  const back = new Date(time);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw invalid(field, `${v as string} is not a calendar date`);
  }
  // DG13 and the QR carry four-digit years, but the MRZ's YYMMDD needs a century rule (cccd-profile.md)
  if (y < 1900) throw invalid(field, `${v as string} is before 1900, the earliest date a record may hold`);
  return { iso: v as string, time };
}

function nameText(raw: Record<string, unknown>, field: string): string | null {
  const s = optionalText(raw, field, 100);
  if (s !== null && /\p{N}/u.test(s)) throw invalid(field, 'digits are not allowed in a name');
  return s;
}

/**
 * Validates a citizen record (an object, or its JSON text). Throws ValidationError whose
 * `place.field` names the offending field.
 */
export function parseCitizenRecord(json: unknown): CitizenRecord {
  let input = json;
  if (typeof input === 'string') {
    try {
      input = JSON.parse(input) as unknown;
    } catch (e) {
      throw new ValidationError('CITIZEN_JSON', `not JSON: ${(e as Error).message}`, {}, { cause: e });
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError('CITIZEN_JSON', 'citizen record must be a JSON object');
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) throw invalid(key, 'unknown field', 'CITIZEN_FIELD_UNKNOWN');
  }
  for (const key of KEYS) {
    if (!OPTIONAL.has(key) && !(key in raw)) throw invalid(key, 'missing', 'CITIZEN_FIELD_MISSING');
  }

  if (raw.sex !== 'M' && raw.sex !== 'F') throw invalid('sex', 'expected "M" or "F"');
  const sex = raw.sex;
  const birth = isoDate(raw, 'dateOfBirth');
  const issue = isoDate(raw, 'dateOfIssue');
  const expiry = raw.dateOfExpiry === null ? null : isoDate(raw, 'dateOfExpiry');
  if (issue.time <= birth.time) throw invalid('dateOfIssue', 'must be after the date of birth');
  // a card is not issued ahead of time; "today" in Viet Nam (UTC+7), where the card is issued (docs/input-limits.md)
  if (issue.time > Date.now() + VIETNAM_UTC_OFFSET_MS) throw invalid('dateOfIssue', `${issue.iso} is in the future`);
  if (expiry !== null && expiry.time <= issue.time) throw invalid('dateOfExpiry', 'must be after the date of issue');

  if (typeof raw.id !== 'string' || !/^[0-9]{12}$/.test(raw.id)) throw invalid('id', 'expected 12 digits');
  const warnings = checkIdConsistency(raw.id, { sex, birthYear: Number(birth.iso.slice(0, 4)) }).filter(
    (w) => w.code !== 'ID_UNKNOWN_PROVINCE', // unknown province codes are allowed (cccd-profile.md)
  );
  if (warnings.length > 0) throw invalid('id', warnings.map((w) => w.message).join('; '), 'CITIZEN_ID_MISMATCH');

  const fullName = nameText(raw, 'fullName');
  if (fullName === null) throw invalid('fullName', 'missing', 'CITIZEN_FIELD_MISSING');
  try {
    vietnameseMrzName(fullName); // every character must have an MRZ transliteration
  } catch (e) {
    if (e instanceof CancuocError) throw invalid('fullName', e.message);
    throw e;
  }
  const oldId = raw.oldIdNumber;
  if (oldId !== undefined && oldId !== null && (typeof oldId !== 'string' || !/^[0-9]{9}$/.test(oldId))) {
    throw invalid('oldIdNumber', 'expected 9 digits or null');
  }

  return Object.freeze({
    id: raw.id,
    fullName,
    dateOfBirth: birth.iso,
    sex,
    nationality: text(raw, 'nationality', 50),
    ethnicity: text(raw, 'ethnicity', 50),
    religion: text(raw, 'religion', 50),
    placeOfOrigin: text(raw, 'placeOfOrigin', 200),
    placeOfResidence: text(raw, 'placeOfResidence', 200),
    identifyingMarks: optionalText(raw, 'identifyingMarks', 200),
    dateOfIssue: issue.iso,
    dateOfExpiry: expiry?.iso ?? null,
    father: nameText(raw, 'father'),
    mother: nameText(raw, 'mother'),
    spouse: nameText(raw, 'spouse'),
    oldIdNumber: typeof oldId === 'string' ? oldId : null,
  });
}

const yymmdd = (iso: string): string => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
const ddmmyyyy = (iso: string): string => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

/** The vn-cccd TD1 MRZ lines of the record (no expiry → CCCD_NO_EXPIRY in mrz.ts). */
export function citizenMrz(record: CitizenRecord): readonly [string, string, string] {
  return buildCccdTd1({
    personalId: record.id,
    dateOfBirth: yymmdd(record.dateOfBirth),
    sex: record.sex,
    dateOfExpiry: record.dateOfExpiry === null ? null : yymmdd(record.dateOfExpiry),
    name: vietnameseMrzName(record.fullName),
  });
}

/** EF.DG1 bytes of the record. */
export function citizenDg1(record: CitizenRecord): Uint8Array {
  return encodeDg1(citizenMrz(record));
}

/**
 * The DG13 fields of the record, to encode with dg13.ts. Absent optional values leave their
 * field out, except the spouse: field 14 is then written in its empty form, as on real cards,
 * and a missing parent is an empty name inside field 13.
 */
export function citizenDg13(record: CitizenRecord): Dg13Fields {
  const parents =
    record.father === null && record.mother === null ? {} : { father: record.father ?? '', mother: record.mother ?? '' };
  return Object.freeze({
    personalId: record.id,
    fullName: record.fullName,
    dateOfBirth: ddmmyyyy(record.dateOfBirth),
    sex: record.sex === 'M' ? 'Nam' : 'Nữ',
    nationality: record.nationality,
    ethnicity: record.ethnicity,
    religion: record.religion,
    placeOfOrigin: record.placeOfOrigin,
    placeOfResidence: record.placeOfResidence,
    ...(record.identifyingMarks !== null ? { identifyingMarks: record.identifyingMarks } : {}),
    dateOfIssue: ddmmyyyy(record.dateOfIssue),
    dateOfExpiry: record.dateOfExpiry === null ? NO_EXPIRY_TEXT : ddmmyyyy(record.dateOfExpiry),
    ...parents,
    spouse: record.spouse ?? '',
    ...(record.oldIdNumber !== null ? { oldIdNumber: record.oldIdNumber } : {}),
  });
}
