/**
 * The tamper matrix of issue 4 on the virtual chip in-process: ICAO 9303-11 (8th ed.) §5.1 passive
 * authentication, §6.1 Active Authentication, §6.2 Chip Authentication, the binding of AA/CA to
 * the SOD (cccd-profile.md security note), MRZ/DG13 consistency and the issuer's revocation list.
 * Each case states the verdict and the exit code the issue asks for. The PKI is made by the
 * openssl CLI; the citizens' values come from fixtures/citizens.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueRevocationList } from '../../src/crypto/revocation-list.js';
import { citizenDg13, parseCitizenRecord } from '../../src/issuance/citizen.js';
import { buildDocumentSet, type DocumentSet } from '../../src/issuance/document-set.js';
import { encodeDg13 } from '../../src/lds/dg13.js';
import { encodeDg15 } from '../../src/lds/dg15.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { CardAccessError, verificationJson, verifyCard, verifyDump, type VerificationReport } from '../../src/reader/verify.js';
import { verificationExitCode } from '../../bin/commands/verify.js';
import type { VirtualChip } from '../../src/card/chip.js';
import { issueCard, makePki, newChipKey, personalizedChip, resign, signerOf, trustOf, type TestPki } from './cards.js';

const ROOT = join(import.meta.dirname, '../..');
const citizen = (n: string) => JSON.parse(readFileSync(join(ROOT, `fixtures/citizens/citizen-${n}.json`), 'utf8')) as Record<string, unknown>;

let pki: TestPki;
let card: DocumentSet;
let other: DocumentSet;

beforeAll(async () => {
  pki = makePki();
  card = await issueCard('01', pki.ds);
  other = await issueCard('02', pki.ds);
});
afterAll(() => pki?.remove());

async function verifyChip(chip: VirtualChip, set: DocumentSet, trust: TrustStore = trustOf(pki)): Promise<VerificationReport> {
  return verifyCard(InProcessTransport.open(chip), { trust, access: { can: set.can } });
}

const byId = (r: VerificationReport, id: string) => r.checks.find((c) => c.id === id);

function expectOutcome(r: VerificationReport, verdict: string, exit: number, expected: Record<string, [string, string]>): void {
  expect(r.verdict).toBe(verdict);
  expect(verificationExitCode(r.verdict)).toBe(exit);
  for (const [id, [status, code]] of Object.entries(expected)) expect(byId(r, id), id).toMatchObject({ status, code });
}

describe('a genuine card', () => {
  it('VALID (exit 0): PACE-CAN, PA, AA, CA with DG1 re-read, consistency; DG13 shown with diacritics', async () => {
    const r = await verifyChip(await personalizedChip({ set: card }), card);
    const record = citizen('01');
    expectOutcome(r, 'VALID', 0, { aa: ['pass', 'OK'], ca: ['pass', 'OK'], chain: ['pass', 'OK'], binding: ['pass', 'OK'], 'consistency.name': ['pass', 'OK'] });
    expect(r.checks.filter((c) => c.status === 'fail' || c.status === 'not-bound')).toEqual([]);
    expect(r.accessControl).toBe('PACE');
    expect(r.personal).toMatchObject({ personalId: record.id, fullName: record.fullName, placeOfResidence: record.placeOfResidence, sex: 'Nam' });
    expect(r.mrz?.documentNumber).toBe((record.id as string).slice(3));
    expect(r.face?.format).toBe('jpeg');
    expect(r.data.faceImage?.subarray(0, 3)).toEqual(Uint8Array.of(0xff, 0xd8, 0xff)); // JPEG SOI
    expect(r.apdus).toBeGreaterThan(10);
    expect(Object.isFrozen(r) && Object.isFrozen(r.checks) && Object.isFrozen(r.checks[0])).toBe(true);
    const json = JSON.parse(JSON.stringify(verificationJson(r))) as Record<string, unknown>;
    expect(json.data).toBeUndefined();
    expect(json.verdict).toBe('VALID');
  });

  it('VALID through BAC with the MRZ key as well', async () => {
    const chip = await personalizedChip({ set: card });
    const r = await verifyCard(InProcessTransport.open(chip), {
      trust: trustOf(pki),
      access: { documentNumber: card.documentNumber, dateOfBirth: card.dateOfBirth, dateOfExpiry: card.dateOfExpiry },
      open: { method: 'bac' },
    });
    expect(r.accessControl).toBe('BAC');
    expect(r.verdict).toBe('VALID');
  });

  it('a wrong CAN is an access failure, not a verdict', async () => {
    const chip = await personalizedChip({ set: card });
    await expect(verifyCard(InProcessTransport.open(chip), { trust: trustOf(pki), access: { can: '000000' } })).rejects.toSatisfy(
      (e: unknown) => e instanceof CardAccessError && e.code === 'ACCESS_DENIED',
    );
  });
});

describe('the tamper matrix', () => {
  it('a DG byte changed: INVALID (exit 1)', async () => {
    const dg13 = card.files.get('DG13')!.slice();
    dg13[dg13.length - 3]! ^= 0x01;
    const r = await verifyChip(await personalizedChip({ set: card, files: new Map([...card.files, ['DG13', dg13]]) }), card);
    expectOutcome(r, 'INVALID', 1, { 'dg.13.hash': ['fail', 'DG_HASH_MISMATCH'], binding: ['fail', 'DATA_NOT_BOUND'], aa: ['pass', 'OK'] });
  });

  it('SOD re-signed by a DS of an untrusted CSCA: UNTRUSTED (exit 2)', async () => {
    const files = await resign(card.files, pki.foreignDs);
    const r = await verifyChip(await personalizedChip({ set: card, files }), card);
    expectOutcome(r, 'UNTRUSTED', 2, { chain: ['fail', 'ISSUER_NOT_TRUSTED'], 'cms.signature': ['pass', 'OK'], aa: ['pass', 'OK'], ca: ['pass', 'OK'] });
  });

  it('expired DS: INVALID (exit 1)', async () => {
    const files = await resign(card.files, pki.expiredDs, {}, new Date(Date.now() - 2 * 365 * 86_400_000));
    const r = await verifyChip(await personalizedChip({ set: card, files }), card);
    expectOutcome(r, 'INVALID', 1, { 'ds.validity': ['fail', 'DS_EXPIRED'], chain: ['pass', 'OK'] });
  });

  it('DS revoked by the CSCA CRL: INVALID (exit 1)', async () => {
    const files = await resign(card.files, pki.revokedDs);
    const r = await verifyChip(await personalizedChip({ set: card, files }), card, trustOf(pki, { crl: true }));
    expectOutcome(r, 'INVALID', 1, { crl: ['fail', 'DS_REVOKED'], chain: ['pass', 'OK'] });
  });

  it("card on the issuer's revocation list: INVALID (exit 1); another card on the same list check passes", async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const list = await issueRevocationList({
      issuer: 'VN',
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 7 * 86_400_000),
      documents: [
        { documentNumber: card.documentNumber, sodHash: new Uint8Array(createHash('sha256').update(card.files.get('SOD')!).digest()), revocationDate: now, reason: 'lost' },
      ],
      signer: signerOf(pki.ds),
      certificate: pki.ds.der,
    });
    const trust = trustOf(pki);
    expect(trust.addRevocationList(list).accepted).toBe(true);
    const r = await verifyChip(await personalizedChip({ set: card }), card, trust);
    expectOutcome(r, 'INVALID', 1, { revocation: ['fail', 'DOCUMENT_REVOKED'], aa: ['pass', 'OK'], ca: ['pass', 'OK'] });
    const fine = await verifyChip(await personalizedChip({ set: other }), other, trust);
    expectOutcome(fine, 'VALID', 0, { revocation: ['pass', 'OK'] });
  });

  it('DG15 of another card — a clone of its files without its keys: INVALID (exit 1)', async () => {
    const clone = await personalizedChip({ set: other, aaKey: newChipKey(), caKey: newChipKey() });
    const r = await verifyChip(clone, other);
    expectOutcome(r, 'INVALID', 1, { 'dg.15.hash': ['pass', 'OK'], chain: ['pass', 'OK'], aa: ['fail', 'AA_SIGNATURE_INVALID'], ca: ['fail', 'CA_FAILED'] });
  });

  it('AA signature wrong — the chip signs with a key other than DG15: INVALID (exit 1)', async () => {
    const r = await verifyChip(await personalizedChip({ set: card, aaKey: newChipKey() }), card);
    expectOutcome(r, 'INVALID', 1, { aa: ['fail', 'AA_SIGNATURE_INVALID'], ca: ['pass', 'OK'] });
  });

  it('CA key mismatch — the chip holds a key other than DG14: INVALID (exit 1)', async () => {
    const r = await verifyChip(await personalizedChip({ set: card, caKey: newChipKey() }), card);
    expectOutcome(r, 'INVALID', 1, { ca: ['fail', 'CA_FAILED'], aa: ['pass', 'OK'] });
  });

  it('MRZ/DG13 mismatch in a set the DS signed: INVALID (exit 1)', async () => {
    const record = parseCitizenRecord(citizen('01'));
    const dg13 = encodeDg13({ ...citizenDg13(record), fullName: 'Nguyễn Văn Bình', dateOfBirth: '02/01/1999' });
    const files = await resign(card.files, pki.ds, { DG13: dg13 });
    const r = await verifyChip(await personalizedChip({ set: card, files }), card);
    expectOutcome(r, 'INVALID', 1, {
      'dg.13.hash': ['pass', 'OK'],
      chain: ['pass', 'OK'],
      'consistency.name': ['fail', 'NAME_MISMATCH'],
      'consistency.date-of-birth': ['fail', 'BIRTH_DATE_MISMATCH'],
      'consistency.id': ['pass', 'OK'],
    });
  });
});

describe('binding: AA and CA count only through the SOD', () => {
  it('DG15 swapped for a key the chip holds, SOD not re-signed: AA is not bound, INVALID', async () => {
    const attacker = newChipKey();
    const dg15 = encodeDg15(new Uint8Array(createPublicKey(attacker).export({ type: 'spki', format: 'der' })));
    const r = await verifyChip(await personalizedChip({ set: card, files: new Map([...card.files, ['DG15', dg15]]), aaKey: attacker }), card);
    expectOutcome(r, 'INVALID', 1, { 'dg.15.hash': ['fail', 'DG_HASH_MISMATCH'], aa: ['not-bound', 'AA_NOT_BOUND'], ca: ['pass', 'OK'] });
  });

  it('a SOD that does not list DG15 or DG14: nothing fails, yet the verdict is not VALID', async () => {
    const files = await resign(card.files, pki.ds, { DG14: null, DG15: null });
    const r = await verifyChip(await personalizedChip({ set: card, files }), card);
    expectOutcome(r, 'INVALID', 1, { 'dg.15.hash': ['warn', 'DG_NOT_LISTED'], aa: ['not-bound', 'AA_NOT_BOUND'], ca: ['not-bound', 'CA_NOT_BOUND'] });
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('a clone that hides DG15 the SOD lists: AA cannot be skipped', async () => {
    const files = new Map(card.files);
    files.delete('DG15');
    const r = await verifyChip(await personalizedChip({ set: card, files }), card);
    expectOutcome(r, 'INVALID', 1, { aa: ['fail', 'AA_KEY_MISSING'], read: ['fail', 'READ_FAILED'] });
  });
});

describe('document expiry', () => {
  it('an expired card signed by a valid DS: INVALID with DOCUMENT_EXPIRED', async () => {
    const record = parseCitizenRecord({ ...citizen('03'), dateOfIssue: '2010-05-01', dateOfExpiry: '2020-05-01' });
    const photo = new Uint8Array(readFileSync(join(ROOT, 'fixtures/faces/face-03.jpg')));
    const set = await buildDocumentSet({ record, photo, dsSigner: signerOf(pki.ds), dsCertificate: pki.ds.der });
    const r = await verifyChip(await personalizedChip({ set }), set);
    expectOutcome(r, 'INVALID', 1, { 'document.expiry': ['fail', 'DOCUMENT_EXPIRED'], 'consistency.expiry': ['pass', 'OK'], aa: ['pass', 'OK'] });
  });
});

describe('hostile bytes never crash the verifier', () => {
  it('random bytes in place of each file on the chip: a report, never VALID', async () => {
    for (const name of ['COM', 'SOD', 'DG1', 'DG13', 'DG14', 'DG15']) {
      const junk = new Uint8Array(64).map((_, i) => (i * 37 + name.length * 11) & 0xff);
      const r = await verifyChip(await personalizedChip({ set: card, files: new Map([...card.files, [name, junk]]) }), card);
      expect(r.verdict, name).toBe('INVALID');
    }
  });

  it('truncated and bit-flipped files of a dump: a report every time; a changed DG is never VALID', () => {
    const trust = trustOf(pki);
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const names = ['SOD', 'DG1', 'DG2', 'DG13', 'DG14', 'DG15', 'COM'];
    for (let i = 0; i < 300; i++) {
      const name = names[i % names.length]!;
      const original = card.files.get(name)!;
      const bytes = i % 2 === 0 ? original.slice(0, rand(original.length)) : original.slice();
      if (i % 2 === 1) bytes[rand(bytes.length)]! ^= 1 << rand(8);
      const r = verifyDump(new Map([...card.files, [name, bytes]]), { trust });
      expect(['VALID', 'INVALID', 'UNTRUSTED']).toContain(r.verdict);
      if (name.startsWith('DG')) expect(r.verdict, `${name} #${i}`).toBe('INVALID');
    }
  });
});
