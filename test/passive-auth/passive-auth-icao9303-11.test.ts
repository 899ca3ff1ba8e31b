/**
 * Passive authentication (ICAO 9303-11 §5.1, 9303-12 §5, §7) on SODs signed here under a PKI
 * made by the openssl CLI; `openssl cms -verify` is asked the same question where it can answer.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softwareSigner } from '../../src/crypto/signer.js';
import { signSod } from '../../src/crypto/sod-sign.js';
import { fromHex } from '../../src/lds/bytes.js';
import { passiveAuthentication, type PassiveAuthReport } from '../../src/reader/passive-auth.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { type IssuedCert, OpensslCa, openssl, opensslCmsVerify, tempDir } from '../helpers/openssl-pki.js';

const dataGroups = new Map<number, Uint8Array>([
  [1, new Uint8Array(readFileSync('test/vectors/samples/bsi2008/Datagroup1.bin'))],
  [2, new Uint8Array(readFileSync('test/vectors/samples/bsi2008/Datagroup2.bin'))],
  [13, fromHex(readFileSync('test/vectors/dg13-synthetic.hex', 'utf8'))],
  [14, new Uint8Array(readFileSync('test/vectors/samples/bsi2008/Datagroup14.bin'))],
]);

let dir: { path: string; remove: () => void };
let csca: OpensslCa;
let other: OpensslCa;
let ds: IssuedCert;
let expired: IssuedCert;
let revoked: IssuedCert;
let foreign: IssuedCert;
let trust: TrustStore;

function sign(cert: IssuedCert, signingTime?: Date): Promise<Uint8Array> {
  const signer = softwareSigner(createPrivateKey(readFileSync(cert.keyPath)), 'ecdsa-p256');
  return signSod({ dataGroups, hash: 'sha256', signer, dsCertificate: cert.der, ...(signingTime ? { signingTime } : {}) });
}

function byId(r: PassiveAuthReport, id: string) {
  return r.checks.find((c) => c.id === id)!;
}

function contentInfo(sod: Uint8Array): Uint8Array {
  return sod.subarray(2 + (sod[1]! & 0x80 ? sod[1]! & 0x7f : 0));
}

beforeAll(() => {
  dir = tempDir('cancuoc-pa-');
  csca = new OpensslCa(dir.path, 'csca', '/C=VN/O=Cancuoc Test/CN=CSCA VN');
  other = new OpensslCa(dir.path, 'other', '/C=VN/O=Cancuoc Test/CN=CSCA VN'); // same name, other key
  ds = csca.issue('ds', '/C=VN/O=Cancuoc Test/CN=DS 1');
  expired = csca.issue('ds-expired', '/C=VN/O=Cancuoc Test/CN=DS expired', { start: '20200101000000Z', end: '20210101000000Z' });
  revoked = csca.issue('ds-revoked', '/C=VN/O=Cancuoc Test/CN=DS revoked');
  csca.revoke(revoked);
  foreign = other.issue('ds-foreign', '/C=VN/O=Cancuoc Test/CN=DS 1');
  trust = new TrustStore();
  trust.addCertificates(csca.cert.pem);
  expect(trust.addCrl(csca.crl()).accepted).toBe(true);
}, 120_000);
afterAll(() => dir.remove());

describe('a SOD signed by a DS of the trusted CSCA', () => {
  it('is valid, every check passing, and openssl agrees', async () => {
    const sod = await sign(ds);
    const r = passiveAuthentication({ sod, dataGroups, trust });
    expect(r.checks.map((c) => [c.id, c.status])).toEqual([
      ['sod.parse', 'pass'],
      ['cms.signature', 'pass'],
      ['cms.signed-attributes', 'pass'],
      ['ds.certificate', 'pass'],
      ['ds.validity', 'pass'],
      ['ds.role', 'pass'],
      ['chain', 'pass'],
      ['crl', 'pass'],
      ['dg.1.hash', 'pass'],
      ['dg.2.hash', 'pass'],
      ['dg.13.hash', 'pass'],
      ['dg.14.hash', 'pass'],
      ['algorithms', 'pass'],
    ]);
    expect(r.verdict).toBe('valid');
    expect(r.csca?.subject).toBe('C=VN, O=Cancuoc Test, CN=CSCA VN');
    expect(r.documentSigner?.serialNumber).toBe(openssl(['x509', '-noout', '-serial', '-in', ds.certPath]).toString().trim().replace('serial=', ''));
    expect(opensslCmsVerify(contentInfo(sod), csca.cert.certPath, dir.path).ok).toBe(true);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('a changed DG byte fails that DG hash only', async () => {
    const sod = await sign(ds);
    const dg13 = Uint8Array.from(dataGroups.get(13)!);
    dg13[20] = dg13[20]! ^ 0x01;
    const r = passiveAuthentication({ sod, dataGroups: new Map([...dataGroups, [13, dg13]]), trust });
    expect(byId(r, 'dg.13.hash')).toMatchObject({ status: 'fail', code: 'DG_HASH_MISMATCH' });
    expect(r.checks.filter((c) => c.status === 'fail')).toHaveLength(1);
    expect(r.verdict).toBe('invalid');
  });

  it('a DG listed but not given fails (issue 15): the dump or chip hides part of the document', async () => {
    const r = passiveAuthentication({ sod: await sign(ds), dataGroups: new Map([1, 2].map((dg) => [dg, dataGroups.get(dg)!])), trust });
    expect(byId(r, 'dg.14.hash')).toMatchObject({ status: 'fail', code: 'DG_MISSING' });
    expect(r.verdict).toBe('invalid');
  });

  it('DG3 listed but not given (it needs Terminal Authentication) is not-applicable and does not spoil the verdict', async () => {
    const dg3 = new Uint8Array(readFileSync('test/vectors/samples/bsi2008/Datagroup3.bin'));
    const signer = softwareSigner(createPrivateKey(readFileSync(ds.keyPath)), 'ecdsa-p256');
    const sod = await signSod({ dataGroups: new Map([...dataGroups, [3, dg3]]), hash: 'sha256', signer, dsCertificate: ds.der });
    const r = passiveAuthentication({ sod, dataGroups, trust });
    expect(byId(r, 'dg.3.hash')).toMatchObject({ status: 'not-applicable', code: 'DG_NOT_READ' });
    expect(r.verdict).toBe('valid');
  });

  it('without DG1 (ICAO 9303-10 §4.7: mandatory) the SOD is never valid, listed or not', async () => {
    const withoutDg1 = new Map([...dataGroups].filter(([dg]) => dg !== 1));
    const listed = passiveAuthentication({ sod: await sign(ds), dataGroups: withoutDg1, trust });
    expect(byId(listed, 'dg.1.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(listed.verdict).toBe('invalid');
    const signer = softwareSigner(createPrivateKey(readFileSync(ds.keyPath)), 'ecdsa-p256');
    const unlisted = await signSod({ dataGroups: withoutDg1, hash: 'sha256', signer, dsCertificate: ds.der });
    const r = passiveAuthentication({ sod: unlisted, dataGroups: withoutDg1, trust });
    expect(byId(r, 'dg.1.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(r.verdict).toBe('invalid');
  });
});

describe('DS problems', () => {
  it('re-signed by a DS of an unknown CSCA with the same name: untrusted chain, openssl refuses too', async () => {
    const sod = await sign(foreign);
    const r = passiveAuthentication({ sod, dataGroups, trust });
    // same issuer Name but another key: the key identifiers tell them apart
    expect(byId(r, 'chain')).toMatchObject({ status: 'fail', code: 'ISSUER_NOT_TRUSTED' });
    expect(byId(r, 'cms.signature').status).toBe('pass');
    expect(r.verdict).toBe('untrusted');
    expect(opensslCmsVerify(contentInfo(sod), csca.cert.certPath, dir.path).ok).toBe(false);
  });

  it('a DS whose certificate the trusted CSCA did not sign fails the chain', async () => {
    const sod = await sign(foreign);
    const store = new TrustStore();
    // a CSCA without subjectKeyIdentifier, named like the foreign DS's issuer: matched by name, wrong key
    const noSki = csca.issue('csca-noski', '/C=VN/O=Cancuoc Test/CN=CSCA VN', { ext: 'ext_plain' });
    store.addCertificates(noSki.der);
    const r = passiveAuthentication({ sod, dataGroups, trust: store });
    expect(byId(r, 'chain')).toMatchObject({ status: 'fail', code: 'DS_SIGNATURE_INVALID' });
    expect(r.verdict).toBe('invalid');
  });

  it('an expired DS fails ds.validity (openssl: certificate has expired)', async () => {
    const sod = await sign(expired, new Date('2020-06-01T00:00:00Z'));
    const r = passiveAuthentication({ sod, dataGroups, trust });
    expect(byId(r, 'ds.validity')).toMatchObject({ status: 'fail', code: 'DS_EXPIRED' });
    expect(r.verdict).toBe('invalid');
    const ossl = opensslCmsVerify(contentInfo(sod), csca.cert.certPath, dir.path);
    expect(ossl.ok).toBe(false);
    expect(ossl.output).toMatch(/expired/);
    // at a time inside its validity the DS passes (the CSCA, made today, then fails instead)
    const then = passiveAuthentication({ sod, dataGroups, trust, at: new Date('2020-07-01T00:00:00Z') });
    expect(byId(then, 'ds.validity').status).toBe('pass');
    expect(byId(then, 'chain').code).toBe('CSCA_EXPIRED');
  });

  it('a signing time outside the DS validity fails', async () => {
    const sod = await sign(ds, new Date('2001-01-01T00:00:00Z'));
    expect(byId(passiveAuthentication({ sod, dataGroups, trust }), 'ds.validity').code).toBe('DS_NOT_VALID_AT_SIGNING');
  });

  it('a revoked DS fails the CRL check (openssl -crl_check agrees)', async () => {
    const sod = await sign(revoked);
    const r = passiveAuthentication({ sod, dataGroups, trust });
    expect(byId(r, 'crl')).toMatchObject({ status: 'fail', code: 'DS_REVOKED' });
    expect(r.verdict).toBe('invalid');
    const serial = openssl(['x509', '-noout', '-serial', '-in', revoked.certPath]).toString().trim().replace('serial=', '');
    expect(byId(r, 'crl').reason).toContain(serial);
    const crlPath = `${dir.path}/csca.crl.der`;
    openssl(['crl', '-in', `${csca.dir}/crl.pem`, '-outform', 'DER', '-out', crlPath]);
    const cms = `${dir.path}/revoked.p7`;
    openssl(['cms', '-cmsout', '-inform', 'DER', '-outform', 'DER', '-out', cms], contentInfo(sod));
    expect(() =>
      openssl(['cms', '-verify', '-inform', 'DER', '-in', cms, '-CAfile', csca.cert.certPath, '-CRLfile', `${csca.dir}/crl.pem`,
        '-crl_check', '-purpose', 'any', '-out', '/dev/null']),
    ).toThrow(/revoked/);
  });

  it('without a CRL the check warns NO_CRL; the require-CRL policy fails it', async () => {
    const store = new TrustStore();
    store.addCertificates(csca.cert.der);
    const sod = await sign(revoked);
    const r = passiveAuthentication({ sod, dataGroups, trust: store });
    expect(byId(r, 'crl')).toMatchObject({ status: 'warn', code: 'NO_CRL' });
    expect(byId(r, 'crl').reason).toContain('NOT checked');
    expect(r.verdict).toBe('valid');
    const required = passiveAuthentication({ sod, dataGroups, trust: store, policy: { requireCrl: true } });
    expect(byId(required, 'crl')).toMatchObject({ status: 'fail', code: 'NO_CRL' });
    expect(required.verdict).toBe('invalid');
  });

  it('a CRL past nextUpdate fails CRL_OUTDATED; the stale-CRL policy accepts it with a warning', async () => {
    const sod = await sign(ds);
    const later = new Date(Date.now() + 60 * 86_400_000); // the openssl CRL is good for 30 days
    const r = passiveAuthentication({ sod, dataGroups, trust, at: later });
    expect(byId(r, 'crl')).toMatchObject({ status: 'fail', code: 'CRL_OUTDATED' });
    expect(r.verdict).toBe('invalid');
    const offline = passiveAuthentication({ sod, dataGroups, trust, at: later, policy: { acceptStaleCrl: true } });
    expect(byId(offline, 'crl')).toMatchObject({ status: 'warn', code: 'CRL_OUTDATED' });
    expect(offline.verdict).toBe('valid');
  });
});

describe('hostile SOD bytes', () => {
  it('every single-bit flip of the SOD gives a report that is not valid, never a throw', async () => {
    const sod = await sign(ds, new Date(Date.now() - 3_600_000));
    const stillValid: number[] = [];
    for (let i = 0; i < sod.length; i++) {
      const bad = Uint8Array.from(sod);
      bad[i] = bad[i]! ^ (1 << (i % 8));
      const r = passiveAuthentication({ sod: bad, dataGroups, trust });
      expect(Object.isFrozen(r)).toBe(true);
      if (r.verdict === 'valid') stillValid.push(i);
    }
    expect(stillValid).toEqual([]);
  });

  it('truncations and random bytes give an invalid report', async () => {
    const sod = await sign(ds);
    for (let n = 0; n < sod.length; n += 7) {
      const r = passiveAuthentication({ sod: sod.subarray(0, n), dataGroups, trust });
      expect(r.verdict).toBe('invalid');
      expect(byId(r, 'sod.parse').status).toBe('fail');
    }
    for (let i = 0; i < 500; i++) {
      const junk = randomBytes(i % 300);
      if (i % 3 === 0) junk[0] = 0x77;
      const r = passiveAuthentication({ sod: junk, dataGroups, trust });
      expect(r.verdict).toBe('invalid');
      expect(r.checks.find((c) => c.id === 'dg.1.hash')?.code).toBe('SOD_NOT_PARSED');
    }
  });

  it.each([null, undefined, 'sod', 7, [], {}])('misuse throws TypeError (%s)', (bad) => {
    expect(() => passiveAuthentication({ sod: bad, dataGroups, trust } as never)).toThrow(TypeError);
    expect(() => passiveAuthentication({ sod: new Uint8Array(4), dataGroups: bad, trust } as never)).toThrow(TypeError);
    expect(() => passiveAuthentication({ sod: new Uint8Array(4), dataGroups, trust: bad } as never)).toThrow(TypeError);
  });

  it('checks at the current time by default and reports the signing time', async () => {
    const r = passiveAuthentication({ sod: await sign(ds, new Date('2026-02-03T04:05:06Z')), dataGroups, trust });
    expect(Math.abs(new Date(r.checkedAt).getTime() - Date.now())).toBeLessThan(3_600_000);
    expect(r.signingTime).toBe('2026-02-03T04:05:06.000Z');
  });
});
