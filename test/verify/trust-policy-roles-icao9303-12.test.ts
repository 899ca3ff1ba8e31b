/**
 * The trust policy of docs/trust-policy.md, attack by attack (issue 10 items 1-4, 11; issue 15
 * item 1): every signature counts only from a certificate whose role fits it (ICAO 9303-12 (8th
 * ed.) §7.1.1 profiles), unrecognised critical extensions make a certificate or CRL unusable
 * (RFC 5280 §4.2), CRLs must be current and consistent (RFC 5280 §5.1.1.2, §6.3.3), weak
 * algorithms are reported with their own codes. Each attack is built with the openssl CLI
 * (`openssl cms -sign` with the wrong key, `openssl ca` with hostile extensions and dates) and
 * ends in a stable code.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRevocationList } from '../../src/crypto/revocation-list.js';
import { softwareSigner } from '../../src/crypto/signer.js';
import { cccdSeal } from '../../src/issuance/qr-payloads.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import type { DocumentSet } from '../../src/issuance/document-set.js';
import { encodeDg14 } from '../../src/lds/dg14.js';
import { encodeDg15 } from '../../src/lds/dg15.js';
import { OID } from '../../src/lds/oid.js';
import { decodeVds } from '../../src/qr/vds.js';
import { verifyVds } from '../../src/qr/vds-sign.js';
import { sealSignerDecision } from '../../src/reader/seal-trust.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { verifyDump, type VerificationReport } from '../../src/reader/verify.js';
import { parseCertificate } from '../../src/lds/x509.js';
import { openssl, type IssuedCert } from '../helpers/openssl-pki.js';
import { issueCard, makePki, resign, type TestPki } from './cards.js';

const ROOT = join(import.meta.dirname, '../..');
const VN = '/C=VN/O=cancuoc test';

let pki: TestPki;
let card: DocumentSet;
let certs: Record<'seal' | 'mls' | 'unknownCritical' | 'keyPast' | 'passports' | 'sha1' | 'rsa1024', IssuedCert>;

beforeAll(async () => {
  pki = makePki();
  const issue = (name: string, ext: string, more: Parameters<TestPki['csca']['issue']>[2] = {}) =>
    pki.csca.issue(name, `${VN}/CN=${name}`, { ext, ...more });
  certs = {
    seal: issue('seal', 'ext_seal'),
    mls: issue('mls', 'ext_mls'),
    unknownCritical: issue('ds-critical', 'ext_ds_unknown_critical'),
    keyPast: issue('ds-key-past', 'ext_ds_key_period_past'),
    passports: issue('ds-passports', 'ext_ds_passports'),
    sha1: issue('ds-sha1', 'ext_ds', { md: 'sha1' }),
    rsa1024: issue('ds-rsa1024', 'ext_ds', { keySpec: 'rsa1024' }),
  };
  card = await issueCard('01', pki.ds);
}, 180_000);
afterAll(() => pki?.remove());

// ---------------------------------------------------------------------------------------------
// openssl-made CMS

/** DER TLV with a definite length (X.690 §8.1.3). */
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Uint8Array.from([tag, ...len, ...content]);
}

let seq = 0;
function tmp(name: string, bytes?: Uint8Array): string {
  const path = join(pki.dir, `${seq++}-${name}`);
  if (bytes !== undefined) writeFileSync(path, bytes);
  return path;
}

/** `openssl cms -sign` of `content` as eContent of type `type`, signed by `cert` (ContentInfo DER). */
function cmsSign(content: Uint8Array, type: string, cert: IssuedCert, md = 'sha256'): Uint8Array {
  const out = tmp('cms.der');
  openssl(['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-in', tmp('content.der', content), '-econtent_type', type,
    '-signer', cert.certPath, '-inkey', cert.keyPath, '-md', md, '-outform', 'DER', '-out', out]);
  return new Uint8Array(readFileSync(out));
}

