/**
 * The ICAO Visible Digital Seal, ICAO 9303-13 (8th ed.) §2–§3 with the encoding details of
 * BSI TR-03137-1 (v2.5) §3.2: header ‖ message zone ‖ signature zone. The signature is ECDSA as
 * plain r‖s (BSI TR-03111 §5.2.1) over header ‖ message zone; the hash follows the curve size.
 * Facts, vectors and errata: test/vectors/vds/README.md.
 *
 * Decoding never throws anything but ParseError (code, offset, field). A seal keeps the exact
 * bytes it was read from; encodeVds(decodeVds(b)) gives b back, including the two layouts found
 * in the wild that are not the plain v4 rule (see SignerFieldLayout). Signing and verifying: vds-sign.ts.
 */
import { abytes, concat, hex, readUintBE, uintBE } from '../lds/bytes.js';
import { ParseError } from '../lds/errors.js';
import { encodeLength } from '../lds/tlv.js';
import { c40Length, decodeC40, encodeC40 } from './c40.js';

const MAGIC = 0xdc;
export const SIGNATURE_TAG = 0xff;
// ICAO 9303-13 §2.2.1: the version byte is the header version minus one
const VERSION_BYTE: Readonly<Record<VdsVersion, number>> = Object.freeze({ 3: 0x02, 4: 0x03 });

export type VdsVersion = 3 | 4;

/**
 * How the signer identifier and certificate reference are written:
 * - 'v3': 9 C40 characters, 4 for the signer and 5 for the reference (ICAO 9303-13 v3 header);
 * - 'v4': signer (4) + reference length L as 2 hex digits + L characters (v4 header);
 * - 'v4-decimal-length': as v4 but L in decimal — BSI TR-03171 seals, signer "DEZV";
 * - 'v3-in-v4': version byte says v4 but the field has the fixed v3 layout (erratum seen in the
 *   KurzDigital ICAO visa sample and the German arrival attestation "DEME00008").
 */
export type SignerFieldLayout = 'v3' | 'v4' | 'v4-decimal-length' | 'v3-in-v4';

/** Message-zone length encoding: DER (ICAO, vdstools) or one plain byte 0–254 (BSI TR-03137 §3.2.3). */
export type VdsLengthEncoding = 'der' | 'single-byte';

export interface VdsHeaderFields {
  readonly version: VdsVersion;
  /** Three C40 characters as decoded ("D  ", "UTO", "VNM"); one character for the unlatch form. */
  readonly issuingCountry: string;
  readonly signerIdentifier: string;
  readonly certificateReference: string;
  readonly signerFieldLayout: SignerFieldLayout;
  /** ISO dates YYYY-MM-DD. */
  readonly issueDate: string;
  readonly signatureDate: string;
  readonly featureDefinitionReference: number;
  readonly documentTypeCategory: number;
}

export interface VdsHeader extends VdsHeaderFields {
  /** The header bytes as read. */
  readonly raw: Uint8Array;
}

export interface VdsFeature {
  readonly tag: number;
  readonly value: Uint8Array;
  /** Offsets of the tag and of the value in the seal. */
  readonly offset: number;
  readonly valueOffset: number;
}

export interface VdsSeal {
  readonly header: VdsHeader;
  readonly features: readonly VdsFeature[];
  readonly lengthEncoding: VdsLengthEncoding;
  /** Plain r‖s. */
  readonly signature: Uint8Array;
  /** header ‖ message zone as read: what was signed. */
  readonly signedData: Uint8Array;
  readonly raw: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Dates (BSI TR-03137-1 §3.2.3): the integer MMDDYYYY in three bytes, big-endian

/** Three bytes for an ISO date YYYY-MM-DD. */
export function encodeVdsDate(iso: string): Uint8Array {
  const m = typeof iso === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso) : null;
  if (m === null || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new RangeError(`"date" expected a calendar date YYYY-MM-DD, got ${String(iso)}`);
  }
  return uintBE(Number(`${m[2]}${m[3]}${m[1]}`), 3);
}

