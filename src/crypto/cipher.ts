/**
 * The block ciphers of ICAO 9303-11 (8th ed.) §9.8 secure messaging and §9.7 key derivation:
 * two-key 3DES (Table 4, "3DES" = DES-EDE with K1 = K3) and AES-128/192/256, in CBC without
 * padding, plus ISO/IEC 9797-1 padding method 2. Node's OpenSSL supplies the primitives.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { abytes, concat } from '../lds/bytes.js';
import { ParseError } from '../lds/errors.js';

export type CipherName = '3DES' | 'AES-128' | 'AES-192' | 'AES-256';

interface CipherSpec {
  readonly keyLength: number;
  readonly blockSize: number;
  readonly cbc: string;
  readonly ecb: string;
}

// Two-key 3DES is run as des-ede3 with K1‖K2‖K1 so every OpenSSL build accepts it.
const SPECS: Readonly<Record<CipherName, CipherSpec>> = Object.freeze({
  '3DES': { keyLength: 16, blockSize: 8, cbc: 'des-ede3-cbc', ecb: 'des-ede3-ecb' },
  'AES-128': { keyLength: 16, blockSize: 16, cbc: 'aes-128-cbc', ecb: 'aes-128-ecb' },
  'AES-192': { keyLength: 24, blockSize: 16, cbc: 'aes-192-cbc', ecb: 'aes-192-ecb' },
  'AES-256': { keyLength: 32, blockSize: 16, cbc: 'aes-256-cbc', ecb: 'aes-256-ecb' },
});

function spec(c: CipherName): CipherSpec {
  const s = Object.hasOwn(SPECS, c) ? SPECS[c] : undefined;
  if (s === undefined) throw new RangeError(`"cipher" expected 3DES, AES-128, AES-192 or AES-256, got ${String(c)}`);
  return s;
}

/** Key length in bytes: 16 for 3DES (K_a‖K_b), 16/24/32 for AES. */
export function keyLength(c: CipherName): number {
  return spec(c).keyLength;
}

/** Block length in bytes: 8 for 3DES, 16 for AES. */
export function blockSize(c: CipherName): number {
  return spec(c).blockSize;
}

function opensslKey(c: CipherName, key: Uint8Array): Uint8Array {
  abytes(key, 'key', spec(c).keyLength);
  return c === '3DES' ? concat(key, key.subarray(0, 8)) : key;
}

function checkData(c: CipherName, data: Uint8Array): void {
  abytes(data, 'data');
  const b = spec(c).blockSize;
  if (data.length % b !== 0) throw new RangeError(`"data" expected a multiple of ${b} bytes, got ${data.length}`);
}

function run(decrypt: boolean, algorithm: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array {
  const engine = decrypt ? createDecipheriv(algorithm, key, iv) : createCipheriv(algorithm, key, iv);
  engine.setAutoPadding(false);
  const head = engine.update(data);
  const tail = engine.final();
  return new Uint8Array(tail.length === 0 ? head : Buffer.concat([head, tail]));
}

/** CBC encryption without padding; `data` must be a whole number of blocks. */
export function encryptCbc(c: CipherName, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const k = opensslKey(c, key);
  abytes(iv, 'iv', spec(c).blockSize);
  checkData(c, data);
  return run(false, spec(c).cbc, k, iv, data);
}

/** CBC decryption without padding removal; `data` must be a whole number of blocks. */
export function decryptCbc(c: CipherName, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const k = opensslKey(c, key);
  abytes(iv, 'iv', spec(c).blockSize);
  checkData(c, data);
  return run(true, spec(c).cbc, k, iv, data);
}

/** One block through the forward cipher (ECB), e.g. the AES SM IV E(KSenc, SSC) of §9.8.6.1. */
export function encryptBlock(c: CipherName, key: Uint8Array, block: Uint8Array): Uint8Array {
  const k = opensslKey(c, key);
  abytes(block, 'block', spec(c).blockSize);
  return run(false, spec(c).ecb, k, null, block);
}

/** ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a multiple of `block` (always at least one byte). */
export function padM2(data: Uint8Array, block: number): Uint8Array {
  abytes(data, 'data');
  if (block !== 8 && block !== 16) throw new RangeError(`"block" expected 8 or 16, got ${block}`);
  const out = new Uint8Array((Math.floor(data.length / block) + 1) * block);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/**
 * Removes ISO/IEC 9797-1 padding method 2; bad padding is bad bytes from a card → ParseError.
 * With `block`, the data must be whole blocks and the padding (80 00…) at most one block long.
 */
export function unpadM2(data: Uint8Array, block?: number): Uint8Array {
  abytes(data, 'data');
  if (block !== undefined && block !== 8 && block !== 16) throw new RangeError(`"block" expected 8 or 16, got ${block}`);
  const bad = (why: string, offset: number): ParseError =>
    new ParseError('PADDING_INVALID', `ISO/IEC 9797-1 padding method 2: ${why}`, { field: 'padding', offset });
  if (block !== undefined && (data.length === 0 || data.length % block !== 0)) {
    throw bad(`${data.length} bytes is not a whole number of ${block}-byte blocks`, 0);
  }
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80) throw bad('no 80 marker', Math.max(i, 0));
  if (block !== undefined && data.length - i > block) throw bad('padding longer than one block', i);
  return data.slice(0, i);
}