/** The LDSSecurityObject of the genuine card, as `openssl cms` extracts it. */
function ldsSecurityObject(): Uint8Array {
  const sod = card.files.get('SOD')!;
  const header = 2 + (sod[1]! & 0x80 ? sod[1]! & 0x7f : 0);
  const out = tmp('lds.der');
  openssl(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', tmp('sod.der', sod.subarray(header)), '-out', out]);
  return new Uint8Array(readFileSync(out));
}

/** The card with its EF.SOD signed again by `cert` over the same LDSSecurityObject. */
function resignedBy(cert: IssuedCert, md = 'sha256'): Map<string, Uint8Array> {
  return new Map([...card.files, ['SOD', tlv(0x77, cmsSign(ldsSecurityObject(), OID.ldsSecurityObject, cert, md))]]);
}

function trust(...extra: Uint8Array[]): TrustStore {
  const store = new TrustStore();
  store.addCertificates(pki.csca.cert.der);
  for (const e of extra) store.add(e);
  return store;
}

const byId = (r: VerificationReport, id: string) => r.checks.find((c) => c.id === id);

// ---------------------------------------------------------------------------------------------

describe('item 1: EF.SOD only from a Document Signer (ICAO 9303-12 §7.1.1)', () => {
  it('control: the same `openssl cms -sign` construction with the DS key is VALID', () => {
    const r = verifyDump(resignedBy(pki.ds), { trust: trust() });
    expect(r.verdict).toBe('VALID');
    expect(byId(r, 'ds.role')).toMatchObject({ status: 'pass', code: 'OK' });
  });

  it('signed with the seal-signer key: DS_WRONG_ROLE, INVALID', () => {
    const r = verifyDump(resignedBy(certs.seal), { trust: trust() });
    expect(byId(r, 'cms.signature')?.status).toBe('pass');
    expect(byId(r, 'ds.role')).toMatchObject({ status: 'fail', code: 'DS_WRONG_ROLE' });
    expect(byId(r, 'ds.role')?.reason).toContain('seal signer');
    expect(r.verdict).toBe('INVALID');
  });

  it('signed with the master-list-signer key: DS_WRONG_ROLE, INVALID', () => {
    const r = verifyDump(resignedBy(certs.mls), { trust: trust() });
    expect(byId(r, 'ds.role')).toMatchObject({ status: 'fail', code: 'DS_WRONG_ROLE' });
    expect(r.verdict).toBe('INVALID');
  });

  it('signed with the CSCA key itself: DS_WRONG_ROLE (a CA certificate)', () => {
    const r = verifyDump(resignedBy(pki.csca.cert), { trust: trust() });
    expect(byId(r, 'ds.role')).toMatchObject({ status: 'fail', code: 'DS_WRONG_ROLE' });
    expect(r.verdict).toBe('INVALID');
  });

  it('signed after the private key usage period ended: DS_KEY_PERIOD', () => {
    const r = verifyDump(resignedBy(certs.keyPast), { trust: trust() });
    expect(byId(r, 'ds.role')).toMatchObject({ status: 'fail', code: 'DS_KEY_PERIOD' });
    expect(r.verdict).toBe('INVALID');
  });

  it('a DS whose documentTypeList allows passports only signs an ID card: DS_DOCUMENT_TYPE', () => {
    expect(parseCertificate(certs.passports.der).documentTypes).toEqual(['P']);
    const r = verifyDump(resignedBy(certs.passports), { trust: trust() });
    expect(byId(r, 'ds.role')).toMatchObject({ status: 'fail', code: 'DS_DOCUMENT_TYPE' });
    expect(r.verdict).toBe('INVALID');
  });
});

/** CscaMasterList ::= SEQUENCE { version INTEGER (0), certList SET OF Certificate } (ICAO 9303-12 §9). */
function cscaMasterList(...cscas: Uint8Array[]): Uint8Array {
  const sorted = [...cscas].sort((a, b) => Buffer.compare(a, b));
  return tlv(0x30, Uint8Array.from([0x02, 0x01, 0x00, ...tlv(0x31, Uint8Array.from(sorted.flatMap((c) => [...c])))]));
}

describe('item 1: master lists only from a master list signer (2.23.136.1.1.3), valid and unrevoked', () => {
  it('a master list signed with a Document Signer key adds no CSCA: the attacker\'s SODs stay UNTRUSTED', async () => {
    const evil = pki.csca; // the attacker holds a DS key of the trusted CSCA, and a CSCA of his own:
    const attacker = makePki();
    try {
      const ml = cmsSign(cscaMasterList(attacker.csca.cert.der), OID.cscaMasterList, pki.ds);
      const store = trust();
      const report = store.addMasterList(ml);
      expect(report).toMatchObject({ signatureValid: true, loaded: false, code: 'ML_SIGNER_WRONG_ROLE' });
      expect(store.cscas.map((c) => c.subjectText)).toEqual([parseCertificate(evil.cert.der).subjectText]);
      const forged = await issueCard('02', attacker.ds);
      const r = verifyDump(forged.files, { trust: store });
      expect(byId(r, 'chain')).toMatchObject({ status: 'fail', code: 'ISSUER_NOT_TRUSTED' });
      expect(r.verdict).not.toBe('VALID');
    } finally {
      attacker.remove();
    }
  });

  it('control: the same list signed by the master list signer loads; revoked or expired, it does not', () => {
    const content = cscaMasterList(pki.csca.cert.der);
    expect(trust().addMasterList(cmsSign(content, OID.cscaMasterList, certs.mls))).toMatchObject({ loaded: true, code: 'OK' });
    const expired = pki.csca.issue('mls-old', `${VN}/CN=mls-old`, { ext: 'ext_mls', start: '20200101000000Z', end: '20210101000000Z' });
    expect(trust().addMasterList(cmsSign(content, OID.cscaMasterList, expired))).toMatchObject({ loaded: false, code: 'ML_SIGNER_NOT_VALID' });
    const revoked = pki.csca.issue('mls-revoked', `${VN}/CN=mls-revoked`, { ext: 'ext_mls' });
    pki.csca.revoke(revoked);
    const crl = pki.csca.crl();
    const store = new TrustStore();
    // command-line order does not matter: the CRL is loaded before the master list
    const loaded = store.addInOrder([
      { name: 'list.ml', bytes: cmsSign(content, OID.cscaMasterList, revoked) },
      { name: 'crl.der', bytes: crl },
      { name: 'csca.der', bytes: pki.csca.cert.der },
    ]);
    expect(loaded.find((f) => f.file === 'list.ml')).toMatchObject({ ok: false, code: 'ML_SIGNER_REVOKED' });
  });
});

describe('item 1: VDS seals only from a seal signer', () => {
  const record = () => parseCitizenRecord(readFileSync(join(ROOT, 'fixtures/citizens/citizen-01.json'), 'utf8'));
  const sealBy = (cert: IssuedCert) => cccdSeal(record(), { signer: softwareSigner(createPrivateKey(readFileSync(cert.keyPath)), 'ecdsa-p256'), signerCertificate: cert.der });

  it('a seal signed with the Document Signer key: SEAL_SIGNER_WRONG_ROLE, INVALID', async () => {
    const store = trust(pki.ds.der);
    const result = verifyVds(decodeVds(await sealBy(pki.ds)), { certificates: [pki.ds.der], trust: (c, at) => sealSignerDecision(store, c, at) });
    expect(result).toMatchObject({ verdict: 'INVALID', code: 'SEAL_SIGNER_WRONG_ROLE' });
  });

  it('a seal signer whose private key usage period ended before the signature date: SEAL_SIGNER_KEY_PERIOD', async () => {
    const old = pki.csca.issue('seal-old-key', `${VN}/CN=seal-old-key`, { ext: 'ext_seal_key_period_past' });
    const store = trust(old.der);
    const result = verifyVds(decodeVds(await sealBy(old)), { certificates: [old.der], trust: (c, at) => sealSignerDecision(store, c, at) });
    expect(result).toMatchObject({ verdict: 'INVALID', code: 'SEAL_SIGNER_KEY_PERIOD' });
  });

  it('control: the seal signer (extKeyUsage 2.23.136.1.1.14.2) is VALID', async () => {
    const store = trust(certs.seal.der);
    const result = verifyVds(decodeVds(await sealBy(certs.seal)), { certificates: [certs.seal.der], trust: (c, at) => sealSignerDecision(store, c, at) });
    expect(result).toMatchObject({ verdict: 'VALID', code: 'OK' });
  });
});

describe('item 1: document revocation lists only from a Document Signer of the issuing State', () => {
  const list = (issuer: string, now = new Date(Math.floor(Date.now() / 1000) * 1000)) =>
    encodeRevocationList({
      issuer,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 30 * 86_400_000),
      documents: [{ documentNumber: card.documentNumber, sodHash: undefined, revocationDate: now, reason: 'revoked' }],
    });
  const foreignCsca = () => new Uint8Array(readFileSync(join(pki.dir, 'xx', 'csca.pem')));

  it('a foreign DS (trusted CSCA XX) cannot revoke a VN card: refused when it claims VN, ignored when it says XX', () => {
    const store = trust(foreignCsca());
    expect(store.cscas).toHaveLength(2);
    const claimsVn = store.addRevocationList(cmsSign(list('VN'), OID.cancuocRevocationList, pki.foreignDs));
    expect(claimsVn).toMatchObject({ accepted: false, code: 'RL_SIGNER_WRONG_COUNTRY' });
    expect(store.addRevocationList(cmsSign(list('XX'), OID.cancuocRevocationList, pki.foreignDs))).toMatchObject({ accepted: true });
    const r = verifyDump(card.files, { trust: store });
    expect(byId(r, 'revocation')).toMatchObject({ status: 'not-applicable', code: 'NO_REVOCATION_LIST' });
    expect(r.verdict).toBe('VALID');
  });

  it('the seal signer of VN may not sign it either; the VN Document Signer may, and the card is revoked', () => {
    const store = trust();
    expect(store.addRevocationList(cmsSign(list('VN'), OID.cancuocRevocationList, certs.seal))).toMatchObject({ accepted: false, code: 'RL_SIGNER_WRONG_ROLE' });
    expect(store.addRevocationList(cmsSign(list('VN'), OID.cancuocRevocationList, pki.ds))).toMatchObject({ accepted: true, code: 'OK' });
    const r = verifyDump(card.files, { trust: store });
    expect(byId(r, 'revocation')).toMatchObject({ status: 'fail', code: 'DOCUMENT_REVOKED' });
  });
});

