/**
 * EF.DG13 in the vn-cccd layout (tag 6D, docs/cccd-profile.md "DG13"):
 *
 *   6D L { 30 L { 02 01 01 version, 06 06 28D316010008 (1.0.10646.1.0.8, UTF-8 text),
 *                 31 L { 30 L { 02 01 n, value } … } } }
 *
 * Encoding writes the canonical layout (fields in ascending number, the string type the profile
 * gives each field). Decoding is tolerant, as the profile asks of readers: fields by number in
 * any order, unknown numbers kept verbatim and written back in place, PrintableString,
 * UTF8String and IA5String all accepted, text NFC-normalised, field 13 as two SEQUENCEs or one
 * holding both names, field 14 with no value. A field with no value decodes to '' and '' encodes
 * to a field with no value (field 14's "no spouse" form `30 03 02 01 0E`).
 */
import { abytes, ascii, concat, utf8 } from './bytes.js';
import { ParseError, ValidationError } from './errors.js';
import { decodeOid, encodeOid } from './oid.js';
import { childrenOf, decodeTlv, encodeTlv, expectTag, type Tlv } from './tlv.js';

const DG13_TAG = 0x6d;
const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const OID_TAG = 0x06;
const PRINTABLE = 0x13;
const UTF8 = 0x0c;
const IA5 = 0x16;

/** ISO/IEC 10646-1 … UTF-8 (1.0.10646.1.0.8), the text-encoding OID of the profile. */
export const DG13_TEXT_OID = '1.0.10646.1.0.8';

/** Field numbers of the profile's table; 13 holds father and mother. */
const TEXT_FIELDS = Object.freeze([
  [1, 'personalId', PRINTABLE],
  [2, 'fullName', UTF8],
  [3, 'dateOfBirth', PRINTABLE],
  [4, 'sex', UTF8],
  [5, 'nationality', UTF8],
  [6, 'ethnicity', UTF8],
  [7, 'religion', UTF8],
  [8, 'placeOfOrigin', UTF8],
  [9, 'placeOfResidence', UTF8],
  [10, 'identifyingMarks', UTF8],
  [11, 'dateOfIssue', PRINTABLE],
  [12, 'dateOfExpiry', UTF8],
  [14, 'spouse', UTF8],
  [15, 'oldIdNumber', PRINTABLE],
  [16, 'serial', PRINTABLE],
] as const);
const PARENTS = 13;

type TextKey = (typeof TEXT_FIELDS)[number][1];

export type Dg13Fields = {
  /** 1: 12-digit personal ID · 2: full name · 3: dd/MM/yyyy · 4: Nam / Nữ · 5–10 text ·
   *  11: dd/MM/yyyy · 12: dd/MM/yyyy or "Không thời hạn" · 14: spouse ('' = none) ·
   *  15: old 9-digit ID · 16: 16-character serial. */
  readonly [K in TextKey]?: string;
} & {
  /** Field 13, first name. */
  readonly father?: string;
  /** Field 13, second name. */
  readonly mother?: string;
};

export interface Dg13Unknown {
  readonly number: number;
  /** The whole field SEQUENCE as read; written back unchanged. */
  readonly raw: Uint8Array;
  /** Its text, when the value is a single string. */
  readonly text?: string;
}

export interface Dg13Layout {
  /** Version INTEGER (1 in the profile). */
  readonly version?: number;
  /** Text OID (DG13_TEXT_OID in the profile). */
  readonly oid?: string;
  /** Field numbers in file order; encode follows it, then ascending numbers for the rest. */
  readonly order?: readonly number[];
  readonly unknown?: readonly Dg13Unknown[];
}

