/**
 * The document set of one card: every EF the chip will hold, signed into EF.SOD, plus the chip's
 * own keys (Active and Chip Authentication). ICAO 9303-10 (8th ed.) §4 for the files, 9303-11 §6.1
 * and §6.2 for the keys announced in DG15 and DG14, docs/cccd-profile.md for the vn-cccd choices
 * (PACE ECDH-GM AES-128 on brainpoolP256r1, CA ECDH AES-128, DG1, DG2, DG3, DG13, DG14, DG15).
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { encodeCardAccess } from '../lds/card-access.js';
import { encodeCom } from '../lds/com.js';
import { encodeDg13 } from '../lds/dg13.js';
import { encodeDg14 } from '../lds/dg14.js';
import { encodeDg15 } from '../lds/dg15.js';
import { dg2FromFaceRecords } from '../lds/dg2.js';
import { dg3FromFingerRecords } from '../lds/dg3.js';
import { eyeCentrePoints, faceRecordFromJpeg } from '../lds/face-record.js';
import { decodeMinutiaeRecord, type FingerMinutiaeRecord } from '../lds/finger-minutiae.js';
import { canFromId, documentNumberFromId } from '../lds/cccd-id.js';
import { OID } from '../lds/oid.js';
import { ValidationError } from '../lds/errors.js';
import { protocolOid, type SecurityInfoInput } from '../lds/security-infos.js';
import type { HashName } from '../crypto/algorithms.js';
import { signSod } from '../crypto/sod-sign.js';
import type { Pki } from '../crypto/pki.js';
import type { Signer } from '../crypto/signer.js';
import { cvDate } from '../lds/cvc.js';
import type { DocumentSet as PersonalizationSet } from '../reader/personalize.js';
import { citizenDg1, citizenDg13, type CitizenRecord } from './citizen.js';
import { makePortrait, type FaceBox, type Portrait } from './portrait.js';

/** LDS 1.8 and Unicode 4.0.0, as ICAO 9303-10 §4.6.1 writes them in EF.COM and the SOD. */
const LDS_VERSION = '0108';
const UNICODE_VERSION = '040000';
/** ICAO 9303-11 §9.5.1 Table 12: parameter id 13 = brainpoolP256r1, as on real CCCD chips. */
const PACE_PARAMETER_ID = 13;
const CHIP_CURVE = 'brainpoolP256r1';
/** BSI TR-03111 §5.2.1 ecdsa-plain-SHA256: the AA signature format announced in DG14 (9303-11 §9.2.6). */
const ECDSA_PLAIN_SHA256 = `${OID.ecdsaPlainSignatures}.3`;

export type AaKeyType = 'ecdsa-bp256' | 'rsa-2048';

export interface DocumentSetInput {
  readonly record: CitizenRecord;
  /** Photo of the holder (JPEG or PNG); becomes the DG2 portrait. */
  readonly photo: Uint8Array;
  readonly faceBox?: FaceBox;
  readonly photoBudget?: number;
  /** The portrait already made from `photo` (enroll makes it once for DG2 and the card face). */
  readonly portrait?: Portrait;
  /** ISO/IEC 19794-2 or ANSI 378 minutiae records, one per finger (at most two). */
  readonly fingers?: readonly Uint8Array[];
  readonly dsSigner: Signer;
  readonly dsCertificate: Uint8Array;
  readonly hash?: HashName;
  readonly aaKeyType?: AaKeyType;
  readonly signingTime?: Date;
  /** Terminal Authentication: the CVCA trust points and the chip's first date (docs/eac.md). */
  readonly eac?: ChipEac;
}

/** What a chip needs for Terminal Authentication: trust points (CVCA certificates) and its date. */
export type ChipEac = NonNullable<PersonalizationSet['eac']>;

/** The PKI's CVCA as the chip's trust point and today as its date; undefined for a PKI without a CVCA. */
export function chipEacFromPki(pki: Pki, now: Date = new Date()): ChipEac | undefined {
  return pki.eac === undefined ? undefined : Object.freeze({ trustPoints: Object.freeze([pki.eac.cvca.raw]), currentDate: cvDate(now) });
}

export interface ChipKeys {
  readonly aa: KeyObject;
  readonly ca: KeyObject;
}

export interface DocumentSet {
  /** File name (COM, CardAccess, DG1, ..., SOD) → the EF bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly keys: ChipKeys;
  readonly documentNumber: string;
  /** YYMMDD. */
  readonly dateOfBirth: string;
  /** YYMMDD, or `<<<<<<` for a card without expiry. */
  readonly dateOfExpiry: string;
  readonly can: string;
  readonly portrait: { readonly width: number; readonly height: number; readonly bytes: number };
  readonly eac?: ChipEac;
}

/**
 * Finger templates a card should not carry (docs/input-limits.md, "Doubtful input"): a view with
 * no minutiae matches nothing, and the same view twice (same position and minutiae: one file
 * given twice) takes the place of a second finger. Two different templates with one position
 * code are kept: ISO/IEC 19794-2 §7.4 allows several views of a finger.
 */
function checkFingers(records: readonly FingerMinutiaeRecord[]): void {
  const seen = new Set<string>();
  records.forEach((record, r) =>
    record.views.forEach((view, v) => {
      const where = `fingers[${r}].views[${v}]`;
      if (view.minutiae.length === 0) throw new ValidationError('FINGER_NO_MINUTIAE', 'a finger view with 0 minutiae', { field: where });
      const key = JSON.stringify([view.position, view.minutiae]);
      if (seen.has(key)) throw new ValidationError('FINGER_DUPLICATE', `the same finger view (position ${view.position}) given twice`, { field: where });
      seen.add(key);
    }),
  );
}

