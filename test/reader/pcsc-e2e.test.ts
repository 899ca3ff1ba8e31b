/**
 * The terminal through the real PC/SC stack: VirtualChip → vpcd bridge → pcscd (vpcd driver) →
 * libpcsclite → pcsclite → PcscTransport. Personalize a blank chip (docs/perso.md), then read it
 * with PACE-CAN, PACE-MRZ and BAC. With CI=true a missing pcscd fails the run (global-setup).
 *
 * The chip runs in this process through connectVpcd, the same bridge `cancuoc card serve` uses
 * (that command is not registered yet: see the report).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { connectVpcd, type VpcdConnection } from '../../src/card/vpcd.js';
import { hex } from '../../src/lds/bytes.js';
import { openCard } from '../../src/reader/card-session.js';
import { connect, waitForCard } from '../../src/reader/pcsc.js';
import { personalize, type DocumentSet } from '../../src/reader/personalize.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../helpers/pcscd.js';
import { buildDocumentSet, PERSON } from './document-set.fixture.js';

const status = pcscStatus();

describe.skipIf(!status.available)('personalize and read through pcscd + vpcd + pcsclite', () => {
  let slot: HeldSlot;
  let bridge: VpcdConnection;
  let set: DocumentSet;
  const chip = new VirtualChip();

  beforeAll(async () => {
    slot = await acquireVpcdSlot();
    set = buildDocumentSet();
    bridge = await connectVpcd(chip, { port: slot.port });
    await waitForCard({ reader: slot.reader, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await bridge?.close();
    slot?.release();
  });

  it('personalizes the blank chip, verifies it through PACE, and locks it', async () => {
    const t = await connect(slot.reader);
    try {
      const report = await personalize(t, set);
      expect(report.locked).toBe(true);
      expect([...report.filesVerified].sort()).toEqual([...set.files.keys()].sort());
    } finally {
      await t.close();
    }
    expect(chip.locked).toBe(true);
  });

  for (const [label, access, method] of [
    ['PACE-CAN', { can: PERSON.can }, 'pace'],
    ['PACE-MRZ', { documentNumber: PERSON.documentNumber, dateOfBirth: PERSON.dateOfBirth, dateOfExpiry: PERSON.dateOfExpiry }, 'pace'],
    ['BAC', { documentNumber: PERSON.documentNumber, dateOfBirth: PERSON.dateOfBirth, dateOfExpiry: PERSON.dateOfExpiry }, 'bac'],
  ] as const) {
    it(`${label}: reads DG1, DG2 and SOD back byte for byte`, async () => {
      const session = await openCard(await connect(slot.reader), access, { method });
      try {
        for (const name of ['DG1', 'DG2', 'SOD']) expect(hex(await session.readFile(name))).toBe(hex(set.files.get(name)!));
        expect((await session.activeAuth()).valid).toBe(true);
      } finally {
        await session.close();
      }
    });
  }

  it('a wrong CAN fails with ACCESS_DENIED over PC/SC too', async () => {
    const t = await connect(slot.reader);
    try {
      await expect(openCard(t, { can: '111111' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    } finally {
      await t.close();
    }
  });
});
