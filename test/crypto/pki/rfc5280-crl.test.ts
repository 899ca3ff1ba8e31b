/**
 * CSCA CRLs: ICAO 9303-12 (8th ed.) §7.1.3 on RFC 5280 §5. `openssl crl` must parse them and
 * `openssl verify -crl_check` must reject a revoked Document Signer and accept the others.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_SUITES, type SignatureSuite } from '../../../src/crypto/algorithms.js';
import { issueCertificate, issuerAndSerialNumber, toPem } from '../../../src/crypto/certificates.js';
import { issueCrl } from '../../../src/crypto/crl.js';
import { generateSoftwareKey, type Signer } from '../../../src/crypto/signer.js';
import { hex } from '../../../src/lds/bytes.js';
import { ParseError } from '../../../src/lds/errors.js';
import { openssl, tempDir } from './openssl.js';

const dir = tempDir();
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2040-01-01T00:00:00Z');
const thisUpdate = new Date('2026-03-01T00:00:00Z');
const nextUpdate = new Date('2026-05-30T00:00:00Z');
const at = String(Math.floor(new Date('2026-04-01T00:00:00Z').getTime() / 1000));

describe.each(SIGNATURE_SUITES)('RFC 5280 §5 CRL signed by the CSCA, %s', (suite: SignatureSuite) => {
  const f = (name: string): string => join(dir, `${suite}-${name}`);
  let csca: Signer;
  let cscaDer: Uint8Array;
  let revokedDs: Uint8Array;
  let goodDs: Uint8Array;
  let crl: Uint8Array;

  beforeAll(async () => {
    csca = generateSoftwareKey(suite).signer;
    cscaDer = await issueCertificate({ role: 'csca', subject: { country: 'VN', commonName: 'CSCA' }, signer: csca, notBefore, notAfter });
    const ds = async (cn: string): Promise<Uint8Array> =>
      issueCertificate({
        role: 'ds',
        subject: { country: 'VN', commonName: cn },
        subjectPublicKey: generateSoftwareKey('ecdsa-p256').signer.publicKeySpki,
        issuerCertificate: cscaDer,
        signer: csca,
        notBefore,
        notAfter,
      });
    revokedDs = await ds('DS revoked');
    goodDs = await ds('DS good');
    crl = await issueCrl({
      issuerCertificate: cscaDer,
      signer: csca,
      crlNumber: 42,
      thisUpdate,
      nextUpdate,
      revoked: [
        { serialNumber: issuerAndSerialNumber(revokedDs).serialNumber, revocationDate: new Date('2026-02-15T12:00:00Z'), reason: 'keyCompromise' },
        { serialNumber: Uint8Array.of(0x01, 0x02, 0x03), revocationDate: new Date('2026-02-16T00:00:00Z') },
      ],
    });
    writeFileSync(f('csca.pem'), toPem(cscaDer));
    writeFileSync(f('revoked.pem'), toPem(revokedDs));
    writeFileSync(f('good.pem'), toPem(goodDs));
    writeFileSync(f('crl.der'), crl);
    writeFileSync(f('crl.pem'), toPem(crl, 'X509 CRL'));
  });

  it('openssl crl parses it: v2, issuer, dates, AKI, CRL number, serials and reasons', () => {
    const r = openssl(['crl', '-inform', 'DER', '-in', f('crl.der'), '-noout', '-text']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Version 2 (0x1)');
    expect(r.stdout).toContain('Issuer: C = VN, CN = CSCA');
    expect(r.stdout).toContain('Last Update: Mar  1 00:00:00 2026 GMT');
    expect(r.stdout).toContain('Next Update: May 30 00:00:00 2026 GMT');
    expect(r.stdout).toMatch(/X509v3 CRL Number:\s+42\n/);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(['x509', '-in', f('csca.pem'), '-noout', '-text']).stdout)![1];
    expect(/Authority Key Identifier:\s+([0-9A-F:]+)/.exec(r.stdout)![1]).toBe(ski);
    const serial = hex(issuerAndSerialNumber(revokedDs).serialNumber).toUpperCase();
    expect(r.stdout).toMatch(new RegExp(`Serial Number: ${serial}\\s+Revocation Date: Feb 15 12:00:00 2026 GMT\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Key Compromise`));
    expect(r.stdout).toMatch(/Serial Number: 010203\s+Revocation Date: Feb 16 00:00:00 2026 GMT/);
  });

  it('openssl crl -CAfile verifies its signature', () => {
    const r = openssl(['crl', '-in', f('crl.pem'), '-noout', '-CAfile', f('csca.pem')]);
    expect(r.stderr).toContain('verify OK');
  });

  it('openssl verify -crl_check rejects the revoked DS and accepts the other', () => {
    const bad = openssl(['verify', '-attime', at, '-crl_check', '-CRLfile', f('crl.pem'), '-CAfile', f('csca.pem'), f('revoked.pem')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('certificate revoked');
    const good = openssl(['verify', '-attime', at, '-crl_check', '-CRLfile', f('crl.pem'), '-CAfile', f('csca.pem'), f('good.pem')]);
    expect(good.stdout).toContain(': OK');
    expect(good.status).toBe(0);
  });
});

describe('an empty CRL and misuse', () => {
  it('omits revokedCertificates when nothing is revoked (RFC 5280 §5.1.2.6)', async () => {
    const csca = generateSoftwareKey('ecdsa-p256').signer;
    const cscaDer = await issueCertificate({ role: 'csca', subject: { country: 'VN' }, signer: csca, notBefore, notAfter });
    const crl = await issueCrl({ issuerCertificate: cscaDer, signer: csca, crlNumber: 1, thisUpdate, nextUpdate });
    const r = openssl(['crl', '-inform', 'DER', '-noout', '-text'], crl);
    expect(r.stdout).toContain('No Revoked Certificates.');
    expect(r.stdout).toMatch(/CRL Number:\s+1\n/);
  });

  it('rejects a foreign signer, bad numbers, dates, serials and reasons', async () => {
    const csca = generateSoftwareKey('ecdsa-p256').signer;
    const other = generateSoftwareKey('ecdsa-p256').signer;
    const cscaDer = await issueCertificate({ role: 'csca', subject: { country: 'VN' }, signer: csca, notBefore, notAfter });
    const base = { issuerCertificate: cscaDer, signer: csca, crlNumber: 1, thisUpdate, nextUpdate };
    await expect(issueCrl({ ...base, signer: other })).rejects.toThrow(RangeError);
    await expect(issueCrl({ ...base, crlNumber: -1 })).rejects.toThrow(RangeError);
    await expect(issueCrl({ ...base, crlNumber: 1.5 })).rejects.toThrow(RangeError);
    await expect(issueCrl({ ...base, nextUpdate: thisUpdate })).rejects.toThrow(RangeError);
    await expect(issueCrl({ ...base, revoked: [{ serialNumber: new Uint8Array(0), revocationDate: thisUpdate }] })).rejects.toThrow(RangeError);
    await expect(issueCrl({ ...base, revoked: [{ serialNumber: Uint8Array.of(1), revocationDate: thisUpdate, reason: 'bored' as never }] })).rejects.toThrow(TypeError);
    await expect(issueCrl({ ...base, issuerCertificate: Uint8Array.of(0x30, 0x03, 1, 2) })).rejects.toThrow(ParseError);
  });
});
