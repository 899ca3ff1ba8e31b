/**
 * The production registry (docs/registry.md): queue, card states, one transaction per change with
 * its audit entry, never two issued cards for one ID number, document number or chip — on both
 * engines, SQLite and a real PostgreSQL server.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry, type LineItem } from '../../../src/issuance/registry.js';
import { SqliteStore } from '../../../src/issuance/registry-sqlite.js';
import { ValidationError } from '../../../src/lds/errors.js';
import { ENGINES, newRegistryTarget, stopRegistryEngines } from '../../helpers/registry-engines.js';

const ID_A = '001099012345';
const ID_B = '079204000123';
const sod = (n: number): Uint8Array => new Uint8Array(createHash('sha256').update(`sod-${n}`).digest());

let target: string;
let reg: Registry;

afterAll(stopRegistryEngines);

/** Takes an item through the whole line; the document number is the last 9 digits of the ID. */
async function issue(item: LineItem, chip: string, n: number): Promise<LineItem> {
  const documentNumber = item.idNumber.slice(3);
  const p = await reg.markPersonalizing(item, chip);
  const w = await reg.markWritten(p, { documentNumber, sodHash: sod(n) });
  const v = await reg.markVerified(w);
  return reg.markIssued(v, { chipSerial: chip, documentNumber, sodHash: sod(n) });
}

const claim = async (batchId: number): Promise<LineItem> => (await reg.claimNext(batchId))!;

describe('opening a SQLite registry', () => {
  beforeEach(async () => {
    target = await newRegistryTarget('sqlite');
    reg = await Registry.open(target, { actor: 'tester@line-1' });
  });
  afterEach(() => reg.close());

  it('uses WAL and synchronous=FULL, and records the schema version', () => {
    const db = (reg.store as SqliteStore).database;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // synchronous FULL = 2 (SQLite PRAGMA synchronous)
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
  });

  it('refuses a missing file with create: false, and a schema newer than it knows', async () => {
    const dir = dirname(target);
    await expect(Registry.open(join(dir, 'nope.sqlite'), { create: false })).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_OPEN_FAILED' }));
    const db = new Database(join(dir, 'new.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    await expect(Registry.open(join(dir, 'new.sqlite'))).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_TOO_NEW' }));
  });
});

describe('opening a PostgreSQL registry', () => {
  it('creates the schema once, refuses an empty database with create: false and a schema newer than it knows', async () => {
    const url = await newRegistryTarget('postgres');
    await expect(Registry.open(url, { create: false })).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_OPEN_FAILED' }));
    const [a, b] = await Promise.all([Registry.open(url), Registry.open(url)]); // two machines set it up at once
    await a.close();
    await b.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query('SELECT version FROM cancuoc_schema')).rows).toEqual([{ version: 1 }]);
      await client.query('UPDATE cancuoc_schema SET version = 99');
    } finally {
      await client.end();
    }
    await expect(Registry.open(url)).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_TOO_NEW' }));
  });

  it('a server that goes away under an open registry is REGISTRY_UNAVAILABLE (bad input, not a bug)', async () => {
    const url = await newRegistryTarget('postgres');
    const opened = await Registry.open(url);
    const name = /\/(cancuoc_test_\w+)/.exec(url)![1]!;
    const admin = new pg.Client({ connectionString: url.replace(name, 'postgres') });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    await expect(opened.counts()).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_UNAVAILABLE' }));
    await opened.close();
  });

  it('an unreachable server is REGISTRY_OPEN_FAILED, without the password in the message', async () => {
    const err = await Registry.open('postgres://line:s3cret@127.0.0.1:1/registry').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_OPEN_FAILED' });
    expect((err as Error).message).not.toContain('s3cret');
  });
});

