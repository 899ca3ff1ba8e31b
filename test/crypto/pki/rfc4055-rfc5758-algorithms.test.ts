/**
 * Signature AlgorithmIdentifiers (RFC 5758 §3.2 ECDSA, RFC 4055 §3.1 RSASSA-PSS) and the software
 * signer (RFC 8017 §8.1, X9.62 ECDSA-Sig-Value). Expected DER comes from `openssl asn1parse
 * -genconf`; signatures are checked with `openssl dgst -verify`.
 */
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hex } from '../../../src/lds/bytes.js';
import { encodeAlgorithmIdentifier } from '../../../src/lds/der.js';
import {
  hashFromOid,
  hashOid,
  SIGNATURE_SUITES,
  signatureAlgorithmIdentifier,
  type HashName,
} from '../../../src/crypto/algorithms.js';
import { createVerify } from 'node:crypto';
import { ecdsaDerToRaw, ecdsaRawToDer, generateSoftwareKey, softwareSigner } from '../../../src/crypto/signer.js';
import { ParseError } from '../../../src/lds/errors.js';
import { derFromConf, openssl, tempDir } from './openssl.js';

const dir = tempDir();

function pssConf(hash: string, salt: number): string {
  return [
    'asn1=SEQUENCE:alg',
    '[alg]',
    'oid=OID:rsassaPss',
    'params=SEQUENCE:pss',
    '[pss]',
    'hash=EXP:0,SEQUENCE:h',
    'mgf=EXP:1,SEQUENCE:mgf',
    `salt=EXP:2,INTEGER:${salt}`,
    '[h]',
    `oid=OID:${hash}`,
    'p=NULL',
    '[mgf]',
    'oid=OID:mgf1',
    'h=SEQUENCE:h',
    '',
  ].join('\n');
}

describe('RFC 5758 §3.2 ecdsa-with-SHA* AlgorithmIdentifier', () => {
  it.each([
    ['ecdsa-p256', undefined, 'ecdsa-with-SHA256'],
    ['ecdsa-p384', undefined, 'ecdsa-with-SHA384'],
    ['ecdsa-bp256', undefined, 'ecdsa-with-SHA256'],
    ['ecdsa-bp384', undefined, 'ecdsa-with-SHA384'],
    ['ecdsa-p256', 'sha512', 'ecdsa-with-SHA512'],
    ['ecdsa-bp384', 'sha224', 'ecdsa-with-SHA224'],
  ] as const)('%s with %s is %s, parameters absent', (suite, hash, name) => {
    const expected = derFromConf(`asn1=SEQUENCE:alg\n[alg]\noid=OID:${name}\n`, dir);
    expect(hex(encodeAlgorithmIdentifier(signatureAlgorithmIdentifier(suite, hash)))).toBe(hex(expected));
  });
});

describe('RFC 4055 §3.1 RSASSA-PSS AlgorithmIdentifier', () => {
  it.each([
    ['sha256', 32],
    ['sha384', 48],
    ['sha512', 64],
  ] as const)('explicit params with %s, MGF1 of the same hash, salt %i', (hash, salt) => {
    const expected = derFromConf(pssConf(hash, salt), dir);
    expect(hex(encodeAlgorithmIdentifier(signatureAlgorithmIdentifier('rsa-pss-3072', hash)))).toBe(hex(expected));
  });
});

describe('hash OIDs (RFC 5754 §2, RFC 3279 §2.2.1)', () => {
  it('names the NIST / OIW object identifiers', () => {
    expect(hashOid('sha1')).toBe('1.3.14.3.2.26');
    expect(hashOid('sha224')).toBe('2.16.840.1.101.3.4.2.4');
    expect(hashOid('sha256')).toBe('2.16.840.1.101.3.4.2.1');
    expect(hashOid('sha384')).toBe('2.16.840.1.101.3.4.2.2');
    expect(hashOid('sha512')).toBe('2.16.840.1.101.3.4.2.3');
  });
  it('maps back, and unknown OIDs to undefined', () => {
    for (const h of ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as HashName[]) expect(hashFromOid(hashOid(h))).toBe(h);
    expect(hashFromOid('1.2.840.113549.2.5')).toBeUndefined();
    expect(hashFromOid('')).toBeUndefined();
  });
});

