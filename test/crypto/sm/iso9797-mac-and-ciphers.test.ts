/**
 * ISO/IEC 9797-1 (padding method 2, MAC algorithm 3), NIST SP 800-38B / RFC 4493 AES-CMAC, and
 * the CBC ciphers, checked against published vectors and the openssl CLI.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex } from '../../../src/lds/bytes.js';
import { ParseError } from '../../../src/lds/errors.js';
import {
  blockSize,
  decryptCbc,
  encryptBlock,
  encryptCbc,
  keyLength,
  padM2,
  unpadM2,
  type CipherName,
} from '../../../src/crypto/cipher.js';
import { aesCmac, retailMac, smMac } from '../../../src/crypto/mac.js';
import { constantTimeEqual } from '../../../src/crypto/constant-time.js';
import { opensslCbc, opensslCmac, opensslDecrypt } from './openssl.js';

const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

describe('RFC 4493 §4 AES-CMAC examples (NIST SP 800-38B D.1)', () => {
  const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
  const msg = fromHex(
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  );
  it.each([
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ])('Example with %i-byte message', (len, tag) => {
    expect(hex(aesCmac(key, msg.subarray(0, len)))).toBe(tag);
  });

  it('matches `openssl mac CMAC` for AES-128/192/256 on every length 0..48', () => {
    for (const kl of [16, 24, 32]) {
      const k = rnd(kl);
      const data = rnd(48);
      for (let n = 0; n <= 48; n += kl === 16 ? 1 : 7) {
        expect(hex(aesCmac(k, data.subarray(0, n)))).toBe(opensslCmac(k, data.subarray(0, n)));
      }
    }
  });
});

describe('ISO/IEC 9797-1 padding method 2', () => {
  it('always appends 80 then zeros to the next block boundary', () => {
    expect(hex(padM2(fromHex('011E'), 8))).toBe('011e800000000000');
    expect(hex(padM2(new Uint8Array(8), 8))).toBe('0000000000000000' + '8000000000000000');
    expect(hex(padM2(new Uint8Array(0), 16))).toBe('80' + '00'.repeat(15));
  });

  it('unpads what it padded, for every length', () => {
    for (let n = 0; n < 40; n++) {
      const d = rnd(n);
      expect(unpadM2(padM2(d, 16), 16)).toEqual(d);
      expect(unpadM2(padM2(d, 8))).toEqual(d);
    }
  });

  it('rejects missing marker, all zeros, over-long padding and partial blocks with ParseError PADDING_INVALID', () => {
    for (const bad of ['0102030405060700', '0000000000000000', '', '0102038000000001']) {
      expect(() => unpadM2(fromHex(bad))).toThrow(ParseError);
    }
    // 80 followed by more than one block of zeros
    expect(() => unpadM2(fromHex('80' + '00'.repeat(15)), 8)).toThrow(expect.objectContaining({ code: 'PADDING_INVALID' }));
    expect(() => unpadM2(fromHex('0180000000'), 8)).toThrow(expect.objectContaining({ code: 'PADDING_INVALID' }));
  });
});

describe('CBC ciphers (ICAO 9303-11 §9.8.6.1 / §9.8.7.1) against openssl enc', () => {
  const table: [CipherName, string][] = [
    ['3DES', 'des-ede-cbc'],
    ['AES-128', 'aes-128-cbc'],
    ['AES-192', 'aes-192-cbc'],
    ['AES-256', 'aes-256-cbc'],
  ];
  it.each(table)('%s encrypts like openssl %s and decrypts back', (c, name) => {
    const key = rnd(keyLength(c));
    const iv = rnd(blockSize(c));
    const data = rnd(blockSize(c) * 3);
    const enc = encryptCbc(c, key, iv, data);
    expect(hex(enc)).toBe(opensslCbc(name, key, iv, data));
    expect(decryptCbc(c, key, iv, enc)).toEqual(data);
    expect(hex(encryptBlock(c, key, data.subarray(0, blockSize(c))))).toBe(
      opensslCbc(name.replace('-cbc', '-ecb').replace('des-ede-ecb', 'des-ede'), key, iv, data.subarray(0, blockSize(c))),
    );
  });

  it('refuses wrong key, IV and data lengths with RangeError naming the argument', () => {
    expect(() => encryptCbc('AES-128', rnd(15), rnd(16), rnd(16))).toThrow(/"key" expected 16 bytes, got 15/);
    expect(() => encryptCbc('3DES', rnd(16), rnd(16), rnd(8))).toThrow(/"iv" expected 8 bytes/);
    expect(() => decryptCbc('AES-256', rnd(32), rnd(16), rnd(17))).toThrow(/"data" expected a multiple of 16/);
    expect(() => keyLength('DES' as CipherName)).toThrow(RangeError);
  });
});

describe('ISO/IEC 9797-1 MAC algorithm 3 (retail MAC)', () => {
  it('reproduces M_IFD and M_IC of ICAO 9303-11 App. D.3', () => {
    const kMac = fromHex('7962D9ECE03D1ACD4C76089DCE131543');
    const eIfd = fromHex('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2');
    const eIc = fromHex('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F');
    expect(hex(retailMac(kMac, eIfd))).toBe('5f1448eea8ad90a7');
    expect(hex(retailMac(kMac, eIc))).toBe('2f2d235d074d7449');
  });

  it('reproduces the retail-MAC PACE tokens of the NZ 3DES trace (icao-worked-examples §2.6 b) through smMac', () => {
    // T_IFD is over the chip's ephemeral key: 7F49 { 06 OID, 86 point } with id-PACE-ECDH-GM-3DES-CBC-CBC
    const ksMac = fromHex('c1bc1f075797b970b5a45e64a764b0cb');
    const oid = fromHex('04007F00070202040201');
    const chipEph = fromHex(
      '042dbaf62e6fdfb31eb66f206493b9e7721586f0e5c93754d7bd5a884ca251ee4d720ab539a60561bc46812fa289b58ac69f0c6e32adbaf7241049a31211f80f5b',
    );
    const inner = concat(Uint8Array.of(0x06, oid.length), oid, Uint8Array.of(0x86, chipEph.length), chipEph);
    const input = concat(Uint8Array.of(0x7f, 0x49, inner.length), inner);
    expect(hex(smMac('3DES', ksMac, input))).toBe('8d7c617d43efe09e');
  });

  it('equals single-DES CBC under K_a then D_Kb, E_Ka on the last block, computed by openssl (legacy DES)', () => {
    for (let n = 0; n < 30; n += 3) {
      const key = rnd(16);
      const data = rnd(n);
      const padded = padM2(data, 8);
      const chain = opensslCbc('des-cbc', key.subarray(0, 8), new Uint8Array(8), padded);
      const h = fromHex(chain.slice(-16));
      const d = fromHex(opensslDecrypt('des-ecb', key.subarray(8), new Uint8Array(8), h));
      expect(hex(retailMac(key, data))).toBe(opensslCbc('des-ecb', key.subarray(0, 8), new Uint8Array(8), d));
    }
  });

  it('truncates AES-CMAC to 8 bytes for AES suites and checks the key length against the suite', () => {
    const k = rnd(24);
    const d = rnd(33);
    expect(smMac('AES-192', k, d)).toEqual(aesCmac(k, d).subarray(0, 8));
    expect(() => smMac('AES-128', k, d)).toThrow(RangeError);
  });
});

describe('constant-time comparison', () => {
  it('compares contents and is false on a length mismatch', () => {
    expect(constantTimeEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(constantTimeEqual(fromHex('0102'), fromHex('010200'))).toBe(false);
    expect(() => constantTimeEqual('ab' as unknown as Uint8Array, fromHex('00'))).toThrow(TypeError);
  });
});
