/**
 * The hash-chained audit log (docs/registry.md): hash = SHA-256(prev ‖ canonical JSON), checked
 * against the openssl CLI; tampering with raw SQL (edit, delete, insert, reorder) is found at
 * the right seq; the triggers refuse UPDATE and DELETE in the first place.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, canonicalJson, readAuditLog, verifyAuditLog } from '../../../src/issuance/audit-log.js';
import { Registry } from '../../../src/issuance/registry.js';

let dir: string;
let path: string;

/** A registry with 6 citizens enqueued: audit seq 1..6 are queue.enqueue, seq 7 batch.start, then claims. */
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cancuoc-audit-'));
  path = join(dir, 'registry.sqlite');
  const reg = Registry.open(path, { actor: 'op@station-7' });
  reg.enqueue(['001099000001', '001099000002', '001099000003', '001099000004', '001099000005', '001099000006'].map((id) => ({ id })));
  const batch = reg.startBatch();
  reg.claimNext(batch.id);
  reg.claimNext(batch.id);
  reg.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the database as an attacker would: raw SQL, triggers dropped. */
function tamper(sql: string[]): void {
  const db = new Database(path);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  for (const s of sql) db.exec(s);
  db.close();
}

function verify(): ReturnType<typeof verifyAuditLog> {
  const db = new Database(path, { readonly: true });
  try {
    return verifyAuditLog(db);
  } finally {
    db.close();
  }
}

describe('hash = SHA-256(prev ‖ canonical JSON) (cross-checked with openssl dgst)', () => {
  it('seq 1 links to 32 zero bytes and its hash is what openssl computes over the same bytes', () => {
    const db = new Database(path, { readonly: true });
    const first = readAuditLog(db)[0]!;
    db.close();
    // The canonical JSON written out by hand: keys sorted, no spaces.
    const json = `{"action":"queue.enqueue","actor":"op@station-7","details":{"queueId":1},"seq":1,"subject":"001099000001","time":"${first.time}"}`;
    const input = Buffer.concat([Buffer.alloc(32), Buffer.from(json, 'utf8')]);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input }).toString().split(' ')[0];
    expect(first.prevHash).toBe('0'.repeat(64));
    expect(first.hash).toBe(out);
  });

  it('canonical JSON sorts keys at every depth and refuses non-integers', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow(RangeError);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(TypeError);
    expect(() => canonicalJson({ a: undefined })).toThrow(TypeError);
  });

  it('an intact log verifies and names its head', () => {
    const r = verify();
    expect(r.ok).toBe(true);
    expect(r.entries).toBe(9);
    expect(r.head?.seq).toBe(9);
  });
});

describe('tampering with raw SQL is detected at the first bad seq', () => {
  it('refuses UPDATE and DELETE through the triggers', () => {
    const db = new Database(path);
    expect(() => db.exec("UPDATE audit_log SET actor = 'x' WHERE seq = 3")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit_log WHERE seq = 9')).toThrow(/append-only/);
    db.close();
  });

  it('edited subject at seq 4', () => {
    tamper(["UPDATE audit_log SET subject = '001099999999' WHERE seq = 4"]);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 4, code: 'AUDIT_HASH_MISMATCH' });
  });

  it('edited details at seq 8, keeping the JSON valid', () => {
    tamper(['UPDATE audit_log SET details = \'{"attempt":1,"batchId":1,"cardId":2,"queueId":1}\' WHERE seq = 8']);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 8, code: 'AUDIT_HASH_MISMATCH' });
  });

  it('deleted entry 5 (a gap)', () => {
    tamper(['DELETE FROM audit_log WHERE seq = 5']);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 5, code: 'AUDIT_SEQ_GAP' });
  });

  it('deleted entry 5 and renumbered the rest to hide the gap', () => {
    tamper(['DELETE FROM audit_log WHERE seq = 5', 'UPDATE audit_log SET seq = seq - 1 WHERE seq > 5']);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 5, code: 'AUDIT_CHAIN_BROKEN' });
  });

  it('inserted entry after seq 2 (renumbering the rest)', () => {
    tamper([
      'UPDATE audit_log SET seq = seq + 1000 WHERE seq > 2',
      'UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000',
      "INSERT INTO audit_log VALUES (3, '2026-01-01T00:00:00.000Z', 'evil', 'card.issued', '001099000009', '{}', (SELECT hash FROM audit_log WHERE seq = 2), 'ab')",
    ]);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 3, code: 'AUDIT_HASH_MISMATCH' });
  });

  it('reordered entries 3 and 6 (swapped rows)', () => {
    tamper([
      'UPDATE audit_log SET seq = -3 WHERE seq = 3',
      'UPDATE audit_log SET seq = 3 WHERE seq = 6',
      'UPDATE audit_log SET seq = 6 WHERE seq = -3',
    ]);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 3, code: 'AUDIT_CHAIN_BROKEN' });
  });

  it('a truncated tail is caught by the registry cross-check (cards point at their last entry)', () => {
    tamper(['DELETE FROM audit_log WHERE seq = 9']);
    expect(verify().ok).toBe(true); // the chain alone cannot see a cut tail…
    const reg = Registry.open(path, { create: false });
    expect(reg.crossCheck()[0]).toMatch(/card 2: its last change \(audit seq 9\) is missing/); // …the cards can
    reg.close();
  });

  it('expectHead (a head kept elsewhere) catches a cut tail too', () => {
    const head = verify().head!;
    tamper(['DELETE FROM audit_log WHERE seq = 9']);
    const db = new Database(path, { readonly: true });
    expect(verifyAuditLog(db, { expectHead: head })).toMatchObject({ ok: false, firstBadSeq: 9 });
    db.close();
  });

  it('details that are not JSON are reported as AUDIT_ENTRY_INVALID', () => {
    tamper(["UPDATE audit_log SET details = '{nope' WHERE seq = 2"]);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 2, code: 'AUDIT_ENTRY_INVALID' });
  });
});

describe('appendAudit argument checks', () => {
  it('must run inside a transaction and refuses names as subjects', () => {
    const db = new Database(path);
    const input = { actor: 'a', action: 'card.issued', subject: '001099000001', time: new Date() };
    expect(() => appendAudit(db, input)).toThrow(/inside the transaction/);
    db.transaction(() => {
      expect(() => appendAudit(db, { ...input, subject: 'Nguyễn Văn A' })).toThrow(RangeError);
      expect(() => appendAudit(db, { ...input, action: 'Issued Card' })).toThrow(RangeError);
      expect(() => appendAudit(db, { ...input, actor: '' })).toThrow(TypeError);
      expect(() => appendAudit(db, { ...input, time: new Date(NaN) })).toThrow(TypeError);
    })();
    db.close();
  });
});
