/**
 * Claims of several stations (docs/registry.md, "Several stations" and "One run per station"):
 * each claim names its station; after a crash a station resumes its own cards first, the card
 * with a chip before one without, never a card of another station of the same run or of another
 * live run; cards of a station no run holds go to any station; a run holding a station refuses a
 * second run on it until its process dies or its heartbeat goes stale. On PostgreSQL, eight
 * stations of eight processes' pools claim at once: no record twice, one intact audit chain.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditKeyFromBytes } from '../../../src/issuance/audit-log.js';
import { Registry, type LineItem } from '../../../src/issuance/registry.js';
import { ENGINES, newRegistryTarget, stopRegistryEngines } from '../../helpers/registry-engines.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const IDS = ['001099012345', '079204000123', '046145007788', '022197004567', '052078009911', '096303002222'];
const A = 'Virtual PCD 00 00';
const B = 'Virtual PCD 00 01';
const sod = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

let target: string;
let reg: Registry;

afterAll(stopRegistryEngines);

const claim = async (batchId: number, station: string): Promise<LineItem> => (await reg.claimNext(batchId, station))!;
const verified = async (item: LineItem, chip: string): Promise<LineItem> =>
  reg.markVerified(await reg.markWritten(await reg.markPersonalizing(item, chip), { documentNumber: item.idNumber.slice(3), sodHash: sod(chip) }));

describe.each(ENGINES)('on %s', (engine) => {
  beforeEach(async () => {
    target = await newRegistryTarget(engine);
    reg = await Registry.open(target, { actor: 'tester@line-1' });
    await reg.enqueue(IDS.map((id) => ({ id })));
  });
  afterEach(() => reg.close());

  it('records the claiming station; two stations never get the same record', async () => {
    const batch = await reg.startBatch('two', { stations: [A, B] });
    expect(batch.stations).toEqual([A, B]);
    const items: LineItem[] = [];
    for (let i = 0; ; i++) {
      const item = await reg.claimNext(batch.id, i % 2 === 0 ? A : B);
      if (item === undefined) break;
      items.push(item);
    }
    expect(items.map((i) => i.idNumber)).toEqual(IDS);
    expect(new Set(items.map((i) => i.queueId)).size).toBe(IDS.length);
    expect(items.map((i) => i.station)).toEqual([A, B, A, B, A, B]);
    const claims = (await reg.auditLog()).filter((e) => e.action === 'card.claim');
    expect(claims.map((e) => e.details.station)).toEqual([A, B, A, B, A, B]);
  });

  it('after a crash each station resumes its own cards, the one in its reader first', async () => {
    const b1 = await reg.startBatch('before the crash', { stations: [A, B] });
    const onA = await verified(await claim(b1.id, A), 'CHIP-A'); // locked perhaps, in reader A
    const onB = await reg.markPersonalizing(await claim(b1.id, B), 'CHIP-B'); // half written, in reader B
    const aheadA = await claim(b1.id, A); // claimed ahead by A, no card yet
    // Killed: b1 never finishes. The next run has the same two readers.
    const b2 = await reg.startBatch('after the crash', { stations: [A, B] });
    const firstB = await claim(b2.id, B);
    expect([firstB.cardId, firstB.resumed, firstB.station, firstB.chipSerial]).toEqual([onB.cardId, true, B, 'CHIP-B']);
    // B does not take A's cards: its next is a new record.
    const secondB = await claim(b2.id, B);
    expect([secondB.resumed, secondB.status]).toEqual([false, 'pending']);
    const firstA = await claim(b2.id, A);
    expect([firstA.cardId, firstA.status, firstA.chipSerial]).toEqual([onA.cardId, 'verified', 'CHIP-A']);
    expect((await claim(b2.id, A)).cardId).toBe(aheadA.cardId);
    const resumes = (await reg.auditLog()).filter((e) => e.action === 'card.resume');
    expect(resumes.map((e) => [e.details.cardId, e.details.station, e.details.fromStation])).toEqual([
      [onB.cardId, B, B],
      [onA.cardId, A, A],
      [aheadA.cardId, A, A],
    ]);
    expect((await reg.verifyAudit()).ok).toBe(true);
    expect(await reg.crossCheck()).toEqual([]);
  });

  it('cards of a station that no run holds go to any station', async () => {
    const b1 = await reg.startBatch('two readers', { stations: [A, B] });
    const onA = await verified(await claim(b1.id, A), 'CHIP-A');
    const onB = await reg.markPersonalizing(await claim(b1.id, B), 'CHIP-B');
    await reg.finishBatch(b1.id); // stopped (LINE_HALTED, Ctrl-C) with its cards on the line
    const b2 = await reg.startBatch('reader B only', { stations: [B] });
    expect((await claim(b2.id, B)).cardId).toBe(onB.cardId);
    const taken = await claim(b2.id, B);
    expect([taken.cardId, taken.resumed, taken.station]).toEqual([onA.cardId, true, B]);
  });

  it('rejects bad station names and lists', async () => {
    const batch = await reg.startBatch();
    for (const bad of ['', 'x'.repeat(201), 'tab\there', 42]) await expect(reg.claimNext(batch.id, bad as never)).rejects.toThrow(TypeError);
    await expect(reg.startBatch(undefined, { stations: [A, A] })).rejects.toThrow(TypeError);
    await expect(reg.startBatch(undefined, { stations: 'A' as never })).rejects.toThrow(TypeError);
    await expect(reg.startBatch(undefined, { stations: Array.from({ length: 17 }, (_, i) => `R${i}`) })).rejects.toThrow(TypeError);
  });

  it('one run per station: refused while another live process runs that station, accepted once it is killed or silent', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'batch-holder.ts'), target, A], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const gone = new Promise((resolve) => child.once('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('close', () => reject(new Error('batch-holder exited')));
      });
      await expect(reg.startBatch('second', { stations: [B, A] })).rejects.toThrow(
        expect.objectContaining({ code: 'REGISTRY_BUSY', message: expect.stringContaining(`process ${child.pid}`) }),
      );
      const count = async (): Promise<number> => (await reg.store.read((tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM batches')))!.n;
      expect(await count()).toBe(1); // nothing was written by the refused start
      // Another station of this registry runs beside it: its cards are its own.
      const other = await reg.startBatch('station B', { stations: [B] });
      expect(other.id).toBe(2);
      // 31 s later without a heartbeat the run counts as gone, even though its process lives.
      const later = await Registry.open(target, { actor: 'later@test', now: () => new Date(Date.now() + 31_000) });
      try {
        expect((await later.startBatch('stale holder', { stations: [A] })).id).toBe(3);
      } finally {
        await later.close();
      }
    } finally {
      child.kill('SIGKILL');
      await gone;
    }
    expect((await reg.startBatch('after the kill', { stations: [A] })).id).toBe(4);
  }, 30_000);
});

describe('on postgres, eight stations in eight connection pools at once', () => {
  it('issue every record once (claims FOR UPDATE SKIP LOCKED) and append one keyed audit chain', async () => {
    const url = await newRegistryTarget('postgres');
    const key = auditKeyFromBytes(new Uint8Array(32).fill(7));
    const ids = Array.from({ length: 240 }, (_, i) => `0790${String(i).padStart(8, '0')}`);
    const setup = await Registry.open(url, { actor: 'setup@test', auditKey: key });
    await setup.enqueue(ids.map((id) => ({ id })));
    await setup.close();
    const stations = await Promise.all(Array.from({ length: 8 }, (_, i) => Registry.open(url, { actor: `line-${i}@site-${i % 2}`, auditKey: key, poolSize: 2 })));
    const claimed = await Promise.all(
      stations.map(async (r, i) => {
        const name = `Site ${i % 2} reader ${i}`;
        const batch = await r.startBatch(`station ${i}`, { stations: [name] });
        const mine: LineItem[] = [];
        for (let item = await r.claimNext(batch.id, name); item !== undefined; item = await r.claimNext(batch.id, name)) {
          mine.push(item);
          const chip = `CHIP-${item.cardId}`;
          const facts = { chipSerial: chip, documentNumber: item.idNumber.slice(3), sodHash: sod(chip) };
          const v = await r.markVerified(await r.markWritten(await r.markPersonalizing(item, chip), facts));
          await r.markIssued(v, facts);
        }
        await r.finishBatch(batch.id);
        return mine;
      }),
    );
    const all = claimed.flat();
    expect(all).toHaveLength(ids.length);
    expect(new Set(all.map((i) => i.queueId)).size).toBe(ids.length);
    expect(claimed.filter((c) => c.length > 0).length).toBeGreaterThan(1); // the stations really ran side by side
    const check = stations[0]!;
    const result = await check.verifyAudit({ key });
    expect(result).toMatchObject({ ok: true, entries: ids.length * 6 + 16, macs: 'verified' });
    expect(await check.counts()).toEqual({ queued: 0, onLine: 0, done: ids.length, setAside: 0 });
    expect(await check.crossCheck()).toEqual([]);
    await Promise.all(stations.map((r) => r.close()));
  }, 60_000);
});
