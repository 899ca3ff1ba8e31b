/**
 * The standardized domain parameters of ICAO 9303-11 (8th ed.) §9.5.1 Table 12 and the public
 * key checks of §4.4.3.3 / BSI TR-03111 §3.2.2, cross-checked against OpenSSL through Node's
 * ECDH (same scalar → same public point on every curve) and BigInt arithmetic for the DH groups.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hex } from '../../../src/lds/bytes.js';
import { ParseError, ValidationError } from '../../../src/lds/errors.js';
import { OID } from '../../../src/lds/oid.js';
import {
  decodeDhValue,
  decodeEcPoint,
  dhDomainByParameters,
  domainParameters,
  ecDomainByOid,
  groupOf,
  i2os,
  os2i,
  standardDomainParameters,
  type DhDomain,
  type EcDomain,
} from '../../../src/crypto/curves.js';

const modPow = (b: bigint, e: bigint, m: bigint) => {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
};

describe('ICAO 9303-11 Table 12', () => {
  it('defines ids 0–2 and 8–18 and nothing else', () => {
    expect(standardDomainParameters().map((d) => d.id)).toEqual([0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    for (const id of [3, 7, 19, 31]) expect(() => domainParameters(id)).toThrow(expect.objectContaining({ code: 'DOMAIN_PARAMETERS_UNKNOWN' }));
  });

  it.each([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])('EC id %i: k·G equals OpenSSL’s public key for the same k', (id) => {
    const d = domainParameters(id) as EcDomain;
    const g = groupOf(d);
    const ecdh = createECDH(d.nodeName);
    ecdh.generateKeys();
    const k = os2i(new Uint8Array(ecdh.getPrivateKey()));
    expect(hex(g.encode(g.multiply(g.generator, k)))).toBe(ecdh.getPublicKey('hex'));
    expect(ecDomainByOid(d.oid)).toBe(d);
  });

  it.each([0, 1, 2])('DH id %i: g has order q and bit sizes match RFC 5114', (id) => {
    const d = domainParameters(id) as DhDomain;
    expect(modPow(d.g, d.q, d.p)).toBe(1n);
    expect([d.bits, d.q.toString(2).length]).toEqual([[1024, 160], [2048, 224], [2048, 256]][id]);
    expect(dhDomainByParameters({ p: d.p, g: d.g })).toBe(d);
    const k = os2i(new Uint8Array(randomBytes(20)));
    expect(groupOf(d).multiply(d.g, k)).toBe(modPow(d.g, k, d.p));
  });

  it('named-curve OIDs', () => {
    expect(domainParameters(13).kind === 'ec' && (domainParameters(13) as EcDomain).oid).toBe(OID.brainpoolP256r1);
    expect(ecDomainByOid('1.2.3')).toBeUndefined();
  });
});

describe('public key validation (TR-03111 §3.2.2)', () => {
  const d = domainParameters(13) as EcDomain;
  const g = groupOf(d);
  const good = g.encode(g.multiply(g.generator, 12345n));

  it('round-trips a valid uncompressed point', () => {
    expect(hex(g.encode(decodeEcPoint(d, good)))).toBe(hex(good));
  });
  it('refuses other encodings, off-curve points and out-of-range coordinates', () => {
    expect(() => decodeEcPoint(d, good.subarray(0, 64))).toThrow(ParseError);
    expect(() => decodeEcPoint(d, Uint8Array.of(0x03, ...good.subarray(1)))).toThrow(expect.objectContaining({ code: 'EC_POINT_ENCODING' }));
    const off = good.slice();
    off[40]! ^= 0x10;
    expect(() => decodeEcPoint(d, off)).toThrow(expect.objectContaining({ code: 'EC_POINT_INVALID' }));
    expect(() => decodeEcPoint(d, new Uint8Array(65).fill(0).fill(4, 0, 1))).toThrow(ValidationError);
    const big = Uint8Array.of(4, ...i2os(d.p, 32), ...good.subarray(33));
    expect(() => decodeEcPoint(d, big)).toThrow(expect.objectContaining({ code: 'EC_POINT_INVALID' }));
  });
  it('refuses DH values 0, 1, p − 1, ≥ p and outside the subgroup', () => {
    const dh = domainParameters(0) as DhDomain;
    for (const y of [0n, 1n, dh.p - 1n, 2n]) expect(() => decodeDhValue(dh, i2os(y, 128))).toThrow(ValidationError);
    expect(() => decodeDhValue(dh, new Uint8Array(129).fill(1))).toThrow(ParseError);
    expect(() => decodeDhValue(dh, new Uint8Array())).toThrow(ParseError);
    expect(decodeDhValue(dh, i2os(dh.g, 128))).toBe(dh.g);
  });
  it('random bytes only ever give typed errors', () => {
    for (let i = 0; i < 500; i++) {
      const b = new Uint8Array(randomBytes(i % 2 ? 65 : 1 + (i % 140)));
      if (i % 3 === 0) b[0] = 4;
      for (const f of [() => decodeEcPoint(d, b), () => decodeDhValue(domainParameters(0) as DhDomain, b)]) {
        try {
          f();
        } catch (e) {
          expect(e instanceof ParseError || e instanceof ValidationError).toBe(true);
        }
      }
    }
  });
});
