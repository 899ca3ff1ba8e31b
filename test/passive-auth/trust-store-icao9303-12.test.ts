/**
 * The trust store (ICAO 9303-12 §5 CSCA certificates, §7 CRLs, §9 CSCA master lists) with
 * certificates, CRLs and master lists made by the openssl CLI (`openssl cms -sign
 * -econtent_type 2.23.136.1.1.2`).
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softwareSigner } from '../../src/crypto/signer.js';
import { signSod } from '../../src/crypto/sod-sign.js';
import { ParseError } from '../../src/lds/errors.js';
import { attempt } from '../../src/lds/errors.js';
import { encodeTlv } from '../../src/lds/tlv.js';
import { passiveAuthentication } from '../../src/reader/passive-auth.js';
import { sniffDer, TrustStore } from '../../src/reader/trust-store.js';
import { parseCertificate, parseCrl } from '../../src/lds/x509.js';
import { type IssuedCert, OpensslCa, openssl, tempDir } from '../helpers/openssl-pki.js';

let dir: { path: string; remove: () => void };
let root: OpensslCa; // the CSCA that signs the master list
let listed1: OpensslCa;
let listed2: OpensslCa;
let mlSigner: IssuedCert;
let dsOfListed: IssuedCert;
let masterList: Uint8Array;

/** CscaMasterList ::= SEQUENCE { version INTEGER (v0), certList SET OF Certificate }, signed by openssl. */
function makeMasterList(certs: readonly Uint8Array[], signer: IssuedCert, name: string): Uint8Array {
  const content = encodeTlv(0x30, Uint8Array.of(0x02, 0x01, 0x00), encodeTlv(0x31, ...certs));
  const inPath = join(dir.path, `${name}.content`);
  const outPath = join(dir.path, `${name}.ml`);
  writeFileSync(inPath, content);
  openssl(['cms', '-sign', '-binary', '-nodetach', '-econtent_type', '2.23.136.1.1.2', '-in', inPath, '-signer',
    signer.certPath, '-inkey', signer.keyPath, '-md', 'sha256', '-nosmimecap', '-outform', 'DER', '-out', outPath]);
  return new Uint8Array(readFileSync(outPath));
}

const dg = new Map([
  [1, Uint8Array.of(0x61, 0x03, 0x5f, 0x1f, 0x00)],
  [2, Uint8Array.of(0x75, 0x02, 0x7f, 0x61)],
]);

beforeAll(() => {
  dir = tempDir('cancuoc-trust-');
  root = new OpensslCa(dir.path, 'root', '/C=UT/O=Utopia/CN=CSCA Utopia', 'p384');
  listed1 = new OpensslCa(dir.path, 'l1', '/C=VN/O=Cancuoc Test/CN=CSCA one', 'rsa2048');
  listed2 = new OpensslCa(dir.path, 'l2', '/C=VN/O=Cancuoc Test/CN=CSCA two', 'bp256');
  mlSigner = root.issue('mls', '/C=UT/O=Utopia/CN=Master List Signer', { ext: 'ext_mls' });
  dsOfListed = listed1.issue('ds', '/C=VN/O=Cancuoc Test/CN=DS one', { keySpec: 'p256' });
  masterList = makeMasterList([root.cert.der, listed1.cert.der, listed2.cert.der], mlSigner, 'good');
}, 120_000);
afterAll(() => dir.remove());

describe('CSCA certificates', () => {
  it('takes PEM bundles and DER, and does not add a certificate twice', () => {
    const store = new TrustStore();
    expect(store.addCertificates(listed1.cert.pem + '\n' + listed2.cert.pem)).toHaveLength(2);
    expect(store.addCertificates(listed1.cert.der)).toHaveLength(0);
    expect(store.cscas.map((c) => c.subjectText)).toEqual(['C=VN, O=Cancuoc Test, CN=CSCA one', 'C=VN, O=Cancuoc Test, CN=CSCA two']);
  });

  it('finds the issuer of a DS by DER name and key identifier', () => {
    const store = new TrustStore();
    store.addCertificates(listed1.cert.pem + listed2.cert.pem + root.cert.pem);
    const issuers = store.issuersOf(parseCertificate(dsOfListed.der));
    expect(issuers.map((c) => c.subjectText)).toEqual(['C=VN, O=Cancuoc Test, CN=CSCA one']);
  });
});

