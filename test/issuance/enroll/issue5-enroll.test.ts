/**
 * Issue 5 §1 enrollment, end to end: record + photo + fingers + PKI → the signed document set
 * (`openssl cms -verify` accepts the SOD with the CSCA as the only anchor), per-card AA and CA
 * keys, DG3 from the finger templates, DG2 = the portrait, the plain QR text and a seal that
 * verifies, and the card face; `cancuoc enroll` writes it all. Also the fixtures of issue 5 §4:
 * every Vietnamese vowel with every tone, đ/Đ, the people the issue asks for, and queue-20.jsonl.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerOf } from '../../../src/crypto/certificates.js';
import { initPki, loadPki, type Pki } from '../../../src/crypto/pki.js';
import { parseCitizenRecord, type CitizenRecord } from '../../../src/issuance/citizen.js';
import { enroll } from '../../../src/issuance/enroll.js';
import { fingerJsonToIso } from '../../../src/issuance/finger-input.js';
import { decodeDg2 } from '../../../src/lds/dg2.js';
import { decodeDg3 } from '../../../src/lds/dg3.js';
import { ValidationError } from '../../../src/lds/errors.js';
import { decodeTlv } from '../../../src/lds/tlv.js';
import { decodeVds } from '../../../src/qr/vds.js';
import { verifyVdsSignature } from '../../../src/qr/vds-sign.js';
import { runCli } from '../../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const read = (path: string): Buffer => readFileSync(join(ROOT, path));
const record = (n: string): CitizenRecord => parseCitizenRecord(read(`fixtures/citizens/citizen-${n}.json`).toString('utf8'));
const HEAD = { left: 225, top: 135, width: 350, height: 475 };

let tmp: string;
let pki: Pki;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cancuoc-enroll-'));
  await initPki({ dir: join(tmp, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
  pki = await loadPki(join(tmp, 'pki'));
}, 60_000);
afterAll(() => {
  pki.close();
  rmSync(tmp, { recursive: true, force: true });
});

const openssl = (args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('enroll()', () => {
  it('builds the signed set, DG2 = the portrait, DG3 from two finger templates, both QR payloads and the card face', async () => {
    const r = record('02');
    const fingers = [new Uint8Array(read('fixtures/fingers/finger-01.json')), new Uint8Array(read('fixtures/fingers/finger-03.iso'))];
    const e = await enroll({
      record: r,
      photo: new Uint8Array(read('fixtures/faces/face-02.jpg')),
      faceBox: HEAD,
      grayscale: true,
      fingers,
      dsSigner: pki.signers.ds,
      dsCertificate: pki.certificates.ds,
      sealSigner: pki.signers.seal,
      sealCertificate: pki.certificates.seal,
    });
    const files = e.documentSet.files;
    expect([...files.keys()].sort()).toEqual(['COM', 'CardAccess', 'DG1', 'DG13', 'DG14', 'DG15', 'DG2', 'DG3', 'SOD'].sort());
    // DG2 carries exactly the portrait JPEG (one JPEG generation, grayscale).
    const face = decodeDg2(files.get('DG2')!).templates[0]!.bdb;
    expect(face.encoding === 'ISO19794' && Buffer.from(face.record.images[0]!.imageData).equals(Buffer.from(e.portrait.jpeg))).toBe(true);
    expect(e.portrait.grayscale).toBe(true);
    // DG3: the JSON list converted, and the ISO file as it is.
    const dg3 = decodeDg3(files.get('DG3')!).templates.map((t) => (t.bdb.encoding === 'ISO19794' ? Buffer.from(t.bdb.record.raw) : undefined));
    expect(dg3[0]!.equals(Buffer.from(read('fixtures/fingers/finger-01.iso')))).toBe(true);
    expect(dg3[1]!.equals(read('fixtures/fingers/finger-03.iso'))).toBe(true);
    // Per-card chip keys.
    expect(e.documentSet.keys.aa.asymmetricKeyType).toBe('ec');
    expect(e.documentSet.keys.ca.asymmetricKeyType).toBe('ec');
    // QR: the plain text fields of cccd-profile.md, and a seal that verifies with the seal certificate's key.
    expect(e.qrPlain.split('|').slice(0, 3)).toEqual([r.id, '', r.fullName]);
    const seal = decodeVds(e.qrSeal!);
    expect(verifyVdsSignature(seal, issuerOf(pki.certificates.seal).spki)).toBe(true);
    expect(e.cardFace!.front.length).toBeGreaterThan(1000);
  }, 60_000);

  it('gives every card its own AA and CA keys', async () => {
    const input = {
      record: record('05'),
      photo: new Uint8Array(read('fixtures/faces/face-05.jpg')),
      dsSigner: pki.signers.ds,
      dsCertificate: pki.certificates.ds,
    };
    const [a, b] = [await enroll(input), await enroll(input)];
    const spki = (k: import('node:crypto').KeyObject): string => (k.export({ type: 'pkcs8', format: 'der' }) as Buffer).toString('hex');
    expect(spki(a.documentSet.keys.aa)).not.toBe(spki(b.documentSet.keys.aa));
    expect(spki(a.documentSet.keys.ca)).not.toBe(spki(b.documentSet.keys.ca));
    expect(a.qrSeal).toBeUndefined();
    expect(a.notes.join(' ')).toMatch(/no seal signer/);
  }, 60_000);

  it('rejects three finger views and a bad photo before signing anything', async () => {
    const base = { record: record('01'), dsSigner: pki.signers.ds, dsCertificate: pki.certificates.ds };
    const two = new Uint8Array(read('fixtures/fingers/finger-02.iso'));
    await expect(enroll({ ...base, photo: new Uint8Array(read('fixtures/faces/face-01.jpg')), fingers: [two, two] })).rejects.toMatchObject({
      code: 'FINGER_COUNT',
    });
    await expect(enroll({ ...base, photo: new Uint8Array(10) })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('cancuoc enroll', () => {
  it('writes the document set, qr-plain.txt, qr-seal.bin and both card faces; openssl accepts the SOD', () => {
    const out = join(tmp, 'out');
    const r = runCli([
      'enroll', '--record', 'fixtures/citizens/citizen-08.json', '--photo', 'fixtures/faces/face-08.jpg',
      '--finger', 'fixtures/fingers/finger-08.json', '--pki', join(tmp, 'pki'), '--out', out,
      '--face-box', '225,135,350,475', '--grayscale', '--card-qr', 'seal', '--insecure-plain-keys',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of ['COM.bin', 'DG1.bin', 'DG2.bin', 'DG3.bin', 'DG13.bin', 'SOD.bin', 'aa-key.pem', 'ca-key.pem', 'manifest.json', 'qr-plain.txt', 'qr-seal.bin', 'card-front.png', 'card-back.png']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'qr-plain.txt'), 'utf8').startsWith('031050001122|150123456|Bùi Văn Sử|02101950|Nam|')).toBe(true);
    // The printed QR carries the seal (--card-qr seal): ZXingReader reads back qr-seal.bin.
    const scanned = execFileSync('/usr/bin/ZXingReader', ['-bytes', '-format', 'QRCode', join(out, 'card-front.png')]);
    expect(scanned.equals(readFileSync(join(out, 'qr-seal.bin')))).toBe(true);
    // SOD: the CMS content is the LDS security object; OpenSSL verifies it against our CSCA only.
    const cms = join(tmp, 'sod.der');
    writeFileSync(cms, decodeTlv(new Uint8Array(readFileSync(join(out, 'SOD.bin')))).value);
    openssl(['cms', '-verify', '-inform', 'DER', '-in', cms, '-CAfile', join(tmp, 'pki', 'csca.pem'), '-purpose', 'any', '-out', join(tmp, 'lds.der')]);
  }, 120_000);

  it('bad input is one line and exit code 4', () => {
    const r = runCli(['enroll', '--record', 'fixtures/citizens/citizen-01.json', '--photo', 'fixtures/faces/face-01.jpg', '--pki', join(tmp, 'pki'), '--out', join(tmp, 'x'), '--face-box', '1,2,3']);
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--face-box/);
  }, 60_000);
});

describe('fixtures (issue 5 §4)', () => {
  const names = readdirSync(join(ROOT, 'fixtures/citizens')).filter((f) => f.endsWith('.json')).sort();
  const records = names.map((f) => parseCitizenRecord(read(`fixtures/citizens/${f}`).toString('utf8')));

  it('20 valid citizens, each with a face and a finger template that is its JSON list converted', () => {
    expect(records).toHaveLength(20);
    for (const f of names) {
      const n = /(\d+)/.exec(f)![1]!;
      expect(existsSync(join(ROOT, `fixtures/faces/face-${n}.jpg`))).toBe(true);
      const iso = fingerJsonToIso(read(`fixtures/fingers/finger-${n}.json`).toString('utf8')).iso;
      expect(Buffer.from(iso).equals(read(`fixtures/fingers/finger-${n}.iso`))).toBe(true);
    }
  });

  it('cover every Vietnamese vowel with every tone mark, đ and Đ', () => {
    const text = records.map((r) => Object.values(r).join(' ')).join(' ');
    const lower = text.toLowerCase();
    // The 12 vowel letters and the 5 tone marks (sắc, huyền, hỏi, ngã, nặng), as combining characters.
    const missing: string[] = [];
    for (const v of ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y']) {
      for (const tone of ['', '\u0301', '\u0300', '\u0309', '\u0303', '\u0323']) {
        const c = (v + tone).normalize('NFC');
        if (!lower.includes(c)) missing.push(c);
      }
    }
    expect(missing).toEqual([]);
    expect(text).toContain('đ');
    expect(text).toContain('Đ');
  });

  it('include long names, no-expiry holders over 60, people born in the 2000s, women and men', () => {
    const age = (r: CitizenRecord): number => 2025 - Number(r.dateOfBirth.slice(0, 4));
    expect(records.some((r) => r.fullName.length > 40)).toBe(true);
    expect(records.filter((r) => r.dateOfExpiry === null && age(r) > 60).length).toBeGreaterThanOrEqual(3);
    expect(records.filter((r) => r.dateOfBirth >= '2000').length).toBeGreaterThanOrEqual(4);
    expect(records.filter((r) => r.sex === 'F').length).toBeGreaterThanOrEqual(5);
    expect(records.filter((r) => r.sex === 'M').length).toBeGreaterThanOrEqual(5);
  });

  it('queue-20.jsonl: 20 lines whose records, photos and fingers exist and validate', () => {
    const lines = read('fixtures/queue-20.jsonl').toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(20);
    const ids = new Set<string>();
    for (const line of lines) {
      const q = JSON.parse(line) as { record: string | object; photo: string; fingers: string[] };
      const r = parseCitizenRecord(typeof q.record === 'string' ? read(q.record).toString('utf8') : q.record);
      ids.add(r.id);
      expect(existsSync(join(ROOT, q.photo))).toBe(true);
      for (const f of q.fingers) expect(existsSync(join(ROOT, f))).toBe(true);
    }
    expect(ids.size).toBe(20);
  });
});
