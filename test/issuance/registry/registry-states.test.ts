/**
 * The production registry (docs/registry.md): queue, card states, one transaction per change with
 * its audit entry, never two issued cards for one ID number, document number or chip.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAuditLog, verifyAuditLog } from '../../../src/issuance/audit-log.js';
import { Registry, type LineItem } from '../../../src/issuance/registry.js';
import { ValidationError } from '../../../src/lds/errors.js';

const ID_A = '001099012345';
const ID_B = '079204000123';
const sod = (n: number): Uint8Array => new Uint8Array(createHash('sha256').update(`sod-${n}`).digest());

let dir: string;
let path: string;
let reg: Registry;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cancuoc-registry-'));
  path = join(dir, 'registry.sqlite');
  reg = Registry.open(path, { actor: 'tester@line-1' });
});
afterEach(() => {
  reg.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Takes an item through the whole line; the document number is the last 9 digits of the ID. */
function issue(item: LineItem, chip: string, n: number): LineItem {
  const documentNumber = item.idNumber.slice(3);
  const p = reg.markPersonalizing(item, chip);
  const w = reg.markWritten(p, { documentNumber, sodHash: sod(n) });
  const v = reg.markVerified(w);
  return reg.markIssued(v, { chipSerial: chip, documentNumber, sodHash: sod(n) });
}

