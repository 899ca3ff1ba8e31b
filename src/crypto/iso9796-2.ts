/**
 * ISO/IEC 9796-2:2010 digital signature scheme 1 with partial message recovery, the RSA format of
 * Active Authentication (ICAO 9303-11 (8th ed.) §6.1.2.1, App. F):
 *
 *   F = header ‖ M1 ‖ Hash(M1 ‖ M2) ‖ trailer,   σ = F^d mod n
 *
 * The header nibble is 6 (binary 01, then the "more data" bit for partial recovery), followed
 * by padding nibbles B…B and a closing A; the trailer is BC (SHA-1, implicit) or a hash
 * identifier of ISO/IEC 10118-3 and CC. Only moduli of a whole number of bytes are handled.
 */
import { constants, createHash, privateEncrypt, type KeyObject } from 'node:crypto';
import { pow } from '@noble/curves/abstract/modular.js';
import { abytes, concat } from '../lds/bytes.js';
import { ValidationError } from '../lds/errors.js';
import { ahash, hashLength, type HashName } from './algorithms.js';
import { constantTimeEqual } from './constant-time.js';
import { i2os, os2i } from './curves.js';

/** ISO/IEC 10118-3 dedicated hash-function identifiers used in the two-byte trailer xx CC. */
export const HASH_IDENTIFIERS: Readonly<Record<HashName, number>> = Object.freeze({
  sha1: 0x33,
  sha256: 0x34,
  sha512: 0x35,
  sha384: 0x36,
  sha224: 0x38,
});

const IMPLICIT_TRAILER = 0xbc;
const EXPLICIT_TRAILER = 0xcc;
const HEADER_PARTIAL = 0x60;

export type TrailerForm = 'implicit' | 'explicit';

