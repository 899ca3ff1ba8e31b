/**
 * Certificate revocation lists of the CSCA: ICAO 9303-12 (8th ed.) §7.1.3 CRL profile on RFC 5280
 * §5 — version 2, authorityKeyIdentifier and cRLNumber, nextUpdate always present, revoked serial
 * numbers with their dates and optional reason codes. Signed by the CSCA key.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  CRLNumber,
  CRLReason,
  CRLReasons,
  KeyIdentifier,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
} from '@peculiar/asn1-x509';
import { abytes, equalBytes } from '../lds/bytes.js';
import { ahash, signatureAlgorithmIdentifier, SUITES, type HashName } from './algorithms.js';
import { adate, ext, issuerOf, signedStructure, toArrayBuffer, toX509Algorithm } from './certificates.js';
import type { Signer } from './signer.js';

/** RFC 5280 §5.3.1 CRLReason names (value 7 is unused). */
export type CrlReason = keyof typeof CRLReasons;

export interface RevokedEntry {
  /** Serial number as the INTEGER content bytes of the revoked certificate. */
  readonly serialNumber: Uint8Array;
  readonly revocationDate: Date;
  readonly reason?: CrlReason;
}

export interface CrlRequest {
  /** The CSCA certificate (DER) whose key signs the CRL. */
  readonly issuerCertificate: Uint8Array;
  readonly signer: Signer;
  /** cRLNumber, monotonically increasing per CSCA (RFC 5280 §5.2.3). */
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  /** ICAO 9303-12 §7.1.3: nextUpdate is mandatory. */
  readonly nextUpdate: Date;
  readonly revoked?: readonly RevokedEntry[];
  readonly hash?: HashName;
}

/** Issues a DER CertificateList. */
export async function issueCrl(req: CrlRequest): Promise<Uint8Array> {
  const issuer = issuerOf(abytes(req.issuerCertificate, 'issuerCertificate'));
  if (!equalBytes(issuer.spki, req.signer.publicKeySpki)) {
    throw new RangeError('"signer" does not hold the key of "issuerCertificate"');
  }
  if (!Number.isSafeInteger(req.crlNumber) || req.crlNumber < 0) {
    throw new RangeError(`"crlNumber" expected a non-negative integer, got ${req.crlNumber}`);
  }
  adate(req.thisUpdate, 'thisUpdate');
  adate(req.nextUpdate, 'nextUpdate');
  if (req.nextUpdate <= req.thisUpdate) throw new RangeError('"nextUpdate" must be later than "thisUpdate"');
  const hash = req.hash === undefined ? SUITES[req.signer.suite].hash : ahash(req.hash);
  const sigAlg = signatureAlgorithmIdentifier(req.signer.suite, hash);
  const revoked = (req.revoked ?? []).map(revokedEntry);
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: toX509Algorithm(sigAlg),
    issuer: issuer.name,
    thisUpdate: new Time(req.thisUpdate),
    nextUpdate: new Time(req.nextUpdate),
    // RFC 5280 §5.1.2.6: the list is absent, not empty, when nothing is revoked.
    ...(revoked.length > 0 ? { revokedCertificates: revoked } : {}),
    crlExtensions: [
      ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.keyId) })),
      ext(id_ce_cRLNumber, false, new CRLNumber(req.crlNumber)),
    ],
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  return signedStructure(tbsDer, sigAlg, await req.signer.sign(tbsDer, hash));
}

function revokedEntry(entry: RevokedEntry, i: number): RevokedCertificate {
  const serial = abytes(entry?.serialNumber, `revoked[${i}].serialNumber`);
  if (serial.length === 0 || serial.length > 20) throw new RangeError(`"revoked[${i}].serialNumber" expected 1 to 20 bytes`);
  adate(entry.revocationDate, `revoked[${i}].revocationDate`);
  let extensions;
  if (entry.reason !== undefined) {
    const code = CRLReasons[entry.reason];
    if (typeof code !== 'number') throw new TypeError(`"revoked[${i}].reason" unknown: ${String(entry.reason)}`);
    // RFC 5280 §5.3.1: reasonCode entry extension, non-critical
    extensions = [ext(id_ce_cRLReasons, false, new CRLReason(code))];
  }
  return new RevokedCertificate({
    userCertificate: toArrayBuffer(serial),
    revocationDate: new Time(entry.revocationDate),
    ...(extensions === undefined ? {} : { crlEntryExtensions: extensions }),
  });
}
