/**
 * Feature definitions of VDS profiles: what each message-zone tag means and how its value is
 * coded, chosen by the header's feature definition reference and document type category
 * (ICAO 9303-13 (8th ed.) §2.2.1, §3). The ICAO visa and emergency travel document, the
 * BSI TR-03137-1 (v2.5) national profiles (ch. 6–10), and cancuoc's `vn-cccd` profile
 * (docs/vds-profile.md) for the CCCD seal. Profiles are parameter tables; one generic decoder.
 */
import { readUintBE, utf8 } from '../lds/bytes.js';
import { parseCccdId } from '../lds/cccd-id.js';
import { ParseError, ValidationError } from '../lds/errors.js';
import { decodeC40, encodeC40 } from './c40.js';
import { decodeVdsDate, encodeVdsDate, type VdsFeature, type VdsHeaderFields, type VdsSeal } from './vds.js';

/**
 * 'c40' text, 'mrz' C40 text whose spaces are MRZ fillers '<', 'utf8' text, 'date' (3 bytes
 * MMDDYYYY), 'uint' (big-endian), 'duration' (days, months, years: one byte each), 'bytes'.
 */
export type FeatureCoding = 'c40' | 'mrz' | 'utf8' | 'date' | 'uint' | 'duration' | 'bytes';

export interface FeatureDefinition {
  readonly tag: number;
  readonly name: string;
  readonly coding: FeatureCoding;
  /** Value length in bytes. */
  readonly minLength: number;
  readonly maxLength: number;
  readonly required: boolean;
}

export interface VdsProfile {
  readonly name: string;
  readonly featureDefinitionReference: number;
  readonly documentTypeCategory: number;
  readonly features: readonly FeatureDefinition[];
}

const f = (tag: number, name: string, coding: FeatureCoding, minLength: number, maxLength = minLength, required = false): FeatureDefinition =>
  Object.freeze({ tag, name, coding, minLength, maxLength, required });

const profile = (name: string, ref: number, cat: number, features: readonly FeatureDefinition[]): VdsProfile =>
  Object.freeze({ name, featureDefinitionReference: ref, documentTypeCategory: cat, features: Object.freeze(features) });

/**
 * vn-cccd (docs/vds-profile.md): feature definition reference 0x01, document type category 0x0C
 * (even: a nationally defined type, 9303-13 §2.2.1). Vietnamese text is UTF-8 because C40 has
 * only A–Z, 0–9 and space; the date of issue is the header's document issue date.
 */
export const VN_CCCD_PROFILE: VdsProfile = profile('vn-cccd', 0x01, 0x0c, [
  f(0x01, 'personalId', 'c40', 8, 8, true),
  f(0x02, 'fullName', 'utf8', 1, 400, true),
  f(0x03, 'dateOfBirth', 'date', 3, 3, true),
  f(0x04, 'sex', 'c40', 2, 2, true),
  f(0x05, 'nationality', 'utf8', 1, 150, true),
  f(0x06, 'placeOfOrigin', 'utf8', 1, 800, true),
  f(0x07, 'placeOfResidence', 'utf8', 1, 800, true),
  f(0x08, 'dateOfExpiry', 'date', 3),
  f(0x09, 'oldIdNumber', 'c40', 6),
]);

/** Profiles with published definitions (README §3.6 of the VDS vectors). */
export const VDS_PROFILES: readonly VdsProfile[] = Object.freeze([
  profile('icao-visa', 0x5d, 0x01, [
    f(0x01, 'mrzMrvA', 'mrz', 48),
    f(0x02, 'mrzMrvB', 'mrz', 44),
    f(0x03, 'numberOfEntries', 'uint', 1),
    f(0x04, 'durationOfStay', 'duration', 3),
    f(0x05, 'passportNumber', 'c40', 6),
    f(0x06, 'visaType', 'bytes', 1, 4),
    f(0x07, 'additionalFeatures', 'bytes', 0, 254),
  ]),
  profile('icao-emergency-travel-document', 0x5e, 0x03, [f(0x02, 'mrz', 'mrz', 48, 48, true)]),
  profile('de-arrival-attestation', 0xfd, 0x02, [f(0x02, 'mrz', 'mrz', 48, 48, true), f(0x03, 'azr', 'c40', 8, 8, true)]),
  profile('de-social-insurance-card', 0xfc, 0x04, [
    f(0x01, 'socialInsuranceNumber', 'c40', 8, 8, true),
    f(0x02, 'surname', 'utf8', 1, 90, true),
    f(0x03, 'firstName', 'utf8', 1, 90, true),
    f(0x04, 'birthName', 'utf8', 1, 90),
  ]),
  profile('de-residence-permit', 0xfb, 0x06, [f(0x02, 'mrz', 'mrz', 48, 48, true), f(0x03, 'passportNumber', 'c40', 6, 6, true)]),
  profile('de-supplementary-sheet', 0xfa, 0x06, [f(0x04, 'mrz', 'mrz', 48, 48, true), f(0x05, 'sheetNumber', 'c40', 6, 6, true)]),
  profile('de-address-sticker-id', 0xf9, 0x08, [
    f(0x01, 'documentNumber', 'c40', 6, 6, true),
    f(0x02, 'municipalityCode', 'c40', 6, 6, true),
    f(0x03, 'address', 'c40', 2, 18, true),
  ]),
  profile('de-residence-sticker-passport', 0xf8, 0x0a, [
    f(0x01, 'documentNumber', 'c40', 6, 6, true),
    f(0x02, 'municipalityCode', 'c40', 6, 6, true),
    f(0x03, 'postalCode', 'c40', 4, 4, true),
  ]),
  VN_CCCD_PROFILE,
]);

