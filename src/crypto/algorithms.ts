/**
 * The signature suites a cancuoc PKI can use, as parameter tables, and their X.509 / CMS
 * AlgorithmIdentifiers. ICAO 9303-12 (8th ed.) §5 allows ECDSA (BSI TR-03111 curves) and
 * RSASSA-PSS; RFC 5758 §3.2 (ecdsa-with-SHA*), RFC 4055 §3.1 (RSASSA-PSS-params).
 */
import { hash as nodeHash } from 'node:crypto';
import { encodeInteger, encodeOidTlv, type AlgorithmIdentifier } from '../lds/der.js';
import { OID } from '../lds/oid.js';
import { encodeTlv } from '../lds/tlv.js';

export type SignatureSuite = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-bp256' | 'ecdsa-bp384' | 'rsa-pss-3072';
export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface SuiteParams {
  readonly keyType: 'ec' | 'rsa';
  /** Node / OpenSSL curve name (EC suites). */
  readonly curve?: string;
  /** Named-curve OID, the SPKI parameters and the PKCS#11 CKA_EC_PARAMS (EC suites). */
  readonly curveOid?: string;
  /** Size of r and s in bytes (EC suites). */
  readonly fieldBytes?: number;
  /** RSA modulus size in bits (RSA suites). */
  readonly modulusBits?: number;
  /** Default hash: the one matching the key strength. */
  readonly hash: HashName;
}

const ec = (curve: string, curveOid: string, fieldBytes: number, hash: HashName): SuiteParams =>
  Object.freeze({ keyType: 'ec', curve, curveOid, fieldBytes, hash });

export const SUITES: Readonly<Record<SignatureSuite, SuiteParams>> = Object.freeze({
  'ecdsa-p256': ec('prime256v1', OID.secp256r1, 32, 'sha256'),
  'ecdsa-p384': ec('secp384r1', OID.secp384r1, 48, 'sha384'),
  'ecdsa-bp256': ec('brainpoolP256r1', OID.brainpoolP256r1, 32, 'sha256'),
  'ecdsa-bp384': ec('brainpoolP384r1', OID.brainpoolP384r1, 48, 'sha384'),
  'rsa-pss-3072': Object.freeze({ keyType: 'rsa', modulusBits: 3072, hash: 'sha256' }),
});

export const SIGNATURE_SUITES: readonly SignatureSuite[] = Object.freeze(Object.keys(SUITES) as SignatureSuite[]);

const HASHES: Readonly<Record<HashName, { oid: string; bytes: number; ecdsaOid: string }>> = Object.freeze({
  sha1: { oid: OID.sha1, bytes: 20, ecdsaOid: OID.ecdsaWithSha1 },
  sha224: { oid: OID.sha224, bytes: 28, ecdsaOid: OID.ecdsaWithSha224 },
  sha256: { oid: OID.sha256, bytes: 32, ecdsaOid: OID.ecdsaWithSha256 },
  sha384: { oid: OID.sha384, bytes: 48, ecdsaOid: OID.ecdsaWithSha384 },
  sha512: { oid: OID.sha512, bytes: 64, ecdsaOid: OID.ecdsaWithSha512 },
});

const HASH_BY_OID: ReadonlyMap<string, HashName> = new Map(Object.entries(HASHES).map(([name, info]) => [info.oid, name as HashName]));

export function isSignatureSuite(value: unknown): value is SignatureSuite {
  return typeof value === 'string' && Object.hasOwn(SUITES, value);
}

/** One-shot digest: Node's crypto.hash skips the Hash object, which matters for many small inputs. */
export function digest(hash: HashName, data: Uint8Array): Uint8Array {
  const out = nodeHash(hash, data, 'buffer');
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export function isHashName(value: unknown): value is HashName {
  return typeof value === 'string' && Object.hasOwn(HASHES, value);
}

/** Argument check: returns the suite or throws a TypeError naming the argument. */
export function asuite(value: unknown, name = 'suite'): SignatureSuite {
  if (!isSignatureSuite(value)) {
    throw new TypeError(`"${name}" expected one of ${SIGNATURE_SUITES.join(', ')}, got ${String(value)}`);
  }
  return value;
}

export function ahash(value: unknown, name = 'hash'): HashName {
  if (!isHashName(value)) throw new TypeError(`"${name}" expected one of ${Object.keys(HASHES).join(', ')}, got ${String(value)}`);
  return value;
}

export function hashOid(h: HashName): string {
  return HASHES[ahash(h, 'h')].oid;
}

export function hashLength(h: HashName): number {
  return HASHES[ahash(h, 'h')].bytes;
}

export function hashFromOid(oid: string): HashName | undefined {
  return HASH_BY_OID.get(oid);
}

/**
 * The signatureAlgorithm of a certificate, CRL or SignerInfo made by `suite` with `hash`
 * (default: the suite's own hash). ECDSA: RFC 5758 §3.2, parameters absent. RSASSA-PSS:
 * RFC 4055 §3.1 with explicit parameters, MGF1 with the same hash, salt = hash length.
 */
export function signatureAlgorithmIdentifier(suite: SignatureSuite, hash?: HashName): AlgorithmIdentifier {
  const params = SUITES[asuite(suite)];
  const h = hash === undefined ? params.hash : ahash(hash);
  if (params.keyType === 'ec') return Object.freeze({ oid: HASHES[h].ecdsaOid, params: undefined });
  return Object.freeze({ oid: OID.rsassaPss, params: encodePssParams(h) });
}

/** DER of a hash AlgorithmIdentifier; RFC 4055 §2.1 (ASN.1 module) gives the SHA-2 ids NULL parameters. */
function hashAlgorithmDer(h: HashName): Uint8Array {
  return encodeTlv(0x30, encodeOidTlv(HASHES[h].oid), Uint8Array.of(0x05, 0x00));
}

/**
 * RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2],
 * trailerField [3] DEFAULT 1 } — RFC 4055 §3.1; trailerField left at its default (DER omits it).
 */
export function encodePssParams(h: HashName): Uint8Array {
  const hashAlg = hashAlgorithmDer(h);
  const mgf = encodeTlv(0x30, encodeOidTlv(OID.mgf1), hashAlg);
  const salt = encodeInteger(HASHES[h].bytes);
  return encodeTlv(0x30, encodeTlv(0xa0, hashAlg), encodeTlv(0xa1, mgf), encodeTlv(0xa2, salt));
}
