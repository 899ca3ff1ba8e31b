/**
 * Encrypted PKCS#8 key files with a strong KDF (issue 10 item 7): RFC 5958 §3
 * EncryptedPrivateKeyInfo, PBES2 (RFC 8018 §6.2, A.4) with PBKDF2-HMAC-SHA256 (RFC 8018 §5.2,
 * A.2, B.1.2) at 600,000 iterations and AES-256-CBC (RFC 8018 B.2.5). Node's KeyObject.export
 * writes PBES2 only at OpenSSL's default of 2,048 iterations, hence this encoder; decryption
 * stays with OpenSSL (createPrivateKey), which reads any PBES2 file, old or new.
 */
import { createCipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  decodeAlgorithmIdentifier,
  encodeAlgorithmIdentifier,
  encodeInteger,
  fields,
  readOctetString,
  readOid,
  readSmallInt,
} from '../lds/der.js';
import { attempt } from '../lds/errors.js';
import { decodeTlv, encodeTlv } from '../lds/tlv.js';
import { fromPem, toPem } from './certificates.js';

/** OWASP Password Storage Cheat Sheet (2023): at least 600,000 iterations for PBKDF2-HMAC-SHA256. */
export const PBKDF2_ITERATIONS = 600_000;
export const ENCRYPTED_PEM_LABEL = 'ENCRYPTED PRIVATE KEY';

const OID_PBES2 = '1.2.840.113549.1.5.13'; // RFC 8018 A.4
const OID_PBKDF2 = '1.2.840.113549.1.5.12'; // RFC 8018 A.2
const OID_SCRYPT = '1.3.6.1.4.1.11591.4.11'; // RFC 7914 §7
const OID_HMAC_SHA256 = '1.2.840.113549.2.9'; // RFC 8018 B.1.2
const OID_HMAC_SHA1 = '1.2.840.113549.2.7'; // RFC 8018 B.1.1, the PBKDF2 default prf
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42'; // RFC 8018 B.2.5
const PRF_NAMES: Readonly<Record<string, string>> = { [OID_HMAC_SHA256]: 'hmacWithSHA256', [OID_HMAC_SHA1]: 'hmacWithSHA1' };
const NULL = Uint8Array.of(0x05, 0x00);
const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;

const pbkdf2Async = promisify(pbkdf2);

/** PKCS#8 DER (PrivateKeyInfo) → an EncryptedPrivateKeyInfo PEM under `passphrase`. */
export async function encryptPkcs8(pkcs8: Uint8Array, passphrase: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = await pbkdf2Async(passphrase, salt, PBKDF2_ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const kdfParams = encodeTlv(
    SEQUENCE,
    encodeTlv(OCTET_STRING, salt),
    encodeInteger(PBKDF2_ITERATIONS),
    encodeAlgorithmIdentifier({ oid: OID_HMAC_SHA256, params: NULL }),
  );
  const pbes2Params = encodeTlv(
    SEQUENCE,
    encodeAlgorithmIdentifier({ oid: OID_PBKDF2, params: kdfParams }),
    encodeAlgorithmIdentifier({ oid: OID_AES256_CBC, params: encodeTlv(OCTET_STRING, iv) }),
  );
  const info = encodeTlv(SEQUENCE, encodeAlgorithmIdentifier({ oid: OID_PBES2, params: pbes2Params }), encodeTlv(OCTET_STRING, encrypted));
  return toPem(info, ENCRYPTED_PEM_LABEL);
}

/** How an encrypted key file is protected, as its EncryptedPrivateKeyInfo says. */
export interface KeyFileProtection {
  /** 'pbkdf2', 'scrypt', or the OID of another scheme (PBES1, PKCS#12 PBE). */
  readonly kdf: string;
  /** PBKDF2 only: the prf name (hmacWithSHA256…) or OID, and the iteration count. */
  readonly prf?: string;
  readonly iterations?: number;
  /** Meets this module's setting: PBKDF2-HMAC-SHA256 with at least PBKDF2_ITERATIONS (rekey rewrites anything else). */
  readonly strong: boolean;
}

/** Reads the protection of an encrypted PKCS#8 PEM; undefined when it is not one. */
export function keyFileProtection(pem: string): KeyFileProtection | undefined {
  const r = attempt(() => {
    const f = fields(decodeTlv(fromPem(pem, ENCRYPTED_PEM_LABEL)), 'der', 'EncryptedPrivateKeyInfo');
    const scheme = decodeAlgorithmIdentifier(f.any('encryptionAlgorithm'), 'der', 'encryptionAlgorithm');
    if (scheme.oid !== OID_PBES2 || scheme.params === undefined) return Object.freeze({ kdf: scheme.oid, strong: false });
    const p = fields(decodeTlv(scheme.params), 'der', 'PBES2-params');
    const kdf = decodeAlgorithmIdentifier(p.any('keyDerivationFunc'), 'der', 'keyDerivationFunc');
    if (kdf.oid !== OID_PBKDF2 || kdf.params === undefined) return Object.freeze({ kdf: kdf.oid === OID_SCRYPT ? 'scrypt' : kdf.oid, strong: false });
    const k = fields(decodeTlv(kdf.params), 'der', 'PBKDF2-params');
    readOctetString(k.any('salt'), 'der', 'salt');
    const iterations = readSmallInt(k.take(0x02, 'iterationCount'), 'der', 'iterationCount');
    k.maybe(0x02); // keyLength
    const prfAlg = k.maybe(SEQUENCE);
    const prfOid = prfAlg === undefined ? OID_HMAC_SHA1 : readOid(fields(prfAlg, 'der', 'prf').take(0x06, 'algorithm'), 'prf');
    const prf = PRF_NAMES[prfOid] ?? prfOid;
    return Object.freeze({ kdf: 'pbkdf2', prf, iterations, strong: prfOid === OID_HMAC_SHA256 && iterations >= PBKDF2_ITERATIONS });
  });
  return r.ok ? r.value : undefined;
}
