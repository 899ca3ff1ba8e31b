/**
 * The plain QR text printed on the CCCD (docs/cccd-profile.md, "The QR code printed on the
 * card"): UTF-8, fields separated by '|':
 *   ID(12) | old ID(9 or empty) | full name | DOB ddMMyyyy | Nam/Nữ | address | issue date ddMMyyyy
 * 2021 cards have exactly these 7 fields; 2024 cards add trailing fields (seen empty), which
 * are kept. The text is unsigned: anyone can write it. Parsing checks structure only.
 */
import { abytes, utf8 } from '../lds/bytes.js';
import { parseCccdId } from '../lds/cccd-id.js';
import { ParseError, ValidationError } from '../lds/errors.js';

export const CCCD_TEXT_FIELDS = Object.freeze([
  'personalId',
  'oldIdNumber',
  'fullName',
  'dateOfBirth',
  'sex',
  'address',
  'dateOfIssue',
] as const);

export interface CccdText {
  readonly personalId: string;
  /** null when the field is empty. */
  readonly oldIdNumber: string | null;
  readonly fullName: string;
  /** ISO YYYY-MM-DD. */
  readonly dateOfBirth: string;
  readonly sex: 'M' | 'F';
  readonly address: string;
  readonly dateOfIssue: string;
  /** Fields after the seventh, as written (2024 cards). */
  readonly extra: readonly string[];
}

export interface ParsedCccdText extends CccdText {
  /** The bytes it was parsed from. */
  readonly raw: Uint8Array;
}

const SEX_TEXT = Object.freeze({ M: 'Nam', F: 'Nữ' });
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** ISO YYYY-MM-DD → ddMMyyyy, checking it is a calendar date. */
function toDdMmYyyy(iso: string, name: string): string {
  const m = typeof iso === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso) : null;
  if (m === null || isoFromParts(m[3]!, m[2]!, m[1]!) === undefined) throw new RangeError(`"${name}" expected a date YYYY-MM-DD, got ${String(iso)}`);
  return `${m[3]}${m[2]}${m[1]}`;
}

function isoFromParts(dd: string, mm: string, yyyy: string): string | undefined {
  const [y, mo, d] = [Number(yyyy), Number(mm), Number(dd)];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return `${yyyy}-${mm}-${dd}`;
}

function textField(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`"${name}" expected a non-empty string`);
  if (value.includes('|')) throw new RangeError(`"${name}" may not contain '|', the field separator`);
  return value;
}

/** The QR text for `q` (7 fields, then any extra fields). */
export function encodeCccdText(q: CccdText): string {
  if (typeof q !== 'object' || q === null) throw new TypeError('"text" expected an object');
  parseCccdId(q.personalId);
  if (q.oldIdNumber !== null && !/^[0-9]{9}$/.test(q.oldIdNumber)) throw new RangeError('"oldIdNumber" expected 9 digits or null');
  if (q.sex !== 'M' && q.sex !== 'F') throw new RangeError('"sex" expected M or F');
  if (!Array.isArray(q.extra) || q.extra.some((e) => typeof e !== 'string' || e.includes('|'))) {
    throw new TypeError('"extra" expected strings without \'|\'');
  }
  return [
    q.personalId,
    q.oldIdNumber ?? '',
    textField(q.fullName, 'fullName'),
    toDdMmYyyy(q.dateOfBirth, 'dateOfBirth'),
    SEX_TEXT[q.sex],
    textField(q.address, 'address'),
    toDdMmYyyy(q.dateOfIssue, 'dateOfIssue'),
    ...q.extra,
  ].join('|');
}

/** The QR bytes (UTF-8) for `q`. */
export function encodeCccdTextBytes(q: CccdText): Uint8Array {
  return utf8(encodeCccdText(q));
}

/**
 * Parses the QR content (bytes as read in byte mode, or text). Errors are ParseErrors whose
 * `field` names the field and whose `offset` is the field's byte offset in the UTF-8 content.
 */
export function parseCccdText(input: Uint8Array | string): ParsedCccdText {
  const raw = typeof input === 'string' ? utf8(input) : abytes(input, 'input');
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new ParseError('QR_TEXT_UTF8', 'QR content is not UTF-8', { offset: 0 });
  }
  const fields = text.split('|');
  if (fields.length < CCCD_TEXT_FIELDS.length) {
    throw new ParseError('QR_TEXT_FIELD_COUNT', `${fields.length} field(s), the CCCD QR has at least 7`, { offset: 0 });
  }
  const offsets: number[] = [];
  for (let i = 0, at = 0; i < fields.length; i++) {
    offsets.push(at);
    at += utf8(fields[i]!).length + 1;
  }
  const fail = (i: number, code: string, message: string): never => {
    throw new ParseError(code, `${CCCD_TEXT_FIELDS[i]}: ${message}`, { field: CCCD_TEXT_FIELDS[i], offset: offsets[i] });
  };
  const [id, oldId, fullName, dob, sexText, address, issue] = fields as [string, string, string, string, string, string, string];
  try {
    parseCccdId(id);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    fail(0, 'QR_TEXT_ID', e.message);
  }
  if (oldId !== '' && !/^[0-9]{9}$/.test(oldId)) fail(1, 'QR_TEXT_OLD_ID', 'expected 9 digits or nothing');
  if (fullName.trim() === '') fail(2, 'QR_TEXT_NAME', 'empty');
  const date = (i: number, v: string): string => {
    const m = /^(\d{2})(\d{2})(\d{4})$/.exec(v);
    const iso = m === null ? undefined : isoFromParts(m[1]!, m[2]!, m[3]!);
    return iso ?? fail(i, 'QR_TEXT_DATE', `${JSON.stringify(v)} is not a date ddMMyyyy`);
  };
  const dateOfBirth = date(3, dob);
  const normalizedSex = sexText.normalize('NFC');
  const sex = normalizedSex === SEX_TEXT.M ? 'M' : normalizedSex === SEX_TEXT.F ? 'F' : fail(4, 'QR_TEXT_SEX', `expected "Nam" or "Nữ", got ${JSON.stringify(sexText)}`);
  if (address.trim() === '') fail(5, 'QR_TEXT_ADDRESS', 'empty');
  const dateOfIssue = date(6, issue);
  return Object.freeze({
    personalId: id,
    oldIdNumber: oldId === '' ? null : oldId,
    fullName,
    dateOfBirth,
    sex,
    address,
    dateOfIssue,
    extra: Object.freeze(fields.slice(CCCD_TEXT_FIELDS.length)),
    raw,
  });
}
