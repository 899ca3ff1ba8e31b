/**
 * End to end with cancuoc's own PKI (src/crypto/certificates, crl, masterlist): what the issuer
 * side produces must pass passive authentication (ICAO 9303-11 §5.1, 9303-12 §7, §9), and a
 * revocation must be seen. The openssl-based tests give the independent check of each part.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate } from '../../src/crypto/certificates.js';
import { issueCrl } from '../../src/crypto/crl.js';
import { issueMasterList } from '../../src/crypto/masterlist.js';
import { generateSoftwareKey } from '../../src/crypto/signer.js';
import { signSod } from '../../src/crypto/sod-sign.js';
import { passiveAuthentication } from '../../src/reader/passive-auth.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { parseCertificate } from '../../src/lds/x509.js';

const day = 86_400_000;
const from = new Date(Date.now() - day);
const to = new Date(Date.now() + 365 * day);
const dataGroups = new Map([
  [1, Uint8Array.of(0x61, 0x03, 0x5f, 0x1f, 0x00)],
  [2, Uint8Array.of(0x75, 0x02, 0x7f, 0x61)],
  [13, Uint8Array.of(0x6d, 0x02, 0x30, 0x00)],
]);

let cscaCert: Uint8Array;
let sod: Uint8Array;
let crl: Uint8Array;
let revokingCrl: Uint8Array;
let masterList: Uint8Array;

beforeAll(async () => {
  const csca = generateSoftwareKey('ecdsa-bp256');
  const ds = generateSoftwareKey('ecdsa-p256');
  const mls = generateSoftwareKey('ecdsa-p384');
  cscaCert = await issueCertificate({
    role: 'csca', subject: { country: 'VN', organization: 'Bộ Công an', commonName: 'CSCA VN' }, signer: csca.signer, notBefore: from, notAfter: to,
  });
  const issued = { issuerCertificate: cscaCert, signer: csca.signer, notBefore: from, notAfter: to };
  const dsCert = await issueCertificate({ role: 'ds', subject: { country: 'VN', commonName: 'DS 1' }, subjectPublicKey: ds.signer.publicKeySpki, ...issued });
  const mlsCert = await issueCertificate({ role: 'mlsigner', subject: { country: 'VN', commonName: 'ML signer' }, subjectPublicKey: mls.signer.publicKeySpki, ...issued });
  const crlBase = { issuerCertificate: cscaCert, signer: csca.signer, thisUpdate: from, nextUpdate: to };
  crl = await issueCrl({ ...crlBase, crlNumber: 1 });
  revokingCrl = await issueCrl({ ...crlBase, crlNumber: 2, revoked: [{ serialNumber: parseCertificate(dsCert).serialNumber, revocationDate: from }] });
  masterList = await issueMasterList({ certificates: [cscaCert], signerCertificate: mlsCert, signer: mls.signer });
  sod = await signSod({ dataGroups, hash: 'sha384', signer: ds.signer, dsCertificate: dsCert, ldsVersion: '0108', unicodeVersion: '040000' });
});

describe('cancuoc PKI → passive authentication', () => {
  it('a SOD under the CSCA with its CRL is valid', () => {
    const trust = new TrustStore();
    expect(trust.addCertificates(cscaCert)[0]?.subjectText).toBe('C=VN, O=Bộ Công an, CN=CSCA VN');
    expect(trust.addCrl(crl).accepted).toBe(true);
    const r = passiveAuthentication({ sod, dataGroups, trust });
    expect(r.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(r.verdict).toBe('valid');
  });

  it('its master list verifies and chains to the CSCA', () => {
    const trust = new TrustStore();
    trust.addCertificates(cscaCert);
    expect(trust.addMasterList(masterList)).toMatchObject({ signatureValid: true, signerTrusted: true, loaded: true });
  });

  it('a CRL listing the DS makes the SOD invalid', () => {
    const trust = new TrustStore();
    trust.addCertificates(cscaCert);
    expect(trust.addCrl(revokingCrl).accepted).toBe(true);
    const r = passiveAuthentication({ sod, dataGroups, trust });
    expect(r.checks.find((c) => c.id === 'crl')).toMatchObject({ status: 'fail', code: 'DS_REVOKED' });
    expect(r.verdict).toBe('invalid');
  });
});
