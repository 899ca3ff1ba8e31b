/**
 * The machine readable zone: check digits (ICAO 9303-3 (8th ed.) §4.9), TD1 (9303-5 §4.2.2,
 * 3 × 30) and TD3 (9303-4 §4.2.2, 2 × 44), the BAC/PACE key string MRZ_information
 * (9303-11 §9.7.2, App. D.2). The vn-cccd TD1 profile is in mrz-cccd.ts.
 *
 * Parsing reports every check digit instead of throwing on a wrong one; it throws ParseError
 * only for a wrong length or a character that may not stand where it is. Offsets in errors
 * count characters of the concatenated MRZ (the DG1 string) plus its offset in the file.
 */
import { ParseError, ValidationError } from './errors.js';

export type MrzFormat = 'TD1' | 'TD3';
export type MrzSex = 'M' | 'F' | '<';

const WIDTH: Record<MrzFormat, number> = { TD1: 30, TD3: 44 };
const LINES: Record<MrzFormat, number> = { TD1: 3, TD3: 2 };
const MRZ_CHARS = /^[A-Z0-9<]*$/;
const WEIGHTS = [7, 3, 1] as const;

// ICAO 9303-3 §4.9: weights 7,3,1; '<' = 0, digits their value, A..Z = 10..35.
function charValue(c: string): number {
  const code = c.charCodeAt(0);
  if (c === '<') return 0;
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  return -1;
}

/** The check digit ('0'…'9') of an MRZ field. Throws ValidationError for characters outside A–Z, 0–9, '<'. */
export function checkDigit(field: string): string {
  if (typeof field !== 'string') throw new TypeError('"field" expected a string');
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const v = charValue(field[i]!);
    if (v < 0) {
      throw new ValidationError('MRZ_CHARACTER', `character ${JSON.stringify(field[i])} is not an MRZ character`, {
        field: 'checkDigit',
        offset: i,
      });
    }
    sum += v * WEIGHTS[i % 3]!;
  }
  return String(sum % 10);
}

/** One check digit as read, with the data it covers and whether it matches. */
export interface MrzCheck {
  readonly data: string;
  readonly digit: string;
  readonly valid: boolean;
}

/** A check digit as read, with whether it is right. */
export function mrzCheck(data: string, digit: string): MrzCheck {
  return Object.freeze({ data, digit, valid: digit === checkDigit(data) });
}

export interface Mrz {
  readonly format: MrzFormat;
  readonly lines: readonly string[];
  readonly documentCode: string;
  readonly issuingState: string;
  /** Full document number: TD1 long numbers (9303-5 note j) are joined back together. */
  readonly documentNumber: string;
  /** TD1 positions 16–30 of line 1 after any long-number extension; TD3 the personal number. */
  readonly optionalData1: string;
  readonly dateOfBirth: string;
  readonly sex: MrzSex;
  readonly dateOfExpiry: string;
  readonly nationality: string;
  /** TD1 line 2 positions 19–29; empty for TD3. */
  readonly optionalData2: string;
  readonly nameField: string;
  readonly primaryIdentifier: string;
  readonly secondaryIdentifier: string;
  readonly checks: {
    readonly documentNumber: MrzCheck;
    readonly dateOfBirth: MrzCheck;
    readonly dateOfExpiry: MrzCheck;
    /** TD3 only: the personal number check digit ('<' allowed when the field is all fillers). */
    readonly optionalData?: MrzCheck;
    readonly composite: MrzCheck;
  };
  /** Every check digit valid. */
  readonly valid: boolean;
}

/** A field spec for character validation: [line, start, length, name, allowed]. */
type FieldSpec = readonly [number, number, number, string, RegExp];

const ALPHA = /^[A-Z<]*$/;
const NUMERIC = /^[0-9<]*$/;
const ANY = /^[A-Z0-9<]*$/;
const SEX = /^[MF<]$/;

const TD1_FIELDS: readonly FieldSpec[] = [
  [0, 0, 2, 'documentCode', ALPHA],
  [0, 2, 3, 'issuingState', ALPHA],
  [0, 5, 25, 'documentNumber', ANY],
  [1, 0, 6, 'dateOfBirth', NUMERIC],
  [1, 6, 1, 'dateOfBirthCheck', ANY],
  [1, 7, 1, 'sex', SEX],
  [1, 8, 6, 'dateOfExpiry', NUMERIC],
  [1, 14, 1, 'dateOfExpiryCheck', ANY],
  [1, 15, 3, 'nationality', ALPHA],
  [1, 18, 12, 'optionalData2', ANY],
  [2, 0, 30, 'name', ALPHA],
];

