/**
 * Enrollment: one citizen's record, face photo and fingerprint templates become everything a card
 * needs — the signed document set with per-card AA and CA keys (document-set.ts), the plain QR text
 * and the signed VDS seal (qr-payloads.ts), and the printed card face (card-face.ts).
 * Issue 5 §1; the files on disk extend those of `lds build`.
 */
import { join } from 'node:path';
import { SUITES, type HashName } from '../crypto/algorithms.js';
import { replaceDirectory, writeFileAtomic } from '../crypto/file-io.js';
import type { Signer } from '../crypto/signer.js';
import { ValidationError } from '../lds/errors.js';
import { renderCardFace, type CardFace } from './card-face.js';
import type { CitizenRecord } from './citizen.js';
import { buildDocumentSet, type AaKeyType, type ChipEac, type DocumentSet } from './document-set.js';
import { writeSetFiles, type DocumentSetManifest, type WriteOptions } from './document-set-files.js';
import { fingerInputToIso, type FingerInput } from './finger-input.js';
import { makePortrait, type FaceBox, type Portrait } from './portrait.js';
import { cccdQrText, cccdSeal } from './qr-payloads.js';

/** vn-cccd cards hold one or two fingers (cccd-profile.md, DG3). */
const MAX_FINGER_VIEWS = 2;

export type CardQr = 'plain' | 'seal';

export interface EnrollInput {
  readonly record: CitizenRecord;
  /** Face photo, JPEG or PNG. */
  readonly photo: Uint8Array;
  readonly faceBox?: FaceBox;
  readonly grayscale?: boolean;
  /** Largest DG2 JPEG in bytes (default 15 000). */
  readonly photoBudget?: number;
  /** Finger templates: ISO/IEC 19794-2:2005, ANSI INCITS 378, or the JSON minutiae list (finger-input.ts). */
  readonly fingers?: readonly Uint8Array[];
  readonly dsSigner: Signer;
  readonly dsCertificate: Uint8Array;
  /** The VDS seal signer (ECDSA) and its certificate; without them no seal is made. */
  readonly sealSigner?: Signer;
  readonly sealCertificate?: Uint8Array;
  readonly hash?: HashName;
  readonly aaKeyType?: AaKeyType;
  /** Which payload the front QR carries: the plain text, as on cards today (default), or the seal. */
  readonly cardQr?: CardQr;
  readonly issuingAuthority?: string;
  readonly signingTime?: Date;
  /** Render the card face (default true); the production line renders it from the verified chip instead. */
  readonly renderFace?: boolean;
  /** Terminal Authentication trust points and date for the chip (chipEacFromPki). */
  readonly eac?: ChipEac;
}

export interface Enrollment {
  readonly documentSet: DocumentSet;
  readonly portrait: Portrait;
  readonly fingers: readonly FingerInput[];
  readonly qrPlain: string;
  /** The signed seal, or undefined when no ECDSA seal signer was given. */
  readonly qrSeal: Uint8Array | undefined;
  /** Undefined with `renderFace: false`. */
  readonly cardFace: CardFace | undefined;
  /** What the operator should know: dropped extended finger data, a seal not made, ... */
  readonly notes: readonly string[];
}

