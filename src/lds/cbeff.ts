/**
 * CBEFF biometric templates as used by DG2, DG3 and DG4: ICAO 9303-10 (8th ed.) §4.7.2 Table 44,
 * ISO/IEC 7816-11 Annex C. A Biometric Information Group Template (7F61) holds a count (02) and one
 * Biometric Information Template (7F60) per instance; each is a Biometric Header Template (A1) and a
 * biometric data block: 5F2E for ISO/IEC 19794 records, 7F2E for ISO/IEC 39794 (kept as bytes).
 * Generic over the record inside 5F2E: a BdbCodec<T> turns those bytes into T and back.
 */
import { abytes, concat, readUintBE, uintBE } from './bytes.js';
import { ParseError } from './errors.js';
import { childrenOf, decodeTlv, encodeTag, encodeTlv, expectTag, tagHex, type Tlv, type TlvMode } from './tlv.js';

const TAG_GROUP = 0x7f61;
const TAG_COUNT = 0x02;
const TAG_TEMPLATE = 0x7f60;
const TAG_HEADER = 0xa1;
const TAG_BDB_19794 = 0x5f2e;
const TAG_BDB_39794 = 0x7f2e;

/** Biometric Header Template element tags, ICAO 9303-10 §4.7.2 Table 44. */
export const BHT_TAG = Object.freeze({
  patronHeaderVersion: 0x80,
  biometricType: 0x81,
  biometricSubtype: 0x82,
  creationDate: 0x83,
  validityPeriod: 0x85,
  creatorPid: 0x86,
  formatOwner: 0x87,
  formatType: 0x88,
});

/** ISO/IEC JTC 1/SC 37, the CBEFF format owner of the ISO/IEC 19794 records (9303-10 Table 44). */
export const FORMAT_OWNER_SC37 = 0x0101;

// ---------------------------------------------------------------------------------------------
// The contract between CBEFF and the records inside 5F2E.

/** Turns the bytes of a biometric data block into a record and back (encode(decode(b)) = b). */
export interface BdbCodec<T> {
  /** `base` is the absolute offset of bdb[0]; `tag` the data object holding it, for error places. */
  decode(bdb: Uint8Array, base?: number, tag?: number): T;
  encode(record: T): Uint8Array;
}

/**
 * Bounds-checked big-endian cursor for the binary ISO/IEC 19794 records. Every overrun becomes a
 * ParseError `<prefix>_TRUNCATED` with the absolute offset and the field being read.
 */
export class BdbReader {
  at = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly base: number,
    readonly prefix: string,
    readonly tag?: number,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.at;
  }

  uint(width: number, field: string): number {
    this.need(width, field);
    const v = readUintBE(this.bytes, this.at, width);
    this.at += width;
    return v;
  }

  take(length: number, field: string): Uint8Array {
    this.need(length, field);
    const v = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return v;
  }

  /** Reads a fixed byte string (a format identifier) and rejects anything else. */
  expect(magic: Uint8Array, field: string): void {
    const at = this.at;
    const got = this.take(magic.length, field);
    for (let i = 0; i < magic.length; i++) {
      if (got[i] !== magic[i]) throw this.error('BAD_MAGIC', `${field}: not a ${this.prefix} record`, field, at);
    }
  }

  error(code: string, message: string, field: string, at = this.at): ParseError {
    return new ParseError(`${this.prefix}_${code}`, message, { offset: this.base + at, field, tag: this.tag });
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw this.error('TRUNCATED', `${field}: need ${n} byte(s), have ${this.remaining}`, field);
    }
  }
}

/** Big-endian field of `width` bytes for the record encoders; the RangeError names the field. */
export function bdbUint(value: number, width: number, name: string): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * width)) {
    throw new RangeError(`"${name}" expected an unsigned integer of ${width} byte(s), got ${value}`);
  }
  return uintBE(value, width);
}

// ---------------------------------------------------------------------------------------------
// Biometric Header Template (A1).

export interface HeaderElement {
  readonly tag: number;
  readonly value: Uint8Array;
}

/**
 * The A1 template. `elements` is what is encoded, in order, unknown tags included; the other
 * fields are typed readings of it.
 */
