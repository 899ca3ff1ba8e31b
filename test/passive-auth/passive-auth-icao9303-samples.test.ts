/**
 * Passive authentication (ICAO 9303-11 §5.1) on published test documents, with the verdicts of
 * test/vectors/README.md; certificate and CRL fields compared with the openssl CLI.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { passiveAuthentication, type PassiveAuthReport } from '../../src/reader/passive-auth.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { parseCertificate, parseCrl } from '../../src/lds/x509.js';
import { openssl } from '../helpers/openssl-pki.js';

const S = 'test/vectors/samples';
const file = (p: string) => new Uint8Array(readFileSync(`${S}/${p}`));

function statusOf(report: PassiveAuthReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

function byId(report: PassiveAuthReport, id: string) {
  return report.checks.find((c) => c.id === id)!;
}

const BSI2008 = new Map([
  [1, file('bsi2008/Datagroup1.bin')],
  [2, file('bsi2008/Datagroup2.bin')],
  [3, file('bsi2008/Datagroup3.bin')],
  [4, file('bsi2008/Datagroup4.bin')],
  [14, file('bsi2008/Datagroup14.bin')],
  [15, file('bsi2008/Datagroup15.bin')],
]);

describe('loes2006 (JMRTD, Dutch test passport, RSA DS, SHA-256)', () => {
  const sod = file('loes2006/ef011D.bin');
  const dataGroups = new Map([
    [1, file('loes2006/ef0101.bin')],
    [2, file('loes2006/ef0102.bin')],
    [15, file('loes2006/ef010F.bin')],
  ]);

  it('DG1, DG2, DG15 match; signature valid; untrusted without its CSCA', () => {
    const r = passiveAuthentication({ sod, dataGroups, trust: new TrustStore(), at: new Date('2008-01-01T00:00:00Z') });
    expect(statusOf(r)).toEqual({
      'sod.parse': 'pass',
      'cms.signature': 'pass',
      'cms.signed-attributes': 'pass',
      'ds.certificate': 'pass',
      'ds.validity': 'pass',
      'ds.role': 'pass',
      chain: 'fail',
      crl: 'not-applicable',
      'dg.1.hash': 'pass',
      'dg.2.hash': 'pass',
      'dg.15.hash': 'pass',
      algorithms: 'pass',
    });
    expect(byId(r, 'chain').code).toBe('ISSUER_NOT_TRUSTED');
    expect(r.verdict).toBe('untrusted');
    expect(r.hashAlgorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(r.documentSigner?.serialNumber).toBe('16'); // 22, as `openssl cms -print` shows
    expect(Object.isFrozen(r) && Object.isFrozen(r.checks) && Object.isFrozen(r.checks[0])).toBe(true);
  });

  it('today the DS (valid 2006-09-25 to 2011-10-04) has expired: invalid', () => {
    const r = passiveAuthentication({ sod, dataGroups, trust: new TrustStore(), at: new Date('2026-01-01T00:00:00Z') });
    expect(byId(r, 'ds.validity')).toMatchObject({ status: 'fail', code: 'DS_EXPIRED' });
    expect(r.verdict).toBe('invalid');
  });
});

describe('bsi2008 (JMRTD, BSI test set, ECDSA brainpoolP224r1 explicit parameters, SHA-1)', () => {
  it('DG1, DG2, DG3, DG14 match; DG4 and DG15 are reported as not listed', () => {
    const r = passiveAuthentication({
      sod: file('bsi2008/EF_SOD.bin'),
      dataGroups: BSI2008,
      trust: new TrustStore(),
      at: new Date('2008-06-01T00:00:00Z'),
    });
    const s = statusOf(r);
    expect(s['cms.signature']).toBe('pass');
    expect(s['cms.signed-attributes']).toBe('pass');
    for (const dg of [1, 2, 3, 14]) expect(s[`dg.${dg}.hash`]).toBe('pass');
    for (const dg of [4, 15]) expect(byId(r, `dg.${dg}.hash`)).toMatchObject({ status: 'warn', code: 'DG_NOT_LISTED' });
    expect(r.hashAlgorithm).toBe('1.3.14.3.2.26');
    // SHA-1 everywhere and a 224-bit curve: weak-algorithm warnings, failures under the strict policy
    expect(byId(r, 'algorithms.sod.hash')).toMatchObject({ status: 'warn', code: 'WEAK_HASH_SHA1' });
    expect(byId(r, 'algorithms.ds.signature')).toMatchObject({ status: 'warn', code: 'WEAK_HASH_SHA1' });
    const strict = passiveAuthentication({ sod: file('bsi2008/EF_SOD.bin'), dataGroups: BSI2008, trust: new TrustStore(), at: new Date('2008-06-01T00:00:00Z'), policy: { strict: true } });
    expect(byId(strict, 'algorithms.sod.hash')).toMatchObject({ status: 'fail', code: 'WEAK_HASH_SHA1' });
    expect(strict.verdict).toBe('invalid');
    expect(r.verdict).toBe('untrusted');
  });
});

describe('bsi-tr03105 (BSI TR-03105-5 reference data, RSASSA-PSS, SHA-256)', () => {
  const sod = file('bsi-tr03105/EF_SOD.bin');
  const csca = file('bsi-tr03105/CSCA_NL_serial6_210621-340630.cer');

  it('DG1 and DG14 match, DG15 is not listed, signature valid, issuer not trusted', () => {
    const trust = new TrustStore();
    expect(trust.addCertificates(csca)).toHaveLength(1);
    const r = passiveAuthentication({
      sod,
      dataGroups: new Map([
        [1, file('bsi-tr03105/Datagroup1.bin')],
        [14, file('bsi-tr03105/Datagroup14.bin')],
        [15, file('bsi-tr03105/Datagroup15.bin')],
      ]),
      trust,
      at: new Date('2014-06-01T00:00:00Z'),
    });
    const s = statusOf(r);
    expect(s['cms.signature']).toBe('pass');
    expect(s['dg.1.hash']).toBe('pass');
    expect(s['dg.14.hash']).toBe('pass');
    expect(byId(r, 'dg.15.hash').code).toBe('DG_NOT_LISTED');
    // listed but not given: DG2 is mandatory (ICAO 9303-10 §4.7), DG3 and DG4 need Terminal Authentication
    expect(byId(r, 'dg.2.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    for (const dg of [3, 4]) expect(byId(r, `dg.${dg}.hash`)).toMatchObject({ status: 'not-applicable', code: 'DG_NOT_READ' });
    expect(byId(r, 'chain')).toMatchObject({ status: 'fail', code: 'ISSUER_NOT_TRUSTED' });
    expect(byId(r, 'chain').reason).toContain('issuer not trusted');
    expect(r.verdict).toBe('invalid');
  });

  it('its DG2, DG3, DG4 hashes are those of the bsi2008 files (vectors §6.3)', () => {
    const r = passiveAuthentication({
      sod,
      dataGroups: new Map([2, 3, 4].map((dg) => [dg, BSI2008.get(dg)!])),
      trust: new TrustStore(),
      at: new Date('2014-06-01T00:00:00Z'),
    });
    for (const dg of [2, 3, 4]) expect(byId(r, `dg.${dg}.hash`).status).toBe('pass');
  });

  it('the CSCA NL certificate parses as openssl reads it', () => {
    const cert = parseCertificate(csca);
    const text = (args: string[]) => openssl(['x509', '-inform', 'DER', '-noout', ...args], csca).toString().trim();
    const name = (s: string) => s.replace(/^(subject|issuer)=/, '').replace(/ = /g, '=');
    expect(cert.subjectText).toBe(name(text(['-subject'])));
    expect(cert.issuerText).toBe(name(text(['-issuer'])));
    expect(cert.serialHex).toBe(text(['-serial']).replace('serial=', '').replace(/^(00)+(?=.)/, ''));
    expect(cert.notBefore.getTime()).toBe(new Date(text(['-startdate']).replace('notBefore=', '')).getTime());
    expect(cert.notAfter.getTime()).toBe(new Date(text(['-enddate']).replace('notAfter=', '')).getTime());
    expect(cert.isCa).toBe(true);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['keyCertSign', 'cRLSign']));
    const ski = text(['-ext', 'subjectKeyIdentifier']).split('\n')[1]!.trim().replace(/:/g, '');
    expect(Buffer.from(cert.subjectKeyId!).toString('hex').toUpperCase()).toBe(ski);
  });

  it('the Colombian CRL parses as openssl reads it: issuer, dates, every revoked serial', () => {
    const der = file('bsi-tr03105/COL.crl');
    const crl = parseCrl(der);
    const text = openssl(['crl', '-inform', 'DER', '-noout', '-text'], der).toString();
    const issuer = /Issuer: (.*)/.exec(text)![1]!.replace(/ = /g, '=');
    expect(crl.issuerText).toBe(issuer);
    expect(crl.thisUpdate.getTime()).toBe(new Date(/Last Update: (.*)/.exec(text)![1]!).getTime());
    expect(crl.nextUpdate?.getTime()).toBe(new Date(/Next Update: (.*)/.exec(text)![1]!).getTime());
    const serials = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.replace(/^(00)+(?=.)/, ''));
    const dates = [...text.matchAll(/Revocation Date: (.*)/g)].map((m) => new Date(m[1]!).getTime());
    expect(serials.length).toBeGreaterThan(0);
    expect(crl.revoked.map((e) => e.serialHex)).toEqual(serials);
    expect(crl.revoked.map((e) => e.revocationDate.getTime())).toEqual(dates);
    const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)![1]!.replace(/:/g, '');
    expect(Buffer.from(crl.authorityKeyId!).toString('hex').toUpperCase()).toBe(aki);
  });

  it('the CRL is refused by a store that does not trust the Colombian CSCA', () => {
    const trust = new TrustStore();
    trust.addCertificates(csca);
    expect(trust.addCrl(file('bsi-tr03105/COL.crl'))).toMatchObject({ accepted: false, reason: 'issuer not trusted' });
    expect(trust.crls).toHaveLength(0);
  });
});

describe('etsi (ETSI TR 103 200 prototype data, RSASSA-PSS, SHA-256)', () => {
  it('parses; DG14 and DG15 match; DG1 is the bsi2008 DG1', () => {
    const r = passiveAuthentication({
      sod: file('etsi/EF_SOD.bin'),
      dataGroups: new Map([
        [1, BSI2008.get(1)!],
        [14, file('etsi/EF_DG14.bin')],
        [15, file('etsi/EF_DG15.bin')],
      ]),
      trust: new TrustStore(),
      at: new Date('2011-12-01T00:00:00Z'),
    });
    const s = statusOf(r);
    expect(s['sod.parse']).toBe('pass');
    expect(s['cms.signature']).toBe('pass');
    for (const dg of [1, 14, 15]) expect(s[`dg.${dg}.hash`]).toBe('pass');
    // the sample carries no DG2, which ICAO 9303-10 §4.7 makes mandatory
    expect(byId(r, 'dg.2.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(r.verdict).toBe('invalid');
  });
});
