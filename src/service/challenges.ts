/**
 * Single-use Active Authentication challenges that any worker or instance can check
 * (docs/service.md "Challenges"). The chip signs an 8-byte RND.IFD (ICAO 9303-11 §6.1), too
 * short to carry a proof of origin, so the client gets a token around it:
 *
 *   token = base64url( nonce (8) ‖ expiry, ms since 1970 (8, big-endian) ‖ HMAC-SHA-256(secret, "cancuoc-challenge-v1" ‖ nonce ‖ expiry)[0..16] )
 *
 * Making one needs no storage; checking one needs the shared secret, the clock and one insert
 * into the store's record of answered challenges, which refuses the second use.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { CHALLENGE_LENGTH } from '../crypto/active-auth.js';
import { constantTimeEqual } from '../crypto/constant-time.js';
import { concat, hex } from '../lds/bytes.js';
import { CancuocError } from '../lds/errors.js';

const CONTEXT = new TextEncoder().encode('cancuoc-challenge-v1');
const TAG_LENGTH = 16;
const TOKEN_LENGTH = CHALLENGE_LENGTH + 8 + TAG_LENGTH;

export interface IssuedChallenge {
  /** What the client returns with the chip's answer. */
  readonly challenge: string;
  /** The 8 bytes to send to the chip in INTERNAL AUTHENTICATE, base64. */
  readonly nonce: string;
  readonly expiresAt: string;
}

/** A challenge that cannot be used: CHALLENGE_MALFORMED, CHALLENGE_FOREIGN, CHALLENGE_EXPIRED or CHALLENGE_USED. */
export class ChallengeError extends CancuocError {}

export interface Challenges {
  issue(now: number): IssuedChallenge;
  /** The nonce of a genuine, unexpired, never answered challenge; marks it answered. */
  redeem(token: string, now: number): Uint8Array;
}

export function challenges(secret: Uint8Array, lifetimeMs: number, useOnce: (id: string, expiresAt: number, now: number) => boolean): Challenges {
  const tag = (body: Uint8Array) => new Uint8Array(createHmac('sha256', secret).update(CONTEXT).update(body).digest()).subarray(0, TAG_LENGTH);
  return Object.freeze({
    issue(now: number): IssuedChallenge {
      const nonce = new Uint8Array(randomBytes(CHALLENGE_LENGTH));
      const expiry = new Uint8Array(8);
      new DataView(expiry.buffer).setBigUint64(0, BigInt(now + lifetimeMs));
      const body = concat(nonce, expiry);
      return Object.freeze({
        challenge: Buffer.from(concat(body, tag(body))).toString('base64url'),
        nonce: Buffer.from(nonce).toString('base64'),
        expiresAt: new Date(now + lifetimeMs).toISOString(),
      });
    },
    redeem(token: string, now: number): Uint8Array {
      const bytes = /^[A-Za-z0-9_-]+$/.test(token) ? new Uint8Array(Buffer.from(token, 'base64url')) : new Uint8Array(0);
      if (bytes.length !== TOKEN_LENGTH) throw new ChallengeError('CHALLENGE_MALFORMED', 'activeAuthentication.challenge is not a challenge of this service');
      const body = bytes.subarray(0, CHALLENGE_LENGTH + 8);
      if (!constantTimeEqual(tag(body), bytes.subarray(CHALLENGE_LENGTH + 8))) {
        throw new ChallengeError('CHALLENGE_FOREIGN', 'activeAuthentication.challenge was not made by this service');
      }
      const expiresAt = Number(new DataView(body.buffer, body.byteOffset + CHALLENGE_LENGTH, 8).getBigUint64(0));
      if (expiresAt <= now) throw new ChallengeError('CHALLENGE_EXPIRED', `activeAuthentication.challenge expired at ${new Date(expiresAt).toISOString()}`);
      if (!useOnce(hex(body), expiresAt, now)) throw new ChallengeError('CHALLENGE_USED', 'activeAuthentication.challenge was already answered once');
      return body.slice(0, CHALLENGE_LENGTH);
    },
  });
}
