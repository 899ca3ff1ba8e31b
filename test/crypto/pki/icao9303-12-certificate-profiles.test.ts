/**
 * ICAO 9303-12 (8th ed.) §7.1 certificate profiles on RFC 5280, for every signature suite:
 * `openssl verify` accepts the chain, `openssl x509 -text` shows the extensions, @peculiar/asn1-x509
 * parses them back (@peculiar/x509 itself needs reflect-metadata, which is not installed). The documentTypeList DER is compared with `openssl asn1parse -genconf`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_SUITES, type SignatureSuite } from '../../../src/crypto/algorithms.js';
import {
  encodeDocumentTypeList,
  issueCertificate,
  issuerAndSerialNumber,
  randomSerial,
  toPem,
  fromPem,
} from '../../../src/crypto/certificates.js';
import { parseCertificate } from '../../../src/lds/x509.js';
import { generateSoftwareKey, type Signer } from '../../../src/crypto/signer.js';
import { hex } from '../../../src/lds/bytes.js';
import { CancuocError, ParseError } from '../../../src/lds/errors.js';
import { derFromConf, openssl, tempDir } from './openssl.js';

const dir = tempDir();
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2041-01-01T00:00:00Z');
const pkupEnd = new Date('2029-01-01T00:00:00Z');
const at = String(Math.floor(new Date('2027-06-01T00:00:00Z').getTime() / 1000));

interface Chain {
  csca: Uint8Array;
  ds: Uint8Array;
  seal: Uint8Array;
  mlsigner: Uint8Array;
  cscaSigner: Signer;
}

async function chain(suite: SignatureSuite): Promise<Chain> {
  const csca = generateSoftwareKey(suite).signer;
  const cscaDer = await issueCertificate({
    role: 'csca',
    subject: { country: 'VN', organization: 'Bộ Công an', commonName: 'CSCA Việt Nam' },
    signer: csca,
    notBefore,
    notAfter,
    privateKeyUsage: { notBefore, notAfter: pkupEnd },
  });
  const child = async (role: 'ds' | 'seal' | 'mlsigner'): Promise<Uint8Array> =>
    issueCertificate({
      role,
      subject: { country: 'VN', organization: 'Bo Cong an', commonName: `${role} 1` },
      subjectPublicKey: generateSoftwareKey(suite).signer.publicKeySpki,
      issuerCertificate: cscaDer,
      signer: csca,
      notBefore,
      notAfter: new Date('2037-01-01T00:00:00Z'),
      privateKeyUsage: { notBefore, notAfter: new Date('2027-01-01T00:00:00Z') },
      ...(role === 'ds' ? { documentTypes: ['ID'] } : {}),
    });
  return { csca: cscaDer, ds: await child('ds'), seal: await child('seal'), mlsigner: await child('mlsigner'), cscaSigner: csca };
}

/** Where openssl asn1parse finds the subjectPublicKey BIT STRING of a DER SubjectPublicKeyInfo. */
function bitString(spki: Buffer): { start: number; headerLength: number; length: number } {
  const m = /^\s*(\d+):d=1\s+hl=(\d+)\s+l=\s*(\d+)\s+prim: BIT STRING/m.exec(openssl(['asn1parse', '-inform', 'DER'], spki).stdout)!;
  return { start: Number(m[1]), headerLength: Number(m[2]), length: Number(m[3]) };
}

