/**
 * Passive Authentication: ICAO 9303-11 (8th ed.) §5.1 with the PKI of 9303-12. Proves that the
 * data groups read are those the issuing State signed: EF.SOD parses, its CMS signature verifies
 * with the Document Signer certificate it carries, the signed attributes bind the
 * LDSSecurityObject, the DS certificate is valid and issued by a trusted CSCA and not revoked,
 * and each data group hashes to the value listed.
 *
 * Never throws on bad bytes: every outcome is an entry of a frozen report (schema in
 * docs/report-schema.md).
 */
import { digest, hashFromOid } from '../crypto/algorithms.js';
import { checkSignedAttributes, isVerifyProblem, verifySignerSignature } from '../crypto/signature.js';
import { abytes, equalBytes, hex } from '../lds/bytes.js';
import type { SignedData, SignerInfo } from '../lds/cms.js';
import { decodeDg1 } from '../lds/dg1.js';
import { attempt } from '../lds/errors.js';
import { dataGroupHash, decodeSod, type Sod } from '../lds/sod.js';
import { documentTypeProblem, roleProblem } from './signer-policy.js';
import { findCmsSigner, isSignedBy, readSigningTime, TrustStore } from './trust-store.js';
import { certificateWeaknesses, hashWeakness, type Weakness } from './weak-algorithms.js';
import type { CertificateInfo } from '../lds/x509.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'not-applicable';
export type Verdict = 'valid' | 'invalid' | 'untrusted';

export interface Check {
  /** sod.parse, cms.signature, cms.signed-attributes, ds.certificate, ds.validity, ds.role, chain, crl, dg.N.hash, algorithms[.X] */
  readonly id: string;
  readonly status: CheckStatus;
  /** Stable UPPER_SNAKE code: OK on pass, else what went wrong or why the check did not apply. */
  readonly code: string;
  readonly reason: string;
}

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** countryName (C) of the subject, when present. */
  readonly country: string | undefined;
}

/** How strict a verification is (docs/trust-policy.md); every field defaults to false. */
export interface VerifyPolicy {
  /** No usable CRL of the DS's CSCA fails the crl check (else it warns). */
  readonly requireCrl?: boolean;
  /** A CRL past nextUpdate is used with a warning (offline sites) instead of failing. */
  readonly acceptStaleCrl?: boolean;
  /** Weak algorithms (WEAK_* codes) fail instead of warn. */
  readonly strict?: boolean;
}

export interface PassiveAuthReport {
  readonly verdict: Verdict;
  /** ISO 8601 time the validity checks used. */
  readonly checkedAt: string;
  readonly checks: readonly Check[];
  /** OID of the LDSSecurityObject hash algorithm, when the SOD parsed. */
  readonly hashAlgorithm: string | undefined;
  /** signingTime signed attribute (ISO 8601), when present. */
  readonly signingTime: string | undefined;
  readonly documentSigner: CertificateSummary | undefined;
  readonly csca: CertificateSummary | undefined;
}

export interface PassiveAuthInput {
  /** EF.SOD as read (77 L ContentInfo, padding allowed). */
  readonly sod: Uint8Array;
  /** Data group number → the complete EF bytes as read. */
  readonly dataGroups: ReadonlyMap<number, Uint8Array>;
  readonly trust: TrustStore;
  /** Time for the validity checks; defaults to now. */
  readonly at?: Date;
  readonly policy?: VerifyPolicy;
}

/** The chain check code that makes the verdict 'untrusted' rather than 'invalid'. */
const ISSUER_NOT_TRUSTED = 'ISSUER_NOT_TRUSTED';

const check = (id: string, status: CheckStatus, code: string, reason: string): Check => Object.freeze({ id, status, code, reason });

