/**
 * Which certificate may sign what (docs/trust-policy.md): the roles of ICAO 9303-12 (8th ed.)
 * §7.1.1 certificate profiles as `cancuoc pki init` issues them, checked on every signer before its
 * signature counts. A Document Signer signs EF.SOD and the issuer's revocation list, never a seal
 * or a master list; a seal signer (extKeyUsage 2.23.136.1.1.14.2) signs VDS seals only; a master
 * list signer (extKeyUsage 2.23.136.1.1.3) signs master lists only.
 */
import { attributeValue, type SignerInfo } from '../lds/cms.js';
import { attempt } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { decodeTlv } from '../lds/tlv.js';
import { readTime, type CertificateInfo } from '../lds/x509.js';

export type SignerRole = 'document-signer' | 'seal-signer' | 'master-list-signer' | 'revocation-list-signer';

export interface PolicyProblem {
  /** Stable UPPER_SNAKE code. */
  readonly code: string;
  readonly reason: string;
}

interface RoleRule {
  /** Code prefix: DS_WRONG_ROLE, SEAL_SIGNER_KEY_USAGE, … */
  readonly prefix: string;
  readonly label: string;
  /** The extKeyUsage purpose the role requires; undefined: the certificate must carry no extKeyUsage. */
  readonly purpose: string | undefined;
}

const RULES: Readonly<Record<SignerRole, RoleRule>> = Object.freeze({
  // ICAO 9303-12 §7.1.1 Table 6: a Document Signer carries no extKeyUsage
  'document-signer': { prefix: 'DS', label: 'Document Signer', purpose: undefined },
  // docs/revocation-list.md: the list is signed by a Document Signer of the issuing State
  'revocation-list-signer': { prefix: 'RL_SIGNER', label: 'Document Signer (revocation list)', purpose: undefined },
  // ICAO 9303-13 §4 (VDS): the bar code signer purpose
  'seal-signer': { prefix: 'SEAL_SIGNER', label: 'seal signer', purpose: OID.barcodeSignerKeyUsage },
  // ICAO 9303-12 §7.1.1 Table 6, §9: id-icao-cscaMasterListSigningKey
  'master-list-signer': { prefix: 'ML_SIGNER', label: 'master list signer', purpose: OID.cscaMasterListSigningKey },
});

const PURPOSE_NAMES: ReadonlyMap<string, string> = new Map([
  [OID.cscaMasterListSigningKey, 'master list signer'],
  [OID.barcodeSignerKeyUsage, 'seal signer'],
]);

const problem = (code: string, reason: string): PolicyProblem => Object.freeze({ code, reason });

/**
 * Why `cert` may not sign as `role`, or undefined when it may: no unrecognised critical extension
 * (RFC 5280 §4.2), not a CA, keyUsage digitalSignature, the extKeyUsage of the role (and no other
 * role's), and, given the signing time, within privateKeyUsagePeriod.
 */
export function roleProblem(cert: CertificateInfo, role: SignerRole, signingTime?: Date): PolicyProblem | undefined {
  const rule = RULES[role];
  const p = rule.prefix;
  const unusable = unusableProblem(cert);
  if (unusable !== undefined) return problem(`${p}_${unusable.code}`, unusable.reason);
  if (cert.isCa === true) return problem(`${p}_WRONG_ROLE`, `${cert.subjectText} is a CA certificate, not a ${rule.label}`);
  if (cert.keyUsage !== undefined && !cert.keyUsage.includes('digitalSignature')) {
    return problem(`${p}_KEY_USAGE`, `${rule.label} key usage lacks digitalSignature`);
  }
  const eku = cert.extKeyUsage ?? [];
  if (rule.purpose === undefined && eku.length > 0) {
    const what = eku.map((e) => PURPOSE_NAMES.get(e) ?? e).join(', ');
    return problem(`${p}_WRONG_ROLE`, `${cert.subjectText} carries extendedKeyUsage ${what}: not a ${rule.label}`);
  }
  if (rule.purpose !== undefined && !eku.includes(rule.purpose)) {
    return problem(`${p}_WRONG_ROLE`, `${cert.subjectText} lacks extendedKeyUsage ${rule.purpose}: not a ${rule.label}`);
  }
  const period = cert.privateKeyUsagePeriod;
  if (signingTime !== undefined && period !== undefined) {
    const { notBefore, notAfter } = period;
    if ((notBefore !== undefined && signingTime < notBefore) || (notAfter !== undefined && signingTime > notAfter)) {
      const span = `${notBefore?.toISOString() ?? '…'} to ${notAfter?.toISOString() ?? '…'}`;
      return problem(`${p}_KEY_PERIOD`, `signed ${signingTime.toISOString()}, outside the private key usage period ${span}`);
    }
  }
  return undefined;
}