export interface BiometricHeader {
  readonly elements: readonly HeaderElement[];
  /** 80: two bytes, major and minor version (01 01). */
  readonly patronHeaderVersion: Uint8Array | undefined;
  /** 81: ISO/IEC 7816-11 Table C.2 (02 face, 08 finger, 10 iris). */
  readonly biometricType: number | undefined;
  /** 82: ISO/IEC 7816-11 Table C.3 bit mask (01 right, 02 left, 04 thumb … 14 little finger). */
  readonly biometricSubtype: number | undefined;
  /** 83: CCYYMMDDhhmmss. */
  readonly creationDate: string | undefined;
  /** 85: CCYYMMDD to CCYYMMDD. */
  readonly validityPeriod: { readonly from: string; readonly to: string } | undefined;
  /** 86: creator PID. */
  readonly creatorPid: Uint8Array | undefined;
  /** 87, required. */
  readonly formatOwner: number;
  /** 88, required. */
  readonly formatType: number;
}

export interface BiometricHeaderFields {
  readonly patronHeaderVersion?: Uint8Array;
  readonly biometricType?: number;
  readonly biometricSubtype?: number;
  readonly creationDate?: string;
  readonly validityPeriod?: { readonly from: string; readonly to: string };
  readonly creatorPid?: Uint8Array;
  readonly formatOwner: number;
  readonly formatType: number;
  /** Elements with other tags, appended after the Table 44 ones. */
  readonly extra?: readonly HeaderElement[];
}

const KNOWN_TAGS: ReadonlySet<number> = new Set(Object.values(BHT_TAG));

/** Builds a header from typed fields, in Table 44 order. */
export function biometricHeader(fields: BiometricHeaderFields): BiometricHeader {
  const out: HeaderElement[] = [];
  const add = (tag: number, value: Uint8Array | undefined): void => {
    if (value !== undefined) out.push(Object.freeze({ tag, value }));
  };
  const version = fields.patronHeaderVersion;
  add(BHT_TAG.patronHeaderVersion, version === undefined ? undefined : abytes(version, 'patronHeaderVersion', 2));
  add(BHT_TAG.biometricType, optionalUint(fields.biometricType, 3, 'biometricType'));
  add(BHT_TAG.biometricSubtype, optionalUint(fields.biometricSubtype, 1, 'biometricSubtype'));
  add(BHT_TAG.creationDate, fields.creationDate === undefined ? undefined : bcd(fields.creationDate, 14, 'creationDate'));
  const v = fields.validityPeriod;
  add(
    BHT_TAG.validityPeriod,
    v === undefined ? undefined : concat(bcd(v.from, 8, 'validityPeriod.from'), bcd(v.to, 8, 'validityPeriod.to')),
  );
  add(BHT_TAG.creatorPid, fields.creatorPid === undefined ? undefined : abytes(fields.creatorPid, 'creatorPid'));
  add(BHT_TAG.formatOwner, uintBE(fields.formatOwner, 2));
  add(BHT_TAG.formatType, uintBE(fields.formatType, 2));
  for (const e of fields.extra ?? []) {
    if (KNOWN_TAGS.has(e.tag)) throw new RangeError(`"extra" must not repeat Table 44 tag ${tagHex(e.tag)}`);
    encodeTag(e.tag);
    out.push(Object.freeze({ tag: e.tag, value: abytes(e.value, 'extra.value') }));
  }
  return readHeader(out, { tag: TAG_HEADER, offset: 0, elementOffsets: [] });
}

/** Smallest width (1..max bytes) holding `value`. */
function optionalUint(value: number | undefined, max: number, name: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  for (let w = 1; w <= max; w++) if (Number.isSafeInteger(value) && value >= 0 && value < 2 ** (8 * w)) return uintBE(value, w);
  throw new RangeError(`"${name}" expected an unsigned integer of at most ${max} byte(s), got ${value}`);
}

function bcd(digits: string, count: number, name: string): Uint8Array {
  if (typeof digits !== 'string' || digits.length !== count || !/^\d+$/.test(digits)) {
    throw new RangeError(`"${name}" expected ${count} digits, got ${JSON.stringify(digits)}`);
  }
  const out = new Uint8Array(count / 2);
  for (let i = 0; i < out.length; i++) out[i] = (Number(digits[2 * i]) << 4) | Number(digits[2 * i + 1]);
  return out;
}

interface HeaderPlace {
  readonly tag: number;
  readonly offset: number;
  /** Absolute offset of each element, parallel to the element list. */
  readonly elementOffsets: readonly number[];
}

