/**
 * Claims of several stations (docs/registry.md, "Several stations" and "One batch run at a
 * time"): each claim names its station; after a crash a station resumes its own cards first,
 * the card with a chip before one without, never a card of another station of the same run;
 * cards of a station absent from the run go to any station; a batch held by another live
 * process refuses a second one until that process dies or its heartbeat goes stale.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAuditLog, verifyAuditLog } from '../../../src/issuance/audit-log.js';
import { Registry, type LineItem } from '../../../src/issuance/registry.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const IDS = ['001099012345', '079204000123', '046145007788', '022197004567', '052078009911', '096303002222'];
const A = 'Virtual PCD 00 00';
const B = 'Virtual PCD 00 01';
const sod = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

let dir: string;
let reg: Registry;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cancuoc-claims-'));
  reg = Registry.open(join(dir, 'registry.sqlite'), { actor: 'tester@line-1' });
  reg.enqueue(IDS.map((id) => ({ id })));
});
afterEach(() => {
  reg.close();
  rmSync(dir, { recursive: true, force: true });
});

const verified = (item: LineItem, chip: string): LineItem =>
  reg.markVerified(reg.markWritten(reg.markPersonalizing(item, chip), { documentNumber: item.idNumber.slice(3), sodHash: sod(chip) }));

describe('claims per station', () => {
  it('records the claiming station; two stations never get the same record', () => {
    const batch = reg.startBatch('two', { stations: [A, B] });
    expect(batch.stations).toEqual([A, B]);
    const items: LineItem[] = [];
    for (let i = 0; ; i++) {
      const item = reg.claimNext(batch.id, i % 2 === 0 ? A : B);
      if (item === undefined) break;
      items.push(item);
    }
    expect(items.map((i) => i.idNumber)).toEqual(IDS);
    expect(new Set(items.map((i) => i.queueId)).size).toBe(IDS.length);
    expect(items.map((i) => i.station)).toEqual([A, B, A, B, A, B]);
    const claims = readAuditLog(reg.database).filter((e) => e.action === 'card.claim');
    expect(claims.map((e) => e.details.station)).toEqual([A, B, A, B, A, B]);
  });

  it('after a crash each station resumes its own cards, the one in its reader first', () => {
    const b1 = reg.startBatch('before the crash', { stations: [A, B] });
    const onA = verified(reg.claimNext(b1.id, A)!, 'CHIP-A'); // locked perhaps, in reader A
    const onB = reg.markPersonalizing(reg.claimNext(b1.id, B)!, 'CHIP-B'); // half written, in reader B
    const aheadA = reg.claimNext(b1.id, A)!; // claimed ahead by A, no card yet
    // Killed: b1 never finishes. The next run has the same two readers.
    const b2 = reg.startBatch('after the crash', { stations: [A, B] });
    const firstB = reg.claimNext(b2.id, B)!;
    expect([firstB.cardId, firstB.resumed, firstB.station, firstB.chipSerial]).toEqual([onB.cardId, true, B, 'CHIP-B']);
    // B does not take A's cards: its next is a new record.
    const secondB = reg.claimNext(b2.id, B)!;
    expect([secondB.resumed, secondB.status]).toEqual([false, 'pending']);
    const firstA = reg.claimNext(b2.id, A)!;
    expect([firstA.cardId, firstA.status, firstA.chipSerial]).toEqual([onA.cardId, 'verified', 'CHIP-A']);
    expect(reg.claimNext(b2.id, A)!.cardId).toBe(aheadA.cardId);
    const resumes = readAuditLog(reg.database).filter((e) => e.action === 'card.resume');
    expect(resumes.map((e) => [e.details.cardId, e.details.station, e.details.fromStation])).toEqual([
      [onB.cardId, B, B],
      [onA.cardId, A, A],
      [aheadA.cardId, A, A],
    ]);
    expect(verifyAuditLog(reg.database).ok).toBe(true);
    expect(reg.crossCheck()).toEqual([]);
  });

  it('cards of a station that is not in the run go to any station of it', () => {
    const b1 = reg.startBatch('two readers', { stations: [A, B] });
    const onA = verified(reg.claimNext(b1.id, A)!, 'CHIP-A');
    const onB = reg.markPersonalizing(reg.claimNext(b1.id, B)!, 'CHIP-B');
    const b2 = reg.startBatch('reader B only', { stations: [B] });
    expect(reg.claimNext(b2.id, B)!.cardId).toBe(onB.cardId);
    const taken = reg.claimNext(b2.id, B)!;
    expect([taken.cardId, taken.resumed, taken.station]).toEqual([onA.cardId, true, B]);
  });

  it('rejects bad station names and lists', () => {
    const batch = reg.startBatch();
    for (const bad of ['', 'x'.repeat(201), 'tab\there', 42]) expect(() => reg.claimNext(batch.id, bad as never)).toThrow(TypeError);
    expect(() => reg.startBatch(undefined, { stations: [A, A] })).toThrow(TypeError);
    expect(() => reg.startBatch(undefined, { stations: 'A' as never })).toThrow(TypeError);
    expect(() => reg.startBatch(undefined, { stations: Array.from({ length: 17 }, (_, i) => `R${i}`) })).toThrow(TypeError);
  });
});

describe('one batch run at a time', () => {
  it('refuses a batch while another live process runs one, and accepts it once that process is killed', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'batch-holder.ts'), join(dir, 'registry.sqlite')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const gone = new Promise((resolve) => child.once('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('close', () => reject(new Error('batch-holder exited')));
      });
      expect(() => reg.startBatch('second')).toThrow(expect.objectContaining({ code: 'REGISTRY_BUSY', message: expect.stringContaining(`process ${child.pid}`) }));
      // Nothing was written by the refused start.
      expect((reg.database.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n).toBe(1);
      // 31 s later without a heartbeat the run counts as gone, even though its process lives.
      const later = Registry.open(join(dir, 'registry.sqlite'), { actor: 'later@test', now: () => new Date(Date.now() + 31_000) });
      try {
        expect(later.startBatch('stale holder').id).toBe(2);
      } finally {
        later.close();
      }
    } finally {
      child.kill('SIGKILL');
      await gone;
    }
    expect(reg.startBatch('after the kill').id).toBe(3);
  }, 30_000);
});
