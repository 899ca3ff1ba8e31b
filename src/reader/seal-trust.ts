/**
 * Whether a VDS seal signer certificate is trusted (docs/trust-policy.md): it chains to a trusted
 * CSCA (a self-signed certificate given as trust is its own anchor) valid on the signature date,
 * no CRL of that CSCA revokes it (ICAO 9303-12 (8th ed.) §5, §7), and it is a seal signer
 * (signer-policy.ts: extKeyUsage 2.23.136.1.1.14.2), not a Document Signer or any other key
 * under the CSCA, signing within its private key usage period.
 */
import type { TrustDecision } from '../qr/vds-sign.js';
import { equalBytes } from '../lds/bytes.js';
import { roleProblem } from './signer-policy.js';
import { isSignedBy, type TrustStore } from './trust-store.js';
import { parseCertificate } from '../lds/x509.js';

const DAY = 86_400_000;

export function sealSignerDecision(store: TrustStore, der: Uint8Array, at: Date): TrustDecision {
  const cert = parseCertificate(der);
  const selfSigned = equalBytes(cert.subject, cert.issuer);
  // the signature date is a day: the CSCA must overlap it
  const csca = store
    .issuersOf(cert)
    .filter((c) => (selfSigned ? equalBytes(c.der, cert.der) : c.isCa !== false) && isSignedBy(cert, c))
    .find((c) => c.notBefore.getTime() <= at.getTime() + DAY && c.notAfter.getTime() >= at.getTime() - DAY);
  if (csca === undefined) return { status: 'untrusted', reason: `signer ${cert.subjectText} does not chain to a trusted CSCA` };
  const revoked = store.revokedEntry(cert, csca);
  if (revoked !== undefined) return { status: 'revoked', reason: `signer serial ${cert.serialHex} revoked on ${revoked.revocationDate.toISOString()}` };
  const wrong = selfSigned ? undefined : roleProblem(cert, 'seal-signer');
  if (wrong !== undefined) return { status: 'refused', code: wrong.code, reason: wrong.reason };
  // privateKeyUsagePeriod against the signature date, a day (ICAO 9303-13 header): it must overlap
  const period = cert.privateKeyUsagePeriod;
  if ((period?.notBefore !== undefined && at.getTime() + DAY < period.notBefore.getTime()) || (period?.notAfter !== undefined && at.getTime() - DAY > period.notAfter.getTime())) {
    return { status: 'refused', code: 'SEAL_SIGNER_KEY_PERIOD', reason: `signed ${at.toISOString().slice(0, 10)}, outside the private key usage period of ${cert.subjectText}` };
  }
  return { status: 'trusted', reason: `signer ${cert.subjectText} issued by ${csca.subjectText}` };
}