describe.each(SIGNATURE_SUITES)('ICAO 9303-12 §7.1 profiles, %s', (suite) => {
  let c: Chain;
  const file = (name: string): string => join(dir, `${suite}-${name}.pem`);
  beforeAll(async () => {
    c = await chain(suite);
    for (const name of ['csca', 'ds', 'seal', 'mlsigner'] as const) writeFileSync(file(name), toPem(c[name]));
  });

  it('openssl verify accepts DS, seal signer and master list signer under the CSCA', () => {
    const r = openssl(['verify', '-attime', at, '-CAfile', file('csca'), file('ds'), file('seal'), file('mlsigner')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/: OK/g)).toHaveLength(3);
  });

  it('openssl rejects a DS checked against a different CSCA', async () => {
    const other = await chain(suite);
    writeFileSync(file('other-csca'), toPem(other.csca));
    expect(openssl(['verify', '-attime', at, '-CAfile', file('other-csca'), file('ds')]).status).not.toBe(0);
  });

  it('CSCA: v3, self-signed, keyCertSign+cRLSign critical, CA pathlen 0 critical, SKI = AKI, PKUP', () => {
    const text = openssl(['x509', '-in', file('csca'), '-noout', '-text']).stdout;
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Private Key Usage Period:\s+Not Before: Jan {2}1 00:00:00 2026 GMT, Not After: Jan {2}1 00:00:00 2029 GMT/);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1];
    const aki = /Authority Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1];
    expect(aki).toBe(ski);
    const issuer = openssl(['x509', '-in', file('csca'), '-noout', '-issuer']).stdout.replace('issuer=', '');
    const subject = openssl(['x509', '-in', file('csca'), '-noout', '-subject']).stdout.replace('subject=', '');
    expect(issuer).toBe(subject);
    expect(subject.startsWith(' C = VN') || subject.startsWith('C = VN')).toBe(true);
    // RFC 5280 §4.2.1.2 method (1): SHA-1 over the subjectPublicKey bits, computed here by openssl
    const pubDer = openssl(['x509', '-in', file('csca'), '-noout', '-pubkey']).stdout;
    const spki = openssl(['pkey', '-pubin', '-outform', 'DER'], pubDer).out;
    const { start, headerLength, length } = bitString(spki);
    const keyBits = spki.subarray(start + headerLength + 1, start + headerLength + length); // after the unused-bits byte
    const sha1 = openssl(['dgst', '-sha1', '-r'], keyBits).stdout.split(' ')[0]!;
    expect(ski!.replace(/:/g, '').toLowerCase()).toBe(sha1);
  });

  it('CSCA subject keeps Vietnamese text as UTF8String, the country as PrintableString', () => {
    const parse = openssl(['asn1parse', '-in', file('csca')]).stdout;
    expect(parse).toMatch(/PRINTABLESTRING\s+:VN/);
    expect(parse).toMatch(/UTF8STRING\s+:/);
    expect(openssl(['x509', '-in', file('csca'), '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus']).out.toString('utf8')).toContain('O=Bộ Công an');
  });

  it('DS: digitalSignature critical, AKI = CSCA SKI, PKUP, documentTypeList', () => {
    const text = openssl(['x509', '-in', file('ds'), '-noout', '-text']).stdout;
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toContain('Private Key Usage Period');
    expect(text).toContain('2.23.136.1.1.6.2');
    expect(text).not.toContain('Basic Constraints');
    const cscaSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(['x509', '-in', file('csca'), '-noout', '-text']).stdout)![1];
    expect(/Authority Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1]).toBe(cscaSki);
    const exts = AsnConvert.parse(c.ds, Certificate).tbsCertificate.extensions!;
    const aki = AsnConvert.parse(exts.find((e) => e.extnID === '2.5.29.35')!.extnValue, AuthorityKeyIdentifier);
    expect(hex(new Uint8Array(aki.keyIdentifier!.buffer)).toUpperCase()).toBe(cscaSki!.replace(/:/g, ''));
    const dtl = exts.find((e) => e.extnID === '2.23.136.1.1.6.2')!;
    expect(dtl.critical).toBe(false);
    expect(hex(new Uint8Array(dtl.extnValue.buffer))).toBe(hex(derFromConf('asn1=SEQUENCE:d\n[d]\nv=INTEGER:0\nl=SET:t\n[t]\na=PRINTABLESTRING:ID\n', dir)));
    const ski = AsnConvert.parse(exts.find((e) => e.extnID === '2.5.29.14')!.extnValue, SubjectKeyIdentifier);
    expect(ski.byteLength).toBe(20);
  });

  it('seal signer: digitalSignature, extKeyUsage 2.23.136.1.1.14.2', () => {
    const text = openssl(['x509', '-in', file('seal'), '-noout', '-text']).stdout;
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/Extended Key Usage:\s+2\.23\.136\.1\.1\.14\.2/);
  });

  it('master list signer: digitalSignature, extKeyUsage 2.23.136.1.1.3', () => {
    const text = openssl(['x509', '-in', file('mlsigner'), '-noout', '-text']).stdout;
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/Extended Key Usage:\s+2\.23\.136\.1\.1\.3\n/);
  });

  it('the signature algorithm matches the suite', () => {
    const text = openssl(['x509', '-in', file('ds'), '-noout', '-text']).stdout;
    const expected = { 'ecdsa-p256': 'ecdsa-with-SHA256', 'ecdsa-p384': 'ecdsa-with-SHA384', 'ecdsa-bp256': 'ecdsa-with-SHA256', 'ecdsa-bp384': 'ecdsa-with-SHA384', 'rsa-pss-3072': 'rsassaPss' }[suite];
    expect(text).toContain(`Signature Algorithm: ${expected}`);
    if (suite === 'rsa-pss-3072') expect(text).toMatch(/Hash Algorithm: sha256\s+Mask Algorithm: mgf1 with sha256\s+Salt Length: 0x20/);
  });

  it('issuerAndSerialNumber returns the exact issuer Name and serial openssl reports', () => {
    const { issuer, serialNumber } = issuerAndSerialNumber(c.ds);
    const serial = openssl(['x509', '-in', file('ds'), '-noout', '-serial']).stdout.trim().split('=')[1]!;
    expect(hex(serialNumber).toUpperCase()).toBe(serial.padStart(hex(serialNumber).length, '0'));
    const subjectOfCsca = openssl(['x509', '-in', file('csca'), '-noout', '-subject', '-nameopt', 'RFC2253']).stdout;
    expect(subjectOfCsca).toContain('C=VN');
    expect(hex(issuer)).toBe(hex(issuerAndSerialNumber(c.csca).issuer));
  });
});