export interface Dg13 extends Dg13Fields, Dg13Layout {
  readonly version: number;
  readonly oid: string;
  readonly order: readonly number[];
  readonly unknown: readonly Dg13Unknown[];
  readonly raw: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const fail = (code: string, message: string, t: Tlv, field?: number): never => {
  throw new ParseError(code, message, { tag: t.tag, offset: t.offset, file: 'DG13', ...(field !== undefined ? { field: String(field) } : {}) });
};

function readInteger(t: Tlv, field?: number): number {
  if (t.tag !== INTEGER || t.value.length < 1 || t.value.length > 4 || (t.value[0]! & 0x80) !== 0) {
    fail('DG13_INTEGER', 'expected a small non-negative INTEGER', t, field);
  }
  return t.value.reduce((acc, b) => acc * 256 + b, 0);
}

const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readString(t: Tlv, field: number): string {
  if (t.tag === UTF8) {
    try {
      return UTF8_DECODER.decode(t.value).normalize('NFC');
    } catch {
      return fail('DG13_TEXT', `field ${field}: UTF8String is not valid UTF-8`, t, field);
    }
  }
  if (t.tag === PRINTABLE || t.tag === IA5) {
    if (t.value.some((b) => b > 0x7f)) fail('DG13_TEXT', `field ${field}: non-ASCII byte in an ASCII string`, t, field);
    return String.fromCharCode(...t.value).normalize('NFC');
  }
  return fail('DG13_TEXT_TYPE', `field ${field}: expected PrintableString, UTF8String or IA5String`, t, field);
}

/** The strings of a field's value: bare strings, or strings inside SEQUENCEs (an empty SEQUENCE counts as ''). */
function readStrings(values: readonly Tlv[], field: number): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.tag !== SEQUENCE) {
      out.push(readString(v, field));
      continue;
    }
    const inner = childrenOf(v, 'lenient');
    if (inner.length === 0) out.push('');
    for (const s of inner) out.push(readString(s, field));
  }
  return out;
}

/** Decodes DG13. Every failure is a ParseError naming the field number and the byte offset. */
export function decodeDg13(bytes: Uint8Array): Dg13 {
  abytes(bytes, 'bytes');
  const outer = expectTag(decodeTlv(bytes, 'lenient'), DG13_TAG, 'DG13');
  const [body] = childrenOf(outer, 'lenient');
  if (body === undefined || body.tag !== SEQUENCE) return fail('DG13_STRUCTURE', 'DG13 must hold one SEQUENCE', body ?? outer);
  const [versionTlv, oidTlv, setTlv, extra] = childrenOf(body, 'lenient');
  if (versionTlv === undefined || oidTlv?.tag !== OID_TAG || setTlv?.tag !== SET || extra !== undefined) {
    return fail('DG13_STRUCTURE', 'DG13 SEQUENCE must be INTEGER, OBJECT IDENTIFIER, SET', body);
  }
  const version = readInteger(versionTlv);
  const oid = decodeOid(oidTlv.value, oidTlv.valueOffset);
  const values: Record<string, string> = {};
  const order: number[] = [];
  const unknown: Dg13Unknown[] = [];
  for (const f of childrenOf(setTlv, 'lenient')) {
    if (f.tag !== SEQUENCE) fail('DG13_FIELD', 'each DG13 field must be a SEQUENCE', f);
    const [numTlv, ...rest] = childrenOf(f, 'lenient');
    if (numTlv === undefined) return fail('DG13_FIELD', 'empty DG13 field', f);
    const n = readInteger(numTlv);
    if (order.includes(n)) fail('DG13_DUPLICATE_FIELD', `field ${n} appears twice`, f, n);
    order.push(n);
    const spec = TEXT_FIELDS.find(([num]) => num === n);
    if (n === PARENTS) {
      const names = readStrings(rest, n);
      if (names.length > 2) fail('DG13_FIELD_VALUE', 'field 13 holds more than two names', f, n);
      values.father = names[0] ?? '';
      values.mother = names[1] ?? '';
    } else if (spec !== undefined) {
      const texts = readStrings(rest, n);
      if (texts.length > 1) fail('DG13_FIELD_VALUE', `field ${n} holds ${texts.length} values`, f, n);
      values[spec[1]] = texts[0] ?? '';
    } else {
      let text: string | undefined;
      try {
        const texts = readStrings(rest, n);
        text = texts.length === 1 ? texts[0] : undefined;
      } catch {
        text = undefined; // unknown layouts are kept as bytes only
      }
      unknown.push(Object.freeze({ number: n, raw: f.raw, ...(text !== undefined ? { text } : {}) }));
    }
  }
  return Object.freeze({
    ...(values as Dg13Fields),
    version,
    oid,
    order: Object.freeze(order),
    unknown: Object.freeze(unknown),
    raw: outer.raw,
  });
}

