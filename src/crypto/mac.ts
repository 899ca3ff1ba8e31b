/**
 * The two MACs of ICAO 9303-11 (8th ed.): the 3DES "retail MAC" (ISO/IEC 9797-1 MAC algorithm 3
 * with DES and padding method 2, §9.8.6.2, used by BAC and 3DES SM and tokens) and AES-CMAC
 * (NIST SP 800-38B, §9.8.7.2), truncated to 8 bytes wherever ICAO uses it.
 */
import { createCipheriv } from 'node:crypto';
import { abytes, concat } from '../lds/bytes.js';
import { blockSize, encryptBlock, encryptCbc, keyLength, padM2, type CipherName } from './cipher.js';

const ZERO_IV_8 = new Uint8Array(8);
const ZERO_BLOCK_16 = new Uint8Array(16);

// OpenSSL 3's default provider has no single DES, but EDE with K1 = K2 = K3 is single DES
// (E_K(D_K(E_K(x))) = E_K(x)), so the chained part of MAC algorithm 3 runs natively.
function desCbcLastBlock(key8: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = createCipheriv('des-ede3-cbc', concat(key8, key8, key8), ZERO_IV_8).setAutoPadding(false);
  const out = cipher.update(data);
  return new Uint8Array(out.buffer, out.byteOffset + out.length - 8, 8);
}

function xorInto(target: Uint8Array, other: Uint8Array): Uint8Array {
  for (let i = 0; i < target.length; i++) target[i]! ^= other[i]!;
  return target;
}

/**
 * ISO/IEC 9797-1 MAC algorithm 3, DES, padding method 2, 8-byte result; `key16` = K_a‖K_b.
 * Blocks 1..n-1 are chained under K_a; the last step E_Ka(D_Kb(E_Ka(H_{n-1} ⊕ D_n))) is
 * exactly one 3DES-EDE encryption with (K_a, K_b, K_a).
 */
export function retailMac(key16: Uint8Array, data: Uint8Array): Uint8Array {
  abytes(key16, 'key16', 16);
  abytes(data, 'data');
  const padded = padM2(data, 8);
  const last = padded.slice(padded.length - 8);
  if (padded.length > 8) xorInto(last, desCbcLastBlock(key16.subarray(0, 8), padded.subarray(0, padded.length - 8)));
  return encryptBlock('3DES', key16, last);
}

function aesName(key: Uint8Array): CipherName {
  if (key.length === 16) return 'AES-128';
  if (key.length === 24) return 'AES-192';
  if (key.length === 32) return 'AES-256';
  throw new RangeError(`"key" expected 16, 24 or 32 bytes, got ${key.length}`);
}

// SP 800-38B §6.1: subkey = L·x in GF(2^128), i.e. shift left one bit and fold in R_128 = 0x87.
function doubleBlock(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = ((block[i]! << 1) | ((block[i + 1] ?? 0) >> 7)) & 0xff;
  if ((block[0]! & 0x80) !== 0) out[15]! ^= 0x87;
  return out;
}

/** AES-CMAC, NIST SP 800-38B §6.2, full 16-byte tag. */
export function aesCmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  abytes(key, 'key');
  abytes(data, 'data');
  const c = aesName(key);
  const k1 = doubleBlock(encryptBlock(c, key, ZERO_BLOCK_16));
  const complete = data.length > 0 && data.length % 16 === 0;
  // SP 800-38B §6.2 steps 3–4: a complete last block is masked with K1, a padded one with K2.
  const blocks = complete ? data.slice() : padM2(data, 16);
  const tail = blocks.subarray(blocks.length - 16);
  xorInto(tail, complete ? k1 : doubleBlock(k1));
  const chained = encryptCbc(c, key, ZERO_BLOCK_16, blocks);
  return chained.slice(chained.length - 16);
}

/**
 * The 8-byte MAC of an ICAO cipher suite (9303-11 §9.8.6.2 / §9.8.7.2): retail MAC for 3DES
 * (which pads inside), AES-CMAC truncated to 8 bytes for AES over `data` exactly as given.
 * PACE tokens use it directly; secure messaging pads SSC‖data first (see secure-messaging.ts).
 */
export function smMac(c: CipherName, key: Uint8Array, data: Uint8Array): Uint8Array {
  abytes(key, 'key', keyLength(c));
  if (blockSize(c) === 8) return retailMac(key, data);
  return aesCmac(key, data).slice(0, 8);
}