const TD3_FIELDS: readonly FieldSpec[] = [
  [0, 0, 2, 'documentCode', ALPHA],
  [0, 2, 3, 'issuingState', ALPHA],
  [0, 5, 39, 'name', ALPHA],
  [1, 0, 10, 'documentNumber', ANY],
  [1, 10, 3, 'nationality', ALPHA],
  [1, 13, 6, 'dateOfBirth', NUMERIC],
  [1, 19, 1, 'dateOfBirthCheck', ANY],
  [1, 20, 1, 'sex', SEX],
  [1, 21, 6, 'dateOfExpiry', NUMERIC],
  [1, 27, 1, 'dateOfExpiryCheck', ANY],
  [1, 28, 16, 'optionalData', ANY],
];

/** Where the MRZ sits, for error places: byte offset of its first character, tag, file. */
export interface MrzLocation {
  readonly offset?: number;
  readonly tag?: number;
  readonly file?: string;
}

function splitLines(input: string | readonly string[], at: MrzLocation): { lines: string[]; format: MrzFormat } {
  const base = at.offset ?? 0;
  let text: string;
  if (typeof input === 'string') text = input.replace(/\r?\n/g, '');
  else if (Array.isArray(input) && input.every((l) => typeof l === 'string')) text = input.join('');
  else throw new TypeError('"mrz" expected a string or an array of strings');
  const format: MrzFormat | undefined = text.length === 90 ? 'TD1' : text.length === 88 ? 'TD3' : undefined;
  if (format === undefined) {
    throw new ParseError('MRZ_LENGTH', `MRZ of ${text.length} characters: expected 90 (TD1) or 88 (TD3)`, {
      ...at,
      field: 'mrz',
      offset: base + text.length,
    });
  }
  const w = WIDTH[format];
  const lines = Array.from({ length: LINES[format] }, (_, i) => text.slice(i * w, (i + 1) * w));
  if (Array.isArray(input) && (input.length !== lines.length || input.some((l, i) => l !== lines[i]))) {
    const bad = input.findIndex((l, i) => l !== lines[i]);
    throw new ParseError('MRZ_LENGTH', `${format} line ${bad + 1} is not ${w} characters`, {
      ...at,
      field: 'mrz',
      offset: base + bad * w,
    });
  }
  return { lines, format };
}

function validateCharacters(lines: readonly string[], specs: readonly FieldSpec[], width: number, at: MrzLocation): void {
  for (const [line, start, length, field, allowed] of specs) {
    const text = lines[line]!.slice(start, start + length);
    for (let i = 0; i < text.length; i++) {
      if (!allowed.test(text[i]!) || !MRZ_CHARS.test(text[i]!)) {
        const col = start + i;
        throw new ParseError(
          'MRZ_CHARACTER',
          `character ${JSON.stringify(text[i])} not allowed in ${field} (line ${line + 1}, column ${col + 1})`,
          { ...at, field, offset: (at.offset ?? 0) + line * width + col },
        );
      }
    }
  }
}

function splitName(field: string): { primary: string; secondary: string } {
  const trimmed = field.replace(/<+$/, '');
  const at = trimmed.indexOf('<<');
  const primary = at < 0 ? trimmed : trimmed.slice(0, at);
  const secondary = at < 0 ? '' : trimmed.slice(at + 2);
  const words = (s: string): string => s.split('<').filter((w) => w.length > 0).join(' ');
  return { primary: words(primary), secondary: words(secondary) };
}

/**
 * Parses a TD1 or TD3 MRZ given as lines or as one string (the DG1 form, newlines allowed).
 * `at` places errors inside a file: its offset is added to character positions.
 */
export function parseMrz(input: string | readonly string[], at: MrzLocation = {}): Mrz {
  const { lines, format } = splitLines(input, at);
  const width = WIDTH[format];
  validateCharacters(lines, format === 'TD1' ? TD1_FIELDS : TD3_FIELDS, width, at);
  return format === 'TD1' ? parseTd1(lines) : parseTd3(lines);
}