export async function buildDocumentSet(input: DocumentSetInput): Promise<DocumentSet> {
  const { record } = input;
  const fingers = input.fingers ?? [];
  // user input (lds build --finger): a typed error, as enroll gives (cccd-profile.md: two fingers)
  if (fingers.length > 2) throw new ValidationError('FINGER_COUNT', `${fingers.length} finger records given; a card holds at most 2`, { field: 'fingers' });
  const fingerRecords = fingers.map((f) => decodeMinutiaeRecord(f));
  checkFingers(fingerRecords);
  const portrait =
    input.portrait ??
    (await makePortrait(input.photo, {
      ...(input.faceBox === undefined ? {} : { faceBox: input.faceBox }),
      ...(input.photoBudget === undefined ? {} : { maxBytes: input.photoBudget }),
    }));
  const keys: ChipKeys = Object.freeze({ aa: generateAaKey(input.aaKeyType ?? 'ecdsa-bp256'), ca: generateEcKey() });

  const dataGroups = new Map<number, Uint8Array>();
  dataGroups.set(1, citizenDg1(record));
  // ISO/IEC 19794-5 §5.6: the eye centres the portrait was levelled on travel with it as feature points.
  const featurePoints = portrait.eyes === undefined ? [] : eyeCentrePoints(portrait.eyes);
  dataGroups.set(2, dg2FromFaceRecords([faceRecordFromJpeg(portrait.jpeg, { featurePoints })]));
  if (fingers.length > 0) dataGroups.set(3, dg3FromFingerRecords(fingerRecords));
  dataGroups.set(13, encodeDg13(citizenDg13(record)));
  dataGroups.set(14, encodeDg14(dg14Infos(keys)));
  dataGroups.set(15, encodeDg15(spki(keys.aa)));

  const sod = await signSod({
    dataGroups,
    hash: input.hash ?? 'sha256',
    signer: input.dsSigner,
    dsCertificate: input.dsCertificate,
    ldsVersion: LDS_VERSION,
    unicodeVersion: UNICODE_VERSION,
    ...(input.signingTime === undefined ? {} : { signingTime: input.signingTime }),
  });

  const files = new Map<string, Uint8Array>();
  files.set('COM', encodeCom({ ldsVersion: LDS_VERSION, unicodeVersion: UNICODE_VERSION, dataGroups: [...dataGroups.keys()] }));
  files.set('CardAccess', encodeCardAccess(cardAccessInfos()));
  for (const [dg, bytes] of dataGroups) files.set(`DG${dg}`, bytes);
  files.set('SOD', sod);

  const mrzLine2 = citizenMrzLine2(dataGroups.get(1)!);
  return Object.freeze({
    files,
    keys,
    documentNumber: documentNumberFromId(record.id),
    dateOfBirth: mrzLine2.slice(0, 6),
    dateOfExpiry: mrzLine2.slice(8, 14),
    can: canFromId(record.id),
    portrait: Object.freeze({ width: portrait.width, height: portrait.height, bytes: portrait.jpeg.length }),
    ...(input.eac === undefined ? {} : { eac: input.eac }),
  });
}

/** Line 2 of the TD1 MRZ inside DG1 (61 5D 5F1F 5A <90 characters>). */
function citizenMrzLine2(dg1: Uint8Array): string {
  const text = Buffer.from(dg1.subarray(dg1.length - 90)).toString('latin1');
  return text.slice(30, 60);
}

function generateAaKey(type: AaKeyType): KeyObject {
  if (type === 'rsa-2048') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return generateEcKey();
}

function generateEcKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: CHIP_CURVE }).privateKey;
}

function spki(privateKey: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
}

/** EF.CardAccess as real CCCD chips have it: TA v1, CA ECDH AES-128 v1, PACE ECDH-GM AES-128 v2 id 13. */
function cardAccessInfos(): SecurityInfoInput[] {
  return [
    { kind: 'terminalAuthentication', protocol: OID.idTA, version: 1 },
    { kind: 'chipAuthentication', protocol: caProtocol(), version: 1 },
    { kind: 'pace', protocol: paceProtocol(), version: 2, parameterId: PACE_PARAMETER_ID },
  ];
}

/** DG14 (ICAO 9303-11 §9.2): the CA public key and protocol, PACE, TA, and the AA signature format for ECDSA. */
function dg14Infos(keys: ChipKeys): SecurityInfoInput[] {
  const infos: SecurityInfoInput[] = [
    ...cardAccessInfos(),
    { kind: 'chipAuthenticationPublicKey', protocol: OID.idPK_ECDH, publicKey: { raw: spki(keys.ca) } },
  ];
  if (keys.aa.asymmetricKeyType === 'ec') {
    infos.push({ kind: 'activeAuthentication', protocol: OID.aaProtocolObject, version: 1, signatureAlgorithm: ECDSA_PLAIN_SHA256 });
  }
  return infos;
}

function paceProtocol(): string {
  return mustOid(protocolOid('pace', 'ECDH', 'GM', 'AES-128'), 'PACE');
}

function caProtocol(): string {
  return mustOid(protocolOid('chipAuthentication', 'ECDH', undefined, 'AES-128'), 'CA');
}

function mustOid(oid: string | undefined, what: string): string {
  if (oid === undefined) throw new Error(`no ${what} protocol OID for ECDH AES-128`);
  return oid;
}