function readHeader(elements: readonly HeaderElement[], place: HeaderPlace): BiometricHeader {
  const found = new Map<number, Uint8Array>();
  const offsets = new Map<number, number>();
  const fail = (tag: number, message: string): ParseError =>
    new ParseError('CBEFF_BAD_HEADER_ELEMENT', message, {
      tag,
      offset: offsets.get(tag) ?? place.offset,
      field: 'biometric header',
    });
  elements.forEach((e, i) => {
    if (found.has(e.tag)) throw fail(e.tag, `header element ${tagHex(e.tag)} repeated`);
    found.set(e.tag, e.value);
    offsets.set(e.tag, place.elementOffsets[i] ?? place.offset);
  });
  const sized = (tag: number, min: number, max: number): Uint8Array | undefined => {
    const v = found.get(tag);
    if (v !== undefined && (v.length < min || v.length > max)) {
      throw fail(tag, `header element ${tagHex(tag)} has ${v.length} byte(s), expected ${min === max ? min : `${min}..${max}`}`);
    }
    return v;
  };
  const digits = (tag: number, length: number): string | undefined => {
    const v = sized(tag, length, length);
    if (v === undefined) return undefined;
    let s = '';
    for (const b of v) {
      if (b >> 4 > 9 || (b & 15) > 9) throw fail(tag, `header element ${tagHex(tag)} is not BCD`);
      s += `${b >> 4}${b & 15}`;
    }
    return s;
  };
  const number = (v: Uint8Array | undefined): number | undefined => (v === undefined ? undefined : readUintBE(v, 0, v.length));
  const owner = sized(BHT_TAG.formatOwner, 2, 2);
  const type = sized(BHT_TAG.formatType, 2, 2);
  // ICAO 9303-10 Table 44: format owner and format type are required.
  if (owner === undefined || type === undefined) {
    const tag = owner === undefined ? BHT_TAG.formatOwner : BHT_TAG.formatType;
    throw new ParseError('CBEFF_MISSING_FORMAT', `biometric header without tag ${tagHex(tag)}`, {
      tag: place.tag,
      offset: place.offset,
      field: 'biometric header',
    });
  }
  const validity = digits(BHT_TAG.validityPeriod, 8);
  return Object.freeze({
    elements: Object.freeze([...elements]),
    patronHeaderVersion: sized(BHT_TAG.patronHeaderVersion, 2, 2),
    biometricType: number(sized(BHT_TAG.biometricType, 1, 3)),
    biometricSubtype: number(sized(BHT_TAG.biometricSubtype, 1, 1)),
    creationDate: digits(BHT_TAG.creationDate, 7),
    validityPeriod: validity === undefined ? undefined : Object.freeze({ from: validity.slice(0, 8), to: validity.slice(8) }),
    creatorPid: found.get(BHT_TAG.creatorPid),
    formatOwner: readUintBE(owner, 0, 2),
    formatType: readUintBE(type, 0, 2),
  });
}

// ---------------------------------------------------------------------------------------------
// Biometric Information Template (7F60) and Group Template (7F61).

export type BiometricDataBlock<T> =
  /** 5F2E: an ISO/IEC 19794 record, decoded by the codec. */
  | { readonly encoding: 'ISO19794'; readonly record: T }
  /** 7F2E: ISO/IEC 39794 tagged encoding, the value bytes kept as they are. */
  | { readonly encoding: 'ISO39794'; readonly value: Uint8Array };

export interface BiometricTemplate<T> {
  readonly header: BiometricHeader;
  readonly bdb: BiometricDataBlock<T>;
}

export interface BiometricInfo<T> extends BiometricTemplate<T> {
  /** The 7F60 object as read. */
  readonly raw: Uint8Array;
  readonly offset: number;
}

export interface BiometricDataGroup<T> {
  /** The whole data group object (DG tag, length, value) as read: the bytes EF.SOD hashes. */
  readonly raw: Uint8Array;
  readonly templates: readonly BiometricInfo<T>[];
}

