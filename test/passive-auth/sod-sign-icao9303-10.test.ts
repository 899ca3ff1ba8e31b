/**
 * signSod (ICAO 9303-10 §4.6.2, RFC 5652) checked by `openssl cms -verify` against a CSCA made
 * by the openssl CLI, for ECDSA P-256/P-384/brainpool and RSA-PSS with SHA-256/384/512; the DG
 * hashes inside are compared with `openssl dgst`.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HashName, SignatureSuite } from '../../src/crypto/algorithms.js';
import { softwareSigner, type Signer } from '../../src/crypto/signer.js';
import { signSod } from '../../src/crypto/sod-sign.js';
import { fromHex } from '../../src/lds/bytes.js';
import { type IssuedCert, type KeySpec, OpensslCa, openssl, opensslCmsVerify, tempDir } from '../helpers/openssl-pki.js';

const SAMPLES = 'test/vectors/samples/bsi2008';
const dataGroups = new Map<number, Uint8Array>([
  [1, new Uint8Array(readFileSync(`${SAMPLES}/Datagroup1.bin`))],
  [2, new Uint8Array(readFileSync(`${SAMPLES}/Datagroup2.bin`))],
  [13, fromHex(readFileSync('test/vectors/dg13-synthetic.hex', 'utf8'))],
]);

let dir: { path: string; remove: () => void };
let ca: OpensslCa;
const ds = new Map<SignatureSuite, IssuedCert>();
const SPECS: Record<SignatureSuite, KeySpec> = {
  'ecdsa-p256': 'p256',
  'ecdsa-p384': 'p384',
  'ecdsa-bp256': 'bp256',
  'ecdsa-bp384': 'bp384',
  'rsa-pss-3072': 'rsa-pss-3072',
};

function signerFor(suite: SignatureSuite): Signer {
  return softwareSigner(createPrivateKey(readFileSync(ds.get(suite)!.keyPath)), suite);
}

/** The signed content (eContent) and the OCTET STRING values inside it, as openssl sees them. */
function opensslContent(sod: Uint8Array): { hashes: string[]; print: string } {
  const inPath = join(dir.path, 'sod.der');
  const outPath = join(dir.path, 'econtent.der');
  writeFileSync(inPath, sod.subarray(sod[1] === 0x82 ? 4 : sod[1] === 0x81 ? 3 : 2));
  openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', inPath, '-out', outPath]);
  const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', outPath]).toString();
  const hashes = [...parsed.matchAll(/OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)/g)].map((m) => m[1]!.toLowerCase());
  const print = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', inPath]).toString();
  return { hashes, print };
}

function opensslDigest(hash: HashName, bytes: Uint8Array): string {
  return openssl(['dgst', `-${hash}`, '-r'], bytes).toString().split(' ')[0]!;
}

function stripWrapper(sod: Uint8Array): Uint8Array {
  const n = sod[1]! & 0x80 ? 2 + (sod[1]! & 0x7f) : 2;
  return sod.subarray(n);
}

beforeAll(() => {
  dir = tempDir('cancuoc-sodsign-');
  ca = new OpensslCa(dir.path, 'csca', '/C=VN/O=Cancuoc Test/CN=CSCA Test');
  for (const [suite, spec] of Object.entries(SPECS) as [SignatureSuite, KeySpec][]) {
    ds.set(suite, ca.issue(`ds-${spec}`, `/C=VN/O=Cancuoc Test/CN=DS ${spec}`, { keySpec: spec }));
  }
}, 120_000);
afterAll(() => dir.remove());