export function passiveAuthentication(input: PassiveAuthInput): PassiveAuthReport {
  if (typeof input !== 'object' || input === null) throw new TypeError('"input" expected an object');
  const sodBytes = abytes(input.sod, 'sod');
  if (!(input.dataGroups instanceof Map)) throw new TypeError('"dataGroups" expected a Map of data group number to bytes');
  for (const [dg, bytes] of input.dataGroups) {
    if (!Number.isInteger(dg) || dg < 1 || dg > 16) throw new RangeError(`"dataGroups" key ${String(dg)} is not a DG number 1..16`);
    abytes(bytes, `dataGroups[${dg}]`);
  }
  if (!(input.trust instanceof TrustStore)) throw new TypeError('"trust" expected a TrustStore');
  const at = input.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError('"at" expected a valid Date');
  const policy = input.policy ?? {};
  if (typeof policy !== 'object' || policy === null) throw new TypeError('"policy" expected an object');

  const parsed = attempt(() => decodeSod(sodBytes));
  if (!parsed.ok) {
    const skipped = (id: string): Check => check(id, 'not-applicable', 'SOD_NOT_PARSED', 'not checked: EF.SOD did not parse');
    return report(at, [
      check('sod.parse', 'fail', parsed.error.code, parsed.error.message),
      ...['cms.signature', 'cms.signed-attributes', 'ds.certificate', 'ds.validity', 'ds.role', 'chain', 'crl'].map(skipped),
      ...[...input.dataGroups.keys()].sort((a, b) => a - b).map((dg) => skipped(`dg.${dg}.hash`)),
      skipped('algorithms'),
    ]);
  }
  return verifyParsed(parsed.value, input.dataGroups, input.trust, at, policy);
}

function verifyParsed(sod: Sod, dataGroups: ReadonlyMap<number, Uint8Array>, trust: TrustStore, at: Date, policy: VerifyPolicy): PassiveAuthReport {
  const so = sod.securityObject;
  const sd = sod.signedData;
  const checks: Check[] = [
    // ICAO 9303-10 §4.6.2.2: SignedData version 3
    sd.version !== 3
      ? check('sod.parse', 'fail', 'SOD_CMS_VERSION', `SignedData version ${sd.version}, EF.SOD requires v3`)
      : sod.legacyContentType
        ? check('sod.parse', 'warn', 'SOD_LEGACY_CONTENT_TYPE', `eContentType ${sd.contentType} is a pre-standard arc`)
        : check('sod.parse', 'pass', 'OK', `LDSSecurityObject v${so.version}, ${so.dataGroupHashes.length} data group hashes`),
  ];
  const signer = findCmsSigner(sd);
  const ds = signer?.certificate;
  const signingTime = signer === undefined ? undefined : readSigningTime(signer.signerInfo);

  checks.push(signatureCheck(sd, signer?.signerInfo, ds));
  checks.push(attributesCheck(sd, signer?.signerInfo));
  checks.push(
    ds !== undefined
      ? check('ds.certificate', 'pass', 'OK', `DS ${ds.subjectText}, serial ${ds.serialHex}`)
      : check('ds.certificate', 'fail', signer?.problemCode ?? 'DS_CERTIFICATE_MISSING', signer?.problem ?? 'SignedData has no SignerInfo'),
  );
  checks.push(validityCheck(ds, signingTime, at));
  checks.push(roleCheck(ds, signingTime, dataGroups.get(1)));
  const chain = chainCheck(ds, trust, at);
  checks.push(chain.check);
  checks.push(crlCheck(ds, chain.csca, trust, at, policy));
  checks.push(...dataGroupChecks(sod, dataGroups));
  const weak = [
    hashWeakness('sod.hash', so.hashAlgorithm, 'the LDSSecurityObject hash'),
    signer === undefined ? undefined : hashWeakness('sod.digest', signer.signerInfo.digestAlgorithm, 'the SignerInfo digest'),
    signer === undefined ? undefined : hashWeakness('sod.signature', signer.signerInfo.signatureAlgorithm, 'the SOD signature'),
    ...(ds === undefined ? [] : certificateWeaknesses('ds', ds)),
    ...(chain.csca === undefined ? [] : certificateWeaknesses('csca', chain.csca)),
  ].filter((w): w is Weakness => w !== undefined);
  checks.push(...weaknessChecks('algorithms', weak, policy, 'EF.SOD and its certificates: no SHA-1, RSA < 2048, DH-1024 or 192-bit curve'));
  return report(at, checks, {
    hashAlgorithm: so.hashAlgorithm.oid,
    signingTime: signingTime instanceof Date ? signingTime.toISOString() : undefined,
    documentSigner: ds === undefined ? undefined : summary(ds),
    csca: chain.csca === undefined ? undefined : summary(chain.csca),
  });
}

