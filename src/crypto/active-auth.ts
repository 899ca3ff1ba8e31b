/**
 * Active Authentication, ICAO 9303-11 (8th ed.) §6.1: the chip signs the terminal's 8-byte
 * challenge RND.IFD with the private key whose public half is in DG15.
 *  - RSA: ISO/IEC 9796-2 scheme 1, partial recovery (§6.1.2.1, App. F) — see iso9796-2.ts.
 *  - ECDSA: σ = ECDSA(SK, Hash(RND.IFD)) in the plain format r ‖ s of BSI TR-03111 §5.2.1
 *    (§6.1.2.3); the hash comes from ActiveAuthenticationInfo.signatureAlgorithm in DG14.
 * Verification never throws on bad card data: it returns a Result whose error has a stable code.
 */
import { createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { abytes, concat } from '../lds/bytes.js';
import { attempt, ValidationError, type Result } from '../lds/errors.js';
import { encodeOid, OID } from '../lds/oid.js';
import { encodeTlv } from '../lds/tlv.js';
import { ahash, type HashName } from './algorithms.js';
import { decodeEcPoint, ecDomainByNodeName, type EcDomain } from './curves.js';
import { decodeRepresentative, openSignature, recoverableLength, signIso9796 } from './iso9796-2.js';

/** §6.1: RND.IFD is 8 bytes. */
export const CHALLENGE_LENGTH = 8;

export type AaPublicKey =
  | { readonly kind: 'rsa'; readonly modulus: Uint8Array; readonly exponent: Uint8Array }
  | { readonly kind: 'ec'; readonly domain: EcDomain; readonly point: Uint8Array };

export interface AaVerified {
  readonly algorithm: 'rsa-iso9796-2' | 'ecdsa';
  readonly hash: HashName;
  /** RSA: the recovered M1 (the chip's RND.IC). */
  readonly recovered?: Uint8Array;
  /** ECDSA: the signature format the chip used (TR-03111 plain, or X9.62 DER as some chips send). */
  readonly format?: 'plain' | 'der';
}

/** A fresh challenge RND.IFD for INTERNAL AUTHENTICATE (00 88 00 00 08 RND.IFD 00). */
export function aaChallenge(): Uint8Array {
  return new Uint8Array(randomBytes(CHALLENGE_LENGTH));
}

// TR-03111 §5.2.1 ecdsa-plain-* and X9.62 ecdsa-with-* (seen in DG14s in the wild).
const ECDSA_HASHES: ReadonlyMap<string, HashName> = new Map([
  [OID.ecdsaPlainSha1, 'sha1'],
  [OID.ecdsaPlainSha224, 'sha224'],
  [OID.ecdsaPlainSha256, 'sha256'],
  [OID.ecdsaPlainSha384, 'sha384'],
  [OID.ecdsaPlainSha512, 'sha512'],
  [OID.ecdsaWithSha1, 'sha1'],
  [OID.ecdsaWithSha224, 'sha224'],
  [OID.ecdsaWithSha256, 'sha256'],
  [OID.ecdsaWithSha384, 'sha384'],
  [OID.ecdsaWithSha512, 'sha512'],
]);

const HASH_BITS: Readonly<Record<HashName, number>> = { sha1: 160, sha224: 224, sha256: 256, sha384: 384, sha512: 512 };

/**
 * The hash of an ECDSA AA signature: from ActiveAuthenticationInfo.signatureAlgorithm if DG14
 * has one, else the SHA-2 whose output matches the curve size. §6.1.2.3 forbids SHA-1 and a hash
 * longer than the key; breaking either is a ValidationError.
 */
export function aaEcdsaHash(domain: EcDomain, signatureAlgorithm?: string): HashName {
  const bits = domain.n.toString(2).length;
  if (signatureAlgorithm === undefined) return bits <= 224 ? 'sha224' : bits <= 256 ? 'sha256' : bits <= 384 ? 'sha384' : 'sha512';
  const hash = ECDSA_HASHES.get(signatureAlgorithm);
  if (hash === undefined) {
    throw new ValidationError('AA_ALGORITHM_UNKNOWN', `not an ECDSA signature algorithm: ${signatureAlgorithm}`, { field: 'signatureAlgorithm' });
  }
  if (hash === 'sha1' || HASH_BITS[hash] > bits + 7) {
    throw new ValidationError('AA_HASH_NOT_ALLOWED', `${hash} is not allowed with a ${bits}-bit key (9303-11 §6.1.2.3)`, {
      field: 'signatureAlgorithm',
    });
  }
  return hash;
}

function challengeArg(challenge: Uint8Array): Uint8Array {
  return abytes(challenge, 'challenge', CHALLENGE_LENGTH);
}

/**
 * The chip's answer to INTERNAL AUTHENTICATE. RSA: ISO 9796-2 with a random M1 (or the given
 * one), SHA-1 with trailer BC unless another hash is asked for. EC: plain r ‖ s, hash by
 * `aaEcdsaHash` of the key's curve unless given.
 */
export function aaSign(
  privateKey: KeyObject,
  challenge: Uint8Array,
  opts: { readonly hash?: HashName; readonly m1?: Uint8Array } = {},
): Uint8Array {
  challengeArg(challenge);
  if (privateKey?.type !== 'private') throw new TypeError('"privateKey" expected a private KeyObject');
  if (privateKey.asymmetricKeyType === 'rsa') {
    const hash = ahash(opts.hash ?? 'sha1');
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    const m1 = opts.m1 ?? new Uint8Array(randomBytes(recoverableLength(Math.ceil(bits / 8), hash)));
    return signIso9796(privateKey, m1, challenge, hash);
  }
  if (privateKey.asymmetricKeyType === 'ec') {
    const domain = domainOfKey(privateKey);
    const hash = opts.hash === undefined ? aaEcdsaHash(domain) : ahash(opts.hash);
    return new Uint8Array(sign(hash, challenge, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  }
  throw new TypeError(`"privateKey" expected an RSA or EC key, got ${privateKey.asymmetricKeyType}`);
}

function domainOfKey(key: KeyObject): EcDomain {
  const name = key.asymmetricKeyDetails?.namedCurve;
  const domain = name === undefined ? undefined : ecDomainByNodeName(name);
  if (domain === undefined) throw new TypeError(`"privateKey" curve ${String(name)} is not in 9303-11 Table 12`);
  return domain;
}

/**
 * The terminal's check of the chip's answer. `signatureAlgorithm` is
 * ActiveAuthenticationInfo.signatureAlgorithm from DG14 (ECDSA only). RSA: the hash is the one
 * the trailer names; M1 is recovered and Hash(M1 ‖ RND.IFD) compared. ECDSA: plain r ‖ s and,
 * for chips that send it, X9.62 DER are both accepted.
 */
export function aaVerify(
  publicKey: AaPublicKey,
  challenge: Uint8Array,
  signature: Uint8Array,
  opts: { readonly signatureAlgorithm?: string } = {},
): Result<AaVerified> {
  challengeArg(challenge);
  abytes(signature, 'signature');
  if (publicKey?.kind === 'rsa') {
    return attempt(() => {
      const recovered = decodeRepresentative(openSignature(publicKey.modulus, publicKey.exponent, signature), challenge);
      return Object.freeze({ algorithm: 'rsa-iso9796-2' as const, hash: recovered.hash, recovered: recovered.m1 });
    });
  }
  if (publicKey?.kind === 'ec') {
    return attempt(() => {
      const hash = aaEcdsaHash(publicKey.domain, opts.signatureAlgorithm);
      const key = ecPublicKeyObject(publicKey.domain, publicKey.point);
      const format = verifyEcdsa(key, publicKey.domain, hash, challenge, signature);
      if (format === undefined) throw new ValidationError('AA_SIGNATURE_INVALID', 'ECDSA signature does not verify', { step: 'AA' });
      return Object.freeze({ algorithm: 'ecdsa' as const, hash, format });
    });
  }
  throw new TypeError('"publicKey" expected { kind: "rsa" | "ec", … }');
}

// SubjectPublicKeyInfo with the named curve (RFC 5480 §2): lets Node's OpenSSL verify on every Table 12 curve.
function ecPublicKeyObject(domain: EcDomain, point: Uint8Array): KeyObject {
  decodeEcPoint(domain, point, 'publicKey');
  const algorithm = encodeTlv(0x30, encodeTlv(0x06, encodeOid(OID.ecPublicKey)), encodeTlv(0x06, encodeOid(domain.oid)));
  const spki = encodeTlv(0x30, algorithm, encodeTlv(0x03, concat(Uint8Array.of(0), point)));
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

function verifyEcdsa(key: KeyObject, domain: EcDomain, hash: HashName, data: Uint8Array, sig: Uint8Array): 'plain' | 'der' | undefined {
  const plainLength = 2 * Math.ceil(domain.n.toString(16).length / 2);
  const check = (dsaEncoding: 'ieee-p1363' | 'der'): boolean => {
    try {
      return verify(hash, data, { key, dsaEncoding }, sig);
    } catch {
      return false; // malformed DER or wrong length: OpenSSL reports it as an error
    }
  };
  if (sig.length === plainLength && check('ieee-p1363')) return 'plain';
  if (sig[0] === 0x30 && check('der')) return 'der';
  return undefined;
}
