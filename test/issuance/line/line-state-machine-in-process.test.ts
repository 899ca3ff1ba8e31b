/**
 * The production line's state machine (docs/registry.md, "The line after a crash") with the
 * virtual chip in process: the decision table, the chip probe (serial from EF.ATR/INFO DO'46',
 * lock state), a clean run, and the worst kill point — after the chip answered the LOCK, before
 * markIssued — resumed by the next run without writing the card again.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualChip } from '../../../src/card/chip.js';
import { blankImage } from '../../../src/card/image.js';
import { hex } from '../../../src/lds/bytes.js';
import { decide, probeChip, type CardStation } from '../../../src/issuance/line-card.js';
import { runProductionLine } from '../../../src/issuance/production-line.js';
import { Registry } from '../../../src/issuance/registry.js';
import { InProcessTransport } from '../../../src/reader/in-process.js';
import { InProcessHopper, serialOf, sodHashOf, useLineFixture } from './in-process-hopper.js';

describe('production line with the in-process chip', () => {
  const fx = useLineFixture('cancuoc-line-unit-', 3);

  const options = (registry: Registry, station: CardStation) => ({
    registry,
    station,
    trust: fx.trust,
    signers: { dsSigner: fx.pki.signers.ds, dsCertificate: fx.pki.certificates.ds },
  });

  it('decides by recorded state and the card in the reader (docs/registry.md table)', () => {
    const blank = { serial: 'AA', locked: false };
    const locked = { serial: 'AA', locked: true };
    expect(decide({ status: 'pending', chipSerial: undefined }, blank).kind).toBe('personalize');
    expect(decide({ status: 'written', chipSerial: 'BB' }, blank).kind).toBe('personalize');
    expect(decide({ status: 'pending', chipSerial: undefined }, locked).kind).toBe('reject-card');
    expect(decide({ status: 'written', chipSerial: 'AA' }, locked).kind).toBe('abandon');
    expect(decide({ status: 'verified', chipSerial: 'AA' }, locked).kind).toBe('complete');
    expect(decide({ status: 'verified', chipSerial: 'AA' }, blank).kind).toBe('complete');
    expect(decide({ status: 'verified', chipSerial: 'BB' }, blank).kind).toBe('abandon');
  });

  it('reads the serial the blank card was made with, and tells locked from unlocked', async () => {
    const serial = Uint8Array.of(0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef);
    const chip = new VirtualChip(blankImage(serial));
    expect(await probeChip(InProcessTransport.open(chip))).toEqual({ serial: '0123456789ABCDEF', locked: false });
    chip.transmit(Uint8Array.of(0x00, 0xda, 0xde, 0xad)); // JMRTD step 6
    expect(await probeChip(InProcessTransport.open(chip))).toEqual({ serial: '0123456789ABCDEF', locked: true });
  });

  it('issues three cards: each locked, registered with its chip serial and SOD hash', async () => {
    const registry = await Registry.open(join(fx.dir, 'clean.sqlite'), { actor: 'test@line' });
    const hopper = new InProcessHopper();
    await registry.enqueue(fx.entries);
    const summary = await runProductionLine(options(registry, hopper));
    expect(summary.issued).toBe(3);
    expect(hopper.out.map((c) => c.locked)).toEqual([true, true, true]);
    for (const [i, chip] of hopper.out.entries()) {
      const card = (await registry.show(fx.entries[i]!.id)).cards.at(-1)!;
      expect(card.status).toBe('issued');
      expect(card.chipSerial).toBe(serialOf(chip));
      expect(hex(card.sodHash!)).toBe(sodHashOf(chip));
    }
    expect((await registry.verifyAudit()).ok).toBe(true);
    await registry.close();
  }, 60_000);

  it('killed between LOCK and markIssued: the next run finds the locked card and completes it, unwritten', async () => {
    const registry = await Registry.open(join(fx.dir, 'crash.sqlite'), { actor: 'test@line' });
    const hopper = new InProcessHopper();
    await registry.enqueue(fx.entries.slice(0, 1));
    hopper.dieAfterLock = true;
    await expect(runProductionLine(options(registry, hopper))).rejects.toThrow('killed');
    const chip = hopper.card;
    expect(chip.locked).toBe(true);
    const before = sodHashOf(chip);
    expect((await registry.show(fx.entries[0]!.id)).cards.at(-1)!.status).toBe('verified');

    hopper.dieAfterLock = false;
    const results: { resumed: boolean; status: string }[] = [];
    const summary = await runProductionLine({ ...options(registry, hopper), onCard: (r) => results.push(r) });
    expect(summary.issued).toBe(1);
    expect(results).toEqual([expect.objectContaining({ resumed: true, status: 'issued' })]);
    expect(hopper.out).toEqual([chip]);
    expect(sodHashOf(chip)).toBe(before);
    const card = (await registry.show(fx.entries[0]!.id)).cards.at(-1)!;
    expect([card.status, card.chipSerial, hex(card.sodHash!)]).toEqual(['issued', serialOf(chip), before]);
    expect(await registry.crossCheck()).toEqual([]);
    await registry.close();
  }, 60_000);
});
