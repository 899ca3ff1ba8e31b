/**
 * The hash-chained, keyed audit log (docs/registry.md, "Audit log"): hash = SHA-256(prev ‖
 * canonical JSON) and mac = HMAC-SHA-256(key, label ‖ hash), both checked against the openssl
 * CLI; tampering with raw SQL (edit, delete, insert, reorder) is found at the right seq; the
 * triggers refuse UPDATE and DELETE in the first place; and an insider who can write the database
 * (SQLite file or PostgreSQL), deletes an entry and recomputes every hash is caught by the MACs
 * (issue 10, item 8).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { auditKeyFromBytes, canonicalJson, type AuditVerification } from '../../../src/issuance/audit-log.js';
import { Registry } from '../../../src/issuance/registry.js';
import { ENGINES, newRegistryTarget, stopRegistryEngines, type Engine } from '../../helpers/registry-engines.js';

let dir: string;
let path: string;

/** A registry with 6 citizens enqueued: audit seq 1..6 are queue.enqueue, seq 7 batch.start, then claims. */
const IDS = ['001099000001', '001099000002', '001099000003', '001099000004', '001099000005', '001099000006'];

async function fill(target: string, options: { auditKey?: ReturnType<typeof auditKeyFromBytes> } = {}): Promise<void> {
  const reg = await Registry.open(target, { actor: 'op@station-7', ...options });
  await reg.enqueue(IDS.map((id) => ({ id })));
  const batch = await reg.startBatch();
  await reg.claimNext(batch.id);
  await reg.claimNext(batch.id);
  await reg.close();
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cancuoc-audit-'));
  path = join(dir, 'registry.sqlite');
  await fill(path);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
afterAll(stopRegistryEngines);

/** Opens the database as an attacker would: raw SQL, triggers dropped. */
function tamper(sql: string[]): void {
  const db = new Database(path);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  for (const s of sql) db.exec(s);
  db.close();
}

async function verify(options: Parameters<Registry['verifyAudit']>[0] = {}, target = path): Promise<AuditVerification> {
  const reg = await Registry.open(target, { create: false });
  try {
    return await reg.verifyAudit(options);
  } finally {
    await reg.close();
  }
}

describe('hash = SHA-256(prev ‖ canonical JSON) (cross-checked with openssl dgst)', () => {
  it('seq 1 links to 32 zero bytes and its hash is what openssl computes over the same bytes', () => {
    const db = new Database(path, { readonly: true });
    const first = db.prepare('SELECT * FROM audit_log WHERE seq = 1').get() as { time: string; prev_hash: string; hash: string };
    db.close();
    // The canonical JSON written out by hand: keys sorted, no spaces.
    const json = `{"action":"queue.enqueue","actor":"op@station-7","details":{"queueId":1},"seq":1,"subject":"001099000001","time":"${first.time}"}`;
    const input = Buffer.concat([Buffer.alloc(32), Buffer.from(json, 'utf8')]);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input }).toString().split(' ')[0];
    expect(first.prev_hash).toBe('0'.repeat(64));
    expect(first.hash).toBe(out);
  });

  it('canonical JSON sorts keys at every depth and refuses non-integers', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow(RangeError);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(TypeError);
    expect(() => canonicalJson({ a: undefined })).toThrow(TypeError);
  });

  it('an intact log verifies and names its head; written without a key, it says it is not keyed', async () => {
    const r = await verify();
    expect(r).toMatchObject({ ok: true, entries: 9, macs: 'absent' });
    expect(r.head?.seq).toBe(9);
    expect((await verify({ key: auditKeyFromBytes(new Uint8Array(32)) })).code).toBe('AUDIT_MAC_MISSING');
  });
});