describe('software signer: openssl dgst -verify accepts its signatures', () => {
  const data = new TextEncoder().encode('CCCD 001099012345');
  it.each(SIGNATURE_SUITES)('%s', async (suite) => {
    const { signer } = generateSoftwareKey(suite);
    const pub = join(dir, `${suite}.pub.pem`);
    writeFileSync(pub, createPublicKey({ key: Buffer.from(signer.publicKeySpki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'data.bin'), data);
    for (const hash of ['sha256', 'sha384'] as const) {
      const sig = await signer.sign(data, hash);
      writeFileSync(join(dir, 'sig.bin'), sig);
      const pss = suite === 'rsa-pss-3072' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${hash === 'sha256' ? 32 : 48}`] : [];
      const ok = openssl(['dgst', `-${hash}`, '-verify', pub, ...pss, '-signature', join(dir, 'sig.bin'), join(dir, 'data.bin')]);
      expect(ok.stdout).toContain('Verified OK');
      // a different message must not verify
      writeFileSync(join(dir, 'data.bin'), new TextEncoder().encode('CCCD 001099012346'));
      const bad = openssl(['dgst', `-${hash}`, '-verify', pub, ...pss, '-signature', join(dir, 'sig.bin'), join(dir, 'data.bin')]);
      expect(bad.status).not.toBe(0);
      writeFileSync(join(dir, 'data.bin'), data);
    }
  });

  it('rejects a key that does not fit the suite, and bad arguments', async () => {
    const { privateKey } = generateSoftwareKey('ecdsa-p256');
    expect(() => softwareSigner(privateKey, 'ecdsa-bp256')).toThrow(RangeError);
    expect(() => softwareSigner(privateKey, 'ecdsa-p521' as never)).toThrow(TypeError);
    const s = softwareSigner(privateKey, 'ecdsa-p256');
    await expect(s.sign('text' as never, 'sha256')).rejects.toThrow(TypeError);
    await expect(s.sign(new Uint8Array(1), 'md5' as never)).rejects.toThrow(TypeError);
  });
});

describe('X9.62 ECDSA-Sig-Value from PKCS#11 r‖s', () => {
  it('writes minimal INTEGERs: sign-bit padding, leading zeros stripped (openssl -genconf)', () => {
    const r = '80' + '11'.repeat(31);
    const s = '0000' + '7f'.repeat(30);
    const expected = derFromConf(`asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x${r}\ns=INTEGER:0x${'7f'.repeat(30)}\n`, dir);
    expect(hex(ecdsaRawToDer(Buffer.from(r + s, 'hex')))).toBe(hex(expected));
  });
  it('rejects odd or empty input', () => {
    expect(() => ecdsaRawToDer(new Uint8Array(0))).toThrow(RangeError);
    expect(() => ecdsaRawToDer(new Uint8Array(63))).toThrow(RangeError);
    expect(() => ecdsaRawToDer([1, 2] as never)).toThrow(TypeError);
  });
});

describe('BSI TR-03111 §5.2.1 plain r‖s from DER (VDS seals)', () => {
  it.each([
    ['ecdsa-p256', 32],
    ['ecdsa-bp384', 48],
  ] as const)('%s: DER signatures become r‖s that OpenSSL verifies as IEEE P1363, and convert back', async (suite, fieldBytes) => {
    const { privateKey, signer } = generateSoftwareKey(suite);
    const data = new TextEncoder().encode('DC03 seal');
    for (let i = 0; i < 20; i++) {
      const der = await signer.sign(data, 'sha256');
      const raw = ecdsaDerToRaw(der, fieldBytes);
      expect(raw.length).toBe(2 * fieldBytes);
      const ok = createVerify('sha256').update(data).verify({ key: privateKey, dsaEncoding: 'ieee-p1363' }, raw);
      expect(ok).toBe(true);
      expect(hex(ecdsaRawToDer(raw))).toBe(hex(der));
    }
  });
  it('damaged DER is a ParseError', () => {
    expect(() => ecdsaDerToRaw(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), 32)).toThrow(ParseError);
    expect(() => ecdsaDerToRaw(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01), 32)).toThrow(ParseError);
    expect(() => ecdsaDerToRaw(Uint8Array.of(0x31, 0x00), 32)).toThrow(ParseError);
    expect(() => ecdsaDerToRaw(Uint8Array.of(0x30), 32)).toThrow(ParseError);
  });
});