// ---------------------------------------------------------------------------------------------

/** A copy of `der` with its first extension repeated, rebuilt from `openssl asn1parse` offsets. */
function duplicateFirstExtension(der: Uint8Array): Uint8Array {
  const lines = openssl(['asn1parse', '-inform', 'DER', '-in', tmp('cert.der', der)]).toString().split('\n');
  const at = (line: string) => {
    const m = /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)/.exec(line)!;
    return { offset: Number(m[1]), depth: Number(m[2]), header: Number(m[3]), length: Number(m[4]) };
  };
  const tbs = at(lines[1]!);
  const wrapperIndex = lines.findIndex((l) => /d=2 .*cont \[ 3 \]/.test(l));
  const list = at(lines[wrapperIndex + 1]!);
  const first = at(lines[wrapperIndex + 2]!);
  const ext = der.subarray(first.offset, first.offset + first.header + first.length);
  const extensions = der.subarray(list.offset + list.header, list.offset + list.header + list.length);
  const wrapperStart = at(lines[wrapperIndex]!).offset;
  const tbsContent = Uint8Array.from([...der.subarray(tbs.offset + tbs.header, wrapperStart), ...tlv(0xa3, tlv(0x30, Uint8Array.from([...extensions, ...ext])))]);
  const rest = der.subarray(tbs.offset + tbs.header + tbs.length);
  return tlv(0x30, Uint8Array.from([...tlv(0x30, tbsContent), ...rest]));
}