describe('tampering with raw SQL is detected at the first bad seq', () => {
  it('refuses UPDATE and DELETE through the triggers', () => {
    const db = new Database(path);
    expect(() => db.exec("UPDATE audit_log SET actor = 'x' WHERE seq = 3")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit_log WHERE seq = 9')).toThrow(/append-only/);
    db.close();
  });

  it('edited subject at seq 4', async () => {
    tamper(["UPDATE audit_log SET subject = '001099999999' WHERE seq = 4"]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 4, code: 'AUDIT_HASH_MISMATCH' });
  });

  it('edited details at seq 8, keeping the JSON valid', async () => {
    tamper(['UPDATE audit_log SET details = \'{"attempt":1,"batchId":1,"cardId":2,"queueId":1}\' WHERE seq = 8']);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 8, code: 'AUDIT_HASH_MISMATCH' });
  });

  it('deleted entry 5 (a gap)', async () => {
    tamper(['DELETE FROM audit_log WHERE seq = 5']);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 5, code: 'AUDIT_SEQ_GAP' });
  });

  it('deleted entry 5 and renumbered the rest to hide the gap', async () => {
    tamper(['DELETE FROM audit_log WHERE seq = 5', 'UPDATE audit_log SET seq = seq - 1 WHERE seq > 5']);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 5, code: 'AUDIT_CHAIN_BROKEN' });
  });

  it('inserted entry after seq 2 (renumbering the rest)', async () => {
    tamper([
      'UPDATE audit_log SET seq = seq + 1000 WHERE seq > 2',
      'UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000',
      "INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash) VALUES (3, '2026-01-01T00:00:00.000Z', 'evil', 'card.issued', '001099000009', '{}', (SELECT hash FROM audit_log WHERE seq = 2), 'ab')",
    ]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 3, code: 'AUDIT_HASH_MISMATCH' });
  });

  it('reordered entries 3 and 6 (swapped rows)', async () => {
    tamper([
      'UPDATE audit_log SET seq = -3 WHERE seq = 3',
      'UPDATE audit_log SET seq = 3 WHERE seq = 6',
      'UPDATE audit_log SET seq = 6 WHERE seq = -3',
    ]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 3, code: 'AUDIT_CHAIN_BROKEN' });
  });

  it('a truncated tail is caught by the registry cross-check (cards point at their last entry)', async () => {
    tamper(['DELETE FROM audit_log WHERE seq = 9']);
    expect((await verify()).ok).toBe(true); // the chain alone cannot see a cut tail…
    const reg = await Registry.open(path, { create: false });
    expect((await reg.crossCheck())[0]).toMatch(/card 2: its last change \(audit seq 9\) is missing/); // …the cards can
    await reg.close();
  });

  it('expectHead (a head kept elsewhere) catches a cut tail too', async () => {
    const head = (await verify()).head!;
    tamper(['DELETE FROM audit_log WHERE seq = 9']);
    expect(await verify({ expectHead: head })).toMatchObject({ ok: false, firstBadSeq: 9 });
  });

  it('details that are not JSON are reported as AUDIT_ENTRY_INVALID', async () => {
    tamper(["UPDATE audit_log SET details = '{nope' WHERE seq = 2"]);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 2, code: 'AUDIT_ENTRY_INVALID' });
  });
});

describe('audit entry argument checks', () => {
  it('refuses names as subjects, bad verbs, empty actors and bad dates, and appends nothing', async () => {
    const reg = await Registry.open(path);
    try {
      await expect(reg.logEvent('card.issued', 'Nguyễn Văn A')).rejects.toThrow(RangeError);
      await expect(reg.logEvent('Issued Card', null)).rejects.toThrow(RangeError);
      await expect(reg.logEvent('line.stop', null, { when: 1.5 })).rejects.toThrow(RangeError);
      const bad = await Registry.open(path, { now: () => new Date(NaN) });
      await expect(bad.logEvent('line.stop', null)).rejects.toThrow();
      await bad.close();
      expect((await reg.verifyAudit()).entries).toBe(9);
    } finally {
      await reg.close();
    }
  });
});

