/**
 * Weak algorithms in a document (docs/trust-policy.md): SHA-1 in EF.SOD or a certificate, RSA
 * keys under 2048 bits, 1024-bit DH groups, 192-bit curves, 3DES in PACE. Each is a warning with
 * its own code; the strict policy turns them into failures. Thresholds follow BSI TR-03116-2 and
 * NIST SP 800-131A Rev. 2 (SHA-1 signatures, 1024-bit RSA/DH and P-192 disallowed).
 */
import { signatureHash } from '../crypto/signature.js';
import { paceOptions } from '../lds/card-access.js';
import type { AlgorithmIdentifier } from '../lds/der.js';
import { attempt } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { decodePublicKey, type PublicKeyInfo } from '../lds/public-key.js';
import { infosOfKind, type SecurityInfo } from '../lds/security-infos.js';
import type { CertificateInfo } from '../lds/x509.js';

export type WeaknessCode = 'WEAK_HASH_SHA1' | 'WEAK_RSA_KEY' | 'WEAK_DH_GROUP' | 'WEAK_EC_CURVE' | 'WEAK_PACE_3DES';

export interface Weakness {
  /** What is weak, short and stable: sod.hash, ds.signature, ds.key, csca.key, dg14.pace, dg15.key, … */
  readonly subject: string;
  readonly code: WeaknessCode;
  readonly reason: string;
}

const MIN_RSA_BITS = 2048;
const MIN_DH_BITS = 2048;
const MIN_EC_BITS = 224;
const WEAK_CURVES: ReadonlySet<string> = new Set([OID.secp192r1, OID.brainpoolP192r1]);

const weakness = (subject: string, code: WeaknessCode, reason: string): Weakness => Object.freeze({ subject, code, reason });

const bits = (n: bigint): number => n.toString(2).length;

/** A SHA-1 hash or signature algorithm. */
export function hashWeakness(subject: string, algorithm: AlgorithmIdentifier, what: string): Weakness | undefined {
  const hash = algorithm.oid === OID.sha1 ? 'sha1' : signatureHash(algorithm);
  return hash === 'sha1' ? weakness(subject, 'WEAK_HASH_SHA1', `${what} uses SHA-1 (${algorithm.oid})`) : undefined;
}

/** A public key too short for its kind; undefined for unknown kinds. */
export function keyWeakness(subject: string, key: PublicKeyInfo, what: string): Weakness | undefined {
  if (key.kind === 'rsa' && bits(key.n) < MIN_RSA_BITS) return weakness(subject, 'WEAK_RSA_KEY', `${what} is RSA-${bits(key.n)} (< ${MIN_RSA_BITS})`);
  if (key.kind === 'dh' && bits(key.p) < MIN_DH_BITS) return weakness(subject, 'WEAK_DH_GROUP', `${what} is DH-${bits(key.p)} (< ${MIN_DH_BITS})`);
  if (key.kind === 'ec') {
    const size = key.curve === undefined ? undefined : bits(key.curve.p);
    if ((key.namedCurve !== undefined && WEAK_CURVES.has(key.namedCurve)) || (size !== undefined && size < MIN_EC_BITS)) {
      return weakness(subject, 'WEAK_EC_CURVE', `${what} is on a ${size ?? 192}-bit curve (${key.namedCurve ?? 'explicit parameters'})`);
    }
  }
  return undefined;
}

/** The signature hash and the key of a certificate (`role`: ds, csca, …). */
export function certificateWeaknesses(role: string, cert: CertificateInfo): Weakness[] {
  const key = attempt(() => decodePublicKey(cert.spki, 'lenient'));
  return [
    hashWeakness(`${role}.signature`, cert.signatureAlgorithm, `the ${role.toUpperCase()} certificate signature`),
    key.ok ? keyWeakness(`${role}.key`, key.value, `the ${role.toUpperCase()} key`) : undefined,
  ].filter((w): w is Weakness => w !== undefined);
}

/** PACE (3DES, DH-1024, 192-bit curves) and Chip Authentication keys that a chip's SecurityInfos offer. */
export function securityInfoWeaknesses(file: string, infos: readonly SecurityInfo[]): Weakness[] {
  const out: Weakness[] = [];
  for (const option of paceOptions(infos)) {
    const name = option.standardized?.name;
    if (option.cipher === '3DES') out.push(weakness(`${file}.pace`, 'WEAK_PACE_3DES', `${file} offers PACE with 3DES (${option.info.protocol})`));
    if (option.standardized?.id === 0) out.push(weakness(`${file}.pace`, 'WEAK_DH_GROUP', `${file} offers PACE over ${name}`));
    if (option.standardized?.curve !== undefined && WEAK_CURVES.has(option.standardized.curve)) {
      out.push(weakness(`${file}.pace`, 'WEAK_EC_CURVE', `${file} offers PACE over ${name}`));
    }
  }
  for (const k of infosOfKind(infos, 'chipAuthenticationPublicKey')) {
    const w = keyWeakness(`${file}.ca-key`, k.publicKey, `the ${file} Chip Authentication key`);
    if (w !== undefined) out.push(w);
  }
  return out;
}
