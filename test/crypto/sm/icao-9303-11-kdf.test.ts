/** ICAO 9303-11 §9.7 key derivation, checked against App. D.1–D.2 and the PACE K_π values of icao-worked-examples §2. */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { kdf, KDF_ENC, KDF_MAC, KDF_PACE, pacePasswordKey, seedFromMrz } from '../../../src/crypto/kdf.js';

describe('ICAO 9303-11 App. D.2 BAC key derivation', () => {
  it('derives K_seed, K_Enc and K_MAC (parity adjusted) from MRZ_information', () => {
    const seed = seedFromMrz('L898902C<369080619406236');
    expect(hex(seed)).toBe('239ab9cb282daf66231dc5a4df6bfbae');
    expect(hex(kdf(seed, KDF_ENC, '3DES'))).toBe('ab94fdecf2674fdfb9b391f85d7f76f2');
    expect(hex(kdf(seed, KDF_MAC, '3DES'))).toBe('7962d9ece03d1acd4c76089dce131543');
  });

  it('derives BAC session keys from K.IFD xor K.IC (App. D.3)', () => {
    const seed = fromHex('0036D272F5C350ACAC50C3F572D23600');
    expect(hex(kdf(seed, KDF_ENC, '3DES'))).toBe('979ec13b1cbfe9dcd01ab0fed307eae5');
    expect(hex(kdf(seed, KDF_MAC, '3DES'))).toBe('f1cb1f1fb5adf208806b89dc579dc1f8');
  });

  it('handles the long document number form (D.2)', () => {
    expect(hex(pacePasswordKey({ kind: 'mrz', mrzInformation: 'D23145890734934071279507122' }))).toBe(
      'b366ad857ddca2b08c0e2998117147300fa5d581',
    );
  });
});

describe('ICAO 9303-11 §9.7.3 PACE password keys', () => {
  it('MRZ: K = SHA-1(MRZ_information), K_π for every cipher (G.1 and derived values)', () => {
    const k = pacePasswordKey({ kind: 'mrz', mrzInformation: 'T22000129364081251010318' });
    expect(hex(k)).toBe('7e2d2a41c74ea0b38cd36f863939bfa8e9032aad');
    expect(hex(kdf(k, KDF_PACE, 'AES-128'))).toBe('89ded1b26624ec1e634c1989302849dd');
    expect(hex(kdf(k, KDF_PACE, '3DES'))).toBe('89dfd0b36725ec1f624c1989312949dc');
    expect(hex(kdf(k, KDF_PACE, 'AES-192'))).toBe('d79a23c126202ac9051febfbc0e8a03b1c6645d85752b4b7');
    expect(hex(kdf(k, KDF_PACE, 'AES-256'))).toBe('d79a23c126202ac9051febfbc0e8a03b1c6645d85752b4b71408fa229ab6d56b');
  });

  it('CAN: K = ISO 8859-1 digits; K_π spot values of §2.6 (c)', () => {
    const k = pacePasswordKey({ kind: 'can', can: '123456' });
    expect(hex(k)).toBe('313233343536');
    expect(hex(kdf(k, KDF_PACE, '3DES'))).toBe('581568cda83d64209dcdb9570232610e');
    expect(hex(kdf(k, KDF_PACE, 'AES-128'))).toBe('591468cda83d65219cccb8560233600f');
    expect(hex(kdf(k, KDF_PACE, 'AES-192'))).toBe('8df3278fb32026e66277357fcd6c826dbeb3de32088b2531');
    expect(hex(kdf(k, KDF_PACE, 'AES-256'))).toBe('8df3278fb32026e66277357fcd6c826dbeb3de32088b2531757d753940185923');
  });

  it('App. I.1 and the NZ 3DES trace (doc number padded with <)', () => {
    const cam = pacePasswordKey({ kind: 'mrz', mrzInformation: 'C11T002JM496081222310314' });
    expect(hex(cam)).toBe('894d03f148c6265e89845b218856ea34d00ef8e8');
    expect(hex(kdf(cam, KDF_PACE, 'AES-128'))).toBe('4e6f6fbf7be748b932c7b74161bba9df');
    const nz = pacePasswordKey({ kind: 'mrz', mrzInformation: 'LM277954<178121452711151' });
    expect(hex(kdf(nz, KDF_PACE, '3DES'))).toBe('e0b07aa4b5979d4f32c2685825d04561');
  });

  it('rejects malformed passwords and counters as programmer errors', () => {
    expect(() => seedFromMrz('l898902c<369080619406236')).toThrow(RangeError);
    expect(() => pacePasswordKey({ kind: 'can', can: '12a456' })).toThrow(RangeError);
    expect(() => pacePasswordKey({ kind: 'pin' } as never)).toThrow(RangeError);
    expect(() => kdf(new Uint8Array(4), -1, 'AES-128')).toThrow(RangeError);
    expect(() => kdf('x' as never, 1, 'AES-128')).toThrow(TypeError);
  });
});
