import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../src/lds/bytes.js';
import { ParseError } from '../src/lds/errors.js';
import { decodeOid, encodeOid, OID } from '../src/lds/oid.js';

describe('OBJECT IDENTIFIER (X.690 §8.19)', () => {
  it('matches the encodings printed in ICAO 9303 (id-PACE-ECDH-GM-AES-CBC-CMAC-128, ldsSecurityObject)', () => {
    expect(hex(encodeOid('0.4.0.127.0.7.2.2.4.2.2'))).toBe('04007f00070202040202');
    expect(hex(encodeOid(OID.ldsSecurityObject))).toBe('678108010101');
    expect(decodeOid(fromHex('28d316010008'))).toBe('1.0.10646.1.0.8');
  });
  it('round-trips large arcs', () => {
    for (const o of ['2.999.1', '1.2.840.113549.1.1.10', '1.3.36.3.3.2.8.1.1.7']) expect(decodeOid(encodeOid(o))).toBe(o);
  });
  it('rejects truncated and non-minimal arcs with typed errors', () => {
    expect(() => decodeOid(fromHex('2a86'))).toThrow(ParseError);
    expect(() => decodeOid(fromHex('2a8001'))).toThrow(ParseError);
    expect(() => decodeOid(new Uint8Array(0))).toThrow(ParseError);
  });
});
