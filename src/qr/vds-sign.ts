/**
 * Signing and verifying an ICAO Visible Digital Seal (ICAO 9303-13 (8th ed.) §2.4, BSI TR-03137-1
 * (v2.5) §3.2): ECDSA as plain r‖s over header ‖ message zone, the hash by curve size; the seal
 * signer certificate found by the header's signer and reference, and the verdict.
 */
import { concat } from '../lds/bytes.js';
import { ValidationError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { parseCertificate } from '../lds/x509.js';
import { encodeLength } from '../lds/tlv.js';
import { SUITES, type HashName } from '../crypto/algorithms.js';
import { ecdsaDerToRaw, type Signer } from '../crypto/signer.js';
import { isVerifyProblem, verifySignature, type VerifyProblem } from '../crypto/signature.js';
import { encodeVdsHeader, encodeVdsMessageZone, SIGNATURE_TAG, type SignerFieldLayout, type VdsHeaderFields, type VdsSeal } from './vds.js';

// Signature (ICAO 9303-13 §2.4; hash by curve size, README §3.1)

const HASH_BY_FIELD_BYTES: ReadonlyMap<number, HashName> = new Map([
  [28, 'sha224'],
  [32, 'sha256'],
  [48, 'sha384'],
  [64, 'sha512'],
  [66, 'sha512'],
]);

/** The hash for a plain r‖s signature of `length` bytes, or undefined for an unknown size. */
export function vdsHashForSignature(length: number): HashName | undefined {
  return length % 2 === 0 ? HASH_BY_FIELD_BYTES.get(length / 2) : undefined;
}

const PLAIN_OID: Readonly<Record<HashName, string>> = Object.freeze({
  sha1: OID.ecdsaPlainSha1,
  sha224: OID.ecdsaPlainSha224,
  sha256: OID.ecdsaPlainSha256,
  sha384: OID.ecdsaPlainSha384,
  sha512: OID.ecdsaPlainSha512,
});

/** Signs header ‖ message zone with an ECDSA signer and returns the complete seal. */
export async function signVds(input: {
  readonly header: Omit<VdsHeaderFields, 'signerFieldLayout'> & { readonly signerFieldLayout?: SignerFieldLayout };
  readonly features: readonly { readonly tag: number; readonly value: Uint8Array }[];
  readonly signer: Signer;
}): Promise<Uint8Array> {
  const params = SUITES[input.signer.suite];
  if (params?.keyType !== 'ec' || params.fieldBytes === undefined) {
    throw new ValidationError('SEAL_ALGORITHM', `a VDS seal is signed with ECDSA only (ICAO 9303-13 §2.4); the seal signer is ${String(input.signer.suite)}: use a PKI made with an ecdsa-* algorithm`, { field: 'signer' });
  }
  const hash = HASH_BY_FIELD_BYTES.get(params.fieldBytes)!;
  const signedData = concat(encodeVdsHeader(input.header), encodeVdsMessageZone(input.features));
  const signature = ecdsaDerToRaw(await input.signer.sign(signedData, hash), params.fieldBytes);
  return concat(signedData, Uint8Array.of(SIGNATURE_TAG), encodeLength(signature.length), signature);
}

/** Checks the seal signature with a public key (DER SubjectPublicKeyInfo). */
export function verifyVdsSignature(seal: VdsSeal, spki: Uint8Array): boolean | VerifyProblem {
  const hash = vdsHashForSignature(seal.signature.length);
  if (hash === undefined) {
    return Object.freeze({ code: 'VDS_SIGNATURE_SIZE', reason: `a ${seal.signature.length}-byte r‖s fits no supported curve` });
  }
  return verifySignature({ spki, algorithm: { oid: PLAIN_OID[hash], params: undefined }, data: seal.signedData, signature: seal.signature });
}

// ---------------------------------------------------------------------------------------------
// Finding the seal signer certificate and the verdict

/**
 * Whether `certificate` (DER) is the one the header names. The signer identifier is the
 * subject's country (2 letters) and two issuer-assigned characters — the subject CN when the CN
 * has two characters (the BSI convention, e.g. C=DE CN=TS → "DETS") — and the certificate
 * reference is the serial number in hex, leading zeros ignored (as vdstools resolves it).
 */
export function isSealSignerCertificate(header: Pick<VdsHeaderFields, 'signerIdentifier' | 'certificateReference'>, certificate: Uint8Array): boolean {
  let cert;
  try {
    cert = parseCertificate(certificate);
  } catch {
    return false;
  }
  if (cert.serialHex.replace(/^0+/, '') !== header.certificateReference.toUpperCase().replace(/^0+/, '')) return false;
  if (cert.country !== header.signerIdentifier.slice(0, 2)) return false;
  const cn = cert.commonName;
  return cn === undefined || cn.length !== 2 || cn.toUpperCase() === header.signerIdentifier.slice(2);
}

export type SealVerdict = 'VALID' | 'INVALID' | 'UNTRUSTED';

/** What the caller's trust anchors say about a signer certificate at a given time. */
export interface TrustDecision {
  /** refused: the certificate may not sign seals (wrong role, unusable); `code` says why. */
  readonly status: 'trusted' | 'untrusted' | 'revoked' | 'refused';
  readonly reason: string;
  readonly code?: string;
}

export interface SealVerification {
  readonly verdict: SealVerdict;
  readonly code: string;
  readonly reason: string;
  /** The signer certificate (DER) the seal names, when one was found. */
  readonly certificate: Uint8Array | undefined;
}

/**
 * The verdict on a seal: the signer certificate is looked up by reference among
 * `certificates`, the signature checked, the signature date checked against the certificate's
 * validity, and the certificate handed to `trust` (chain to a CSCA, revocation). Without `trust`
 * a correct signature is UNTRUSTED.
 */
export function verifyVds(
  seal: VdsSeal,
  options: { readonly certificates: readonly Uint8Array[]; readonly trust?: (certificate: Uint8Array, at: Date) => TrustDecision },
): SealVerification {
  const out = (verdict: SealVerdict, code: string, reason: string, certificate?: Uint8Array): SealVerification =>
    Object.freeze({ verdict, code, reason, certificate });
  const { signerIdentifier, certificateReference } = seal.header;
  const candidates = options.certificates.filter((c) => isSealSignerCertificate(seal.header, c));
  if (candidates.length === 0) {
    return out('UNTRUSTED', 'SEAL_SIGNER_UNKNOWN', `no certificate for signer ${signerIdentifier} reference ${certificateReference}`);
  }
  let problem: VerifyProblem | undefined;
  const cert = candidates.find((c) => {
    const r = verifyVdsSignature(seal, parseCertificate(c).spki);
    if (isVerifyProblem(r)) problem ??= r;
    return r === true;
  });
  if (cert === undefined) {
    return out('INVALID', problem?.code ?? 'SEAL_SIGNATURE_INVALID', problem?.reason ?? 'the seal signature does not verify', candidates[0]);
  }
  const at = new Date(`${seal.header.signatureDate}T12:00:00Z`);
  const { notBefore, notAfter } = parseCertificate(cert);
  const [from, to] = [notBefore.getTime(), notAfter.getTime()];
  // the signature date is a day: it must overlap the certificate's validity
  if (at.getTime() + 12 * 3600_000 < from || at.getTime() - 12 * 3600_000 > to) {
    return out('INVALID', 'SEAL_SIGNER_NOT_VALID', `signature date ${seal.header.signatureDate} outside the certificate validity`, cert);
  }
  if (options.trust === undefined) return out('UNTRUSTED', 'SEAL_NO_TRUST_ANCHORS', 'signature valid, but no trust anchors were given', cert);
  const decision = options.trust(cert, at);
  if (decision.status === 'revoked') return out('INVALID', 'SEAL_SIGNER_REVOKED', decision.reason, cert);
  if (decision.status === 'refused') return out('INVALID', decision.code ?? 'SEAL_SIGNER_WRONG_ROLE', decision.reason, cert);
  if (decision.status === 'untrusted') return out('UNTRUSTED', 'SEAL_SIGNER_UNTRUSTED', decision.reason, cert);
  return out('VALID', 'OK', `signature valid; ${decision.reason}`, cert);
}