describe.each(ENGINES)('on %s', (engine) => {
  beforeEach(async () => {
    target = await newRegistryTarget(engine);
    reg = await Registry.open(target, { actor: 'tester@line-1' });
  });
  afterEach(() => reg.close());

  it('reopens an existing registry without migrating again', async () => {
    await reg.enqueue([{ id: ID_A }]);
    await reg.close();
    reg = await Registry.open(target, { create: false, actor: 'tester@line-1' });
    expect((await reg.counts()).queued).toBe(1);
  });

  it('enqueue is idempotent: a second run of the same records adds nothing', async () => {
    const first = await reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    expect(first.added).toHaveLength(2);
    const second = await reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    expect(second.added).toHaveLength(0);
    expect(second.skipped.map((s) => s.reason)).toEqual(['already queued', 'already queued']);
  });

  it('goes pending → personalizing → written → verified → issued, one audit entry per change', async () => {
    await reg.enqueue([{ id: ID_A, fullName: 'Nguyễn Văn A' } as { id: string }]);
    const batch = await reg.startBatch('morning');
    const item = await claim(batch.id);
    expect(item.status).toBe('pending');
    expect(item.resumed).toBe(false);
    expect((item.record as { fullName: string }).fullName).toBe('Nguyễn Văn A');
    expect(Object.isFrozen(item)).toBe(true);
    const done = await issue(item, 'CHIP-0001', 1);
    expect(done.status).toBe('issued');
    expect(done.documentNumber).toBe('099012345');
    expect(done.sodHash).toEqual(sod(1));
    expect(await reg.claimNext(batch.id)).toBeUndefined();
    await reg.finishBatch(batch.id);
    const actions = (await reg.auditLog()).map((e) => e.action);
    expect(actions).toEqual([
      'queue.enqueue', 'batch.start', 'card.claim', 'card.personalizing', 'card.written', 'card.verified', 'card.issued', 'batch.finish',
    ]);
    expect((await reg.verifyAudit()).ok).toBe(true);
    expect(await reg.crossCheck()).toEqual([]);
    expect(await reg.counts()).toEqual({ queued: 0, onLine: 0, done: 1, setAside: 0 });
  });

  it('the audit log carries the ID number as subject and no name', async () => {
    await reg.enqueue([{ id: ID_A, fullName: 'Trần Thị Bích' } as { id: string }]);
    await issue(await claim((await reg.startBatch()).id), 'CHIP-9', 9);
    const log = await reg.auditLog();
    expect(JSON.stringify(log)).not.toContain('Trần');
    expect(log.filter((e) => e.subject !== null).every((e) => e.subject === ID_A)).toBe(true);
  });

  it('refuses transitions out of order with REGISTRY_STATE and leaves no audit entry', async () => {
    await reg.enqueue([{ id: ID_A }]);
    const item = await claim((await reg.startBatch()).id);
    const before = (await reg.auditLog()).length;
    await expect(reg.markVerified(item)).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
    await expect(reg.markWritten(item, { documentNumber: '099012345', sodHash: sod(1) })).rejects.toThrow(ValidationError);
    expect((await reg.auditLog()).length).toBe(before);
  });

  it('markIssued rejects facts that differ from those written (REGISTRY_MISMATCH), atomically', async () => {
    await reg.enqueue([{ id: ID_A }]);
    const item = await claim((await reg.startBatch()).id);
    const v = await reg.markVerified(await reg.markWritten(await reg.markPersonalizing(item, 'CHIP-1'), { documentNumber: '099012345', sodHash: sod(1) }));
    await expect(reg.markIssued(v, { chipSerial: 'CHIP-2', documentNumber: '099012345', sodHash: sod(1) })).rejects.toThrow(
      expect.objectContaining({ code: 'REGISTRY_MISMATCH' }),
    );
    expect((await reg.show(ID_A)).cards[0]!.status).toBe('verified');
    expect((await reg.show(ID_A)).queue[0]!.state).toBe('claimed');
  });

  it('claimNext resumes a card left on the line before taking a new record', async () => {
    await reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    const b1 = await reg.startBatch();
    const first = await reg.markPersonalizing(await claim(b1.id), 'CHIP-1');
    const b2 = await reg.startBatch('after crash');
    const again = await claim(b2.id);
    expect(again.cardId).toBe(first.cardId);
    expect(again.resumed).toBe(true);
    expect(again.status).toBe('personalizing');
    expect(again.chipSerial).toBe('CHIP-1');
    expect(again.batchId).toBe(b2.id);
    expect((await reg.auditLog()).at(-1)!.action).toBe('card.resume');
  });

  it('setAside with retry requeues the record for a new card; without, waits for requeue', async () => {
    await reg.enqueue([{ id: ID_A }]);
    const batch = await reg.startBatch();
    const item = await reg.markPersonalizing(await claim(batch.id), 'CHIP-1');
    const aside = await reg.setAside(item, 'write failed at DG2', { retry: true });
    expect(aside.status).toBe('set-aside');
    const second = await claim(batch.id);
    expect(second.cardId).not.toBe(item.cardId);
    expect(second.attempt).toBe(2);
    await reg.setAside(second, 'card cracked');
    expect(await reg.claimNext(batch.id)).toBeUndefined();
    expect((await reg.counts()).setAside).toBe(1);
    await reg.requeue(ID_A);
    const third = await claim(batch.id);
    expect((await issue(third, 'CHIP-3', 3)).status).toBe('issued');
    const cards = (await reg.show(ID_A)).cards;
    expect(cards.map((c) => c.status)).toEqual(['set-aside', 'set-aside', 'issued']);
    expect(cards[0]!.reason).toBe('write failed at DG2');
    await expect(reg.requeue(ID_A)).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }));
  });

  it('never issues twice: a second issued card for the same ID is refused by the database', async () => {
    await reg.enqueue([{ id: ID_A }]);
    const batch = await reg.startBatch();
    await issue(await claim(batch.id), 'CHIP-1', 1);
    expect((await reg.enqueue([{ id: ID_A }])).skipped[0]!.reason).toBe('already holds an issued card');
    // Bypass enqueue's check, as a buggy or concurrent writer might: the unique index still holds.
    await reg.store.write((tx) => tx.run("INSERT INTO queue (id_number, record, state, enqueued_at, updated_at) VALUES (?, '{}', 'queued', 'x', 'x')", ID_A));
    const dup = await claim(batch.id);
    const v = await reg.markVerified(await reg.markWritten(await reg.markPersonalizing(dup, 'CHIP-2'), { documentNumber: '099012345', sodHash: sod(2) }));
    const seqBefore = (await reg.auditLog()).length;
    await expect(reg.markIssued(v, { chipSerial: 'CHIP-2', documentNumber: '099012345', sodHash: sod(2) })).rejects.toThrow(
      expect.objectContaining({ code: 'REGISTRY_ALREADY_ISSUED' }),
    );
    expect((await reg.auditLog()).length).toBe(seqBefore);
    const issued = await reg.store.read((tx) => tx.get<{ n: number }>("SELECT count(*) AS n FROM cards WHERE id_number = ? AND status = 'issued'", ID_A));
    expect(issued!.n).toBe(1);
  });

  it('a finished or unknown batch cannot claim', async () => {
    const batch = await reg.startBatch();
    await reg.finishBatch(batch.id);
    await expect(reg.claimNext(batch.id)).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
    await expect(reg.claimNext(999)).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
    await expect(reg.finishBatch(batch.id)).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_STATE' }));
  });

  it('marks lost or revoked by ID or document number, lists them, and allows a replacement card', async () => {
    await reg.enqueue([{ id: ID_A }, { id: ID_B }]);
    const batch = await reg.startBatch();
    await issue(await claim(batch.id), 'CHIP-1', 1);
    await issue(await claim(batch.id), 'CHIP-2', 2);
    const lost = await reg.markLost(ID_A, 'reported at the ward office');
    expect(lost.status).toBe('lost');
    expect((await reg.markRevoked('204000123')).status).toBe('revoked');
    expect((await reg.markRevoked(ID_A)).status).toBe('revoked'); // lost → revoked
    await expect(reg.markLost(ID_A)).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }));
    const revoked = await reg.listRevoked();
    expect(revoked.map((c) => `${c.documentNumber} ${c.status}`).sort()).toEqual(['099012345 revoked', '204000123 revoked']);
    expect(revoked.every((c) => c.revokedAt !== undefined && c.sodHash?.length === 32)).toBe(true);
    // the citizen may now receive a new card with the same document number
    expect((await reg.enqueue([{ id: ID_A }])).added).toHaveLength(1);
    expect((await issue(await claim(batch.id), 'CHIP-3', 3)).status).toBe('issued');
    expect(await reg.crossCheck()).toEqual([]);
    expect((await reg.verifyAudit()).ok).toBe(true);
  });

  it('show finds a citizen by ID, document number or chip serial and reports unknown keys', async () => {
    await reg.enqueue([{ id: ID_A }]);
    await issue(await claim((await reg.startBatch()).id), 'CHIP-1', 1);
    expect((await reg.show('099012345')).idNumber).toBe(ID_A);
    expect((await reg.showChip('chip-1')).idNumber).toBe(ID_A);
    expect((await reg.show(ID_A)).history.length).toBeGreaterThan(3);
    await expect(reg.show('000000000001')).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_NOT_FOUND' }));
    await expect(reg.show('no such; key')).rejects.toThrow(expect.objectContaining({ code: 'REGISTRY_BAD_KEY' }));
  });

  it('rejects hostile arguments with TypeError or RangeError, never a database error', async () => {
    const hostile: unknown[] = [undefined, null, NaN, -1, 0, 1.5, '', 'x'.repeat(600), [], {}, new Uint8Array(3)];
    await reg.enqueue([{ id: ID_A }]);
    const item = await claim((await reg.startBatch()).id);
    for (const h of hostile) {
      if (!Array.isArray(h)) await expect(reg.enqueue(h as never)).rejects.toThrow(TypeError);
      await expect(reg.enqueue([{ id: h } as never])).rejects.toThrow(TypeError);
      await expect(reg.claimNext(h as never)).rejects.toThrow(TypeError);
      await expect(reg.markPersonalizing(item, h as never)).rejects.toThrow(TypeError);
      await expect(reg.markPersonalizing(h as never, 'CHIP-1')).rejects.toThrow(TypeError);
      await expect(reg.setAside(item, h as never)).rejects.toThrow(TypeError);
      await expect(reg.markWritten(item, { documentNumber: '099012345', sodHash: h as never })).rejects.toThrow(/sodHash/);
    }
    await expect(Registry.open('')).rejects.toThrow(TypeError);
  });
});
