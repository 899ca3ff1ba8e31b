/**
 * Issuer matching (RFC 5280 §4.2.1.1-2: DER names and key identifiers, never DN strings), the
 * signer of a CMS SignedData (RFC 5652 §5.3), and cached certificate signature checks: shared by
 * the trust store, passive authentication and the seal and trust-list signer checks.
 */
import { verifySignature } from '../crypto/signature.js';
import { equalBytes } from '../lds/bytes.js';
import type { SignedData, SignerInfo } from '../lds/cms.js';
import type { AlgorithmIdentifier } from '../lds/der.js';
import { attempt } from '../lds/errors.js';
import { parseCertificate, serialHex, type CertificateInfo } from '../lds/x509.js';

/** Whether `issuer` may have issued `child`: DER-equal names, and equal key identifiers where both exist. */
export function mayHaveIssued(issuer: CertificateInfo, child: { issuer: Uint8Array; authorityKeyId: Uint8Array | undefined }): boolean {
  if (!equalBytes(issuer.subject, child.issuer)) return false;
  if (child.authorityKeyId !== undefined && issuer.subjectKeyId !== undefined) {
    return equalBytes(child.authorityKeyId, issuer.subjectKeyId);
  }
  return true;
}

/** RFC 5652 §5.3 SignerIdentifier against a certificate (serials compared without leading zeros). */
export function identifiesSigner(signerInfo: SignerInfo, cert: CertificateInfo): boolean {
  const sid = signerInfo.sid;
  if (sid.kind === 'subjectKeyIdentifier') return cert.subjectKeyId !== undefined && equalBytes(cert.subjectKeyId, sid.keyIdentifier);
  return equalBytes(sid.issuer, cert.issuer) && serialHex(sid.serialNumber) === cert.serialHex;
}

export interface CmsSigner {
  readonly signerInfo: SignerInfo;
  /** The certificate the SignerInfo names, or undefined when SignedData does not carry it. */
  readonly certificate: CertificateInfo | undefined;
  /** Why no certificate was found (none matching, or the matching one does not parse). */
  readonly problem: string | undefined;
  /** The parse error code when a certificate does not parse (X509_DUPLICATE_EXTENSION, …). */
  readonly problemCode: string | undefined;
}

/** The first SignerInfo and the certificate it names among SignedData.certificates. */
export function findCmsSigner(signedData: SignedData): CmsSigner | undefined {
  const signerInfo = signedData.signerInfos[0];
  if (signerInfo === undefined) return undefined;
  const parsed = signedData.certificates.map((der) => attempt(() => parseCertificate(der)));
  for (const p of parsed) {
    if (p.ok && identifiesSigner(signerInfo, p.value)) return Object.freeze({ signerInfo, certificate: p.value, problem: undefined, problemCode: undefined });
  }
  const broken = parsed.find((p) => !p.ok);
  const problem =
    signedData.certificates.length === 0
      ? 'SignedData carries no certificate'
      : broken !== undefined && !broken.ok
        ? `no certificate matches the signer; one does not parse: ${broken.error.message}`
        : 'no certificate in SignedData matches the SignerInfo sid';
  return Object.freeze({ signerInfo, certificate: undefined, problem, problemCode: broken !== undefined && !broken.ok ? broken.error.code : undefined });
}

/**
 * Whether `issuer` signed `cert` (signature over tbsCertificate as read). The answer is
 * remembered per issuer for frozen objects, which is what the parsers here return:
 * parseCertificate hands out one per DER, with its own copy of the bytes, so the chain of a
 * Document Signer shared by many cards is verified once.
 */
export function isSignedBy(cert: { tbs: Uint8Array; signatureAlgorithm: AlgorithmIdentifier; signature: Uint8Array }, issuer: CertificateInfo): boolean {
  const frozen = Object.isFrozen(cert);
  let known = signedByCache.get(issuer);
  if (known === undefined) signedByCache.set(issuer, (known = new WeakMap()));
  const cached = frozen ? known.get(cert) : undefined;
  if (cached !== undefined) return cached;
  const result = verifySignature({ spki: issuer.spki, algorithm: cert.signatureAlgorithm, data: cert.tbs, signature: cert.signature }) === true;
  if (frozen) known.set(cert, result);
  return result;
}

const signedByCache = new WeakMap<CertificateInfo, WeakMap<object, boolean>>();