/** RFC 5280 §4.2: a certificate with a critical extension the verifier does not process must not be used. */
export function unusableProblem(cert: CertificateInfo): PolicyProblem | undefined {
  const unknown = cert.unknownCriticalExtensions;
  if (unknown.length === 0) return undefined;
  return problem('UNKNOWN_CRITICAL_EXTENSION', `${cert.subjectText} has unrecognised critical extension(s) ${unknown.join(', ')} (RFC 5280 §4.2)`);
}

/**
 * ICAO 9303-12 §7.1.1.2 documentTypeList: the MRZ document codes a Document Signer may sign. An
 * entry matches the code with its filler `<` removed; a one-letter entry matches every code of
 * that letter. No list: no restriction.
 */
export function documentTypeProblem(cert: CertificateInfo, documentCode: string): PolicyProblem | undefined {
  const types = cert.documentTypes;
  if (types === undefined) return undefined;
  const code = documentCode.replace(/<+$/, '');
  const ok = types.some((t) => {
    const entry = t.replace(/<+$/, '');
    return entry === code || (entry.length === 1 && code.startsWith(entry));
  });
  return ok ? undefined : problem('DS_DOCUMENT_TYPE', `the DS may sign document types ${types.join(', ')}, not ${documentCode}`);
}

// ---------------------------------------------------------------------------------------------
// Signers of trust lists (master lists, revocation lists)

/** The trusted CSCA of a signer (TrustStore.chainOf), or why there is none. */
/** signingTime (RFC 5652 §11.3): a Date, undefined when absent, or an error text when malformed. */
export function readSigningTime(signerInfo: SignerInfo): Date | string | undefined {
  const value = attributeValue(signerInfo.signedAttrs, OID.signingTime);
  if (value === undefined) return undefined;
  const t = attempt(() => readTime(decodeTlv(value, 'lenient'), 'signingTime'));
  return t.ok ? t.value : t.error.message;
}

export function signingTimeOf(signerInfo: SignerInfo): Date | undefined {
  const t = readSigningTime(signerInfo);
  return t instanceof Date ? t : undefined;
}

export type Fault = [code: string, reason: string];

/** Why a CMS signer may not sign a trust list: its chain (ChainResult), its validity at `at`, its role (signer-policy.ts). */
export function signerFault(prefix: string, cert: CertificateInfo, chain: ChainResult, role: SignerRole, signingTime: Date | undefined, at: Date): Fault | undefined {
  if (!('csca' in chain)) return [`${prefix}_${chain.code}`, `signature valid, but ${chain.reason}`];
  if (at < cert.notBefore || at > cert.notAfter) {
    return [`${prefix}_NOT_VALID`, `signer ${cert.subjectText} valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, not at ${at.toISOString()}`];
  }
  const wrong = roleProblem(cert, role, signingTime);
  return wrong === undefined ? undefined : [wrong.code, wrong.reason];
}

/** The revocation list's State must be the signer's and its CSCA's (ICAO 9303-12 §7.1.1: C in both names). */
export function countryFault(cert: CertificateInfo, chain: ChainResult, issuer: string): Fault | undefined {
  const csca = 'csca' in chain ? chain.csca : undefined;
  if (csca?.country === issuer.toUpperCase() && cert.country === issuer.toUpperCase()) return undefined;
  return ['RL_SIGNER_WRONG_COUNTRY', `the list is for ${issuer}, but its signer ${cert.subjectText} is under the CSCA of ${csca?.country ?? '(no country)'}`];
}

export type ChainResult = { csca: CertificateInfo } | { code: 'NOT_TRUSTED' | 'CSCA_EXPIRED' | 'REVOKED'; reason: string };