function signatureCheck(sd: SignedData, signerInfo: SignerInfo | undefined, ds: CertificateInfo | undefined): Check {
  const id = 'cms.signature';
  if (signerInfo === undefined) return check(id, 'fail', 'CMS_NO_SIGNER', 'SignedData has no SignerInfo');
  if (ds === undefined) return check(id, 'not-applicable', 'DS_CERTIFICATE_MISSING', 'no DS certificate to verify with');
  const result = verifySignerSignature(sd, signerInfo, ds.spki);
  if (isVerifyProblem(result)) return check(id, 'fail', result.code, result.reason);
  const extra = sd.signerInfos.length > 1 ? ` (first of ${sd.signerInfos.length} SignerInfos)` : '';
  return result
    ? check(id, 'pass', 'OK', `signature (${signerInfo.signatureAlgorithm.oid}) verifies with the DS key${extra}`)
    : check(id, 'fail', 'CMS_SIGNATURE_INVALID', `signature does not verify with the DS key${extra}`);
}

/** ICAO 9303-10 §4.6.2: signed attributes are mandatory in EF.SOD. */
function attributesCheck(sd: SignedData, signerInfo: SignerInfo | undefined): Check {
  const id = 'cms.signed-attributes';
  if (signerInfo === undefined) return check(id, 'fail', 'CMS_NO_SIGNER', 'SignedData has no SignerInfo');
  // RFC 5652 §5.1: digestAlgorithms lists the digest of every signer
  if (!sd.digestAlgorithms.some((a) => a.oid === signerInfo.digestAlgorithm.oid)) {
    return check(id, 'fail', 'CMS_DIGEST_NOT_LISTED', `digest ${signerInfo.digestAlgorithm.oid} is not in SignedData.digestAlgorithms`);
  }
  const r = checkSignedAttributes(sd, signerInfo);
  return check(id, r.ok ? 'pass' : 'fail', r.code, r.reason);
}

/**
 * ICAO 9303-12 §7.1.1, docs/trust-policy.md: the SOD signer is a Document Signer (no CA, no
 * seal or master-list purpose, digitalSignature, usable), signed within its private key usage
 * period, for a document type its documentTypeList allows.
 */
function roleCheck(ds: CertificateInfo | undefined, signingTime: Date | string | undefined, dg1: Uint8Array | undefined): Check {
  const id = 'ds.role';
  if (ds === undefined) return check(id, 'not-applicable', 'DS_CERTIFICATE_MISSING', 'no DS certificate');
  const problem = roleProblem(ds, 'document-signer', signingTime instanceof Date ? signingTime : undefined);
  if (problem !== undefined) return check(id, 'fail', problem.code, problem.reason);
  const mrz = dg1 === undefined ? undefined : attempt(() => decodeDg1(dg1).mrz);
  const typeProblem = mrz?.ok === true ? documentTypeProblem(ds, mrz.value.documentCode) : undefined;
  if (typeProblem !== undefined) return check(id, 'fail', typeProblem.code, typeProblem.reason);
  const types = ds.documentTypes === undefined ? '' : `, document types ${ds.documentTypes.join(', ')}`;
  return check(id, 'pass', 'OK', `a Document Signer certificate${types}`);
}

/** ICAO 9303-12 §5: the DS certificate must be valid now, and when the SOD was signed. */
function validityCheck(ds: CertificateInfo | undefined, signingTime: Date | string | undefined, at: Date): Check {
  const id = 'ds.validity';
  if (ds === undefined) return check(id, 'not-applicable', 'DS_CERTIFICATE_MISSING', 'no DS certificate');
  const { notBefore, notAfter } = summary(ds);
  const span = `${notBefore} to ${notAfter}`;
  if (typeof signingTime === 'string') return check(id, 'fail', 'SIGNING_TIME_INVALID', `signingTime attribute: ${signingTime}`);
  if (at < ds.notBefore) return check(id, 'fail', 'DS_NOT_YET_VALID', `DS valid ${span}, checked at ${at.toISOString()}`);
  if (at > ds.notAfter) return check(id, 'fail', 'DS_EXPIRED', `DS valid ${span}, checked at ${at.toISOString()}`);
  if (signingTime !== undefined && (signingTime < ds.notBefore || signingTime > ds.notAfter)) {
    return check(id, 'fail', 'DS_NOT_VALID_AT_SIGNING', `DS valid ${span}, SOD signed ${signingTime.toISOString()}`);
  }
  return check(id, 'pass', 'OK', `DS valid ${span}`);
}

