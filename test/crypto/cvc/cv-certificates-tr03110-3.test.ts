/**
 * CV certificates and requests (BSI TR-03110-3 v2.21 annex C, D) against openpace, the
 * independent implementation: what openpace's cvc-create makes, cancuoc parses, re-encodes byte
 * for byte and verifies; what cancuoc makes, cvc-print parses with the same CAR, CHR, CHAT and
 * dates, and verifies up to the CVCA.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SignatureSuite } from '../../../src/crypto/algorithms.js';
import { cvCertificateSignedBy, cvKeyDomain, cvPublicKeyOf, cvSign, cvVerify } from '../../../src/crypto/cv-certificates.js';
import { createCvca, issueUnder } from '../../../src/crypto/cv-pki.js';
import { generateSoftwareKey } from '../../../src/crypto/signer.js';
import { equalBytes } from '../../../src/lds/bytes.js';
import {
  decodeCvCertificate,
  decodeCvRequest,
  encodeCvCertificateBody,
  encodeCvRequestBody,
  encodeCvSigned,
  type CvCertificate,
} from '../../../src/lds/cvc.js';
import { ParseError } from '../../../src/lds/errors.js';
import { tempDir } from '../pki/openssl.js';
import { pkcs8Key, printed, tool, trustDir } from './openpace.js';

const NOW = new Date('2026-03-01T10:00:00Z');

function read(path: string): CvCertificate {
  return decodeCvCertificate(new Uint8Array(readFileSync(path)));
}

describe.each([
  ['prime256v1', 'ECDSA_SHA_256'],
  ['brainpoolP256r1', 'ECDSA_SHA_256'],
  ['secp384r1', 'ECDSA_SHA_384'],
])('a chain made by openpace cvc-create on %s', (curve, scheme) => {
  const dir = tempDir();
  const run = (args: string[]): void => {
    const r = tool('cvc-create', args, dir);
    if (r.status !== 0) throw new Error(`cvc-create failed: ${r.stderr}`);
  };
  const cvcaKey = pkcs8Key(dir, 'cvca', curve);
  run(['--role=cvca', '--type=is', '--chr=UTCVCA00001', '--issued=260101', '--expires=281231', `--sign-with=${cvcaKey}`, `--scheme=${scheme}`, '--read-finger', '--read-iris']);
  run(['--role=dv_domestic', '--chr=UTDVX00007', '--issued=260201', '--expires=270131', `--sign-with=${cvcaKey}`, '--sign-as=UTCVCA00001.cvcert', `--scheme=${scheme}`, '--read-finger']);
  run(['--role=terminal', '--chr=UTIS000042', '--issued=260215', '--expires=260315', '--sign-with=UTDVX00007.pkcs8', '--sign-as=UTDVX00007.cvcert', `--scheme=${scheme}`, '--read-finger', '--read-iris']);
  const cvca = read(join(dir, 'UTCVCA00001.cvcert'));
  const dv = read(join(dir, 'UTDVX00007.cvcert'));
  const is = read(join(dir, 'UTIS000042.cvcert'));

  it('parses CAR, CHR, role, rights and dates as they were given', () => {
    expect([cvca.car, cvca.chr, dv.car, dv.chr, is.car, is.chr]).toEqual(['UTCVCA00001', 'UTCVCA00001', 'UTCVCA00001', 'UTDVX00007', 'UTDVX00007', 'UTIS000042']);
    expect([cvca.chat.role, dv.chat.role, is.chat.role]).toEqual(['cvca', 'dv-domestic', 'terminal']);
    expect([cvca.chat.readDg3, cvca.chat.readDg4, dv.chat.readDg3, dv.chat.readDg4, is.chat.readDg3, is.chat.readDg4]).toEqual([true, true, true, false, true, true]);
    expect([cvca.effectiveDate, cvca.expirationDate, is.effectiveDate, is.expirationDate]).toEqual(['2026-01-01', '2028-12-31', '2026-02-15', '2026-03-15']);
    expect(cvca.publicKey.kind === 'ec' && cvca.publicKey.domain !== undefined).toBe(true);
    expect(dv.publicKey.kind === 'ec' && dv.publicKey.domain === undefined).toBe(true);
  });

  it('re-encodes each certificate byte for byte', () => {
    for (const c of [cvca, dv, is]) expect(equalBytes(encodeCvSigned(encodeCvCertificateBody(c), c.signature), c.raw)).toBe(true);
  });

  it('verifies every signature up to the CVCA, the DV and IS keys on the CVCA curve', () => {
    const domain = cvKeyDomain(cvca.publicKey, undefined);
    expect(cvCertificateSignedBy(cvca, cvca.publicKey, domain)).toBe(true);
    expect(cvCertificateSignedBy(dv, cvca.publicKey, domain)).toBe(true);
    expect(cvCertificateSignedBy(is, dv.publicKey, domain)).toBe(true);
    expect(cvCertificateSignedBy(is, cvca.publicKey, domain)).toBe(false);
    const tampered = decodeCvCertificate(Uint8Array.from(is.raw, (b, i) => (i === is.raw.length - 5 ? b ^ 1 : b)));
    expect(cvCertificateSignedBy(tampered, dv.publicKey, domain)).toBe(false);
  });
});

const SUITES: readonly SignatureSuite[] = ['ecdsa-p256', 'ecdsa-bp256', 'ecdsa-bp384', 'rsa-pss-3072'];

describe.each(SUITES)('a chain made by cancuoc, %s, read by openpace cvc-print', (suite) => {
  const dir = tempDir();
  const cvcaKey = generateSoftwareKey(suite).signer;
  const dvKey = generateSoftwareKey(suite).signer;
  const isKey = generateSoftwareKey(suite).signer;
  const made = (async () => {
    // cvc-print checks validity against today, so this chain starts now
    const now = new Date();
    const cvca = await createCvca({ signer: cvcaKey, country: 'VN', now, days: 1095 });
    const dv = await issueUnder({ issuer: cvca, issuerSigner: cvcaKey, subject: dvKey, role: 'dv-domestic', chr: 'VNDVBCA00003', rights: { readDg3: true, readDg4: false }, now, days: 90 });
    const is = await issueUnder({ issuer: dv, issuerSigner: dvKey, subject: isKey, role: 'terminal', chr: 'VNISHN0A0017', rights: { readDg3: true, readDg4: true }, now, days: 30 });
    for (const c of [cvca, dv, is]) writeFileSync(join(dir, `${c.chr}.cvcert`), c.raw);
    return { cvca, dv, is };
  })();

  it('cvc-print shows the same CAR, CHR, CHAT and dates', async () => {
    const { cvca, dv, is } = await made;
    const cases = [
      [cvca, ['Inspection system', 'Read fingerprint', 'Read iris', 'CVCA certificate']],
      [dv, ['Inspection system', 'Read fingerprint', 'DV certificate']],
      [is, ['Inspection system', 'Read fingerprint', 'Read iris', 'Terminal certificate']],
    ] as const;
    for (const [c, chat] of cases) {
      const p = printed(join(dir, `${c.chr}.cvcert`));
      expect(p.status).toBe(0);
      expect(p.fields).toMatchObject({ 'Profile identifier': '0', CAR: c.car, CHR: c.chr, 'Effective Date': c.effectiveDate, 'Expiration Date': c.expirationDate });
      expect(p.chat).toEqual(chat);
    }
    const day = (ms: number): string => new Date(Date.parse(`${cvca.effectiveDate}T00:00:00Z`) + ms * 86400000).toISOString().slice(0, 10);
    expect([cvca.chr, cvca.expirationDate, dv.expirationDate, is.expirationDate]).toEqual(['VNCVCA00001', day(1095), day(90), day(30)]);
  });

  it('cvc-print verifies the DV and IS signatures from the CVCA', async () => {
    const { cvca, dv, is } = await made;
    const trust = trustDir(dir, [cvca, dv]);
    expect(printed(join(dir, `${dv.chr}.cvcert`), 'cvc', trust).verified).toBe(true);
    expect(printed(join(dir, `${is.chr}.cvcert`), 'cvc', trust).verified).toBe(true);
    const forged = Uint8Array.from(is.raw, (b, i) => (i === is.raw.length - 3 ? b ^ 0x40 : b));
    writeFileSync(join(dir, 'forged.cvcert'), forged);
    expect(printed(join(dir, 'forged.cvcert'), 'cvc', trust).verified).toBe(false);
  });

  it('a request made by cancuoc is read by cvc-print and signed by cvc-create', async () => {
    const { cvca } = await made;
    if (suite !== 'ecdsa-p256') return; // cvc-create below signs with a P-256 CVCA key of its own
    const publicKey = cvPublicKeyOf(isKey, true);
    const body = encodeCvRequestBody({ profileIdentifier: 0, car: cvca.chr, publicKey, chr: 'VNISREQ00001' });
    const request = encodeCvSigned(body, await cvSign(isKey, publicKey.oid, body));
    const parsed = decodeCvRequest(request);
    expect(cvVerify(publicKey, cvKeyDomain(publicKey, undefined), parsed.body, parsed.signature)).toBe(true);
    writeFileSync(join(dir, 'req.cvreq'), request);
    const p = printed(join(dir, 'req.cvreq'), 'csr');
    expect(p.status).toBe(0);
    expect(p.fields).toMatchObject({ CAR: cvca.chr, CHR: 'VNISREQ00001' });
    const opKey = pkcs8Key(dir, 'opcvca', 'prime256v1');
    const signed = tool('cvc-create', ['--csr=req.cvreq', '--role=terminal', '--type=is', '--expires=301231', `--sign-with=${opKey}`, '--scheme=ECDSA_SHA_256', '--read-finger', '--out-cert=fromreq.cvcert'], dir);
    expect(signed.status, signed.stderr).toBe(0);
    const cert = read(join(dir, 'fromreq.cvcert'));
    expect(cert.chr).toBe('VNISREQ00001');
    expect(cert.publicKey.kind === 'ec' && equalBytes(cert.publicKey.point, publicKey.kind === 'ec' ? publicKey.point : new Uint8Array())).toBe(true);
  });
});

describe('hostile CV certificates: typed errors naming tag and offset', () => {
  const made = (async () => {
    const key = generateSoftwareKey('ecdsa-p256').signer;
    return createCvca({ signer: key, country: 'VN', now: NOW });
  })();
  const fails = (bytes: Uint8Array): ParseError => {
    try {
      decodeCvCertificate(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      return e as ParseError;
    }
    throw new Error('parsed');
  };

  it('truncated, wrong outer tag, trailing bytes', async () => {
    const c = (await made).raw;
    expect(fails(c.subarray(0, c.length - 1)).code).toBe('TLV_TRUNCATED');
    expect(fails(Uint8Array.of(0x7f, 0x4e, ...c.subarray(2))).code).toBe('CVC_UNEXPECTED_TAG');
    expect(fails(Uint8Array.of(...c, 0)).code).toBe('TLV_TRAILING_BYTES');
  });

  it('a date digit above 9, a 31st of February, an inverted validity', async () => {
    const c = await made;
    const at = c.raw.findIndex((_, i) => c.raw[i] === 0x5f && c.raw[i + 1] === 0x25);
    const bad = Uint8Array.from(c.raw, (b, i) => (i === at + 3 ? 0x0a : b));
    const e = fails(bad);
    expect([e.code, e.place.tag, e.place.offset]).toEqual(['CVC_DATE', 0x5f25, at]);
    const feb = Uint8Array.from(c.raw);
    feb.set([0, 2, 3, 1], at + 5);
    expect(fails(feb).code).toBe('CVC_DATE');
    const inverted = Uint8Array.from(c.raw);
    inverted.set([9, 9], at + 3);
    expect(fails(inverted).code).toBe('CVC_DATES_INVERTED');
  });

  it('public key values out of order, CHAT of two bytes for id-IS', async () => {
    const c = await made;
    const at = c.raw.findIndex((_, i) => c.raw[i] === 0x81 && c.raw[i + 1] === 0x20);
    const swapped = Uint8Array.from(c.raw, (b, i) => (i === at ? 0x82 : b));
    const e = fails(swapped);
    expect([e.code, e.place.offset]).toEqual(['CVC_PUBLIC_KEY_TAG', at + 34]);
    const chatAt = c.raw.findIndex((_, i) => c.raw[i] === 0x53 && c.raw[i + 1] === 0x01);
    const grown = Uint8Array.from(c.raw);
    grown[chatAt + 1] = 0x00; // template emptied; the byte after becomes a stray element
    expect(fails(grown).code).toMatch(/^(CVC_CHAT_EMPTY|TLV_|CVC_)/);
  });
});

describe('a published CV certificate: the BSI test PKI CVCA DETESTeID00005 (test/vectors/cvc/, source in test/vectors/README.md)', () => {
  const hexText = readFileSync(join(import.meta.dirname, '../../vectors/cvc/DETESTeID00005.hex'), 'utf8').trim();
  const raw = Uint8Array.from(Buffer.from(hexText, 'hex'));
  const cert = decodeCvCertificate(raw);

  it('parses as cvc-print reads it: CAR = CHR, an id-AT CVCA CHAT, 2015-05-04 to 2018-05-04', () => {
    expect([cert.car, cert.chr, cert.effectiveDate, cert.expirationDate]).toEqual(['DETESTeID00005', 'DETESTeID00005', '2015-05-04', '2018-05-04']);
    expect([cert.chat.oid, cert.chat.role, Buffer.from(cert.chat.template).toString('hex')]).toEqual(['0.4.0.127.0.7.3.1.2.2', 'cvca', 'fc0f13ffff']);
    expect([cert.chat.readDg3, cert.chat.readDg4]).toEqual([false, false]); // an id-AT CHAT says nothing about eMRTD DG3/DG4
  });

  it('re-encodes byte for byte and its self-signature verifies on brainpoolP256r1', () => {
    expect(equalBytes(encodeCvSigned(encodeCvCertificateBody(cert), cert.signature), raw)).toBe(true);
    const domain = cvKeyDomain(cert.publicKey, undefined);
    expect(domain?.name).toMatch(/brainpoolP256r1/i);
    expect(cvCertificateSignedBy(cert, cert.publicKey, domain)).toBe(true);
  });
});