function parseTd1(lines: string[]): Mrz {
  const [l1, l2, l3] = lines as [string, string, string];
  let documentNumber = l1.slice(5, 14);
  let docCheck = mrzCheck(documentNumber, l1[14]!);
  let optionalData1 = l1.slice(15, 30);
  // ICAO 9303-5 §4.2.2 note j: '<' at position 15 marks a long number continued in positions
  // 16ff., ended by its check digit and a filler; the check digit covers 6–14 and 16–end.
  if (l1[14] === '<' && optionalData1[0] !== '<') {
    const end = optionalData1.indexOf('<');
    const cdAt = end < 0 ? optionalData1.length - 1 : end - 1;
    documentNumber += optionalData1.slice(0, cdAt);
    docCheck = mrzCheck(documentNumber, optionalData1[cdAt]!);
    optionalData1 = end < 0 ? '' : optionalData1.slice(end + 1);
  }
  const { primary, secondary } = splitName(l3);
  // ICAO 9303-5 §4.2.4: composite over line 1 pos 6–30, line 2 pos 1–7, 9–15, 19–29.
  const composite = mrzCheck(l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29), l2[29]!);
  const checks = {
    documentNumber: docCheck,
    dateOfBirth: mrzCheck(l2.slice(0, 6), l2[6]!),
    dateOfExpiry: mrzCheck(l2.slice(8, 14), l2[14]!),
    composite,
  };
  return freezeMrz({
    format: 'TD1',
    lines: Object.freeze([...lines]),
    documentCode: l1.slice(0, 2).replace(/<+$/, ''),
    issuingState: l1.slice(2, 5).replace(/<+$/, ''),
    documentNumber: documentNumber.replace(/<+$/, ''),
    optionalData1: optionalData1.replace(/<+$/, ''),
    dateOfBirth: l2.slice(0, 6),
    sex: l2[7] as MrzSex,
    dateOfExpiry: l2.slice(8, 14),
    nationality: l2.slice(15, 18).replace(/<+$/, ''),
    optionalData2: l2.slice(18, 29).replace(/<+$/, ''),
    nameField: l3,
    primaryIdentifier: primary,
    secondaryIdentifier: secondary,
    checks,
  });
}

function parseTd3(lines: string[]): Mrz {
  const [l1, l2] = lines as [string, string];
  const { primary, secondary } = splitName(l1.slice(5));
  const personal = l2.slice(28, 42);
  // ICAO 9303-4 §4.2.2.2: the personal number check digit may be '<' when the field is empty.
  const personalCheck: MrzCheck =
    l2[42] === '<' && /^<*$/.test(personal)
      ? Object.freeze({ data: personal, digit: '<', valid: true })
      : mrzCheck(personal, l2[42]!);
  // ICAO 9303-4 §4.2.4: composite over line 2 pos 1–10, 14–20, 22–43.
  const composite = mrzCheck(l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43), l2[43]!);
  return freezeMrz({
    format: 'TD3',
    lines: Object.freeze([...lines]),
    documentCode: l1.slice(0, 2).replace(/<+$/, ''),
    issuingState: l1.slice(2, 5).replace(/<+$/, ''),
    documentNumber: l2.slice(0, 9).replace(/<+$/, ''),
    optionalData1: personal.replace(/<+$/, ''),
    dateOfBirth: l2.slice(13, 19),
    sex: l2[20] as MrzSex,
    dateOfExpiry: l2.slice(21, 27),
    nationality: l2.slice(10, 13).replace(/<+$/, ''),
    optionalData2: '',
    nameField: l1.slice(5),
    primaryIdentifier: primary,
    secondaryIdentifier: secondary,
    checks: {
      documentNumber: mrzCheck(l2.slice(0, 9), l2[9]!),
      dateOfBirth: mrzCheck(l2.slice(13, 19), l2[19]!),
      dateOfExpiry: mrzCheck(l2.slice(21, 27), l2[27]!),
      optionalData: personalCheck,
      composite,
    },
  });
}

function freezeMrz(m: Omit<Mrz, 'valid'>): Mrz {
  const valid = Object.values(m.checks).every((c) => c === undefined || c.valid);
  return Object.freeze({ ...m, checks: Object.freeze({ ...m.checks }), valid });
}

// ---------------------------------------------------------------------------------------------
// Building

export interface MrzInput {
  readonly documentCode: string;
  readonly issuingState: string;
  readonly documentNumber: string;
  /** TD1: optional data of line 1; TD3: the personal number (14). */
  readonly optionalData1?: string;
  /** YYMMDD; '<' for unknown parts (ICAO 9303-3 §4.8). */
  readonly dateOfBirth: string;
  readonly sex: MrzSex;
  /** YYMMDD, or '<<<<<<' when the document has no expiry (see CCCD_NO_EXPIRY). */
  readonly dateOfExpiry: string;
  readonly nationality: string;
  /** TD1 only: optional data of line 2 (11). */
  readonly optionalData2?: string;
  /** The name field in MRZ characters (`PRIMARY<<SECONDARY`), already truncated to fit; see transliterate.ts. */
  readonly name: string;
}

/** `value` when it is a string of at most (`exact`: exactly) `max` characters matching `allowed`. */
export function mrzField(value: unknown, name: string, max: number, allowed: RegExp = ANY, exact = false): string {
  if (typeof value !== 'string') throw new TypeError(`"${name}" expected a string`);
  if (!allowed.test(value) || (exact ? value.length !== max : value.length > max)) {
    throw new ValidationError(
      'MRZ_FIELD_INVALID',
      `${name} ${JSON.stringify(value)}: expected ${exact ? '' : 'up to '}${max} of ${allowed.source}`,
      { field: name },
    );
  }
  return value;
}