/** ICAO 9303-11 §5.1.1 step 2, 9303-12 §5: the DS certificate chains to a trusted CSCA. */
function chainCheck(ds: CertificateInfo | undefined, trust: TrustStore, at: Date): { check: Check; csca: CertificateInfo | undefined } {
  const id = 'chain';
  const fail = (code: string, reason: string) => ({ check: check(id, 'fail', code, reason), csca: undefined });
  if (ds === undefined) return { check: check(id, 'not-applicable', 'DS_CERTIFICATE_MISSING', 'no DS certificate'), csca: undefined };
  const named = trust.issuersOf(ds);
  if (named.length === 0) return fail(ISSUER_NOT_TRUSTED, `issuer not trusted: ${ds.issuerText}`);
  const signers = named.filter((c) => isSignedBy(ds, c));
  if (signers.length === 0) return fail('DS_SIGNATURE_INVALID', `DS certificate signature does not verify with the trusted CSCA ${ds.issuerText}`);
  const csca = signers.find((c) => c.notBefore <= at && at <= c.notAfter);
  if (csca === undefined) return fail('CSCA_EXPIRED', `the CSCA ${ds.issuerText} is not valid at ${at.toISOString()}`);
  // RFC 5280 §4.2.1.3, §4.2.1.9; ICAO 9303-12 §7.1 certificate profiles
  if (csca.isCa === false) return fail('CSCA_NOT_CA', `${csca.subjectText} is not a CA (basicConstraints)`);
  if (csca.keyUsage !== undefined && !csca.keyUsage.includes('keyCertSign')) {
    return fail('CSCA_KEY_USAGE', `${csca.subjectText} key usage lacks keyCertSign`);
  }
  return { check: check(id, 'pass', 'OK', `DS issued and signed by trusted CSCA ${csca.subjectText}`), csca };
}

/**
 * ICAO 9303-12 §7: the DS serial must not be on a CRL of its CSCA. A revocation on any accepted
 * CRL holds; "not revoked" needs a current one (RFC 5280 §6.3.3: thisUpdate ≤ now ≤ nextUpdate).
 * No usable CRL warns, or fails under `requireCrl`; only stale CRLs fail, or warn under `acceptStaleCrl`.
 */
function crlCheck(ds: CertificateInfo | undefined, csca: CertificateInfo | undefined, trust: TrustStore, at: Date, policy: VerifyPolicy): Check {
  const id = 'crl';
  if (ds === undefined || csca === undefined) return check(id, 'not-applicable', 'NO_TRUSTED_CSCA', 'no trusted CSCA to take a CRL from');
  const crls = trust.crlsOf(csca);
  const entry = trust.revokedEntry(ds, csca);
  if (entry !== undefined) return check(id, 'fail', 'DS_REVOKED', `DS serial ${ds.serialHex} revoked on ${entry.revocationDate.toISOString()}`);
  const notChecked = 'revocation of the DS NOT checked';
  if (crls.length === 0) {
    const status = policy.requireCrl === true ? 'fail' : 'warn';
    const rejected = trust.rejectedCrlsOf(csca)[0];
    return rejected !== undefined
      ? check(id, status, rejected.code, `the CRL of ${csca.subjectText} is unusable (${rejected.reason}): ${notChecked}`)
      : check(id, status, 'NO_CRL', `no CRL of ${csca.subjectText} loaded: ${notChecked}`);
  }
  const current = crls.filter((c) => c.thisUpdate <= at && c.nextUpdate !== undefined && at <= c.nextUpdate);
  if (current.length === 0) {
    const span = crls.map((c) => `${c.thisUpdate.toISOString()} to ${c.nextUpdate?.toISOString() ?? '(no nextUpdate)'}`).join('; ');
    const reason = `DS not on ${crls.length} CRL(s), but none is current at ${at.toISOString()} (${span})`;
    return policy.acceptStaleCrl === true
      ? check(id, 'warn', 'CRL_OUTDATED', `${reason}; accepted by the stale-CRL policy`)
      : check(id, 'fail', 'CRL_OUTDATED', reason);
  }
  return check(id, 'pass', 'OK', `DS serial ${ds.serialHex} not on ${current.length} current CRL(s)`);
}

/** One check per weakness (warn, or fail under `strict`), or one pass check named `id`. */
export function weaknessChecks(id: string, weak: readonly Weakness[], policy: VerifyPolicy, clean: string): Check[] {
  if (weak.length === 0) return [check(id, 'pass', 'OK', clean)];
  const seen = new Set<string>();
  return weak
    .filter((w) => !seen.has(`${w.subject}/${w.code}`) && seen.add(`${w.subject}/${w.code}`))
    .map((w) => check(`${id}.${w.subject}`, policy.strict === true ? 'fail' : 'warn', w.code, w.reason));
}