describe('opening', () => {
  it('uses WAL and synchronous=FULL, and records the schema version', () => {
    expect(reg.database.pragma('journal_mode', { simple: true })).toBe('wal');
    // synchronous FULL = 2 (SQLite PRAGMA synchronous)
    expect(reg.database.pragma('synchronous', { simple: true })).toBe(2);
    expect(reg.database.pragma('user_version', { simple: true })).toBe(2);
  });

  it('refuses a missing file with create: false, and a schema newer than it knows', () => {
    expect(() => Registry.open(join(dir, 'nope.sqlite'), { create: false })).toThrow(expect.objectContaining({ code: 'REGISTRY_OPEN_FAILED' }));
    const db = new Database(join(dir, 'new.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => Registry.open(join(dir, 'new.sqlite'))).toThrow(expect.objectContaining({ code: 'REGISTRY_TOO_NEW' }));
  });

  it('reopens an existing registry without migrating again', () => {
    reg.enqueue([{ id: ID_A }]);
    reg.close();
    reg = Registry.open(path, { create: false, actor: 'tester@line-1' });
    expect(reg.counts().queued).toBe(1);
  });
});

describe('queue and line', () => {
  it('enqueue is idempotent: a second run of the same records adds nothing', () => {
    const first = reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    expect(first.added).toHaveLength(2);
    const second = reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    expect(second.added).toHaveLength(0);
    expect(second.skipped.map((s) => s.reason)).toEqual(['already queued', 'already queued']);
  });

  it('goes pending → personalizing → written → verified → issued, one audit entry per change', () => {
    reg.enqueue([{ id: ID_A, fullName: 'Nguyễn Văn A' } as { id: string }]);
    const batch = reg.startBatch('morning');
    const item = reg.claimNext(batch.id)!;
    expect(item.status).toBe('pending');
    expect(item.resumed).toBe(false);
    expect((item.record as { fullName: string }).fullName).toBe('Nguyễn Văn A');
    expect(Object.isFrozen(item)).toBe(true);
    const done = issue(item, 'CHIP-0001', 1);
    expect(done.status).toBe('issued');
    expect(done.documentNumber).toBe('099012345');
    expect(done.sodHash).toEqual(sod(1));
    expect(reg.claimNext(batch.id)).toBeUndefined();
    reg.finishBatch(batch.id);
    const actions = readAuditLog(reg.database).map((e) => e.action);
    expect(actions).toEqual([
      'queue.enqueue', 'batch.start', 'card.claim', 'card.personalizing', 'card.written', 'card.verified', 'card.issued', 'batch.finish',
    ]);
    expect(verifyAuditLog(reg.database).ok).toBe(true);
    expect(reg.crossCheck()).toEqual([]);
    expect(reg.counts()).toEqual({ queued: 0, onLine: 0, done: 1, setAside: 0 });
  });

  it('the audit log carries the ID number as subject and no name', () => {
    reg.enqueue([{ id: ID_A, fullName: 'Trần Thị Bích' } as { id: string }]);
    const item = reg.claimNext(reg.startBatch().id)!;
    issue(item, 'CHIP-9', 9);
    const text = JSON.stringify(readAuditLog(reg.database));
    expect(text).not.toContain('Trần');
    expect(readAuditLog(reg.database).filter((e) => e.subject !== null).every((e) => e.subject === ID_A)).toBe(true);
  });

  it('refuses transitions out of order with REGISTRY_STATE and leaves no audit entry', () => {
    reg.enqueue([{ id: ID_A }]);
    const item = reg.claimNext(reg.startBatch().id)!;
    const before = readAuditLog(reg.database).length;
    expect(() => reg.markVerified(item)).toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
    expect(() => reg.markWritten(item, { documentNumber: '099012345', sodHash: sod(1) })).toThrow(ValidationError);
    expect(readAuditLog(reg.database).length).toBe(before);
  });

  it('markIssued rejects facts that differ from those written (REGISTRY_MISMATCH), atomically', () => {
    reg.enqueue([{ id: ID_A }]);
    const item = reg.claimNext(reg.startBatch().id)!;
    const v = reg.markVerified(reg.markWritten(reg.markPersonalizing(item, 'CHIP-1'), { documentNumber: '099012345', sodHash: sod(1) }));
    expect(() => reg.markIssued(v, { chipSerial: 'CHIP-2', documentNumber: '099012345', sodHash: sod(1) })).toThrow(
      expect.objectContaining({ code: 'REGISTRY_MISMATCH' }),
    );
    expect(reg.show(ID_A).cards[0]!.status).toBe('verified');
    expect(reg.show(ID_A).queue[0]!.state).toBe('claimed');
  });

  it('claimNext resumes a card left on the line before taking a new record', () => {
    reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    const b1 = reg.startBatch();
    const first = reg.markPersonalizing(reg.claimNext(b1.id)!, 'CHIP-1');
    const b2 = reg.startBatch('after crash');
    const again = reg.claimNext(b2.id)!;
    expect(again.cardId).toBe(first.cardId);
    expect(again.resumed).toBe(true);
    expect(again.status).toBe('personalizing');
    expect(again.chipSerial).toBe('CHIP-1');
    expect(again.batchId).toBe(b2.id);
    expect(readAuditLog(reg.database).at(-1)!.action).toBe('card.resume');
  });

  it('setAside with retry requeues the record for a new card; without, waits for requeue', () => {
    reg.enqueue([{ id: ID_A }]);
    const batch = reg.startBatch();
    const item = reg.markPersonalizing(reg.claimNext(batch.id)!, 'CHIP-1');
    const aside = reg.setAside(item, 'write failed at DG2', { retry: true });
    expect(aside.status).toBe('set-aside');
    const second = reg.claimNext(batch.id)!;
    expect(second.cardId).not.toBe(item.cardId);
    expect(second.attempt).toBe(2);
    reg.setAside(second, 'card cracked');
    expect(reg.claimNext(batch.id)).toBeUndefined();
    expect(reg.counts().setAside).toBe(1);
    reg.requeue(ID_A);
    const third = reg.claimNext(batch.id)!;
    expect(issue(third, 'CHIP-3', 3).status).toBe('issued');
    const cards = reg.show(ID_A).cards;
    expect(cards.map((c) => c.status)).toEqual(['set-aside', 'set-aside', 'issued']);
    expect(cards[0]!.reason).toBe('write failed at DG2');
    expect(() => reg.requeue(ID_A)).toThrow(expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }));
  });

  it('never issues twice: a second issued card for the same ID is refused by the database', () => {
    reg.enqueue([{ id: ID_A }]);
    const batch = reg.startBatch();
    issue(reg.claimNext(batch.id)!, 'CHIP-1', 1);
    expect(reg.enqueue([{ id: ID_A }]).skipped[0]!.reason).toBe('already holds an issued card');
    // Bypass enqueue's check, as a buggy or concurrent writer might: the unique index still holds.
    reg.database.prepare("INSERT INTO queue (id_number, record, state, enqueued_at, updated_at) VALUES (?, '{}', 'queued', 'x', 'x')").run(ID_A);
    const dup = reg.claimNext(batch.id)!;
    const v = reg.markVerified(reg.markWritten(reg.markPersonalizing(dup, 'CHIP-2'), { documentNumber: '099012345', sodHash: sod(2) }));
    const seqBefore = readAuditLog(reg.database).length;
    expect(() => reg.markIssued(v, { chipSerial: 'CHIP-2', documentNumber: '099012345', sodHash: sod(2) })).toThrow(
      expect.objectContaining({ code: 'REGISTRY_ALREADY_ISSUED' }),
    );
    expect(readAuditLog(reg.database).length).toBe(seqBefore);
    const issued = reg.database.prepare("SELECT count(*) AS n FROM cards WHERE id_number = ? AND status = 'issued'").get(ID_A) as { n: number };
    expect(issued.n).toBe(1);
  });

  it('a finished or unknown batch cannot claim', () => {
    const batch = reg.startBatch();
    reg.finishBatch(batch.id);
    expect(() => reg.claimNext(batch.id)).toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
    expect(() => reg.claimNext(999)).toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
    expect(() => reg.finishBatch(batch.id)).toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
  });
});