describe('master lists (ICAO 9303-12 §9)', () => {
  it('loads the CSCAs when the signer chains to a trusted CSCA; the DS then chains', async () => {
    const store = new TrustStore();
    store.addCertificates(root.cert.der);
    const r = store.addMasterList(masterList);
    expect(r).toMatchObject({ signatureValid: true, signerTrusted: true, loaded: true, added: 2, skipped: [] });
    expect(r.signer).toBe('C=UT, O=Utopia, CN=Master List Signer');
    const signer = softwareSigner(createPrivateKey(readFileSync(dsOfListed.keyPath)), 'ecdsa-p256');
    const sod = await signSod({ dataGroups: dg, hash: 'sha256', signer, dsCertificate: dsOfListed.der });
    expect(passiveAuthentication({ sod, dataGroups: dg, trust: store }).verdict).toBe('valid');
  });

  it('does not load a list whose signer is not trusted, unless asked to', () => {
    const store = new TrustStore();
    const r = store.addMasterList(masterList);
    expect(r).toMatchObject({ signatureValid: true, signerTrusted: false, loaded: false, added: 0 });
    expect(store.cscas).toHaveLength(0);
    expect(store.addMasterList(masterList, { acceptUnverified: true })).toMatchObject({ loaded: true, added: 3 });
    expect(store.cscas).toHaveLength(3);
  });

  it('a changed byte in the list content breaks its signature', () => {
    const bad = Uint8Array.from(masterList);
    const at = Buffer.from(bad).indexOf(Buffer.from(listed2.cert.der.subarray(0, 40)));
    expect(at).toBeGreaterThan(0);
    bad[at + 30] = bad[at + 30]! ^ 0x01;
    const store = new TrustStore();
    store.addCertificates(root.cert.der);
    expect(store.addMasterList(bad)).toMatchObject({ signatureValid: false, loaded: false, added: 0 });
  });

  it('a list signed by a certificate the trusted CSCA did not issue is not trusted', () => {
    const rogue = listed2.issue('rogue-mls', '/C=UT/O=Utopia/CN=Master List Signer', { ext: 'ext_mls' });
    const store = new TrustStore();
    store.addCertificates(root.cert.der);
    expect(store.addMasterList(makeMasterList([listed1.cert.der], rogue, 'rogue'))).toMatchObject({
      signatureValid: true,
      signerTrusted: false,
      loaded: false,
    });
  });

  it('an EF.SOD is not a master list', () => {
    const sod = readFileSync('test/vectors/samples/loes2006/ef011D.bin').subarray(4);
    expect(() => new TrustStore().addMasterList(new Uint8Array(sod))).toThrow(expect.objectContaining({ code: 'ML_WRONG_CONTENT_TYPE' }));
  });
});

describe('CRLs (ICAO 9303-12 §7)', () => {
  it('accepts a CRL its CSCA signed and refuses a tampered or foreign one', () => {
    const store = new TrustStore();
    store.addCertificates(listed1.cert.der);
    const crl = listed1.crl();
    const tampered = Uint8Array.from(crl);
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0x01;
    expect(store.addCrl(tampered)).toMatchObject({ accepted: false, reason: 'CRL signature does not verify with its CSCA' });
    expect(store.addCrl(listed2.crl())).toMatchObject({ accepted: false, reason: 'issuer not trusted' });
    expect(store.addCrl(crl).accepted).toBe(true);
    expect(store.crlsOf(store.cscas[0]!)).toHaveLength(1);
  });
});

describe('loading a directory (by extension and content)', () => {
  it('loads certificates, then CRLs, then master lists, then CRLs of the CSCAs they added; reports files it cannot use', async () => {
    const d = join(dir.path, 'trustdir');
    mkdirSync(d);
    writeFileSync(join(d, 'a-list.ml'), masterList);
    writeFileSync(join(d, 'b-root.pem'), root.cert.pem);
    writeFileSync(join(d, 'c-crl.crl'), listed1.crl());
    writeFileSync(join(d, 'd-crl-as.bin'), listed2.crl());
    writeFileSync(join(d, 'e-junk.der'), randomBytes(64));
    writeFileSync(join(d, 'notes.txt'), 'not a PKI file');
    const store = new TrustStore();
    const report = await store.loadDirectory(d);
    expect(report.map((r) => [r.file, r.kind, r.ok])).toEqual([
      ['e-junk.der', 'unknown', false],
      ['b-root.pem', 'certificate', true],
      ['c-crl.crl', 'crl', true],
      ['d-crl-as.bin', 'crl', true],
      ['a-list.ml', 'master-list', true],
    ]);
    expect(store.cscas).toHaveLength(3);
    expect(store.crls).toHaveLength(2);
  });
});

describe('hostile input gives ParseError, never another error', () => {
  const samples = () => [root.cert.der, listed1.crl(), masterList];

  it('truncations of certificates, CRLs and master lists', () => {
    for (const der of samples()) {
      for (let n = 0; n < der.length; n += 5) {
        for (const fn of [parseCertificate, parseCrl, sniffDer, (b: Uint8Array) => new TrustStore().add(b)]) {
          const r = attempt(() => fn(der.subarray(0, n)));
          if (!r.ok) expect(r.error).toBeInstanceOf(ParseError);
        }
      }
    }
  });

  it('random bytes and single-byte changes', () => {
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) inputs.push(new Uint8Array(randomBytes(i % 200)));
    for (const der of samples()) {
      for (let i = 0; i < der.length; i += 3) {
        const bad = Uint8Array.from(der);
        bad[i] = bad[i]! ^ 0x80;
        inputs.push(bad);
      }
    }
    for (const b of inputs) {
      for (const fn of [parseCertificate, parseCrl, (x: Uint8Array) => new TrustStore().add(x)]) {
        const r = attempt(() => fn(b));
        if (!r.ok) expect(r.error).toBeInstanceOf(ParseError);
      }
    }
  });
});
