/**
 * EF.DG2, the encoded face: ICAO 9303-10 (8th ed.) §4.7.2. Tag 75 around a CBEFF Biometric
 * Information Group Template whose BDBs are ISO/IEC 19794-5:2005 facial records (format owner
 * 0x0101 JTC 1/SC 37, format type 0x0008 face image).
 */
import {
  biometricHeader,
  decodeBiometricDataGroup,
  encodeBiometricDataGroup,
  FORMAT_OWNER_SC37,
  type BiometricDataGroup,
  type BiometricHeader,
  type BiometricHeaderFields,
  type BiometricTemplate,
} from './cbeff.js';
import { faceRecordCodec, type FaceRecord } from './face-record.js';
import { fileByDg } from './files.js';
import type { TlvMode } from './tlv.js';

const DG2_TAG = fileByDg(2)!.tag!;

/** 7816-11 Table C.2 biometric type "facial features". */
export const BIOMETRIC_TYPE_FACE = 0x02;
/** SC 37 registered BDB format type for ISO/IEC 19794-5 face images. */
export const FORMAT_TYPE_FACE_IMAGE = 0x0008;

export type Dg2 = BiometricDataGroup<FaceRecord>;

export function decodeDg2(bytes: Uint8Array, options: { readonly mode?: TlvMode } = {}): Dg2 {
  return decodeBiometricDataGroup(bytes, DG2_TAG, faceRecordCodec, options.mode);
}

export function encodeDg2(templates: readonly BiometricTemplate<FaceRecord>[]): Uint8Array {
  return encodeBiometricDataGroup(DG2_TAG, templates, faceRecordCodec);
}

/** The header real DG2s carry (81 02, 82 00, 87 0101, 88 0008); fields may add or override. */
export function faceHeader(fields: Partial<BiometricHeaderFields> = {}): BiometricHeader {
  return biometricHeader({
    biometricType: BIOMETRIC_TYPE_FACE,
    biometricSubtype: 0,
    formatOwner: FORMAT_OWNER_SC37,
    formatType: FORMAT_TYPE_FACE_IMAGE,
    ...fields,
  });
}

/** A DG2 holding one template per facial record (e.g. from faceRecordFromJpeg). */
export function dg2FromFaceRecords(records: readonly FaceRecord[]): Uint8Array {
  return encodeDg2(records.map((record) => Object.freeze({ header: faceHeader(), bdb: Object.freeze({ encoding: 'ISO19794', record } as const) })));
}
