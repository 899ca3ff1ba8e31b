/**
 * verifySignature against signatures made by the openssl CLI: ECDSA (RFC 5758 DER and BSI
 * TR-03111 plain r‖s), RSASSA-PKCS1-v1_5 and RSASSA-PSS (RFC 4055), EC keys with explicit
 * parameters, high-S values.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePssParams } from '../../src/crypto/algorithms.js';
import { verifySignature } from '../../src/crypto/signature.js';
import { OID } from '../../src/lds/oid.js';
import { childrenOf, decodeTlv, encodeTlv } from '../../src/lds/tlv.js';
import { openssl, tempDir } from '../helpers/openssl-pki.js';

const data = new TextEncoder().encode('ICAO 9303-11 passive authentication');
let dir: { path: string; remove: () => void };

interface Key {
  spki: Uint8Array;
  sign: (hash: string, extra?: string[]) => Uint8Array;
}

function makeKey(name: string, genArgs: string[], explicit = false): Key {
  const keyPath = join(dir.path, `${name}.key`);
  openssl(['genpkey', ...genArgs, '-out', keyPath]);
  const pubArgs = explicit ? ['ec', '-in', keyPath, '-pubout', '-param_enc', 'explicit', '-outform', 'DER']
    : ['pkey', '-in', keyPath, '-pubout', '-outform', 'DER'];
  const spki = new Uint8Array(openssl(pubArgs));
  const dataPath = join(dir.path, 'data.bin');
  writeFileSync(dataPath, data);
  return {
    spki,
    sign: (hash, extra = []) =>
      new Uint8Array(openssl(['dgst', `-${hash}`, '-sign', keyPath, ...extra.flatMap((o) => ['-sigopt', o]), dataPath])),
  };
}

/** DER ECDSA-Sig-Value → [r, s] as bigints. */
function rs(der: Uint8Array): [bigint, bigint] {
  const [r, s] = childrenOf(decodeTlv(der)).map((t) => BigInt('0x' + Buffer.from(t.value).toString('hex')));
  return [r!, s!];
}

function fixed(v: bigint, len: number): Uint8Array {
  return new Uint8Array(Buffer.from(v.toString(16).padStart(len * 2, '0'), 'hex'));
}

function derInt(v: bigint): Uint8Array {
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  if (parseInt(h.slice(0, 2), 16) >= 0x80) h = '00' + h;
  return encodeTlv(0x02, new Uint8Array(Buffer.from(h, 'hex')));
}

const alg = (oid: string, params?: Uint8Array) => ({ oid, params });

let ecP256: Key;
let rsa: Key;