export async function enroll(input: EnrollInput): Promise<Enrollment> {
  const notes: string[] = [];
  // Cheap checks first: a bad template should not cost a portrait and a signature.
  const fingers = (input.fingers ?? []).map((bytes, i) => {
    const finger = fingerInputToIso(bytes);
    notes.push(...finger.notes.map((n) => `finger ${i + 1}: ${n}`));
    return finger;
  });
  const views = fingers.reduce((n, f) => n + f.record.views.length, 0);
  if (views > MAX_FINGER_VIEWS) {
    throw new ValidationError('FINGER_COUNT', `${views} finger views given; a card holds at most ${MAX_FINGER_VIEWS}`, { field: 'fingers' });
  }
  const sealSigner = sealSignerOf(input, notes);

  const portrait = await makePortrait(input.photo, {
    ...(input.faceBox === undefined ? {} : { faceBox: input.faceBox }),
    ...(input.photoBudget === undefined ? {} : { maxBytes: input.photoBudget }),
    grayscale: input.grayscale === true,
  });
  const qrPlain = cccdQrText(input.record);
  const [documentSet, { qrSeal, cardFace }] = await Promise.all([
    // The portrait is made once: DG2 takes it with its eye points, the card face prints it.
    buildDocumentSet({
      record: input.record,
      photo: portrait.jpeg,
      portrait,
      fingers: fingers.map((f) => f.iso),
      dsSigner: input.dsSigner,
      dsCertificate: input.dsCertificate,
      ...(input.photoBudget === undefined ? {} : { photoBudget: input.photoBudget }),
      ...(input.hash === undefined ? {} : { hash: input.hash }),
      ...(input.aaKeyType === undefined ? {} : { aaKeyType: input.aaKeyType }),
      ...(input.signingTime === undefined ? {} : { signingTime: input.signingTime }),
      ...(input.eac === undefined ? {} : { eac: input.eac }),
    }),
    (async () => {
      const seal = sealSigner === undefined ? undefined : await cccdSeal(input.record, sealSigner);
      const cardQr = input.cardQr ?? 'plain';
      if (cardQr === 'seal' && seal === undefined) {
        throw new ValidationError('ENROLL_NO_SEAL', 'the card QR should carry the seal, but no ECDSA seal signer was given', { field: 'cardQr' });
      }
      if (input.renderFace === false) return { qrSeal: seal, cardFace: undefined };
      const face = await renderCardFace({
        record: input.record,
        portrait: portrait.jpeg,
        qr: cardQr === 'seal' ? seal! : qrPlain,
        ...(input.issuingAuthority === undefined ? {} : { issuingAuthority: input.issuingAuthority }),
      });
      return { qrSeal: seal, cardFace: face };
    })(),
  ]);
  return Object.freeze({ documentSet, portrait, fingers: Object.freeze(fingers), qrPlain, qrSeal, cardFace, notes: Object.freeze(notes) });
}

/** ICAO 9303-13 seals are ECDSA only; a PKI whose seal key is RSA gives no seal, with a note. */
function sealSignerOf(input: EnrollInput, notes: string[]): { signer: Signer; signerCertificate: Uint8Array } | undefined {
  if (input.sealSigner === undefined || input.sealCertificate === undefined) {
    notes.push('no seal signer given: qr-seal.bin not made');
    return undefined;
  }
  if (SUITES[input.sealSigner.suite].keyType !== 'ec') {
    notes.push(`the seal signer is ${input.sealSigner.suite}; ICAO VDS seals need ECDSA: qr-seal.bin not made`);
    return undefined;
  }
  return { signer: input.sealSigner, signerCertificate: input.sealCertificate };
}

/** File names an enrollment adds to the document set directory. */
export const ENROLL_FILES = Object.freeze({
  qrPlain: 'qr-plain.txt',
  qrSeal: 'qr-seal.bin',
  front: 'card-front.png',
  back: 'card-back.png',
});

/**
 * Writes the enrollment as the folder `dir` in one step (replaceDirectory): the QR payloads,
 * the card faces and the document set. `dir` must be missing or empty unless `options.force`.
 */
export async function writeEnrollment(dir: string, enrollment: Enrollment, options: WriteOptions = {}): Promise<DocumentSetManifest> {
  return replaceDirectory(dir, options.force === true, async (staging) => {
    await writeFileAtomic(join(staging, ENROLL_FILES.qrPlain), enrollment.qrPlain, 0o600);
    if (enrollment.qrSeal !== undefined) await writeFileAtomic(join(staging, ENROLL_FILES.qrSeal), enrollment.qrSeal, 0o600);
    if (enrollment.cardFace !== undefined) {
      await writeFileAtomic(join(staging, ENROLL_FILES.front), enrollment.cardFace.front, 0o600);
      await writeFileAtomic(join(staging, ENROLL_FILES.back), enrollment.cardFace.back, 0o600);
    }
    return writeSetFiles(staging, enrollment.documentSet, options);
  });
}
