/**
 * Active Authentication from the terminal, ICAO 9303-11 (8th ed.) §6.1: INTERNAL AUTHENTICATE
 * 00 88 00 00 08 RND.IFD with a fresh 8-byte challenge, verified against the DG15 key with
 * src/crypto/active-auth.ts (RSA ISO/IEC 9796-2 scheme 1, or ECDSA with the hash that DG14's
 * ActiveAuthenticationInfo names).
 *
 * A signature that does not verify is a verdict, not a crash: the outcome says `valid: false`
 * with a typed error. A chip that refuses the command throws CardStatusError. As with CA, AA
 * only means something once DG15's hash has been checked against EF.SOD.
 */

import { commandApdu, INS } from '../lds/apdu.js';
import { abytes } from '../lds/bytes.js';
import { activeAuthenticationInfo, type Dg14 } from '../lds/dg14.js';
import type { Dg15 } from '../lds/dg15.js';
import { ValidationError, type CancuocError } from '../lds/errors.js';
import { aaChallenge, aaVerify, CHALLENGE_LENGTH, type AaPublicKey, type AaVerified } from '../crypto/active-auth.js';
import { i2os } from '../crypto/curves.js';
import { keyOnDomain } from './chip-auth.js';
import { expectSuccess, type Exchange } from './secure-transport.js';

/** The DG15 key in the form the verifier takes; keys AA cannot use are a ValidationError. */
export function aaPublicKey(dg15: Dg15): AaPublicKey {
  const key = dg15.publicKey;
  if (key.kind === 'rsa') {
    const length = Math.ceil(key.n.toString(16).length / 2);
    return Object.freeze({ kind: 'rsa', modulus: i2os(key.n, length), exponent: i2os(key.e, Math.ceil(key.e.toString(16).length / 2)) });
  }
  if (key.kind === 'ec') {
    const { domain, publicKey } = keyOnDomain(key);
    if (domain.kind === 'ec') return Object.freeze({ kind: 'ec', domain, point: publicKey });
  }
  throw new ValidationError('AA_KEY_UNSUPPORTED', `DG15 holds a ${key.kind} key; AA needs RSA or ECDSA on a Table 12 curve`, { file: 'DG15' });
}

export interface ActiveAuthOutcome {
  readonly valid: boolean;
  readonly challenge: Uint8Array;
  readonly signature: Uint8Array;
  /** Algorithm and hash (and, for RSA, the recovered M1) when the signature verified. */
  readonly verified?: AaVerified;
  /** Why it did not verify. */
  readonly error?: CancuocError;
}

export interface ActiveAuthOptions {
  /** DG14, for the ECDSA hash of ActiveAuthenticationInfo (§9.2.6). */
  readonly dg14?: Dg14;
  /** RND.IFD; a fresh random one by default. Only tests should pass it. */
  readonly challenge?: Uint8Array;
  /** Expect a response of up to 65536 bytes (extended length): RSA keys above 2048 bits need it. */
  readonly extended?: boolean;
}

/** Sends INTERNAL AUTHENTICATE and checks the chip's signature over the challenge. */
export async function performActiveAuth(exchange: Exchange, dg15: Dg15, options: ActiveAuthOptions = {}): Promise<ActiveAuthOutcome> {
  if (typeof exchange !== 'function') throw new TypeError('"exchange" expected a function');
  const publicKey = aaPublicKey(dg15);
  const challenge = options.challenge === undefined ? aaChallenge() : abytes(options.challenge, 'challenge', CHALLENGE_LENGTH).slice();
  const command = commandApdu({ cla: 0, ins: INS.INTERNAL_AUTHENTICATE, p1: 0, p2: 0, data: challenge, ne: options.extended ? 65536 : 256 });
  const signature = expectSuccess(await exchange(command), 'INTERNAL AUTHENTICATE');
  return judgeActiveAuth(publicKey, challenge, signature, options.dg14);
}

/**
 * Checks an INTERNAL AUTHENTICATE answer obtained elsewhere (a phone or a counter reader that sent
 * the verifier's challenge to the chip): the same verification as performActiveAuth.
 */
export function checkActiveAuthAnswer(dg15: Dg15, challenge: Uint8Array, signature: Uint8Array, dg14?: Dg14): ActiveAuthOutcome {
  abytes(challenge, 'challenge', CHALLENGE_LENGTH);
  abytes(signature, 'signature');
  return judgeActiveAuth(aaPublicKey(dg15), challenge.slice(), signature.slice(), dg14);
}

function judgeActiveAuth(publicKey: AaPublicKey, challenge: Uint8Array, signature: Uint8Array, dg14: Dg14 | undefined): ActiveAuthOutcome {
  const signatureAlgorithm = dg14 === undefined ? undefined : activeAuthenticationInfo(dg14)?.signatureAlgorithm;
  const verdict = aaVerify(publicKey, challenge, signature, signatureAlgorithm === undefined ? {} : { signatureAlgorithm });
  return Object.freeze(
    verdict.ok
      ? { valid: true, challenge, signature, verified: verdict.value }
      : { valid: false, challenge, signature, error: verdict.error },
  );
}