// ---------------------------------------------------------------------------------------------
// Encoding

// X.680 §41.4 PrintableString characters.
const PRINTABLE_CHARS = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function encodeString(type: number, text: string, key: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`"${key}" expected a string`);
  const nfc = text.normalize('NFC');
  if (type === PRINTABLE) {
    if (!PRINTABLE_CHARS.test(nfc)) {
      throw new ValidationError('DG13_VALUE_INVALID', `${key} has characters outside PrintableString`, { field: key });
    }
    return encodeTlv(PRINTABLE, ascii(nfc));
  }
  return encodeTlv(UTF8, utf8(nfc));
}

const integer = (n: number): Uint8Array => {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`"number" out of range: ${n}`);
  const bytes: number[] = [];
  for (let v = n; ; v = Math.floor(v / 256)) {
    bytes.unshift(v % 256);
    if (v < 256) break;
  }
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return encodeTlv(INTEGER, Uint8Array.from(bytes));
};

function encodeField(n: number, value: Dg13Fields): Uint8Array | undefined {
  if (n === PARENTS) {
    if (value.father === undefined && value.mother === undefined) return undefined;
    const name = (s: string | undefined, key: string): Uint8Array =>
      encodeTlv(SEQUENCE, s === undefined || s === '' ? new Uint8Array(0) : encodeString(UTF8, s, key));
    return encodeTlv(SEQUENCE, integer(n), name(value.father, 'father'), name(value.mother, 'mother'));
  }
  const spec = TEXT_FIELDS.find(([num]) => num === n);
  const text = spec === undefined ? undefined : value[spec[1]];
  if (spec === undefined || text === undefined) return undefined;
  if (text === '') return encodeTlv(SEQUENCE, integer(n));
  // Field 14 wraps the name in a SEQUENCE (cccd-profile.md); the others hold the string directly.
  const v = encodeString(spec[2], text, spec[1]);
  return encodeTlv(SEQUENCE, integer(n), n === 14 ? encodeTlv(SEQUENCE, v) : v);
}

/**
 * Encodes DG13: fields in `order` when given (a decoded value carries it), the rest in
 * ascending number; unknown fields are written back byte for byte.
 */
export function encodeDg13(value: Dg13Fields & Dg13Layout): Uint8Array {
  const known = [...TEXT_FIELDS.map(([n]) => n), PARENTS];
  const unknown = value.unknown ?? [];
  const order = value.order ?? [];
  const numbers = [...new Set([...known, ...unknown.map((u) => u.number)])];
  const rank = (n: number): number => (order.includes(n) ? order.indexOf(n) : order.length + n);
  numbers.sort((a, b) => rank(a) - rank(b));
  const fields: Uint8Array[] = [];
  for (const n of numbers) {
    const u = unknown.find((x) => x.number === n);
    const encoded = u !== undefined ? abytes(u.raw, 'unknown.raw') : encodeField(n, value);
    if (encoded !== undefined) fields.push(encoded);
  }
  return encodeTlv(
    DG13_TAG,
    encodeTlv(
      SEQUENCE,
      integer(value.version ?? 1),
      encodeTlv(OID_TAG, encodeOid(value.oid ?? DG13_TEXT_OID)),
      encodeTlv(SET, concat(...fields)),
    ),
  );
}