function decodeTemplate<T>(t: Tlv, codec: BdbCodec<T>, mode: TlvMode): BiometricInfo<T> {
  expectTag(t, TAG_TEMPLATE, 'biometric information template');
  const kids = childrenOf(t, mode);
  const [head, block, extra] = kids;
  if (head === undefined || block === undefined) {
    throw new ParseError('CBEFF_INCOMPLETE_TEMPLATE', 'biometric information template needs A1 and a BDB', {
      tag: t.tag,
      offset: t.offset,
    });
  }
  if (extra !== undefined) {
    throw new ParseError('CBEFF_UNEXPECTED_TAG', `unexpected tag ${tagHex(extra.tag)} after the BDB`, {
      tag: extra.tag,
      offset: extra.offset,
    });
  }
  expectTag(head, TAG_HEADER, 'biometric header template');
  const tlvs = childrenOf(head, mode);
  const elements = tlvs.map((e) => {
    if (e.constructed) {
      throw new ParseError('CBEFF_BAD_HEADER_ELEMENT', `header element ${tagHex(e.tag)} is constructed`, {
        tag: e.tag,
        offset: e.offset,
      });
    }
    return Object.freeze({ tag: e.tag, value: e.value });
  });
  const header = readHeader(elements, { tag: head.tag, offset: head.offset, elementOffsets: tlvs.map((e) => e.offset) });
  let bdb: BiometricDataBlock<T>;
  if (block.tag === TAG_BDB_19794) {
    bdb = Object.freeze({ encoding: 'ISO19794', record: codec.decode(block.value, block.valueOffset, block.tag) } as const);
  } else if (block.tag === TAG_BDB_39794 && block.constructed) {
    bdb = Object.freeze({ encoding: 'ISO39794', value: block.value } as const);
  } else {
    throw new ParseError('CBEFF_UNEXPECTED_TAG', `expected a BDB (5F2E or 7F2E), found ${tagHex(block.tag)}`, {
      tag: block.tag,
      offset: block.offset,
    });
  }
  return Object.freeze({ header, bdb, raw: t.raw, offset: t.offset });
}

/** Decodes a 7F61 Biometric Information Group Template. */
export function decodeBiometricGroup<T>(group: Tlv, codec: BdbCodec<T>, mode: TlvMode = 'lenient'): readonly BiometricInfo<T>[] {
  expectTag(group, TAG_GROUP, 'biometric information group template');
  const kids = childrenOf(group, mode);
  const count = kids[0];
  if (
    count === undefined ||
    count.tag !== TAG_COUNT ||
    count.constructed ||
    count.value.length < 1 ||
    count.value.length > 2 ||
    (count.value[0]! & 0x80) !== 0
  ) {
    throw new ParseError('CBEFF_BAD_COUNT', 'the group template must start with a small positive INTEGER count (02)', {
      tag: count?.tag ?? group.tag,
      offset: count?.offset ?? group.offset,
    });
  }
  const declared = readUintBE(count.value, 0, count.value.length);
  const templates = kids.slice(1).map((t) => decodeTemplate(t, codec, mode));
  if (templates.length !== declared || declared === 0) {
    throw new ParseError('CBEFF_COUNT_MISMATCH', `count says ${declared} template(s), found ${templates.length}`, {
      tag: count.tag,
      offset: count.offset,
    });
  }
  return Object.freeze(templates);
}

export function encodeBiometricGroup<T>(templates: readonly BiometricTemplate<T>[], codec: BdbCodec<T>): Uint8Array {
  const n = Array.isArray(templates) ? templates.length : 0;
  if (n === 0 || n > 0x7fff) throw new RangeError(`"templates" expected an array of 1..32767 templates`);
  // DER INTEGER: a leading 00 keeps counts from 128 up positive.
  const count = n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0, n) : uintBE(n, 2);
  const parts = templates.map((t) => {
    const header = encodeTlv(TAG_HEADER, ...t.header.elements.map((e) => encodeTlv(e.tag, e.value)));
    const bdb = t.bdb.encoding === 'ISO19794' ? encodeTlv(TAG_BDB_19794, codec.encode(t.bdb.record)) : encodeTlv(TAG_BDB_39794, t.bdb.value);
    return encodeTlv(TAG_TEMPLATE, header, bdb);
  });
  return encodeTlv(TAG_GROUP, encodeTlv(TAG_COUNT, count), ...parts);
}

/** Decodes a biometric data group (DG2 75, DG3 63, DG4 76): one 7F61 inside the DG tag. */
export function decodeBiometricDataGroup<T>(
  bytes: Uint8Array,
  dgTag: number,
  codec: BdbCodec<T>,
  mode: TlvMode = 'lenient',
): BiometricDataGroup<T> {
  const dg = expectTag(decodeTlv(abytes(bytes, 'bytes'), mode), dgTag, 'data group');
  const kids = childrenOf(dg, mode);
  if (kids.length !== 1) {
    throw new ParseError('CBEFF_UNEXPECTED_TAG', `data group ${tagHex(dgTag)} must hold exactly one 7F61, found ${kids.length} object(s)`, {
      tag: dgTag,
      offset: dg.offset,
    });
  }
  const templates = decodeBiometricGroup(kids[0]!, codec, mode);
  return Object.freeze({ raw: dg.raw, templates });
}

export function encodeBiometricDataGroup<T>(dgTag: number, templates: readonly BiometricTemplate<T>[], codec: BdbCodec<T>): Uint8Array {
  return encodeTlv(dgTag, encodeBiometricGroup(templates, codec));
}
