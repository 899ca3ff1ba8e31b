/**
 * The country's EAC PKI (BSI TR-03110-3 v2.21 §2, §C): a self-signed CVCA, document verifiers
 * (DV) under it and inspection systems (IS) under a DV, each with a CV certificate whose CHAT
 * grants read access to DG3 / DG4 (§C.4.1). The CVCA key is stored like the other PKI keys
 * (src/crypto/pki.ts); this module only makes the certificates.
 */
import { randomInt } from 'node:crypto';
import { isChat, cvDate, type CvCertificate, type CvRole } from '../lds/cvc.js';
import { ValidationError } from '../lds/errors.js';
import { cvPublicKeyOf, issueCvCertificate } from './cv-certificates.js';
import type { Signer } from './signer.js';

const DAY = 24 * 3600 * 1000;

/** Validity of a CVCA certificate; a rollover (link certificate) comes before it ends. */
export const CVCA_DAYS = 3 * 365;
/** Default validity of a DV and of an IS certificate (TR-03110-3 leaves it to the policy). */
export const DV_DAYS = 90;
export const IS_DAYS = 30;

export interface ReadRights {
  readonly readDg3: boolean;
  readonly readDg4: boolean;
}

/** A holder reference: country, mnemonic, 5-digit sequence number (TR-03110-3 annex A). */
export function holderReference(country: string, mnemonic: string, sequence?: number): string {
  const seq = sequence ?? randomInt(0, 100000);
  return `${country}${mnemonic}${String(seq).padStart(5, '0')}`;
}

function period(now: Date, days: number): { effectiveDate: string; expirationDate: string } {
  if (!Number.isSafeInteger(days) || days < 1 || days > 3653) throw new ValidationError('CV_DAYS', `validity of ${days} days is outside 1–3653`, { field: 'days' });
  return { effectiveDate: cvDate(now), expirationDate: cvDate(new Date(now.getTime() + days * DAY)) };
}

export interface CreateCvcaOptions {
  readonly signer: Signer;
  /** ISO 3166-1 alpha-2 country. */
  readonly country: string;
  readonly sequence?: number;
  readonly now?: Date;
  readonly days?: number;
}

/** A self-signed CVCA certificate (CAR = CHR), with its domain parameters and every read right. */
export async function createCvca(o: CreateCvcaOptions): Promise<CvCertificate> {
  const publicKey = cvPublicKeyOf(o.signer, true);
  const chr = holderReference(o.country, 'CVCA', o.sequence ?? 1);
  return issueCvCertificate({
    signer: o.signer,
    signerAlgorithm: publicKey.oid,
    body: {
      profileIdentifier: 0,
      car: chr,
      publicKey,
      chr,
      chat: isChat('cvca', { readDg3: true, readDg4: true }),
      ...period(o.now ?? new Date(), o.days ?? CVCA_DAYS),
    },
  });
}

export interface IssueUnderOptions {
  /** The issuer's certificate and key. */
  readonly issuer: CvCertificate;
  readonly issuerSigner: Signer;
  /** The subject's key (public part used). */
  readonly subject: Signer;
  readonly role: Exclude<CvRole, 'cvca'>;
  readonly chr: string;
  readonly rights: ReadRights;
  readonly now?: Date;
  readonly days: number;
}

/** A DV certificate under a CVCA, or an IS certificate under a DV. */
export async function issueUnder(o: IssueUnderOptions): Promise<CvCertificate> {
  const expected = o.role === 'terminal' ? ['dv-domestic', 'dv-foreign'] : ['cvca'];
  if (!expected.includes(o.issuer.chat.role)) {
    throw new ValidationError('CV_ISSUER_ROLE', `a ${o.issuer.chat.role} certificate cannot issue a ${o.role} certificate`, { field: 'issuer' });
  }
  return issueCvCertificate({
    signer: o.issuerSigner,
    signerAlgorithm: o.issuer.publicKey.oid,
    body: {
      profileIdentifier: 0,
      car: o.issuer.chr,
      publicKey: cvPublicKeyOf(o.subject, false),
      chr: o.chr,
      chat: isChat(o.role, o.rights),
      ...period(o.now ?? new Date(), o.days),
    },
  });
}

/**
 * A link certificate for a CVCA rollover (TR-03110-3 §2.2.1): the new CVCA key, signed by the
 * old one; a chip that trusts the old CVCA takes the new one as its trust point.
 */
export async function createCvcaLink(o: { readonly old: CvCertificate; readonly oldSigner: Signer; readonly next: Signer; readonly sequence: number; readonly now?: Date; readonly days?: number }): Promise<CvCertificate> {
  return issueCvCertificate({
    signer: o.oldSigner,
    signerAlgorithm: o.old.publicKey.oid,
    body: {
      profileIdentifier: 0,
      car: o.old.chr,
      publicKey: cvPublicKeyOf(o.next, true),
      chr: holderReference(o.old.chr.slice(0, 2), 'CVCA', o.sequence),
      chat: isChat('cvca', { readDg3: true, readDg4: true }),
      ...period(o.now ?? new Date(), o.days ?? CVCA_DAYS),
    },
  });
}