const pad = (s: string, n: number): string => s + '<'.repeat(Math.max(0, n - s.length));
const DATE = /^[0-9<]{6}$/;

/** TD1, 3 × 30, every check digit computed (ICAO 9303-5 §4.2.2). Long document numbers per note j. */
export function buildTd1(input: MrzInput): readonly [string, string, string] {
  const docNo = mrzField(input.documentNumber, 'documentNumber', 22);
  const opt1 = mrzField(input.optionalData1 ?? '', 'optionalData1', 15);
  let line1Data: string;
  if (docNo.length <= 9) {
    const d = pad(docNo, 9);
    line1Data = d + checkDigit(d) + pad(opt1, 15);
  } else {
    const extension = docNo.slice(9) + checkDigit(docNo) + '<';
    if (extension.length + opt1.length > 15) {
      throw new ValidationError('MRZ_FIELD_INVALID', 'long document number and optional data exceed 15 positions', {
        field: 'optionalData1',
      });
    }
    line1Data = docNo.slice(0, 9) + '<' + pad(extension + opt1, 15);
  }
  const code = pad(mrzField(input.documentCode, 'documentCode', 2, ALPHA), 2);
  const line1 = code + pad(mrzField(input.issuingState, 'issuingState', 3, ALPHA), 3) + line1Data;
  const dob = mrzField(input.dateOfBirth, 'dateOfBirth', 6, DATE, true);
  const doe = mrzField(input.dateOfExpiry, 'dateOfExpiry', 6, DATE, true);
  const sex = mrzField(input.sex, 'sex', 1, SEX, true);
  const nat = pad(mrzField(input.nationality, 'nationality', 3, ALPHA), 3);
  const opt2 = pad(mrzField(input.optionalData2 ?? '', 'optionalData2', 11), 11);
  const l2 = dob + checkDigit(dob) + sex + doe + checkDigit(doe) + nat + opt2;
  const composite = checkDigit(line1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29));
  const name = pad(mrzField(input.name, 'name', 30, ALPHA), 30);
  return Object.freeze([line1, l2 + composite, name] as const);
}

/** TD3, 2 × 44, every check digit computed (ICAO 9303-4 §4.2.2). */
export function buildTd3(input: MrzInput): readonly [string, string] {
  if (input.optionalData2 !== undefined && input.optionalData2 !== '') {
    throw new ValidationError('MRZ_FIELD_INVALID', 'TD3 has no second optional data field', { field: 'optionalData2' });
  }
  const line1 =
    pad(mrzField(input.documentCode, 'documentCode', 2, ALPHA), 2) +
    pad(mrzField(input.issuingState, 'issuingState', 3, ALPHA), 3) +
    pad(mrzField(input.name, 'name', 39, ALPHA), 39);
  const docNo = pad(mrzField(input.documentNumber, 'documentNumber', 9), 9);
  const dob = mrzField(input.dateOfBirth, 'dateOfBirth', 6, DATE, true);
  const doe = mrzField(input.dateOfExpiry, 'dateOfExpiry', 6, DATE, true);
  const personal = pad(mrzField(input.optionalData1 ?? '', 'optionalData1', 14), 14);
  const personalCd = /^<*$/.test(personal) ? '<' : checkDigit(personal);
  const l2 =
    docNo + checkDigit(docNo) + pad(mrzField(input.nationality, 'nationality', 3, ALPHA), 3) + dob + checkDigit(dob) +
    mrzField(input.sex, 'sex', 1, SEX, true) + doe + checkDigit(doe) + personal + personalCd;
  const composite = checkDigit(l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43));
  return Object.freeze([line1, l2 + composite] as const);
}

/**
 * MRZ_information, the BAC and PACE-MRZ password: document number (padded with '<' to at least
 * 9) ‖ check digit ‖ date of birth ‖ check digit ‖ date of expiry ‖ check digit
 * (ICAO 9303-11 §9.7.2 and App. D.2, which also gives the long-number form).
 */
export function mrzInformation(documentNumber: string, dateOfBirth: string, dateOfExpiry: string): string {
  const d = pad(mrzField(documentNumber, 'documentNumber', 22), 9);
  const dob = mrzField(dateOfBirth, 'dateOfBirth', 6, DATE, true);
  const doe = mrzField(dateOfExpiry, 'dateOfExpiry', 6, DATE, true);
  return d + checkDigit(d) + dob + checkDigit(dob) + doe + checkDigit(doe);
}

/** MRZ_information read from a parsed MRZ (uses the full document number). */
export function mrzInformationOf(mrz: Mrz): string {
  return mrzInformation(mrz.documentNumber, mrz.dateOfBirth, mrz.dateOfExpiry);
}