describe('ICAO 9303-12 §7.1.1.2 documentTypeList', () => {
  it('DocumentTypeListSyntax DER matches openssl -genconf (SET OF sorted)', () => {
    const expected = derFromConf(
      'asn1=SEQUENCE:dtl\n[dtl]\nv=INTEGER:0\nlist=SET:types\n[types]\na=PRINTABLESTRING:I\nb=PRINTABLESTRING:ID\nc=PRINTABLESTRING:P\n',
      dir,
    );
    expect(hex(encodeDocumentTypeList(['P', 'ID', 'I']))).toBe(hex(expected));
  });
  it('rejects types that are not 1-2 MRZ characters', () => {
    expect(() => encodeDocumentTypeList([])).toThrow(TypeError);
    expect(() => encodeDocumentTypeList(['IDX'])).toThrow(RangeError);
    expect(() => encodeDocumentTypeList(['id'])).toThrow(RangeError);
  });
});

describe('RFC 5280 §4.1.2.2 serial numbers', () => {
  it('are positive, 16 bytes, without a redundant leading zero, and differ', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = randomSerial();
      expect(s.length).toBe(16);
      expect(s[0]! & 0x80).toBe(0);
      expect(s[0]).not.toBe(0);
      seen.add(hex(s));
    }
    expect(seen.size).toBe(200);
  });
});

describe('misuse and hostile input', () => {
  it('refuses a signer that does not hold the issuer key, a CSCA with an issuer, bad names and dates', async () => {
    const a = generateSoftwareKey('ecdsa-p256').signer;
    const b = generateSoftwareKey('ecdsa-p256').signer;
    const csca = await issueCertificate({ role: 'csca', subject: { country: 'VN' }, signer: a, notBefore, notAfter });
    const base = { subject: { country: 'VN' }, subjectPublicKey: b.publicKeySpki, notBefore, notAfter };
    await expect(issueCertificate({ ...base, role: 'ds', issuerCertificate: csca, signer: b })).rejects.toThrow(RangeError);
    await expect(issueCertificate({ ...base, role: 'ds', signer: a })).rejects.toThrow(TypeError);
    await expect(issueCertificate({ ...base, role: 'csca', issuerCertificate: csca, signer: a })).rejects.toThrow(TypeError);
    await expect(issueCertificate({ ...base, role: 'ds', issuerCertificate: csca, signer: a, subject: { country: 'vn' } })).rejects.toThrow(RangeError);
    await expect(issueCertificate({ ...base, role: 'ds', issuerCertificate: csca, signer: a, subject: { country: 'VNM' } })).rejects.toThrow(RangeError);
    await expect(issueCertificate({ ...base, role: 'ds', issuerCertificate: csca, signer: a, notAfter: notBefore })).rejects.toThrow(RangeError);
    await expect(issueCertificate({ ...base, role: 'ds', issuerCertificate: csca, signer: a, notBefore: new Date(NaN) })).rejects.toThrow(TypeError);
    await expect(issueCertificate({ ...base, role: 'root' as never, signer: a })).rejects.toThrow(TypeError);
    await expect(issueCertificate({ ...base, role: 'ds', issuerCertificate: csca, signer: a, serialNumber: Uint8Array.of(0x80) })).rejects.toThrow(RangeError);
  });

  it('parseCertificate turns truncated, mutated and random bytes into ParseError', async () => {
    const a = generateSoftwareKey('ecdsa-p256').signer;
    const csca = await issueCertificate({ role: 'csca', subject: { country: 'VN' }, signer: a, notBefore, notAfter });
    for (const cut of [0, 1, 2, 10, csca.length - 1]) expect(() => parseCertificate(csca.subarray(0, cut))).toThrow(ParseError);
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    for (let i = 0; i < 500; i++) {
      const junk = Uint8Array.from({ length: 1 + (i % 200) }, rnd);
      try {
        parseCertificate(junk);
      } catch (e) {
        expect(e).toBeInstanceOf(CancuocError);
      }
      const mutated = Uint8Array.from(csca);
      const pos = rnd() % mutated.length;
      mutated[pos] = mutated[pos]! ^ (1 + (rnd() % 255));
      try {
        parseCertificate(mutated);
      } catch (e) {
        expect(e).toBeInstanceOf(CancuocError);
      }
    }
  });

  it('PEM round trip; missing armour is a ParseError', async () => {
    const a = generateSoftwareKey('ecdsa-p256').signer;
    const der = await issueCertificate({ role: 'csca', subject: { country: 'VN' }, signer: a, notBefore, notAfter });
    const pem = toPem(der);
    expect(openssl(['x509', '-noout', '-subject'], pem).stdout).toContain('C = VN');
    expect(hex(fromPem(pem))).toBe(hex(der));
    expect(() => fromPem('hello')).toThrow(ParseError);
  });
});