describe('signSod → openssl cms -verify (RFC 5652 §5.6)', () => {
  const cases: [SignatureSuite, HashName][] = [];
  for (const suite of Object.keys(SPECS) as SignatureSuite[]) for (const h of ['sha256', 'sha384', 'sha512'] as HashName[]) cases.push([suite, h]);

  it.each(cases)('%s with %s is accepted by openssl and carries the right DG hashes', async (suite, hash) => {
    const signingTime = new Date('2026-03-15T08:30:00Z');
    const sod = await signSod({ dataGroups, hash, signer: signerFor(suite), dsCertificate: ds.get(suite)!.der, signingTime });
    expect(sod[0]).toBe(0x77);
    const verdict = opensslCmsVerify(stripWrapper(sod), ca.cert.certPath, dir.path);
    expect(verdict.output).not.toMatch(/error/i);
    expect(verdict.ok).toBe(true);

    const { hashes, print } = opensslContent(sod);
    expect(hashes).toEqual([...dataGroups.values()].map((bytes) => opensslDigest(hash, bytes)));
    expect(print).toContain('signingTime');
    expect(print).toMatch(/UTCTIME:\s*Mar 15 08:30:00 2026 GMT/);
    expect(print).toContain('2.23.136.1.1.1');
    expect(print).toMatch(/version: 1\b[\s\S]*d\.issuerAndSerialNumber/);
  });

  it('writes LDSVersionInfo (LDSSecurityObject v1) when asked', async () => {
    const sod = await signSod({
      dataGroups, hash: 'sha256', signer: signerFor('ecdsa-p256'), dsCertificate: ds.get('ecdsa-p256')!.der,
      ldsVersion: '0108', unicodeVersion: '040000',
    });
    expect(opensslCmsVerify(stripWrapper(sod), ca.cert.certPath, dir.path).ok).toBe(true);
    const outPath = join(dir.path, 'v1.der');
    writeFileSync(join(dir.path, 'v1-sod.der'), stripWrapper(sod));
    openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', join(dir.path, 'v1-sod.der'), '-out', outPath]);
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', outPath]).toString();
    expect(parsed).toMatch(/INTEGER\s+:01/);
    expect(parsed).toMatch(/PRINTABLESTRING\s+:0108/);
    expect(parsed).toMatch(/PRINTABLESTRING\s+:040000/);
  });
});

describe('signSod argument checks', () => {
  it('rejects a DS certificate that does not hold the signer key', async () => {
    await expect(
      signSod({ dataGroups, hash: 'sha256', signer: signerFor('ecdsa-p256'), dsCertificate: ds.get('ecdsa-p384')!.der }),
    ).rejects.toThrow(RangeError);
  });

  it('refuses to emit a SOD whose signature does not verify', async () => {
    const good = signerFor('ecdsa-p256');
    const broken: Signer = { ...good, sign: async (d, h) => (await good.sign(d, h)).map((b, i) => (i === 10 ? b ^ 1 : b)) };
    await expect(
      signSod({ dataGroups, hash: 'sha256', signer: broken, dsCertificate: ds.get('ecdsa-p256')!.der }),
    ).rejects.toMatchObject({ code: 'SOD_SELF_CHECK_FAILED' });
  });

  it.each([
    ['one data group (ICAO needs 2..16)', { dataGroups: new Map([[1, new Uint8Array(3)]]) }, RangeError],
    ['DG number 17', { dataGroups: new Map([[1, new Uint8Array(3)], [17, new Uint8Array(3)]]) }, RangeError],
    ['a plain object as data groups', { dataGroups: { 1: new Uint8Array(1) } }, TypeError],
    ['an unknown hash', { hash: 'md5' }, TypeError],
    ['a string certificate', { dsCertificate: 'MII' }, TypeError],
    ['an invalid date', { signingTime: new Date(NaN) }, TypeError],
  ])('%s throws', async (_name, patch, type) => {
    const base = { dataGroups, hash: 'sha256', signer: signerFor('ecdsa-p256'), dsCertificate: ds.get('ecdsa-p256')!.der };
    await expect(signSod({ ...base, ...patch } as never)).rejects.toThrow(type);
  });

  it('a certificate that is not DER gives a ParseError', async () => {
    await expect(
      signSod({ dataGroups, hash: 'sha256', signer: signerFor('ecdsa-p256'), dsCertificate: Uint8Array.of(0x30, 0x03, 1, 2) }),
    ).rejects.toMatchObject({ name: 'ParseError' });
  });
});