describe('item 2: critical and duplicated extensions (RFC 5280 §4.2)', () => {
  it('a DS with an unrecognised critical extension is unusable (openssl verify refuses it too)', () => {
    expect(() => openssl(['verify', '-CAfile', pki.csca.cert.certPath, certs.unknownCritical.certPath])).toThrow(/unhandled critical extension|unsupported certificate extension/i);
    const r = verifyDump(resignedBy(certs.unknownCritical), { trust: trust() });
    expect(byId(r, 'ds.role')).toMatchObject({ status: 'fail', code: 'DS_UNKNOWN_CRITICAL_EXTENSION' });
    expect(r.verdict).toBe('INVALID');
  });

  it('a CSCA with an unrecognised critical extension is no trust anchor', () => {
    const dir = makePki();
    try {
      const cert = dir.csca.issue('csca-critical', '/C=VN/CN=CSCA critical', { ext: 'ext_csca_unknown_critical' });
      const store = new TrustStore();
      expect(store.add(cert.der)).toMatchObject({ ok: false });
      expect(store.cscas).toHaveLength(0);
    } finally {
      dir.remove();
    }
  });

  it('a certificate carrying one extension twice is an error, not "last one wins"', () => {
    const twice = duplicateFirstExtension(pki.ds.der);
    // openssl sees both copies
    const text = openssl(['x509', '-inform', 'DER', '-noout', '-text', '-in', tmp('twice.der', twice)]).toString();
    expect(text.match(/X509v3 Key Usage/g)?.length ?? text.match(/X509v3 Subject Key Identifier/g)?.length).toBe(2);
    expect(() => parseCertificate(twice)).toThrow(expect.objectContaining({ code: 'X509_DUPLICATE_EXTENSION' }));
  });

  it('a CRL with an unrecognised critical extension is unusable: the crl check says so, and fails under require-CRL', () => {
    const crl = pki.csca.crl({ exts: 'crl_unknown_critical' });
    const store = trust();
    expect(store.addCrl(crl)).toMatchObject({ accepted: false, code: 'CRL_UNKNOWN_CRITICAL_EXTENSION' });
    const r = verifyDump(card.files, { trust: store });
    expect(byId(r, 'crl')).toMatchObject({ status: 'warn', code: 'CRL_UNKNOWN_CRITICAL_EXTENSION' });
    const required = verifyDump(card.files, { trust: store, policy: { requireCrl: true } });
    expect(byId(required, 'crl')).toMatchObject({ status: 'fail', code: 'CRL_UNKNOWN_CRITICAL_EXTENSION' });
    expect(required.verdict).toBe('INVALID');
  });
});

