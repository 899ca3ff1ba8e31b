/**
 * EF.DG3, the encoded fingers: ICAO 9303-10 (8th ed.) §4.7.3. Tag 63 around a CBEFF Biometric
 * Information Group Template. ICAO passports carry ISO/IEC 19794-4 finger images ("FIR\0");
 * vn-cccd cards carry ISO/IEC 19794-2:2005 minutiae records ("FMR\0"). The record inside each
 * BDB is recognised by its format identifier.
 */
import { abytes } from './bytes.js';
import {
  biometricHeader,
  decodeBiometricDataGroup,
  encodeBiometricDataGroup,
  FORMAT_OWNER_SC37,
  type BdbCodec,
  type BiometricDataGroup,
  type BiometricHeader,
  type BiometricTemplate,
} from './cbeff.js';
import { ParseError } from './errors.js';
import { fileByDg } from './files.js';
import { fingerImageCodec, type FingerImageRecord } from './finger-image.js';
import { minutiaeRecordCodec, type FingerMinutiaeRecord } from './finger-minutiae.js';
import type { TlvMode } from './tlv.js';

const DG3_TAG = fileByDg(3)!.tag!;

/** 7816-11 Table C.2 biometric type "fingerprint". */
export const BIOMETRIC_TYPE_FINGERPRINT = 0x08;

/**
 * BDB format types registered by JTC 1/SC 37 (format owner 0x0101) in the IBIA CBEFF registry
 * (ISO/IEC 19785-2): 19794-2 finger minutiae record without extended data
 * ("finger-minutiae-record-n") 0x0001, with extended data ("-x") 0x0002; 19794-4 finger image 0x0007.
 */
export const FORMAT_TYPE_FINGER_MINUTIAE_N = 0x0001;
export const FORMAT_TYPE_FINGER_MINUTIAE_X = 0x0002;
export const FORMAT_TYPE_FINGER_IMAGE = 0x0007;

export type FingerRecord = FingerImageRecord | FingerMinutiaeRecord;

/** Decodes by the format identifier ("FIR\0" or "FMR\0"); encodes by `kind`. */
export const fingerRecordCodec: BdbCodec<FingerRecord> = Object.freeze({
  decode(bdb: Uint8Array, base = 0, tag?: number): FingerRecord {
    abytes(bdb, 'bdb');
    const id = String.fromCharCode(...bdb.subarray(0, 4));
    if (id === 'FIR\0') return fingerImageCodec.decode(bdb, base, tag);
    if (id === 'FMR\0') return minutiaeRecordCodec.decode(bdb, base, tag);
    throw new ParseError('DG3_UNKNOWN_RECORD', 'finger BDB is neither a 19794-4 image nor a 19794-2 minutiae record', {
      tag,
      offset: base,
      field: 'format identifier',
    });
  },
  encode(record: FingerRecord): Uint8Array {
    return record.kind === 'finger-image' ? fingerImageCodec.encode(record) : minutiaeRecordCodec.encode(record);
  },
});

export type Dg3 = BiometricDataGroup<FingerRecord>;

export function decodeDg3(bytes: Uint8Array, options: { readonly mode?: TlvMode } = {}): Dg3 {
  return decodeBiometricDataGroup(bytes, DG3_TAG, fingerRecordCodec, options.mode);
}

export function encodeDg3(templates: readonly BiometricTemplate<FingerRecord>[]): Uint8Array {
  return encodeBiometricDataGroup(DG3_TAG, templates, fingerRecordCodec);
}

/**
 * 7816-11 Table C.3 subtype for a 19794 finger position: 01 right / 02 left, then the finger
 * (04 thumb, 08 index, 0C middle, 10 ring, 14 little). 0 for unknown positions.
 */
export function fingerSubtype(position: number): number {
  if (!Number.isInteger(position) || position < 1 || position > 10) return 0;
  return position <= 5 ? 0x01 | (position << 2) : 0x02 | ((position - 5) << 2);
}

/** The header for one finger record: subtype from its finger position when it has just one. */
export function fingerHeader(record: FingerRecord): BiometricHeader {
  const positions = new Set<number>(record.kind === 'finger-image' ? record.images.map((i) => i.position) : record.views.map((v) => v.position));
  const subtype = positions.size === 1 ? fingerSubtype([...positions][0]!) : 0;
  let formatType = FORMAT_TYPE_FINGER_IMAGE;
  if (record.kind === 'finger-minutiae') {
    if (record.format !== 'ISO19794-2:2005') throw new RangeError(`"record" must be ISO 19794-2:2005 for DG3, got ${record.format}`);
    const extended = record.views.some((v) => v.extendedData.length > 0);
    formatType = extended ? FORMAT_TYPE_FINGER_MINUTIAE_X : FORMAT_TYPE_FINGER_MINUTIAE_N;
  }
  return biometricHeader({ biometricType: BIOMETRIC_TYPE_FINGERPRINT, biometricSubtype: subtype, formatOwner: FORMAT_OWNER_SC37, formatType });
}

/** A DG3 with one template per record, e.g. the one or two minutiae records of a vn-cccd card. */
export function dg3FromFingerRecords(records: readonly FingerRecord[]): Uint8Array {
  return encodeDg3(records.map((record) => Object.freeze({ header: fingerHeader(record), bdb: Object.freeze({ encoding: 'ISO19794', record } as const) })));
}