beforeAll(() => {
  dir = tempDir('cancuoc-sig-');
  ecP256 = makeKey('p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  rsa = makeKey('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
});
afterAll(() => dir.remove());

describe('ECDSA, RFC 5758 §3.2 (DER ECDSA-Sig-Value)', () => {
  it.each([
    ['sha1', OID.ecdsaWithSha1],
    ['sha224', OID.ecdsaWithSha224],
    ['sha256', OID.ecdsaWithSha256],
    ['sha384', OID.ecdsaWithSha384],
    ['sha512', OID.ecdsaWithSha512],
  ])('P-256 with %s verifies, and fails on changed data', (hash, oid) => {
    const signature = ecP256.sign(hash);
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(oid), data, signature })).toBe(true);
    const other = Uint8Array.from(data);
    other[0] = other[0]! ^ 1;
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(oid), data: other, signature })).toBe(false);
  });

  it.each([
    ['brainpoolP256r1', 'sha256', OID.ecdsaWithSha256],
    ['brainpoolP384r1', 'sha384', OID.ecdsaWithSha384],
    ['brainpoolP224r1', 'sha1', OID.ecdsaWithSha1],
    ['P-384', 'sha384', OID.ecdsaWithSha384],
  ])('%s with %s verifies', (curve, hash, oid) => {
    const key = makeKey(`k-${curve}`, ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`]);
    expect(verifySignature({ spki: key.spki, algorithm: alg(oid), data, signature: key.sign(hash) })).toBe(true);
  });

  it('accepts a key with explicit domain parameters (X9.62 ECParameters)', () => {
    const key = makeKey('explicit', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP224r1'], true);
    // the SPKI really carries ECParameters (a SEQUENCE), not a named-curve OID
    const algId = childrenOf(childrenOf(decodeTlv(key.spki))[0]!);
    expect(algId[1]!.tag).toBe(0x30);
    expect(verifySignature({ spki: key.spki, algorithm: alg(OID.ecdsaWithSha256), data, signature: key.sign('sha256') })).toBe(true);
  });

  it('accepts a high-S signature (s replaced by n - s)', () => {
    const signature = ecP256.sign('sha256');
    const [r, s] = rs(signature);
    const n = p256.Point.CURVE().n;
    const flipped = encodeTlv(0x30, derInt(r), derInt(n - s));
    // exactly one of s and n - s is above n/2, so accepting both proves high-S is accepted
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecdsaWithSha256), data, signature })).toBe(true);
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecdsaWithSha256), data, signature: flipped })).toBe(true);
  });

  it('id-ecPublicKey as signature algorithm takes the hash from the caller', () => {
    const signature = ecP256.sign('sha256');
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecPublicKey), data, signature, hash: 'sha256' })).toBe(true);
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecPublicKey), data, signature, hash: 'sha384' })).toBe(false);
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecPublicKey), data, signature })).toMatchObject({
      code: 'SIGNATURE_HASH_UNKNOWN',
    });
  });
});

describe('ECDSA plain, BSI TR-03111 §5.2.1 (r‖s)', () => {
  it('verifies r‖s under ecdsa-plain-SHA256 and rejects it under the DER OID', () => {
    const [r, s] = rs(ecP256.sign('sha256'));
    const plain = new Uint8Array([...fixed(r, 32), ...fixed(s, 32)]);
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecdsaPlainSha256), data, signature: plain })).toBe(true);
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecdsaWithSha256), data, signature: plain })).toBe(false);
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecdsaPlainSha256), data, signature: plain.subarray(1) })).toBe(false);
  });
});

describe('RSASSA-PKCS1-v1_5, RFC 8017 §8.2', () => {
  it.each([
    ['sha1', OID.sha1WithRSA],
    ['sha224', OID.sha224WithRSA],
    ['sha256', OID.sha256WithRSA],
    ['sha384', OID.sha384WithRSA],
    ['sha512', OID.sha512WithRSA],
  ])('%s verifies', (hash, oid) => {
    const signature = rsa.sign(hash);
    expect(verifySignature({ spki: rsa.spki, algorithm: alg(oid), data, signature })).toBe(true);
    expect(verifySignature({ spki: rsa.spki, algorithm: alg(OID.rsassaPss, encodePssParams('sha256')), data, signature })).toBe(false);
  });

  it('rsaEncryption as signature algorithm uses the hash hint (NZ 2013 style SOD)', () => {
    const signature = rsa.sign('sha256');
    expect(verifySignature({ spki: rsa.spki, algorithm: alg(OID.rsaEncryption), data, signature, hash: 'sha256' })).toBe(true);
  });
});

describe('RSASSA-PSS, RFC 4055 §3.1', () => {
  const pss = (hash: string, salt: number, mgf = hash) => [
    'rsa_padding_mode:pss', `rsa_pss_saltlen:${salt}`, `rsa_mgf1_md:${mgf}`,
  ];

  it.each(['sha256', 'sha384', 'sha512'] as const)('%s, MGF1 same hash, salt = hash length', (hash) => {
    const salt = { sha256: 32, sha384: 48, sha512: 64 }[hash];
    const signature = rsa.sign(hash, pss(hash, salt));
    expect(verifySignature({ spki: rsa.spki, algorithm: alg(OID.rsassaPss, encodePssParams(hash)), data, signature })).toBe(true);
  });

  it('a salt length other than the parameters say fails', () => {
    const signature = rsa.sign('sha256', pss('sha256', 20));
    expect(verifySignature({ spki: rsa.spki, algorithm: alg(OID.rsassaPss, encodePssParams('sha256')), data, signature })).toBe(false);
  });

  it('all-default parameters (SEQUENCE {}) mean SHA-1, MGF1-SHA-1, salt 20', () => {
    const signature = rsa.sign('sha1', pss('sha1', 20));
    expect(verifySignature({ spki: rsa.spki, algorithm: alg(OID.rsassaPss, Uint8Array.of(0x30, 0x00)), data, signature })).toBe(true);
  });

  it('reports missing, malformed and unsupported parameters as problems', () => {
    const signature = rsa.sign('sha256', pss('sha256', 32));
    const check = (params: Uint8Array | undefined) =>
      verifySignature({ spki: rsa.spki, algorithm: alg(OID.rsassaPss, params), data, signature });
    expect(check(undefined)).toMatchObject({ code: 'PSS_PARAMS_MISSING' });
    expect(check(Uint8Array.of(0x05, 0x00))).toMatchObject({ code: 'PSS_PARAMS_INVALID' });
    expect(check(encodePssParams('sha256').subarray(0, 10))).toMatchObject({ code: 'PSS_PARAMS_INVALID' });
    // MGF1 with SHA-1 while the message hash is SHA-256: spliced from two parameter sets
    const p256params = childrenOf(decodeTlv(encodePssParams('sha256')));
    const p1params = childrenOf(decodeTlv(encodePssParams('sha1')));
    const mixed = encodeTlv(0x30, p256params[0]!.raw, p1params[1]!.raw, p256params[2]!.raw);
    expect(check(mixed)).toMatchObject({ code: 'PSS_MGF_HASH_UNSUPPORTED' });
    const trailer2 = encodeTlv(0x30, ...p256params.map((t) => t.raw), encodeTlv(0xa3, Uint8Array.of(2, 1, 2)));
    expect(check(trailer2)).toMatchObject({ code: 'PSS_TRAILER_UNSUPPORTED' });
  });
});

describe('problems and hostile input', () => {
  it('an unknown algorithm, a bad key, a key of the wrong type are problems, not throws', () => {
    const signature = ecP256.sign('sha256');
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg('1.2.3.4'), data, signature })).toMatchObject({
      code: 'SIGNATURE_ALGORITHM_UNSUPPORTED',
    });
    expect(verifySignature({ spki: randomBytes(91), algorithm: alg(OID.ecdsaWithSha256), data, signature })).toMatchObject({
      code: 'KEY_INVALID',
    });
    expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.sha256WithRSA), data, signature })).toMatchObject({
      code: 'KEY_ALGORITHM_MISMATCH',
    });
    expect(verifySignature({ spki: rsa.spki, algorithm: alg(OID.ecdsaWithSha256), data, signature })).toMatchObject({
      code: 'KEY_ALGORITHM_MISMATCH',
    });
  });

  it('random signature bytes give false', () => {
    for (let i = 0; i < 200; i++) {
      const signature = randomBytes(i % 80);
      expect(verifySignature({ spki: ecP256.spki, algorithm: alg(OID.ecdsaWithSha256), data, signature })).toBe(false);
      expect(verifySignature({ spki: rsa.spki, algorithm: alg(OID.sha256WithRSA), data, signature: randomBytes(i * 2) })).toBe(false);
    }
  });

  it('random PSS parameter bytes never throw', () => {
    const signature = rsa.sign('sha256', ['rsa_padding_mode:pss', 'rsa_pss_saltlen:32']);
    for (let i = 0; i < 300; i++) {
      const r = verifySignature({ spki: rsa.spki, algorithm: alg(OID.rsassaPss, randomBytes(i % 40)), data, signature });
      expect(typeof r === 'boolean' || typeof r.code === 'string').toBe(true);
    }
  });

  it.each([null, undefined, 'x', 1, [], {}])('wrong argument types throw TypeError (%s)', (bad) => {
    expect(() => verifySignature(bad as never)).toThrow(TypeError);
    expect(() => verifySignature({ spki: bad, algorithm: alg(OID.ecdsaWithSha256), data, signature: data } as never)).toThrow(TypeError);
    expect(() => verifySignature({ spki: data, algorithm: bad, data, signature: data } as never)).toThrow(TypeError);
  });
});