describe('item 3: CRLs (RFC 5280 §5.1.1.2, §6.3.3)', () => {
  it('inner and outer signature algorithms differ: CRL_ALGORITHM_MISMATCH', () => {
    const crl = Uint8Array.from(pki.csca.crl());
    // the outer ecdsa-with-SHA256 AlgorithmIdentifier (the last occurrence) becomes ecdsa-with-SHA384
    const alg = Buffer.from('300a06082a8648ce3d040302', 'hex');
    const i = Buffer.from(crl).lastIndexOf(alg);
    expect(i).toBeGreaterThan(Buffer.from(crl).indexOf(alg));
    crl[i + alg.length - 1] = 0x03;
    expect(openssl(['crl', '-inform', 'DER', '-noout', '-text', '-in', tmp('mismatch.crl', crl)]).toString()).toMatch(/ecdsa-with-SHA384/);
    expect(trust().addCrl(crl)).toMatchObject({ accepted: false, code: 'CRL_ALGORITHM_MISMATCH' });
  });

  it('a CRL whose nextUpdate has passed fails CRL_OUTDATED; the stale-CRL policy accepts it, reported', () => {
    const crl = pki.csca.crl({ lastUpdate: '20250101000000Z', nextUpdate: '20250201000000Z' });
    const store = trust(crl);
    const r = verifyDump(card.files, { trust: store });
    expect(byId(r, 'crl')).toMatchObject({ status: 'fail', code: 'CRL_OUTDATED' });
    expect(r.verdict).toBe('INVALID');
    const offline = verifyDump(card.files, { trust: store, policy: { acceptStaleCrl: true } });
    expect(byId(offline, 'crl')).toMatchObject({ status: 'warn', code: 'CRL_OUTDATED' });
    expect(byId(offline, 'crl')?.reason).toContain('stale-CRL policy');
    expect(offline.verdict).toBe('VALID');
  });
});