/** The ISO date in three bytes at `offset`; a value that is no calendar date is a ParseError. */
export function decodeVdsDate(bytes: Uint8Array, offset = 0, field = 'date'): string {
  abytes(bytes, 'bytes');
  if (offset + 3 > bytes.length) throw new ParseError('VDS_TRUNCATED', `${field}: need 3 bytes`, { offset, field });
  const digits = String(readUintBE(bytes, offset, 3)).padStart(8, '0');
  const [mo, d, y] = [Number(digits.slice(0, 2)), Number(digits.slice(2, 4)), Number(digits.slice(4))];
  if (digits.length !== 8 || !isCalendarDate(y, mo, d)) {
    throw new ParseError('VDS_DATE_INVALID', `${field}: ${digits} is not a date MMDDYYYY`, { offset, field });
  }
  return `${digits.slice(4)}-${digits.slice(0, 2)}-${digits.slice(2, 4)}`;
}

function isCalendarDate(y: number, mo: number, d: number): boolean {
  const t = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1 && t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

// ---------------------------------------------------------------------------------------------
// Header (ICAO 9303-13 §2.2.1, Table 2/3)

function need(bytes: Uint8Array, at: number, n: number, field: string): void {
  if (at + n > bytes.length) {
    throw new ParseError('VDS_TRUNCATED', `${field}: need ${n} byte(s), ${Math.max(0, bytes.length - at)} left`, { offset: at, field });
  }
}

function readC40(bytes: Uint8Array, at: number, n: number, field: string): string {
  need(bytes, at, n, field);
  return decodeC40(bytes.subarray(at, at + n), at, field);
}

function readHeader(bytes: Uint8Array): VdsHeader {
  need(bytes, 0, 2, 'magic');
  if (bytes[0] !== MAGIC) throw new ParseError('VDS_MAGIC', `first byte 0x${hex(bytes.subarray(0, 1))} is not 0xDC`, { offset: 0, field: 'magic' });
  const version = bytes[1] === VERSION_BYTE[3] ? 3 : bytes[1] === VERSION_BYTE[4] ? 4 : undefined;
  if (version === undefined) {
    throw new ParseError('VDS_VERSION_UNSUPPORTED', `version byte 0x${hex(bytes.subarray(1, 2))} (only 0x02 = v3 and 0x03 = v4)`, {
      offset: 1,
      field: 'version',
    });
  }
  const issuingCountry = readC40(bytes, 2, 2, 'issuingCountry');
  const signer = readSignerField(bytes, version);
  let at = signer.end;
  const issueDate = decodeVdsDate(bytes, at, 'issueDate');
  const signatureDate = decodeVdsDate(bytes, at + 3, 'signatureDate');
  at += 6;
  need(bytes, at, 2, 'documentTypeCategory');
  return Object.freeze({
    version,
    issuingCountry,
    signerIdentifier: signer.signerIdentifier,
    certificateReference: signer.certificateReference,
    signerFieldLayout: signer.layout,
    issueDate,
    signatureDate,
    featureDefinitionReference: bytes[at]!,
    documentTypeCategory: bytes[at + 1]!,
    raw: bytes.subarray(0, at + 2),
  });
}

interface SignerField {
  readonly signerIdentifier: string;
  readonly certificateReference: string;
  readonly layout: SignerFieldLayout;
  readonly end: number;
}

function readSignerField(bytes: Uint8Array, version: VdsVersion): SignerField {
  const fixed = (layout: SignerFieldLayout): SignerField => {
    const text = readC40(bytes, 4, 6, 'signerCertificateReference');
    return { signerIdentifier: text.slice(0, 4), certificateReference: text.slice(4), layout, end: 10 };
  };
  if (version === 3) return fixed('v3');
  const head = readC40(bytes, 4, 4, 'signerIdentifier');
  const signerIdentifier = head.slice(0, 4);
  const lengthText = head.slice(4);
  const decimal = signerIdentifier === 'DEZV'; // BSI TR-03171: the length is written in decimal
  const length = /^[0-9A-F]{2}$/.test(lengthText) ? Number.parseInt(lengthText, decimal ? 10 : 16) : Number.NaN;
  const refBytes = Number.isNaN(length) ? 0 : c40Length(length);
  // 9303-13 v4 gives no zero-length reference and no reference past the end: such a field is
  // the fixed v3 layout under a v4 version byte (erratum, README §4)
  if (Number.isNaN(length) || length === 0 || 8 + refBytes + 8 > bytes.length) {
    if (lengthText.length === 2) return fixed('v3-in-v4');
    throw new ParseError('VDS_SIGNER_FIELD', `reference length ${JSON.stringify(lengthText)} is not two hex digits`, {
      offset: 6,
      field: 'certificateReferenceLength',
    });
  }
  const certificateReference = readC40(bytes, 8, refBytes, 'certificateReference');
  if (certificateReference.length !== length) {
    throw new ParseError('VDS_SIGNER_FIELD', `certificate reference has ${certificateReference.length} characters, length says ${length}`, {
      offset: 8,
      field: 'certificateReference',
    });
  }
  return { signerIdentifier, certificateReference, layout: decimal ? 'v4-decimal-length' : 'v4', end: 8 + refBytes };
}

/** The header bytes for `h` (layout defaults to the version's own). */
export function encodeVdsHeader(h: Omit<VdsHeaderFields, 'signerFieldLayout'> & { readonly signerFieldLayout?: SignerFieldLayout }): Uint8Array {
  if (typeof h !== 'object' || h === null) throw new TypeError('"header" expected an object');
  if (h.version !== 3 && h.version !== 4) throw new RangeError(`"version" expected 3 or 4, got ${String(h.version)}`);
  const layout = h.signerFieldLayout ?? (h.version === 3 ? 'v3' : 'v4');
  if ((h.version === 3) !== (layout === 'v3')) throw new RangeError(`"signerFieldLayout" ${layout} does not fit version ${h.version}`);
  if (typeof h.signerIdentifier !== 'string' || h.signerIdentifier.length !== 4) {
    throw new RangeError('"signerIdentifier" expected 4 characters');
  }
  const ref = h.certificateReference;
  if (typeof ref !== 'string') throw new TypeError('"certificateReference" expected a string');
  let signerField: string;
  if (layout === 'v3' || layout === 'v3-in-v4') {
    if (ref.length !== 5) throw new RangeError(`"certificateReference" expected 5 characters in the ${layout} layout`);
    signerField = h.signerIdentifier + ref;
  } else {
    const max = layout === 'v4' ? 0xff : 99;
    if (ref.length === 0 || ref.length > max) throw new RangeError(`"certificateReference" expected 1 to ${max} characters`);
    const len = layout === 'v4' ? ref.length.toString(16).toUpperCase().padStart(2, '0') : String(ref.length).padStart(2, '0');
    signerField = h.signerIdentifier + len + ref;
  }
  return concat(
    Uint8Array.of(MAGIC, VERSION_BYTE[h.version]),
    countryBytes(h.issuingCountry),
    encodeC40(signerField),
    encodeVdsDate(h.issueDate),
    encodeVdsDate(h.signatureDate),
    uintBE(abyte(h.featureDefinitionReference, 'featureDefinitionReference'), 1),
    uintBE(abyte(h.documentTypeCategory, 'documentTypeCategory'), 1),
  );
}

function countryBytes(country: string): Uint8Array {
  if (typeof country !== 'string' || (country.length !== 3 && country.length !== 1)) {
    throw new RangeError('"issuingCountry" expected 3 characters (or 1, written in the unlatch form)');
  }
  return encodeC40(country);
}

function abyte(v: unknown, name: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xff) throw new RangeError(`"${name}" expected a byte, got ${String(v)}`);
  return v as number;
}

