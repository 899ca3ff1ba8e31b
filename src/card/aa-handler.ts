/**
 * The chip's side of Active Authentication, ICAO 9303-11 (8th ed.) §6.1: INTERNAL AUTHENTICATE
 * 00 88 00 00 08 <RND.IFD> 00, answered by a signature over the challenge with the key whose
 * public half is in DG15.
 *  - RSA (the JMRTD perso form gives only n and d): ISO/IEC 9796-2 scheme 1 with SHA-1 and
 *    trailer BC (§6.1.2.1), σ = F^d mod n, M1 random;
 *  - ECDSA: plain r ‖ s (BSI TR-03111 §5.2.1) over the challenge, with the hash DG14's
 *    ActiveAuthenticationInfo names, else the SHA-2 matching the curve (§6.1.2.3).
 * The RSA exponentiation is a plain modular power: the virtual chip is a test device, not a
 * secure element.
 */
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { pow } from '@noble/curves/abstract/modular.js';
import { SW, type CommandApdu } from '../lds/apdu.js';
import { concat } from '../lds/bytes.js';
import { decodeDg14, activeAuthenticationInfo } from '../lds/dg14.js';
import { CancuocError } from '../lds/errors.js';
import { encodeOid } from '../lds/oid.js';
import { encodeTlv } from '../lds/tlv.js';
import { aaEcdsaHash, aaSign, CHALLENGE_LENGTH } from '../crypto/active-auth.js';
import { domainParameters, i2os, os2i, type EcDomain } from '../crypto/curves.js';
import { encodeRepresentative, recoverableLength } from '../crypto/iso9796-2.js';
import { draw, outcome, type ChipRandom, type Outcome } from './handler-outcome.js';
import type { AaKeyImage } from './image.js';

const osRandom = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** INTERNAL AUTHENTICATE. `dg14` (if written) supplies the ECDSA hash. */
export function internalAuthenticate(
  cmd: CommandApdu,
  key: AaKeyImage | undefined,
  dg14: Uint8Array | undefined,
  random: ChipRandom | undefined,
): Outcome {
  if (cmd.p1 !== 0 || cmd.p2 !== 0) return outcome(SW.INCORRECT_P1P2);
  if (cmd.data.length !== CHALLENGE_LENGTH) return outcome(SW.WRONG_LENGTH);
  if (key === undefined || (key.kind === 'rsa' && (key.modulus === undefined || key.privateExponent === undefined))) {
    return outcome(SW.REFERENCED_DATA_NOT_FOUND);
  }
  const signature = key.kind === 'rsa' ? rsaSign(key.modulus!, key.privateExponent!, cmd.data, random) : ecSign(key, cmd.data, dg14);
  return signature === undefined ? outcome(SW.NO_PRECISE_DIAGNOSIS) : outcome(SW.NO_ERROR, signature);
}

/** ISO/IEC 9796-2 scheme 1 (App. F): F = 6A ‖ M1 ‖ SHA-1(M1 ‖ RND.IFD) ‖ BC, σ = F^d mod n. */
function rsaSign(modulus: Uint8Array, exponent: Uint8Array, challenge: Uint8Array, random: ChipRandom | undefined): Uint8Array | undefined {
  const n = os2i(modulus);
  const k = Math.ceil(n.toString(16).length / 2);
  // F starts with 6A; it must stay below n, so the modulus must fill its top byte.
  if (k < 64 || n >> BigInt(8 * k - 8) < 0x6bn) return undefined;
  const m1 = draw(random, 'aa-m1', recoverableLength(k, 'sha1'), osRandom);
  const f = encodeRepresentative(k, m1, challenge, 'sha1');
  return i2os(pow(os2i(f), os2i(exponent), n), k);
}

function ecSign(key: Extract<AaKeyImage, { kind: 'ec' }>, challenge: Uint8Array, dg14: Uint8Array | undefined): Uint8Array | undefined {
  const domain = domainParameters(key.parameterId);
  if (domain.kind !== 'ec') return undefined;
  try {
    const hash = aaEcdsaHash(domain, dg14 === undefined ? undefined : activeAuthenticationInfo(decodeDg14(dg14))?.signatureAlgorithm);
    return aaSign(ecPrivateKey(domain, key.privateKey, key.publicKey), challenge, { hash });
  } catch (e) {
    if (e instanceof CancuocError) return undefined;
    throw e;
  }
}

/** RFC 5915 ECPrivateKey with the named curve, which Node's OpenSSL reads for every Table 12 curve. */
export function ecPrivateKey(domain: EcDomain, privateKey: Uint8Array, publicKey: Uint8Array): KeyObject {
  const scalar = i2os(os2i(privateKey), Math.ceil(domain.n.toString(16).length / 2));
  const der = encodeTlv(
    0x30,
    encodeTlv(0x02, Uint8Array.of(1)),
    encodeTlv(0x04, scalar),
    encodeTlv(0xa0, encodeTlv(0x06, encodeOid(domain.oid))),
    encodeTlv(0xa1, encodeTlv(0x03, concat(Uint8Array.of(0), publicKey))),
  );
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'sec1' });
}