describe('item 4: weak algorithms (warnings with their own codes; the strict policy fails them)', () => {
  it('SHA-1 in the SOD signature and in the DS certificate: WEAK_HASH_SHA1', () => {
    const files = resignedBy(certs.sha1, 'sha1');
    const r = verifyDump(files, { trust: trust() });
    expect(byId(r, 'algorithms.sod.digest')).toMatchObject({ status: 'warn', code: 'WEAK_HASH_SHA1' });
    expect(byId(r, 'algorithms.ds.signature')).toMatchObject({ status: 'warn', code: 'WEAK_HASH_SHA1' });
    expect(r.verdict).toBe('VALID');
    const strict = verifyDump(files, { trust: trust(), policy: { strict: true } });
    expect(byId(strict, 'algorithms.sod.digest')?.status).toBe('fail');
    expect(strict.verdict).toBe('INVALID');
  });

  it('an RSA-1024 Document Signer: WEAK_RSA_KEY', () => {
    const r = verifyDump(resignedBy(certs.rsa1024), { trust: trust() });
    expect(byId(r, 'algorithms.ds.key')).toMatchObject({ status: 'warn', code: 'WEAK_RSA_KEY' });
    expect(byId(r, 'algorithms.ds.key')?.reason).toContain('RSA-1024');
  });

  it('a chip offering 3DES PACE, DH-1024 and P-192, with an RSA-1024 AA key: one code each', async () => {
    const pace = (cipher: number, ka: number, parameterId: number) => ({ kind: 'pace' as const, protocol: `${OID.idPACE}.${ka}.${cipher}`, version: 2, parameterId });
    const dg14 = encodeDg14([pace(1, 1, 0), pace(2, 2, 8), pace(2, 2, 13)]);
    const aa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
    const files = await resign(card.files, pki.ds, { DG14: dg14, DG15: encodeDg15(new Uint8Array(aa)) });
    const r = verifyDump(files, { trust: trust() });
    const codes = r.checks.filter((c) => c.id.startsWith('algorithms.chip.')).map((c) => [c.id, c.status, c.code]);
    expect(codes).toEqual(
      expect.arrayContaining([
        ['algorithms.chip.dg14.pace', 'warn', 'WEAK_PACE_3DES'],
        ['algorithms.chip.dg14.pace', 'warn', 'WEAK_DH_GROUP'],
        ['algorithms.chip.dg14.pace', 'warn', 'WEAK_EC_CURVE'],
        ['algorithms.chip.dg15.key', 'warn', 'WEAK_RSA_KEY'],
      ]),
    );
    expect(verifyDump(files, { trust: trust(), policy: { strict: true } }).verdict).toBe('INVALID');
  });

  it('the genuine card has none', () => {
    const r = verifyDump(card.files, { trust: trust() });
    expect(r.checks.filter((c) => c.code.startsWith('WEAK_'))).toEqual([]);
    expect(byId(r, 'algorithms')).toMatchObject({ status: 'pass' });
    expect(byId(r, 'algorithms.chip')).toMatchObject({ status: 'pass' });
  });
});

describe('item 11 and issue 15 item 1: a dump is not a chip, and not a whole document without DG1', () => {
  it('a genuine dump is VALID for its data, and says chip authenticity was not checked', () => {
    const r = verifyDump(card.files, { trust: trust() });
    expect(r.verdict).toBe('VALID');
    expect(byId(r, 'chip.authenticity')).toMatchObject({ status: 'warn', code: 'CHIP_NOT_AUTHENTICATED' });
  });

  it('the dump of a card without DG1.bin is INVALID (DG_MANDATORY_MISSING), however the rest verifies', () => {
    const files = new Map(card.files);
    files.delete('DG1');
    const r = verifyDump(files, { trust: trust() });
    expect(byId(r, 'dg.1.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(r.verdict).toBe('INVALID');
  });

  it('a folder holding only the SOD is INVALID: every listed DG is missing', () => {
    const r = verifyDump(new Map([['SOD', card.files.get('SOD')!]]), { trust: trust() });
    expect(byId(r, 'dg.1.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(byId(r, 'dg.13.hash')).toMatchObject({ status: 'fail', code: 'DG_MISSING' });
    expect(r.verdict).toBe('INVALID');
  });
});
