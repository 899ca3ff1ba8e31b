/** The QR against the chip (issue 4 §2 `qr verify --card`): on the virtual chip, in-process. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import type { DocumentSet } from '../../src/issuance/document-set.js';
import { cccdQrText, cccdSealData } from '../../src/issuance/qr-payloads.js';
import { parseCccdText } from '../../src/qr/cccd-text.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { crossCheckQr } from '../../src/reader/qr-check.js';
import { verifyCard } from '../../src/reader/verify.js';
import { issueCard, makePki, personalizedChip, trustOf, type TestPki } from './cards.js';

const ROOT = join(import.meta.dirname, '../..');
const record = parseCitizenRecord(readFileSync(join(ROOT, 'fixtures/citizens/citizen-03.json'), 'utf8'));

describe('QR fields against the chip DG13', () => {
  let pki: TestPki;
  let card: DocumentSet;
  let personal: Readonly<Record<string, string>>;

  beforeAll(async () => {
    pki = makePki();
    card = await issueCard('03', pki.ds);
    const transport = await InProcessTransport.open(await personalizedChip({ set: card }));
    const report = await verifyCard(transport, { trust: trustOf(pki), access: { can: card.can } });
    expect(report.verdict).toBe('VALID');
    personal = report.personal!;
  });
  afterAll(() => pki?.remove());

  it('the plain QR of the same citizen matches field by field (no-expiry holder, đ/Đ in the name)', () => {
    const checks = crossCheckQr(parseCccdText(cccdQrText(record, '2021')), personal);
    expect(checks.map((c) => c.field)).toEqual(['personalId', 'fullName', 'dateOfBirth', 'sex', 'address', 'dateOfIssue', 'oldIdNumber']);
    expect(checks.filter((c) => !c.match)).toEqual([]);
    expect(checks.find((c) => c.field === 'fullName')!.chip).toBe(record.fullName);
  });

  it('the seal data of the same citizen matches, expiry "Không thời hạn" included', () => {
    const checks = crossCheckQr(cccdSealData(record), personal);
    expect(checks.find((c) => c.field === 'dateOfExpiry')).toEqual({ field: 'dateOfExpiry', qr: null, chip: null, match: true });
    expect(checks.every((c) => c.match)).toBe(true);
  });

  it('an edited QR is caught at the field that was changed', () => {
    const edited = cccdQrText(record, '2021').replace(record.fullName, 'Đặng Đình Đường X');
    const bad = crossCheckQr(parseCccdText(edited), personal).filter((c) => !c.match);
    expect(bad).toEqual([{ field: 'fullName', qr: 'Đặng Đình Đường X', chip: record.fullName, match: false }]);
    const otherDob = crossCheckQr({ ...parseCccdText(cccdQrText(record, '2021')), dateOfBirth: '1958-11-29' }, personal);
    expect(otherDob.filter((c) => !c.match).map((c) => c.field)).toEqual(['dateOfBirth']);
  });
});
