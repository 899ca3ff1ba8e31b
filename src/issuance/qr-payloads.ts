/**
 * The two QR payloads of a card, from its citizen record: the plain CCCD text the card face
 * carries today (docs/cccd-profile.md) and a signed ICAO VDS seal in the vn-cccd profile
 * (ICAO 9303-13 (8th ed.); docs/vds-profile.md), signed by the PKI's seal-signer key.
 */
import { parseCertificate } from '../lds/x509.js';
import type { Signer } from '../crypto/signer.js';
import { encodeCccdText } from '../qr/cccd-text.js';
import { signVds } from '../qr/vds-sign.js';
import { encodeCccdSealFeatures, VN_CCCD_PROFILE, type CccdSealData } from '../qr/vds-profile.js';
import type { CitizenRecord } from './citizen.js';

/** 2021 cards: the 7 fields; 2024 cards: 4 more trailing fields, empty (cccd-profile.md). */
export type CccdTextLayout = '2021' | '2024';

/** The plain QR text of the card. */
export function cccdQrText(record: CitizenRecord, layout: CccdTextLayout = '2021'): string {
  if (layout !== '2021' && layout !== '2024') throw new TypeError(`"layout" expected 2021 or 2024, got ${String(layout)}`);
  return encodeCccdText({
    personalId: record.id,
    oldIdNumber: record.oldIdNumber,
    fullName: record.fullName,
    dateOfBirth: record.dateOfBirth,
    sex: record.sex,
    address: record.placeOfResidence,
    dateOfIssue: record.dateOfIssue,
    extra: layout === '2024' ? ['', '', '', ''] : [],
  });
}

/** What the vn-cccd seal carries of the record. */
export function cccdSealData(record: CitizenRecord): CccdSealData {
  return Object.freeze({
    personalId: record.id,
    fullName: record.fullName,
    dateOfBirth: record.dateOfBirth,
    sex: record.sex,
    nationality: record.nationality,
    placeOfOrigin: record.placeOfOrigin,
    placeOfResidence: record.placeOfResidence,
    dateOfIssue: record.dateOfIssue,
    dateOfExpiry: record.dateOfExpiry,
    oldIdNumber: record.oldIdNumber,
  });
}

export interface CccdSealOptions {
  /** The seal-signer key (ECDSA) and its certificate (DER). */
  readonly signer: Signer;
  readonly signerCertificate: Uint8Array;
  /** ISO date of signing; defaults to today (UTC). */
  readonly signatureDate?: string;
  /** The two issuer-assigned characters after the country in the signer identifier. */
  readonly signerSuffix?: string;
}

/**
 * The signed seal. Signer identifier = subject country of the certificate + `signerSuffix`
 * (default "QR"); certificate reference = its serial number in hex (ICAO 9303-13 v4 header,
 * variable-length reference), which is how verifyVds finds the certificate again.
 */
export async function cccdSeal(record: CitizenRecord, options: CccdSealOptions): Promise<Uint8Array> {
  const cert = parseCertificate(options.signerCertificate);
  const country = cert.country;
  if (country === undefined || !/^[A-Z]{2}$/.test(country)) throw new RangeError('"signerCertificate" has no two-letter subject country');
  const suffix = options.signerSuffix ?? 'QR';
  if (!/^[A-Z0-9]{2}$/.test(suffix)) throw new RangeError('"signerSuffix" expected two characters A–Z, 0–9');
  return signVds({
    header: {
      version: 4,
      issuingCountry: 'VNM',
      signerIdentifier: country + suffix,
      certificateReference: cert.serialHex.replace(/^0+(?=.)/, ''),
      issueDate: record.dateOfIssue,
      signatureDate: options.signatureDate ?? new Date().toISOString().slice(0, 10),
      featureDefinitionReference: VN_CCCD_PROFILE.featureDefinitionReference,
      documentTypeCategory: VN_CCCD_PROFILE.documentTypeCategory,
    },
    features: encodeCccdSealFeatures(cccdSealData(record)),
    signer: options.signer,
  });
}
