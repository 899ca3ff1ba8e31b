/**
 * Several stations on one line (docs/registry.md, "Several stations"), with in-process hoppers:
 * records are shared out and each issued once, with its printed face when asked (and none for a
 * card set aside); the limit counts all stations; a station whose
 * cards all fail stops the line (LINE_HALTED naming it) without losing or doubling a card of the
 * other, and the next run finishes every record.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { CardStation } from '../../../src/issuance/line-card.js';
import { runProductionLine, type LineCardResult } from '../../../src/issuance/production-line.js';
import { Registry } from '../../../src/issuance/registry.js';
import { InProcessHopper, serialOf, sodHashOf, useLineFixture } from './in-process-hopper.js';

describe('production line with two stations in process', () => {
  const fx = useLineFixture('cancuoc-stations-', 6);

  const run = (registry: Registry, stations: readonly CardStation[], more: { limit?: number; faceDir?: string; onCard?: (r: LineCardResult) => void } = {}) =>
    runProductionLine({ registry, stations, trust: fx.trust, signers: { dsSigner: fx.pki.signers.ds, dsCertificate: fx.pki.certificates.ds }, ...more });

  /** Every locked card out of the hoppers is the issued card of exactly one citizen, recorded with its station. */
  async function checkCards(registry: Registry, hoppers: readonly InProcessHopper[]): Promise<number> {
    const issued = await registry.store.read((tx) =>
      tx.all<{ id_number: string; station: string; chip_serial: string; sod_hash: string }>("SELECT id_number, station, chip_serial, sod_hash FROM cards WHERE status = 'issued'"),
    );
    expect(new Set(issued.map((r) => r.id_number)).size).toBe(issued.length);
    const out = hoppers.flatMap((h) => h.out.map((chip) => ({ station: h.name, chip })));
    expect(out.map(({ chip }) => chip.locked)).toEqual(out.map(() => true));
    expect(out.map(({ station, chip }) => [station, serialOf(chip), sodHashOf(chip)]).sort()).toEqual(issued.map((r) => [r.station, r.chip_serial, r.sod_hash]).sort());
    expect((await registry.verifyAudit()).ok).toBe(true);
    expect(await registry.crossCheck()).toEqual([]);
    return issued.length;
  }

  it('shares the records out: each issued once, on the station that claimed it', async () => {
    const registry = await Registry.open(join(fx.dir, 'two.sqlite'), { actor: 'test@line' });
    const hoppers = [new InProcessHopper('reader A'), new InProcessHopper('reader B')];
    await registry.enqueue(fx.entries);
    const results: LineCardResult[] = [];
    const summary = await run(registry, hoppers, { onCard: (r) => results.push(r) });
    expect([summary.issued, summary.setAside]).toEqual([6, 0]);
    expect(summary.stations.map((s) => s.station)).toEqual(['reader A', 'reader B']);
    for (const s of summary.stations) expect(s.issued, s.station).toBeGreaterThanOrEqual(1);
    expect(summary.stations.reduce((n, s) => n + s.issued, 0)).toBe(6);
    expect(new Set(results.map((r) => r.idNumber)).size).toBe(6);
    for (const r of results) expect(hoppers.find((h) => h.name === r.station)!.out.map(serialOf)).toContain(r.chipSerial);
    expect(await checkCards(registry, hoppers)).toBe(6);
    await registry.close();
  }, 60_000);

  it('writes each issued card its face from the verified chip, and none for a card set aside', async () => {
    const registry = await Registry.open(join(fx.dir, 'faces.sqlite'), { actor: 'test@line' });
    const good = new InProcessHopper('reader A');
    const broken = new InProcessHopper('reader B');
    broken.failLock = true;
    const faceDir = join(fx.dir, 'faces');
    await registry.enqueue(fx.entries.slice(0, 3));
    const results: LineCardResult[] = [];
    await run(registry, [good, broken], { faceDir, onCard: (r) => results.push(r) }).catch(() => undefined);
    const issued = results.filter((r) => r.status === 'issued');
    expect(issued.length).toBeGreaterThan(0);
    // reader B's chips refuse the lock after verification, when the face is already written: it is removed
    expect(results.filter((r) => r.status === 'set-aside').map((r) => [r.station, r.reason])).toContainEqual(['reader B', 'the chip answered 6581 to LOCK']);
    const files = issued.flatMap((r) => [`${r.documentNumber}-front.png`, `${r.documentNumber}-back.png`]).sort();
    expect(readdirSync(faceDir).sort()).toEqual(files);
    for (const r of issued) {
      const front = join(faceDir, `${r.documentNumber}-front.png`);
      expect(statSync(front).mode & 0o777).toBe(0o600);
      expect(await sharp(front).metadata()).toMatchObject({ width: 1011, height: 638, density: 300 });
      // ZXingReader (zxing-cpp) reads the front QR: the plain CCCD text starts with the ID number (cccd-profile.md)
      const qr = execFileSync('/usr/bin/ZXingReader', ['-bytes', '-format', 'QRCode', front]).toString('utf8');
      expect(qr.split('|')[0]).toBe(r.idNumber);
      const record = fx.entries.find((e) => e.record.id === r.idNumber)!.record;
      expect(qr).toContain(record.fullName);
    }
    await registry.close();
  }, 60_000);

  it('counts the limit over all stations', async () => {
    const registry = await Registry.open(join(fx.dir, 'limit.sqlite'), { actor: 'test@line' });
    const hoppers = [new InProcessHopper('reader A'), new InProcessHopper('reader B')];
    await registry.enqueue(fx.entries);
    const summary = await run(registry, hoppers, { limit: 3 });
    expect(summary.issued).toBe(3);
    expect(await checkCards(registry, hoppers)).toBe(3);
    expect(await registry.counts()).toEqual({ queued: 3, onLine: 0, done: 3, setAside: 0 });
    await registry.close();
  }, 60_000);

  it('a station whose cards all fail halts the line; the other loses nothing; the next run finishes', async () => {
    const registry = await Registry.open(join(fx.dir, 'halt.sqlite'), { actor: 'test@line' });
    const good = new InProcessHopper('reader A');
    const broken = new InProcessHopper('reader B');
    broken.failWrites = true;
    await registry.enqueue(fx.entries);
    const results: LineCardResult[] = [];
    await expect(run(registry, [good, broken], { onCard: (r) => results.push(r) })).rejects.toThrow(
      expect.objectContaining({ code: 'LINE_HALTED', message: expect.stringContaining('reader B') }),
    );
    expect(results.filter((r) => r.station === 'reader B').map((r) => r.status)).toEqual(['set-aside', 'set-aside', 'set-aside']);
    expect(broken.out).toEqual([]);
    expect(good.card.locked, 'the good station finished its card in hand').toBe(false);
    const before = await checkCards(registry, [good]);
    expect(before).toBe(results.filter((r) => r.status === 'issued').length);
    // The batch is finished; what either station had claimed ahead is still on the line.
    expect(await registry.store.read((tx) => tx.get('SELECT count(*) AS n FROM batches WHERE finished_at IS NULL'))).toEqual({ n: 0 });

    const summary = await run(registry, [good]);
    expect(before + summary.issued).toBe(6);
    expect(await checkCards(registry, [good])).toBe(6);
    expect(await registry.counts()).toEqual({ queued: 0, onLine: 0, done: 6, setAside: 0 });
    await registry.close();
  }, 60_000);
});