// ---------------------------------------------------------------------------------------------
// Message and signature zones (ICAO 9303-13 §2.3, §2.4; BSI TR-03137-1 §3.2.3)

function readLength(bytes: Uint8Array, at: number, mode: VdsLengthEncoding, tag: number): { length: number; end: number } {
  need(bytes, at, 1, 'length');
  const l0 = bytes[at]!;
  if (mode === 'single-byte' || l0 < 0x80) return { length: l0, end: at + 1 };
  const n = l0 & 0x7f;
  if (n === 0 || n > 2) throw new ParseError('VDS_LENGTH_INVALID', `length byte 0x${l0.toString(16)} is not a DER length of 1–2 bytes`, { tag, offset: at });
  need(bytes, at + 1, n, 'length');
  const length = readUintBE(bytes, at + 1, n);
  if (length < 0x80 || (n === 2 && length < 0x100)) {
    throw new ParseError('VDS_LENGTH_INVALID', `length ${length} not in minimal DER form (X.690 §10.1)`, { tag, offset: at });
  }
  return { length, end: at + 1 + n };
}

function readZones(bytes: Uint8Array, start: number, mode: VdsLengthEncoding): { features: VdsFeature[]; signature: Uint8Array; signatureOffset: number } {
  const features: VdsFeature[] = [];
  let at = start;
  while (at < bytes.length) {
    const tag = bytes[at]!;
    const { length, end } = readLength(bytes, at + 1, mode, tag);
    if (end + length > bytes.length) {
      throw new ParseError('VDS_TRUNCATED', `value of ${length} bytes runs past the end (${bytes.length - end} left)`, { tag, offset: at });
    }
    if (tag === SIGNATURE_TAG) {
      if (end + length !== bytes.length) {
        throw new ParseError('VDS_TRAILING_BYTES', `${bytes.length - end - length} byte(s) after the signature zone`, { tag, offset: end + length });
      }
      if (length === 0 || length % 2 !== 0) {
        throw new ParseError('VDS_SIGNATURE_INVALID', `signature of ${length} bytes is not r‖s`, { tag, offset: at, field: 'signature' });
      }
      return { features, signature: bytes.subarray(end, end + length), signatureOffset: at };
    }
    features.push(Object.freeze({ tag, value: bytes.subarray(end, end + length), offset: at, valueOffset: end }));
    at = end + length;
  }
  throw new ParseError('VDS_SIGNATURE_MISSING', 'no signature zone (tag 0xFF)', { offset: bytes.length, field: 'signature' });
}

