/**
 * Issue 10 item 5: no silent downgrade from PACE to BAC or to weaker PACE parameters. A man in
 * the middle controls EF.CardAccess (read in the clear, ICAO 9303-11 (8th ed.) §4.2); the signed
 * DG14 (9303-11 §9.2) says what the chip really offers. Each attack is a chip personalized with an
 * EF.CardAccess removed, or rewritten by raw byte edits (the protocol OID's last arc), or built
 * with the lds encoder; DG14 and EF.SOD stay the genuine signed ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualChip } from '../../src/card/chip.js';
import type { DocumentSet } from '../../src/issuance/document-set.js';
import { encodeCardAccess } from '../../src/lds/card-access.js';
import { OID } from '../../src/lds/oid.js';
import type { AccessKey, OpenOptions } from '../../src/reader/card-session.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { verificationJson, verifyCard, type VerificationReport } from '../../src/reader/verify.js';
import { humanReport, verificationExitCode } from '../../bin/commands/verify.js';
import { issueCard, makePki, personalizedChip, trustOf, type TestPki } from './cards.js';

let pki: TestPki;
let card: DocumentSet;

beforeAll(async () => {
  pki = makePki();
  card = await issueCard('01', pki.ds);
});
afterAll(() => pki?.remove());

const mrzKey = (): AccessKey => ({ documentNumber: card.documentNumber, dateOfBirth: card.dateOfBirth, dateOfExpiry: card.dateOfExpiry });

async function verifyWith(files: ReadonlyMap<string, Uint8Array>, access: AccessKey, open?: OpenOptions): Promise<VerificationReport> {
  const chip: VirtualChip = await personalizedChip({ set: card, files });
  return verifyCard(InProcessTransport.open(chip), { trust: trustOf(pki), access, ...(open && { open }) });
}

const downgrade = (r: VerificationReport) => r.checks.find((c) => c.id === 'access.downgrade');

/** 06 0A 04 00 7F 00 07 02 02 04 02 xx: id-PACE-ECDH-GM-{3DES=1, AES-128=2, …} (9303-11 §9.2.1). */
const PACE_ECDH_GM_OID = Uint8Array.of(0x06, 0x0a, 0x04, 0x00, 0x7f, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02);

/** The genuine EF.CardAccess with the PACE protocol's last arc set to `arc`, by a raw byte edit. */
function cardAccessWithPaceArc(arc: number): Uint8Array {
  const bytes = card.files.get('CardAccess')!.slice();
  const at = Buffer.from(bytes).indexOf(Buffer.from(PACE_ECDH_GM_OID));
  expect(at).toBeGreaterThan(0);
  expect(bytes[at + PACE_ECDH_GM_OID.length]).toBe(0x02); // AES-128, as issued
  bytes[at + PACE_ECDH_GM_OID.length] = arc;
  return bytes;
}

function withCardAccess(cardAccess: Uint8Array | null): Map<string, Uint8Array> {
  const files = new Map(card.files);
  if (cardAccess === null) files.delete('CardAccess');
  else files.set('CardAccess', cardAccess);
  return files;
}

function expectFailure(r: VerificationReport, code: string): void {
  expect(downgrade(r)).toMatchObject({ status: 'fail', code });
  expect(r.verdict).toBe('INVALID');
  expect(verificationExitCode(r.verdict)).toBe(1);
  // PA, AA and CA all pass: the downgrade alone makes the card INVALID.
  for (const id of ['cms.signature', 'chain', 'dg.14.hash', 'aa', 'ca']) expect(r.checks.find((c) => c.id === id)?.status, id).toBe('pass');
  const json = JSON.parse(JSON.stringify(verificationJson(r))) as { checks: { id: string; code: string }[] };
  expect(json.checks.find((c) => c.id === 'access.downgrade')?.code).toBe(code);
  expect(humanReport(r, undefined)).toMatch(/\[FAIL\] access\.downgrade/);
}

describe('access control against the signed DG14', () => {
  it('a genuine chip: PACE-CAN with ECDH-GM-AES-128 on parameters 13 as DG14 declares, VALID', async () => {
    const r = await verifyWith(card.files, { can: card.can });
    expect(r.accessControl).toBe('PACE');
    expect(downgrade(r)).toMatchObject({ status: 'pass', code: 'OK' });
    expect(downgrade(r)?.reason).toMatch(/ECDH-GM-AES-128 parameters 13/);
    expect(r.verdict).toBe('VALID');
  });

  it('a genuine chip opened with the MRZ key: PACE-MRZ, not BAC, VALID', async () => {
    const r = await verifyWith(card.files, mrzKey());
    expect(r.accessControl).toBe('PACE');
    expect(downgrade(r)).toMatchObject({ status: 'pass', code: 'OK' });
    expect(r.verdict).toBe('VALID');
  });

  it('EF.CardAccess removed: the reader falls back to BAC, INVALID with PACE_DOWNGRADED_TO_BAC', async () => {
    const r = await verifyWith(withCardAccess(null), mrzKey());
    expect(r.accessControl).toBe('BAC');
    expect(r.files.some((f) => f.name === 'CardAccess')).toBe(false);
    expectFailure(r, 'PACE_DOWNGRADED_TO_BAC');
    expect(downgrade(r)?.reason).toMatch(/EF\.CardAccess could not be read/);
  });

  it('EF.CardAccess rewritten to a PACE the terminal does not run (mapping arc 9): BAC, PACE_DOWNGRADED_TO_BAC', async () => {
    const r = await verifyWith(withCardAccess(cardAccessWithPaceArc(0x09)), mrzKey());
    expect(r.accessControl).toBe('BAC');
    expectFailure(r, 'PACE_DOWNGRADED_TO_BAC');
    expect(downgrade(r)?.reason).toMatch(/offers no PACE this terminal runs/);
  });

  it('EF.CardAccess rewritten from AES-128 to 3DES: PACE runs with 3DES, INVALID with PACE_NOT_AS_DECLARED', async () => {
    const r = await verifyWith(withCardAccess(cardAccessWithPaceArc(0x01)), { can: card.can });
    expect(r.accessControl).toBe('PACE');
    expectFailure(r, 'PACE_NOT_AS_DECLARED');
    expect(downgrade(r)?.reason).toMatch(/PACE ran with ECDH-GM-3DES parameters 13, not with ECDH-GM-AES-128 parameters 13/);
  });

  it('EF.CardAccess with an extra 3DES option: the terminal still picks AES-128, but the file differs: CARD_ACCESS_MISMATCH', async () => {
    const pace = (arc: number) => ({ kind: 'pace' as const, protocol: `${OID.idPACE}.2.${arc}`, version: 2, parameterId: 13 });
    const r = await verifyWith(withCardAccess(encodeCardAccess([pace(1), pace(2)])), { can: card.can });
    expect(r.accessControl).toBe('PACE');
    expectFailure(r, 'CARD_ACCESS_MISMATCH');
  });

  it('BAC asked for by the operator: a warning, not a downgrade; VALID', async () => {
    const r = await verifyWith(card.files, mrzKey(), { method: 'bac' });
    expect(r.accessControl).toBe('BAC');
    expect(downgrade(r)).toMatchObject({ status: 'warn', code: 'BAC_REQUESTED' });
    expect(r.verdict).toBe('VALID');
  });
});