function digest(hash: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** The trailer: BC for SHA-1 in implicit form (ICAO t = 1), else hash identifier ‖ CC (t = 2). */
export function trailer(hash: HashName, form: TrailerForm = hash === 'sha1' ? 'implicit' : 'explicit'): Uint8Array {
  ahash(hash);
  if (form === 'implicit') {
    if (hash !== 'sha1') throw new RangeError(`"form" implicit trailer BC means SHA-1, got ${hash}`);
    return Uint8Array.of(IMPLICIT_TRAILER);
  }
  return Uint8Array.of(HASH_IDENTIFIERS[hash], EXPLICIT_TRAILER);
}

/** Bytes of M1 that fit in a representative of `modulusLength` bytes: k − Lh − 8t − 4, less the header nibble. */
export function recoverableLength(modulusLength: number, hash: HashName, form?: TrailerForm): number {
  const n = modulusLength - 1 - hashLength(hash) - trailer(hash, form).length;
  if (!Number.isInteger(modulusLength) || n < 1) throw new RangeError(`"modulusLength" ${modulusLength} too short for ${hash}`);
  return n;
}

/** The message representative F for the signer; M1 must have exactly `recoverableLength` bytes. */
export function encodeRepresentative(
  modulusLength: number,
  m1: Uint8Array,
  m2: Uint8Array,
  hash: HashName,
  form?: TrailerForm,
): Uint8Array {
  abytes(m1, 'm1', recoverableLength(modulusLength, hash, form));
  abytes(m2, 'm2');
  // App. F: 6A = header 01, partial recovery 1, then the closing padding nibble A.
  return concat(Uint8Array.of(HEADER_PARTIAL | 0x0a), m1, digest(hash, m1, m2), trailer(hash, form));
}

export interface Recovered {
  /** The recovered part M1 (the chip's RND.IC for AA). */
  readonly m1: Uint8Array;
  readonly hash: HashName;
  readonly trailerForm: TrailerForm;
}

function reject(code: string, message: string): ValidationError {
  return new ValidationError(code, message, { step: 'ISO/IEC 9796-2 recovery' });
}

function hashFromIdentifier(id: number): HashName | undefined {
  return (Object.keys(HASH_IDENTIFIERS) as HashName[]).find((h) => HASH_IDENTIFIERS[h] === id);
}

/**
 * Checks a recovered representative F against the non-recoverable part M2 (the terminal's
 * challenge) and returns M1. Every failure is a ValidationError with a stable code.
 */
export function decodeRepresentative(f: Uint8Array, m2: Uint8Array): Recovered {
  abytes(f, 'f');
  abytes(m2, 'm2');
  if (f.length < 3 || (f[0]! & 0xc0) !== 0x40) throw reject('ISO9796_HEADER_INVALID', 'representative does not start with bits 01');
  if ((f[0]! & 0x20) === 0) throw reject('ISO9796_NOT_PARTIAL', 'full recovery leaves no room for the challenge M2');
  // Padding: nibbles B…B closed by A; the low nibble of the header byte is the first of them.
  let at = 0;
  if ((f[0]! & 0x0f) === 0x0b) {
    at = 1;
    while (at < f.length && f[at] === 0xbb) at++;
    if (f[at] !== 0xba) throw reject('ISO9796_PADDING_INVALID', 'padding B…B not closed by A');
  } else if ((f[0]! & 0x0f) !== 0x0a) {
    throw reject('ISO9796_PADDING_INVALID', 'padding nibble after the header is neither A nor B');
  }
  const start = at + 1;
  const last = f[f.length - 1]!;
  let hash: HashName | undefined;
  let form: TrailerForm;
  if (last === IMPLICIT_TRAILER) {
    hash = 'sha1';
    form = 'implicit';
  } else if (last === EXPLICIT_TRAILER) {
    hash = hashFromIdentifier(f[f.length - 2]!);
    form = 'explicit';
    if (hash === undefined) throw reject('ISO9796_HASH_UNKNOWN', `hash identifier ${f[f.length - 2]!.toString(16)} not supported`);
  } else {
    throw reject('ISO9796_TRAILER_INVALID', `trailer ends in ${last.toString(16)}, expected BC or CC`);
  }
  const t = form === 'implicit' ? 1 : 2;
  const dEnd = f.length - t;
  const dStart = dEnd - hashLength(hash);
  if (dStart <= start) throw reject('ISO9796_LENGTH_INVALID', 'no room for M1 and the hash');
  const m1 = f.slice(start, dStart);
  if (!constantTimeEqual(digest(hash, m1, m2), f.subarray(dStart, dEnd))) {
    throw reject('ISO9796_HASH_MISMATCH', 'Hash(M1 ‖ M2) differs from the recovered hash');
  }
  return Object.freeze({ m1, hash, trailerForm: form });
}

/**
 * The verifier's RSA step of ISO/IEC 9796-2 §B.6: J = σ^e mod n, and F = J or n − J,
 * whichever ends in the nibble C (as every trailer does).
 */
export function openSignature(modulus: Uint8Array, exponent: Uint8Array, signature: Uint8Array): Uint8Array {
  const n = os2i(abytes(modulus, 'modulus'));
  const e = os2i(abytes(exponent, 'exponent'));
  abytes(signature, 'signature');
  const k = Math.ceil(n.toString(16).length / 2);
  if (n < 3n || e < 3n) throw reject('RSA_KEY_INVALID', 'modulus or exponent too small');
  const s = os2i(signature);
  if (signature.length > k || s === 0n || s >= n) throw reject('RSA_SIGNATURE_RANGE', 'signature not in [1, n − 1]');
  const j = pow(s, e, n);
  const f = (j & 0xfn) === 0xcn ? j : ((n - j) & 0xfn) === 0xcn ? n - j : undefined;
  if (f === undefined) throw reject('ISO9796_TRAILER_INVALID', 'neither J nor n − J ends in nibble C');
  return i2os(f, k);
}

/** The signer's RSA step σ = F^d mod n with Node's private key (no padding: F is the padding). */
export function rsaSignRaw(privateKey: KeyObject, f: Uint8Array): Uint8Array {
  abytes(f, 'f');
  return new Uint8Array(privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, f));
}

/** ISO/IEC 9796-2 scheme 1 signature of M1 ‖ M2 with an RSA key whose modulus is whole bytes. */
export function signIso9796(
  privateKey: KeyObject,
  m1: Uint8Array,
  m2: Uint8Array,
  hash: HashName,
  form?: TrailerForm,
): Uint8Array {
  const bits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits === undefined) throw new TypeError('"privateKey" expected an RSA private key');
  if (bits % 8 !== 0) throw new RangeError(`"privateKey" modulus of ${bits} bits is not whole bytes`);
  return rsaSignRaw(privateKey, encodeRepresentative(bits / 8, m1, m2, hash, form));
}
