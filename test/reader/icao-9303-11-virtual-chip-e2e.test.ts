/**
 * End to end against the virtual chip in-process (src/card/chip.ts through InProcessTransport):
 * personalize a blank chip (docs/perso.md), then read it as a terminal in the field would —
 * PACE with the CAN, PACE with the MRZ, BAC — with Active and Chip Authentication. Expected
 * bytes are the document set's own files; a wrong CAN or MRZ must fail with ACCESS_DENIED.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { equalBytes, hex } from '../../src/lds/bytes.js';
import { mrzInformation } from '../../src/lds/mrz.js';
import { openCard } from '../../src/reader/card-session.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { personalize, type DocumentSet } from '../../src/reader/personalize.js';
import { buildDocumentSet, PERSON } from './document-set.fixture.js';

const MRZ = { documentNumber: PERSON.documentNumber, dateOfBirth: PERSON.dateOfBirth, dateOfExpiry: PERSON.dateOfExpiry };

async function personalized(set: DocumentSet): Promise<VirtualChip> {
  const chip = new VirtualChip();
  const t = InProcessTransport.open(chip);
  const report = await personalize(t, set);
  await t.close();
  expect(report.locked).toBe(true);
  expect(chip.locked).toBe(true);
  return chip;
}

describe('personalize a blank virtual chip, then read it (RSA AA key)', () => {
  let set: DocumentSet;
  let chip: VirtualChip;
  beforeAll(async () => {
    set = buildDocumentSet();
    chip = await personalized(set);
  });

  it('PACE-CAN: every file reads back as written, in one READ BINARY per file', async () => {
    const session = await openCard(InProcessTransport.open(chip), { can: PERSON.can });
    expect(session.accessControl).toBe('PACE');
    expect(session.limits.extended).toBe(true);
    const before = session.traffic.apdus;
    const all = await session.readAll();
    for (const name of ['COM', 'DG1', 'DG2', 'DG13', 'DG14', 'DG15', 'SOD']) expect(hex(all.files.get(name)!)).toBe(hex(set.files.get(name)!));
    expect(session.traffic.apdus - before).toBe(7);
    expect(equalBytes(session.cardAccess!, set.files.get('CardAccess')!)).toBe(true);
    await session.close();
  });

  it('PACE-MRZ, then Active Authentication (RSA, ISO 9796-2) and Chip Authentication with DG1 re-read', async () => {
    const session = await openCard(InProcessTransport.open(chip), MRZ, { method: 'pace' });
    const aa = await session.activeAuth();
    expect(aa.valid).toBe(true);
    expect(aa.verified?.algorithm).toBe('rsa-iso9796-2');
    const ca = await session.chipAuth();
    expect(ca.dg1Reread).toBe(true);
    expect(ca.protocol.cipher).toBe('AES-128');
    expect(hex(await session.readFile('DG15'))).toBe(hex(set.files.get('DG15')!));
    await session.close();
  });

  it('BAC with the MRZ reads the same files', async () => {
    const session = await openCard(InProcessTransport.open(chip), { mrzInformation: mrzInformation(MRZ.documentNumber, MRZ.dateOfBirth, MRZ.dateOfExpiry) }, { method: 'bac' });
    expect(session.accessControl).toBe('BAC');
    expect(hex(await session.readFile('DG2'))).toBe(hex(set.files.get('DG2')!));
    expect((await session.activeAuth()).valid).toBe(true);
    await session.close();
  });

  it('a wrong CAN fails PACE cleanly: "PACE failed: wrong CAN", code ACCESS_DENIED', async () => {
    const run = openCard(InProcessTransport.open(chip), { can: '999999' });
    await expect(run).rejects.toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/^PACE failed: wrong CAN/) });
  });

  it('a wrong MRZ fails PACE-MRZ and BAC with ACCESS_DENIED', async () => {
    const wrong = { ...MRZ, dateOfBirth: '990102' };
    await expect(openCard(InProcessTransport.open(chip), wrong, { method: 'pace' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(openCard(InProcessTransport.open(chip), wrong, { method: 'bac' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('the locked chip refuses a second personalization, with the step named', async () => {
    const t = InProcessTransport.open(chip);
    await expect(personalize(t, set)).rejects.toMatchObject({ code: 'PERSO_REJECTED', place: { sw: 0x6985 } });
  });
});

describe('other suites the chip offers', () => {
  it('EC AA key (P-256, ECDSA plain SHA-256) and PACE AES-256 on brainpoolP384r1 chosen over AES-128', async () => {
    const set = buildDocumentSet({ aa: 'ec', pace: [[2, 13], [4, 16]] });
    const chip = await personalized(set);
    const session = await openCard(InProcessTransport.open(chip), { can: PERSON.can });
    const aa = await session.activeAuth();
    expect(aa.valid).toBe(true);
    expect(aa.verified?.hash).toBe('sha256');
    expect(hex(await session.readFile('DG14'))).toBe(hex(set.files.get('DG14')!));
    await session.close();
  });

  it('a reader limited to short APDUs still reads everything (223-byte blocks under AES SM)', async () => {
    const set = buildDocumentSet({ dg2Size: 40_000 });
    const chip = await personalized(set);
    const session = await openCard(InProcessTransport.open(chip, { maxCommandLength: 261 }), { can: PERSON.can });
    expect(session.limits.extended).toBe(false);
    const before = session.traffic.apdus;
    expect(hex(await session.readFile('DG2'))).toBe(hex(set.files.get('DG2')!));
    // 40 004 bytes in 223-byte blocks, B1 past offset 32767 (its DO'53' header leaves 220)
    expect(session.traffic.apdus - before).toBeGreaterThanOrEqual(Math.ceil(40_004 / 223));
    await session.close();
  });

  it('extended reads of a 40 KB file cross offset 32767 with B1 / DO 54', async () => {
    const set = buildDocumentSet({ dg2Size: 40_000 });
    const chip = await personalized(set);
    const session = await openCard(InProcessTransport.open(chip), { can: PERSON.can });
    expect(hex(await session.readFile('DG2'))).toBe(hex(set.files.get('DG2')!));
    await session.close();
  });
});