/** ICAO 9303-10 §4.7: DG1 (MRZ) and DG2 (face) are mandatory in every eMRTD. */
const MANDATORY: readonly number[] = [1, 2];
/** DG3, DG4: readable only after Terminal Authentication (ICAO 9303-11 §7), so often absent from a read. */
const EAC_PROTECTED: readonly number[] = [3, 4];

/**
 * ICAO 9303-11 §5.1.1 step 3: hash each data group read and compare with the SOD. A data group
 * the SOD lists but the dump or chip did not give fails (DG3 and DG4 excepted: they need Terminal
 * Authentication); DG1 and DG2 must be listed and given.
 */
function dataGroupChecks(sod: Sod, dataGroups: ReadonlyMap<number, Uint8Array>): Check[] {
  const so = sod.securityObject;
  const hash = hashFromOid(so.hashAlgorithm.oid);
  const numbers = new Set([...dataGroups.keys(), ...so.dataGroupHashes.map((h) => h.dg), ...MANDATORY]);
  return [...numbers]
    .sort((a, b) => a - b)
    .map((dg) => {
      const id = `dg.${dg}.hash`;
      const bytes = dataGroups.get(dg);
      const listed = dataGroupHash(so, dg);
      const mandatory = MANDATORY.includes(dg);
      if (bytes === undefined && listed === undefined) {
        return check(id, 'fail', 'DG_MANDATORY_MISSING', `DG${dg} is mandatory (ICAO 9303-10 §4.7) but neither listed in the SOD nor given`);
      }
      if (bytes === undefined) {
        return EAC_PROTECTED.includes(dg)
          ? check(id, 'not-applicable', 'DG_NOT_READ', 'listed in the SOD but not read (it needs Terminal Authentication)')
          : check(id, 'fail', mandatory ? 'DG_MANDATORY_MISSING' : 'DG_MISSING', `listed in the SOD but not given${mandatory ? ' (mandatory, ICAO 9303-10 §4.7)' : ''}`);
      }
      if (listed === undefined) {
        return mandatory
          ? check(id, 'fail', 'DG_NOT_LISTED', `DG${dg} is mandatory but not listed in the SOD: its content is not authenticated`)
          : check(id, 'warn', 'DG_NOT_LISTED', 'not listed in the SOD: its content is not authenticated');
      }
      if (hash === undefined) return check(id, 'fail', 'HASH_UNSUPPORTED', `hash algorithm ${so.hashAlgorithm.oid} is not supported`);
      const actual = digest(hash, bytes);
      return equalBytes(actual, listed)
        ? check(id, 'pass', 'OK', `${hash} matches`)
        : check(id, 'fail', 'DG_HASH_MISMATCH', `${hash} ${hex(actual)} differs from the SOD's ${hex(listed)}`);
    });
}

/** One summary per parsed certificate: parseCertificate hands out one object per DER. */
const summaries = new WeakMap<CertificateInfo, CertificateSummary>();

function summary(c: CertificateInfo): CertificateSummary {
  let s = summaries.get(c);
  if (s === undefined) {
    s = Object.freeze({
      subject: c.subjectText,
      issuer: c.issuerText,
      serialNumber: c.serialHex,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      country: c.country,
    });
    summaries.set(c, s);
  }
  return s;
}

/** valid: no check failed; untrusted: the only failure is a DS issuer outside the trust store. */
function verdictOf(checks: readonly Check[]): Verdict {
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length === 0) return 'valid';
  return failed.every((c) => c.id === 'chain' && c.code === ISSUER_NOT_TRUSTED) ? 'untrusted' : 'invalid';
}

function report(
  at: Date,
  checks: readonly Check[],
  extra: Pick<PassiveAuthReport, 'hashAlgorithm' | 'signingTime' | 'documentSigner' | 'csca'> = {
    hashAlgorithm: undefined,
    signingTime: undefined,
    documentSigner: undefined,
    csca: undefined,
  },
): PassiveAuthReport {
  return Object.freeze({
    verdict: verdictOf(checks),
    checkedAt: at.toISOString(),
    checks: Object.freeze([...checks]),
    ...extra,
  });
}
