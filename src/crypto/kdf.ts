/**
 * Key derivation, ICAO 9303-11 (8th ed.) §9.7: KDF(K, c) = H(K ‖ c) with c a 32-bit big-endian
 * counter (1 = KSenc, 2 = KSmac, 3 = K_π), plus the password encodings of BAC (§9.7.2,
 * App. D.2) and PACE (§9.7.3).
 */
import { createHash } from 'node:crypto';
import { abytes, ascii, uintBE } from '../lds/bytes.js';
import { keyLength, type CipherName } from './cipher.js';

/** Counters of §9.7.1. */
export const KDF_ENC = 1;
export const KDF_MAC = 2;
export const KDF_PACE = 3;

// MRZ_information: document number, date of birth, date of expiry, each with its check digit (9303-11 §9.7.2).
const MRZ_INFORMATION = /^[0-9A-Z<]+$/;

function sha(name: 'sha1' | 'sha256', ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(name);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** DES keys carry odd parity in the low bit of each byte (FIPS 46-3 §3); ICAO App. D.1 adjusts it. */
function adjustParity(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    const b = key[i]! & 0xfe;
    let ones = 0;
    for (let v = b; v !== 0; v >>= 1) ones += v & 1;
    key[i] = b | (ones % 2 === 0 ? 1 : 0);
  }
  return key;
}

/**
 * §9.7.1.1–§9.7.1.2: 3DES and AES-128 take SHA-1 (first 16 bytes; 3DES as K_a‖K_b with parity
 * adjusted), AES-192 and AES-256 take SHA-256 (first 24 / all 32 bytes).
 */
export function kdf(secret: Uint8Array, counter: number, c: CipherName): Uint8Array {
  abytes(secret, 'secret');
  const length = keyLength(c);
  if (!Number.isSafeInteger(counter) || counter < 0 || counter > 0xffffffff) {
    throw new RangeError(`"counter" expected a 32-bit unsigned integer, got ${counter}`);
  }
  const digest = sha(length > 16 ? 'sha256' : 'sha1', secret, uintBE(counter, 4));
  const key = digest.slice(0, length);
  return c === '3DES' ? adjustParity(key) : key;
}

function mrzInformationBytes(mrzInformation: string): Uint8Array {
  if (typeof mrzInformation !== 'string' || !MRZ_INFORMATION.test(mrzInformation)) {
    throw new RangeError('"mrzInformation" expected MRZ characters 0-9, A-Z, <');
  }
  return ascii(mrzInformation);
}

/** BAC K_seed = SHA-1(MRZ_information)[0..15] (9303-11 §9.7.2, App. D.2). */
export function seedFromMrz(mrzInformation: string): Uint8Array {
  return sha('sha1', mrzInformationBytes(mrzInformation)).slice(0, 16);
}

/**
 * PACE password K = f(π), §9.7.3: MRZ → SHA-1(MRZ_information), all 20 bytes; CAN → its
 * ISO 8859-1 characters. The caller derives K_π = kdf(K, KDF_PACE, cipher).
 */
export function pacePasswordKey(
  password: { kind: 'mrz'; mrzInformation: string } | { kind: 'can'; can: string },
): Uint8Array {
  if (password === null || typeof password !== 'object') throw new TypeError('"password" expected an object');
  if (password.kind === 'mrz') return sha('sha1', mrzInformationBytes(password.mrzInformation));
  if (password.kind === 'can') {
    // 9303-11 §4.4.1: the CAN is a short decimal number printed on the card (CCCD: 6 digits).
    if (typeof password.can !== 'string' || !/^[0-9]+$/.test(password.can)) {
      throw new RangeError('"can" expected decimal digits');
    }
    return ascii(password.can);
  }
  throw new RangeError(`"password.kind" expected mrz or can, got ${String((password as { kind: unknown }).kind)}`);
}

