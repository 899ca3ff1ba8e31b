/**
 * EF.DG4, the encoded iris: ICAO 9303-10 (8th ed.) §4.7.4. Tag 76 around a CBEFF Biometric
 * Information Group Template. The ISO/IEC 19794-6 iris records are kept as opaque bytes; the
 * CBEFF structure and every header field are decoded.
 */
import { abytes } from './bytes.js';
import { decodeBiometricDataGroup, encodeBiometricDataGroup, type BdbCodec, type BiometricDataGroup, type BiometricTemplate } from './cbeff.js';
import { fileByDg } from './files.js';
import type { TlvMode } from './tlv.js';

const DG4_TAG = fileByDg(4)!.tag!;

/** The BDB bytes, unchanged both ways. */
export const opaqueRecordCodec: BdbCodec<Uint8Array> = Object.freeze({
  decode: (bdb: Uint8Array) => bdb,
  encode: (record: Uint8Array) => abytes(record, 'record'),
});

export type Dg4 = BiometricDataGroup<Uint8Array>;

export function decodeDg4(bytes: Uint8Array, options: { readonly mode?: TlvMode } = {}): Dg4 {
  return decodeBiometricDataGroup(bytes, DG4_TAG, opaqueRecordCodec, options.mode);
}

export function encodeDg4(templates: readonly BiometricTemplate<Uint8Array>[]): Uint8Array {
  return encodeBiometricDataGroup(DG4_TAG, templates, opaqueRecordCodec);
}
