/**
 * Challenge tokens (src/service/challenges.ts) against a real registry database: made by one
 * "instance", redeemed by another sharing the database; expiry, a foreign secret, a changed byte
 * and a second use each refused with their code.
 */
import { afterAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { ChallengeError, challenges } from '../../src/service/challenges.js';
import { openServiceStore } from '../../src/service/store.js';
import { tempDir } from '../helpers/openssl-pki.js';

const tmp = tempDir('cancuoc-challenges-');
afterAll(() => tmp.remove());

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChallengeError) return e.code;
    throw e;
  }
  return 'accepted';
};

it('one instance makes, another redeems once; expired, foreign and altered tokens are refused', () => {
  const db = join(tmp.path, 'registry.db');
  const a = openServiceStore(db, { create: true });
  const b = openServiceStore(db);
  try {
    expect(Buffer.from(a.secret('challenge')).equals(Buffer.from(b.secret('challenge')))).toBe(true);
    expect(Buffer.from(a.secret('challenge')).equals(Buffer.from(a.secret('audit')))).toBe(false);
    const maker = challenges(a.secret('challenge'), 60_000, (id, exp, now) => a.useChallenge(id, exp, now));
    const checker = challenges(b.secret('challenge'), 60_000, (id, exp, now) => b.useChallenge(id, exp, now));
    const t0 = 1_800_000_000_000;
    const issued = maker.issue(t0);
    expect(new Date(issued.expiresAt).getTime()).toBe(t0 + 60_000);
    const nonce = checker.redeem(issued.challenge, t0 + 1000);
    expect(Buffer.from(nonce).toString('base64')).toBe(issued.nonce);
    expect(codeOf(() => maker.redeem(issued.challenge, t0 + 2000))).toBe('CHALLENGE_USED');

    const late = maker.issue(t0);
    expect(codeOf(() => checker.redeem(late.challenge, t0 + 60_000))).toBe('CHALLENGE_EXPIRED');
    const other = challenges(new Uint8Array(32), 60_000, () => true).issue(t0);
    expect(codeOf(() => checker.redeem(other.challenge, t0))).toBe('CHALLENGE_FOREIGN');
    const altered = Buffer.from(maker.issue(t0).challenge, 'base64url');
    altered[0]! ^= 1; // the nonce, under the tag
    expect(codeOf(() => checker.redeem(altered.toString('base64url'), t0))).toBe('CHALLENGE_FOREIGN');
    expect(codeOf(() => checker.redeem('', t0))).toBe('CHALLENGE_MALFORMED');
    expect(codeOf(() => checker.redeem('a+b/', t0))).toBe('CHALLENGE_MALFORMED');
  } finally {
    a.close();
    b.close();
  }
});
