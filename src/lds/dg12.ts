/**
 * EF.DG12, additional document details (ICAO 9303-10 (8th ed.) §4.7.12). Same template as
 * DG11 (tag list 5C, names of other persons in A0), decoded and encoded by dg11.ts.
 */
import { type DetailLayout, type DetailSpec, type DetailValue, decodeDetails, encodeDetails } from './dg11.js';

export const DG12_SPEC: DetailSpec = Object.freeze({
  file: 'DG12',
  tag: 0x6c,
  elements: Object.freeze([
    { tag: 0x5f19, key: 'issuingAuthority', kind: 'text' },
    { tag: 0x5f26, key: 'dateOfIssue', kind: 'text' },
    { tag: 0xa0, key: 'namesOfOtherPersons', kind: 'list', itemTag: 0x5f1a },
    { tag: 0x5f1b, key: 'endorsementsAndObservations', kind: 'text' },
    { tag: 0x5f1c, key: 'taxOrExitRequirements', kind: 'text' },
    { tag: 0x5f1d, key: 'imageOfFront', kind: 'bytes' },
    { tag: 0x5f1e, key: 'imageOfRear', kind: 'bytes' },
    { tag: 0x5f55, key: 'dateAndTimeOfPersonalization', kind: 'text' },
    { tag: 0x5f56, key: 'personalizationSystemSerialNumber', kind: 'text' },
  ] as const),
});

export interface Dg12Fields {
  readonly issuingAuthority?: string;
  /** yyyymmdd */
  readonly dateOfIssue?: string;
  /** Names formatted as in the MRZ name field ('<<' between identifiers). */
  readonly namesOfOtherPersons?: readonly string[];
  readonly endorsementsAndObservations?: string;
  readonly taxOrExitRequirements?: string;
  /** ISO/IEC 10918 image. */
  readonly imageOfFront?: Uint8Array;
  readonly imageOfRear?: Uint8Array;
  /** yyyymmddhhmmss */
  readonly dateAndTimeOfPersonalization?: string;
  readonly personalizationSystemSerialNumber?: string;
}

export interface Dg12 extends Dg12Fields, DetailLayout {
  readonly tagList: readonly number[];
  readonly raw: Uint8Array;
}

export function decodeDg12(bytes: Uint8Array): Dg12 {
  const d = decodeDetails(bytes, DG12_SPEC);
  return Object.freeze({ ...(d.values as Dg12Fields), tagList: d.tagList, order: d.order, unknown: d.unknown, raw: d.raw });
}

export function encodeDg12(value: Dg12Fields & DetailLayout): Uint8Array {
  return encodeDetails(DG12_SPEC, value as Record<string, DetailValue | undefined>, value);
}