export function findVdsProfile(header: Pick<VdsHeaderFields, 'featureDefinitionReference' | 'documentTypeCategory'>): VdsProfile | undefined {
  return VDS_PROFILES.find(
    (p) => p.featureDefinitionReference === header.featureDefinitionReference && p.documentTypeCategory === header.documentTypeCategory,
  );
}

export type FeatureValue = string | number | Uint8Array | { readonly days: number; readonly months: number; readonly years: number };

export interface DecodedFeature {
  readonly tag: number;
  /** The profile's name, or "tagNN" for a tag the profile does not define. */
  readonly name: string;
  readonly coding: FeatureCoding;
  readonly value: FeatureValue;
  readonly raw: Uint8Array;
  readonly offset: number;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeValue(def: FeatureDefinition, feature: VdsFeature): FeatureValue {
  const { value, offset } = feature;
  const place = { tag: feature.tag, offset, field: def.name };
  if (value.length < def.minLength || value.length > def.maxLength) {
    throw new ParseError('VDS_FEATURE_LENGTH', `${def.name}: ${value.length} bytes, profile allows ${def.minLength}–${def.maxLength}`, place);
  }
  const { valueOffset } = feature;
  switch (def.coding) {
    case 'c40':
      return decodeC40(value, valueOffset, def.name);
    case 'mrz':
      return decodeC40(value, valueOffset, def.name).replace(/ /g, '<');
    case 'utf8':
      try {
        return UTF8.decode(value);
      } catch {
        throw new ParseError('VDS_FEATURE_UTF8', `${def.name}: not UTF-8`, place);
      }
    case 'date':
      return decodeVdsDate(value, 0, def.name);
    case 'uint':
      return readUintBE(value, 0, value.length);
    case 'duration':
      return Object.freeze({ days: value[0]!, months: value[1]!, years: value[2]! });
    case 'bytes':
      return value;
  }
}

/** The features of a seal with their values decoded by the seal's profile (raw bytes if none). */
export function decodeVdsFeatures(seal: VdsSeal): readonly DecodedFeature[] {
  const p = findVdsProfile(seal.header);
  return Object.freeze(
    seal.features.map((feature) => {
      const def =
        p?.features.find((d) => d.tag === feature.tag) ??
        f(feature.tag, `tag${feature.tag.toString(16).toUpperCase().padStart(2, '0')}`, 'bytes', 0, Number.MAX_SAFE_INTEGER);
      return Object.freeze({ tag: feature.tag, name: def.name, coding: def.coding, value: decodeValue(def, feature), raw: feature.value, offset: feature.offset });
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// vn-cccd

/** The content of a vn-cccd seal. Dates ISO YYYY-MM-DD; dateOfExpiry null = no expiry. */
export interface CccdSealData {
  readonly personalId: string;
  readonly fullName: string;
  readonly dateOfBirth: string;
  readonly sex: 'M' | 'F';
  readonly nationality: string;
  readonly placeOfOrigin: string;
  readonly placeOfResidence: string;
  readonly dateOfIssue: string;
  readonly dateOfExpiry: string | null;
  readonly oldIdNumber: string | null;
}

const def = (name: string): FeatureDefinition => VN_CCCD_PROFILE.features.find((d) => d.name === name)!;

/** The vn-cccd message-zone features for `data`, in ascending tag order. */
export function encodeCccdSealFeatures(data: CccdSealData): { readonly tag: number; readonly value: Uint8Array }[] {
  if (typeof data !== 'object' || data === null) throw new TypeError('"data" expected an object');
  parseCccdId(data.personalId);
  if (data.sex !== 'M' && data.sex !== 'F') throw new RangeError('"sex" expected M or F');
  if (data.oldIdNumber !== null && !/^[0-9]{9}$/.test(data.oldIdNumber)) throw new RangeError('"oldIdNumber" expected 9 digits or null');
  const text = (name: keyof CccdSealData): Uint8Array => {
    const v = data[name];
    if (typeof v !== 'string' || v.length === 0) throw new TypeError(`"${name}" expected a non-empty string`);
    const bytes = utf8(v.normalize('NFC'));
    if (bytes.length > def(name).maxLength) throw new RangeError(`"${name}" is ${bytes.length} bytes, at most ${def(name).maxLength}`);
    return bytes;
  };
  const out = [
    { tag: def('personalId').tag, value: encodeC40(data.personalId) },
    { tag: def('fullName').tag, value: text('fullName') },
    { tag: def('dateOfBirth').tag, value: encodeVdsDate(data.dateOfBirth) },
    { tag: def('sex').tag, value: encodeC40(data.sex) },
    { tag: def('nationality').tag, value: text('nationality') },
    { tag: def('placeOfOrigin').tag, value: text('placeOfOrigin') },
    { tag: def('placeOfResidence').tag, value: text('placeOfResidence') },
  ];
  if (data.dateOfExpiry !== null) out.push({ tag: def('dateOfExpiry').tag, value: encodeVdsDate(data.dateOfExpiry) });
  if (data.oldIdNumber !== null) out.push({ tag: def('oldIdNumber').tag, value: encodeC40(data.oldIdNumber) });
  return out;
}

/** Whether the header names the vn-cccd profile. */
export function isCccdSeal(header: Pick<VdsHeaderFields, 'featureDefinitionReference' | 'documentTypeCategory'>): boolean {
  return findVdsProfile(header) === VN_CCCD_PROFILE;
}

/**
 * Reads a vn-cccd seal's content. Strict: the profile's tags only, each at most once, every
 * required one present, the personal ID well-formed (cccd-id.ts), the old ID 9 digits.
 */
export function readCccdSeal(seal: VdsSeal): CccdSealData {
  if (!isCccdSeal(seal.header)) {
    const h = seal.header;
    throw new ParseError('VDS_PROFILE_MISMATCH', `feature reference 0x${h.featureDefinitionReference.toString(16)} / category 0x${h.documentTypeCategory.toString(16)} is not vn-cccd`, {
      offset: h.raw.length - 2,
      field: 'featureDefinitionReference',
    });
  }
  const values = new Map<string, FeatureValue>();
  for (const feature of decodeVdsFeatures(seal)) {
    if (!VN_CCCD_PROFILE.features.some((d) => d.tag === feature.tag)) {
      throw new ParseError('VDS_FEATURE_UNKNOWN', `tag 0x${feature.tag.toString(16)} is not in vn-cccd`, { tag: feature.tag, offset: feature.offset });
    }
    if (values.has(feature.name)) {
      throw new ParseError('VDS_FEATURE_DUPLICATE', `${feature.name} appears twice`, { tag: feature.tag, offset: feature.offset, field: feature.name });
    }
    values.set(feature.name, feature.value);
  }
  for (const d of VN_CCCD_PROFILE.features) {
    if (d.required && !values.has(d.name)) {
      throw new ParseError('VDS_FEATURE_MISSING', `required feature ${d.name} (tag 0x${d.tag.toString(16)}) missing`, { tag: d.tag, field: d.name });
    }
  }
  const str = (name: string): string => values.get(name) as string;
  const fieldError = (name: string, message: string): ParseError => {
    const feature = seal.features.find((x) => x.tag === def(name).tag);
    return new ParseError('VDS_FEATURE_INVALID', `${name}: ${message}`, { tag: def(name).tag, offset: feature?.offset, field: name });
  };
  try {
    parseCccdId(str('personalId'));
  } catch (e) {
    if (e instanceof ValidationError) throw fieldError('personalId', e.message);
    throw e;
  }
  const sex = str('sex');
  if (sex !== 'M' && sex !== 'F') throw fieldError('sex', `expected M or F, got ${JSON.stringify(sex)}`);
  const oldId = values.has('oldIdNumber') ? str('oldIdNumber') : null;
  if (oldId !== null && !/^[0-9]{9}$/.test(oldId)) throw fieldError('oldIdNumber', 'expected 9 digits');
  return Object.freeze({
    personalId: str('personalId'),
    fullName: str('fullName'),
    dateOfBirth: str('dateOfBirth'),
    sex,
    nationality: str('nationality'),
    placeOfOrigin: str('placeOfOrigin'),
    placeOfResidence: str('placeOfResidence'),
    dateOfIssue: seal.header.issueDate,
    dateOfExpiry: values.has('dateOfExpiry') ? str('dateOfExpiry') : null,
    oldIdNumber: oldId,
  });
}