describe('lost and revoked', () => {
  it('marks by ID or document number, lists them, and allows a replacement card', () => {
    reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    const batch = reg.startBatch();
    issue(reg.claimNext(batch.id)!, 'CHIP-1', 1);
    issue(reg.claimNext(batch.id)!, 'CHIP-2', 2);
    const lost = reg.markLost(ID_A, 'reported at the ward office');
    expect(lost.status).toBe('lost');
    expect(reg.markRevoked('204000123').status).toBe('revoked');
    expect(reg.markRevoked(ID_A).status).toBe('revoked'); // lost → revoked
    expect(() => reg.markLost(ID_A)).toThrow(expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }));
    expect(reg.listRevoked().map((c) => `${c.documentNumber} ${c.status}`).sort()).toEqual(['099012345 revoked', '204000123 revoked']);
    expect(reg.listRevoked().every((c) => c.revokedAt !== undefined && c.sodHash?.length === 32)).toBe(true);
    // the citizen may now receive a new card with the same document number
    expect(reg.enqueue([{ id: ID_A }]).added).toHaveLength(1);
    expect(issue(reg.claimNext(batch.id)!, 'CHIP-3', 3).status).toBe('issued');
    expect(reg.crossCheck()).toEqual([]);
    expect(verifyAuditLog(reg.database).ok).toBe(true);
  });

  it('show finds a citizen by either key and reports unknown keys', () => {
    reg.enqueue([{ id: ID_A }]);
    issue(reg.claimNext(reg.startBatch().id)!, 'CHIP-1', 1);
    expect(reg.show('099012345').idNumber).toBe(ID_A);
    expect(reg.show(ID_A).history.length).toBeGreaterThan(3);
    expect(() => reg.show('000000000001')).toThrow(expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }));
    expect(() => reg.show('no such; key')).toThrow(expect.objectContaining({ code: 'REGISTRY_BAD_KEY' }));
  });
});

describe('argument checks', () => {
  const hostile: unknown[] = [undefined, null, NaN, -1, 0, 1.5, '', 'x'.repeat(600), [], {}, new Uint8Array(3)];
  it('rejects hostile arguments with TypeError or RangeError, never a database error', () => {
    reg.enqueue([{ id: ID_A }]);
    const item = reg.claimNext(reg.startBatch().id)!;
    for (const h of hostile) {
      if (!Array.isArray(h)) expect(() => reg.enqueue(h as never)).toThrow(TypeError);
      expect(() => reg.enqueue([{ id: h } as never])).toThrow(TypeError);
      expect(() => reg.claimNext(h as never)).toThrow(TypeError);
      expect(() => reg.markPersonalizing(item, h as never)).toThrow(TypeError);
      expect(() => reg.markPersonalizing(h as never, 'CHIP-1')).toThrow(TypeError);
      expect(() => reg.setAside(item, h as never)).toThrow(TypeError);
      expect(() => reg.markWritten(item, { documentNumber: '099012345', sodHash: h as never })).toThrow(/sodHash/);
    }
    expect(() => Registry.open('')).toThrow(TypeError);
  });
});
