/**
 * CSCA master lists, ICAO 9303-12 (8th ed.) §9: CscaMasterList in CMS SignedData (RFC 5652) with
 * eContentType 2.23.136.1.1.2. `openssl cms -verify` must accept it; decodeMasterList must give
 * back the certificates and turn damaged input into typed errors.
 *
 * Note: openssl's default CMS purpose (smime_sign) refuses any signer whose extKeyUsage lacks
 * emailProtection, and ICAO requires the master list signer EKU 2.23.136.1.1.3 — so the
 * openssl check runs with `-purpose any`, as for real ICAO master lists.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_SUITES, type SignatureSuite } from '../../../src/crypto/algorithms.js';
import { issueCertificate, toPem } from '../../../src/crypto/certificates.js';
import { decodeMasterList, encodeCscaMasterList, issueMasterList } from '../../../src/crypto/masterlist.js';
import { generateSoftwareKey } from '../../../src/crypto/signer.js';
import { hex } from '../../../src/lds/bytes.js';
import { encodeSignedData } from '../../../src/lds/cms.js';
import { CancuocError, ParseError } from '../../../src/lds/errors.js';
import { openssl, tempDir } from './openssl.js';

const dir = tempDir();
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2040-01-01T00:00:00Z');
const at = String(Math.floor(new Date('2027-01-01T00:00:00Z').getTime() / 1000));

async function makeList(suite: SignatureSuite, extraCscas = 1) {
  const csca = generateSoftwareKey(suite).signer;
  const cscaDer = await issueCertificate({ role: 'csca', subject: { country: 'VN', commonName: 'CSCA' }, signer: csca, notBefore, notAfter });
  const ml = generateSoftwareKey(suite).signer;
  const mlDer = await issueCertificate({
    role: 'mlsigner',
    subject: { country: 'VN', commonName: 'ML signer' },
    subjectPublicKey: ml.publicKeySpki,
    issuerCertificate: cscaDer,
    signer: csca,
    notBefore,
    notAfter,
  });
  const others: Uint8Array[] = [];
  for (let i = 0; i < extraCscas; i++) {
    const k = generateSoftwareKey('ecdsa-p256').signer;
    others.push(await issueCertificate({ role: 'csca', subject: { country: 'DE', commonName: `CSCA ${i}` }, signer: k, notBefore, notAfter }));
  }
  const certificates = [cscaDer, ...others];
  const list = await issueMasterList({ certificates, signerCertificate: mlDer, signer: ml, signingTime: new Date('2026-06-01T00:00:00Z') });
  return { cscaDer, mlDer, certificates, list };
}

describe.each(SIGNATURE_SUITES)('ICAO 9303-12 §9 master list, %s', (suite) => {
  let made: Awaited<ReturnType<typeof makeList>>;
  const f = (name: string): string => join(dir, `${suite}-${name}`);
  beforeAll(async () => {
    made = await makeList(suite);
    writeFileSync(f('csca.pem'), toPem(made.cscaDer));
    writeFileSync(f('list.ml'), made.list);
  });

  it('openssl cms -verify accepts it and returns the CscaMasterList content', () => {
    const r = openssl(['cms', '-verify', '-inform', 'DER', '-in', f('list.ml'), '-CAfile', f('csca.pem'), '-purpose', 'any', '-attime', at, '-binary']);
    expect(r.stderr).toContain('Verification successful');
    expect(r.status).toBe(0);
    expect(hex(new Uint8Array(r.out))).toBe(hex(encodeCscaMasterList(made.certificates)));
  });

  it('openssl sees eContentType id-icao-cscaMasterList, contentType and messageDigest attributes', () => {
    const r = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', f('list.ml')]);
    expect(r.stdout).toMatch(/eContentType: .*\(2\.23\.136\.1\.1\.2\)/);
    expect(r.stdout).toContain('object: contentType (1.2.840.113549.1.9.3)');
    expect(r.stdout).toContain('object: messageDigest (1.2.840.113549.1.9.4)');
    expect(r.stdout).toContain('object: signingTime (1.2.840.113549.1.9.5)');
  });

  it('openssl cms -verify fails against an unrelated CSCA', async () => {
    const other = await makeList(suite, 0);
    writeFileSync(f('other.pem'), toPem(other.cscaDer));
    const r = openssl(['cms', '-verify', '-inform', 'DER', '-in', f('list.ml'), '-CAfile', f('other.pem'), '-purpose', 'any', '-attime', at, '-out', '/dev/null']);
    expect(r.status).not.toBe(0);
  });

  it('decodeMasterList returns v0 and every CSCA certificate; the content re-encodes byte for byte', () => {
    const ml = decodeMasterList(made.list);
    expect(ml.version).toBe(0);
    expect(ml.certificates.map(hex).sort()).toEqual(made.certificates.map(hex).sort());
    expect(ml.signedData.certificates.map(hex)).toEqual([hex(made.mlDer)]);
    expect(hex(encodeCscaMasterList(ml.certificates))).toBe(hex(ml.signedData.content));
    const sequence = openssl(['asn1parse', '-inform', 'DER'], ml.signedData.content).stdout;
    expect(sequence).toMatch(/^\s*0:d=0.*SEQUENCE\s*\n\s*\d+:d=1.*INTEGER\s+:00\s*\n\s*\d+:d=1.*SET/);
  });
});

describe('decodeMasterList on hostile input', () => {
  let list: Uint8Array;
  let cscaDer: Uint8Array;
  beforeAll(async () => {
    ({ list, cscaDer } = await makeList('ecdsa-p256'));
  });

  it('truncations are ParseErrors', () => {
    for (let cut = 0; cut < list.length; cut += 7) expect(() => decodeMasterList(list.subarray(0, cut))).toThrow(ParseError);
  });

  it('random bytes and random single-byte mutations never escape as raw exceptions', () => {
    let seed = 99;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    for (let i = 0; i < 2000; i++) {
      const input =
        i % 2 === 0
          ? Uint8Array.from({ length: 1 + (i % 300) }, rnd)
          : (() => {
              const m = Uint8Array.from(list);
              const pos = (rnd() * 256 + rnd()) % m.length;
              m[pos] = m[pos]! ^ (1 + (rnd() % 255));
              return m;
            })();
      try {
        decodeMasterList(input);
      } catch (e) {
        expect(e).toBeInstanceOf(CancuocError);
        expect((e as CancuocError).code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      }
    }
  });

  const wrap = (contentType: string, content: Uint8Array): Uint8Array =>
    encodeSignedData({
      contentType,
      content,
      digestAlgorithm: { oid: '2.16.840.1.101.3.4.2.1', params: undefined },
      certificates: [],
      signerInfo: {
        sid: { kind: 'subjectKeyIdentifier', keyIdentifier: Uint8Array.of(1) },
        digestAlgorithm: { oid: '2.16.840.1.101.3.4.2.1', params: undefined },
        signedAttrsDer: Uint8Array.of(0x31, 0x00),
        signatureAlgorithm: { oid: '1.2.840.10045.4.3.2', params: undefined },
        signature: Uint8Array.of(0),
      },
    });

  it('a SignedData holding something else is ML_WRONG_CONTENT_TYPE', () => {
    expect(() => decodeMasterList(wrap('2.23.136.1.1.1', encodeCscaMasterList([cscaDer])))).toThrow(
      expect.objectContaining({ code: 'ML_WRONG_CONTENT_TYPE' }),
    );
  });

  it('a version other than v0 is ML_BAD_VERSION, with its offset', () => {
    const good = encodeCscaMasterList([cscaDer]);
    const v1 = Uint8Array.from(good);
    const at = good.indexOf(0x02); // the version INTEGER comes first
    v1[at + 2] = 1;
    try {
      decodeMasterList(wrap('2.23.136.1.1.2', v1));
      expect.unreachable();
    } catch (e) {
      expect((e as ParseError).code).toBe('ML_BAD_VERSION');
      expect((e as ParseError).place.offset).toBeGreaterThan(0);
    }
  });

  it('encodeCscaMasterList refuses an empty list and non-DER certificates', () => {
    expect(() => encodeCscaMasterList([])).toThrow(TypeError);
    expect(() => encodeCscaMasterList([Uint8Array.of(0x30, 0x05, 0)])).toThrow(ParseError);
  });
});