/**
 * Decodes a seal. Lengths are read as DER first; if that fails the BSI one-byte rule is tried
 * (KurzDigital samples write 128 as a bare 0x80), and the first error is reported if both fail.
 */
export function decodeVds(bytes: Uint8Array): VdsSeal {
  abytes(bytes, 'bytes');
  const header = readHeader(bytes);
  let first: unknown;
  for (const mode of ['der', 'single-byte'] as const) {
    try {
      const zones = readZones(bytes, header.raw.length, mode);
      return Object.freeze({
        header,
        features: Object.freeze(zones.features),
        lengthEncoding: mode,
        signature: zones.signature,
        signedData: bytes.subarray(0, zones.signatureOffset),
        raw: bytes,
      });
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

function encodeZoneLength(length: number, mode: VdsLengthEncoding): Uint8Array {
  if (mode === 'der') return encodeLength(length);
  if (!Number.isInteger(length) || length < 0 || length > 0xfe) throw new RangeError(`"length" ${length} does not fit one byte (0–254)`);
  return Uint8Array.of(length);
}

/** The message zone: tag ‖ length ‖ value for each feature, in the order given. */
export function encodeVdsMessageZone(features: readonly { readonly tag: number; readonly value: Uint8Array }[], mode: VdsLengthEncoding = 'der'): Uint8Array {
  if (!Array.isArray(features)) throw new TypeError('"features" expected an array');
  return concat(
    ...features.map((f) => {
      // TR-03137 §3.2.3: feature tags 0–254; 255 is the signature tag
      if (abyte(f.tag, 'tag') === SIGNATURE_TAG) throw new RangeError('"tag" 0xFF is reserved for the signature');
      return concat(Uint8Array.of(f.tag), encodeZoneLength(abytes(f.value, 'value').length, mode), f.value);
    }),
  );
}

/** A complete seal from its parts; encodeVds(decodeVds(b)) equals b. */
export function encodeVds(seal: {
  readonly header: VdsHeaderFields;
  readonly features: readonly { readonly tag: number; readonly value: Uint8Array }[];
  readonly signature: Uint8Array;
  readonly lengthEncoding?: VdsLengthEncoding;
}): Uint8Array {
  const mode = seal.lengthEncoding ?? 'der';
  const sig = abytes(seal.signature, 'signature');
  return concat(encodeVdsHeader(seal.header), encodeVdsMessageZone(seal.features, mode), Uint8Array.of(SIGNATURE_TAG), encodeZoneLength(sig.length, mode), sig);
}