/** The insider's tools: raw SQL through the engine's own client, hashes recomputed with node:crypto. */
async function rawSql(engine: Engine, target: string, fn: (q: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<void>): Promise<void> {
  if (engine === 'sqlite') {
    const db = new Database(target);
    try {
      await fn(async (sql, params = []) => (/^\s*select/i.test(sql) ? (db.prepare(sql).all(...params) as Record<string, unknown>[]) : (db.prepare(sql).run(...params), [])));
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    let n = 0;
    await fn(async (sql, params = []) => (await client.query(sql.replace(/\?/g, () => `$${++n}`), params).finally(() => (n = 0))).rows);
  } finally {
    await client.end();
  }
}

/** Deletes entry `victim`, renumbers the rest and recomputes every prev_hash and hash, as the docs describe the chain. */
async function deleteAndRehash(engine: Engine, target: string, victim: number): Promise<void> {
  await rawSql(engine, target, async (q) => {
    for (const sql of engine === 'sqlite' ? ['DROP TRIGGER audit_log_no_update', 'DROP TRIGGER audit_log_no_delete'] : ['ALTER TABLE audit_log DISABLE TRIGGER USER']) await q(sql);
    const rows = (await q('SELECT * FROM audit_log ORDER BY seq')).filter((r) => Number(r.seq) !== victim);
    await q('DELETE FROM audit_log');
    let prev = '0'.repeat(64);
    for (const [i, r] of rows.entries()) {
      const seq = i + 1;
      const json = `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"details":${String(r.details)},"seq":${seq},"subject":${JSON.stringify(r.subject)},"time":${JSON.stringify(r.time)}}`;
      const hash = createHash('sha256').update(Buffer.from(prev, 'hex')).update(json, 'utf8').digest('hex');
      await q('INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        seq, r.time, r.actor, r.action, r.subject, r.details, prev, hash, r.mac,
      ]);
      prev = hash;
    }
  });
}

describe.each(ENGINES)('an insider with write access to the %s registry (issue 10, item 8)', (engine) => {
  const KEY = Buffer.from('6b'.repeat(32), 'hex');
  const key = auditKeyFromBytes(new Uint8Array(KEY));

  it('every entry carries HMAC-SHA-256(key, "cancuoc-audit-v1" ‖ hash), as openssl computes it', async () => {
    const target = await newRegistryTarget(engine);
    await fill(target, { auditKey: key });
    const reg = await Registry.open(target, { create: false });
    const log = await reg.auditLog();
    await reg.close();
    for (const e of [log[0]!, log.at(-1)!]) {
      const input = Buffer.concat([Buffer.from('cancuoc-audit-v1'), Buffer.from(e.hash, 'hex')]);
      const out = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${KEY.toString('hex')}`, '-r'], { input });
      expect(e.mac).toBe(out.toString().split(' ')[0]);
    }
    expect(await verify({ key }, target)).toMatchObject({ ok: true, entries: 9, macs: 'verified' });
    expect(await verify({}, target)).toMatchObject({ ok: true, macs: 'unchecked' }); // without the key: not a verdict on the MACs
  });

  it('deleting an entry and recomputing every hash keeps the chain intact, and the MACs catch it', async () => {
    const target = await newRegistryTarget(engine);
    await fill(target, { auditKey: key });
    await deleteAndRehash(engine, target, 5);
    expect(await verify({}, target)).toMatchObject({ ok: true, entries: 8, macs: 'unchecked' }); // the plain chain is fooled
    expect(await verify({ key }, target)).toMatchObject({ ok: false, firstBadSeq: 5, code: 'AUDIT_MAC_MISMATCH' });
  });

  it('stripping the MACs is caught too, and a wrong key fails at seq 1', async () => {
    const target = await newRegistryTarget(engine);
    await fill(target, { auditKey: key });
    await rawSql(engine, target, async (q) => {
      if (engine === 'sqlite') await q('DROP TRIGGER audit_log_no_update');
      else await q('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await q('UPDATE audit_log SET mac = NULL WHERE seq >= 7');
    });
    expect(await verify({ key }, target)).toMatchObject({ ok: false, firstBadSeq: 7, code: 'AUDIT_MAC_MISSING' });
    expect(await verify({ key: auditKeyFromBytes(new Uint8Array(32).fill(1)) }, target)).toMatchObject({ ok: false, firstBadSeq: 1, code: 'AUDIT_MAC_MISMATCH' });
  });
});
