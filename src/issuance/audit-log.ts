/**
 * The production line's append-only, hash-chained audit log (docs/registry.md, "Audit log").
 * It lives in a table of the registry's SQLite database so that a state change and its audit
 * entry commit in one transaction: neither exists without the other after a crash.
 *
 *   entry = { seq, time, actor, action, subject, details }
 *   hash  = SHA-256(prev hash ‖ UTF-8 canonical JSON of entry), prev hash of seq 1 = 32 zero bytes
 *
 * Canonical JSON: object keys sorted by UTF-16 code units, no white space, integers only (the
 * RFC 8785 form for the values this log holds). `subject` is an ID number or document number,
 * never a name: the log carries no personal data beyond the ID number.
 */
import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { fromHex, utf8 } from '../lds/bytes.js';
import { ValidationError } from '../lds/errors.js';

type Database = BetterSqlite3.Database;

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type AuditDetails = Readonly<Record<string, JsonValue>>;

export interface AuditEntry {
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds. */
  readonly time: string;
  /** Who: OS user and station, e.g. "operator@line-1". */
  readonly actor: string;
  /** What: a dotted verb such as "card.issued". */
  readonly action: string;
  /** ID number (12 digits) or document number, or null for events about no one (a batch). */
  readonly subject: string | null;
  readonly details: AuditDetails;
}

export interface AuditRecord extends AuditEntry {
  /** Hex SHA-256 of the previous entry (64 zeros before seq 1). */
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  readonly details?: AuditDetails;
  readonly time: Date;
}

export type AuditProblem = 'AUDIT_SEQ_GAP' | 'AUDIT_CHAIN_BROKEN' | 'AUDIT_HASH_MISMATCH' | 'AUDIT_ENTRY_INVALID';

export interface AuditVerification {
  readonly ok: boolean;
  /** Entries checked (all of them when ok). */
  readonly entries: number;
  /** The last good entry: the head of the chain when ok. */
  readonly head: { readonly seq: number; readonly hash: string } | undefined;
  /** The first sequence number that is missing, edited, inserted or out of place. */
  readonly firstBadSeq: number | undefined;
  readonly code: AuditProblem | undefined;
  readonly reason: string;
}

const GENESIS = '0'.repeat(64);
const SUBJECT = /^(\d{12}|[0-9A-Z]{1,22})$/;
const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;

/** The table and the triggers that refuse UPDATE and DELETE (tampering then needs raw schema edits). */
export const AUDIT_SCHEMA = `
CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY,
  time      TEXT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  subject   TEXT,
  details   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_subject ON audit_log(subject);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
`;

/** Canonical JSON text of a value (sorted keys, no spaces); rejects what JSON cannot carry exactly. */
export function canonicalJson(value: unknown, path = 'value'): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    // Integers only: float formatting differs between JSON writers, which would break the hash.
    if (!Number.isSafeInteger(value)) throw new RangeError(`"${path}" expected a safe integer, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k], `${path}.${k}`)}`).join(',')}}`;
  }
  throw new TypeError(`"${path}" expected a JSON value, got ${typeof value}`);
}

/** SHA-256(prev ‖ canonical JSON of the entry), hex. */
export function entryHash(prevHash: string, entry: AuditEntry): string {
  const json = canonicalJson({
    seq: entry.seq,
    time: entry.time,
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject,
    details: entry.details,
  });
  return createHash('sha256').update(fromHex(prevHash)).update(utf8(json)).digest('hex');
}

interface Row {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/**
 * Appends one entry. Must run inside the transaction that makes the change it records, so the
 * two commit or vanish together.
 */
export function appendAudit(db: Database, input: AuditInput): AuditRecord {
  if (!db.inTransaction) throw new TypeError('"db" must be inside the transaction of the change being audited');
  const actor = atext(input.actor, 'actor', 200);
  const action = atext(input.action, 'action', 64);
  if (!ACTION.test(action)) throw new RangeError(`"action" expected a dotted lower-case verb, got ${action}`);
  const subject = input.subject;
  if (subject !== null && (typeof subject !== 'string' || !SUBJECT.test(subject))) {
    throw new RangeError('"subject" expected an ID number or a document number');
  }
  if (!(input.time instanceof Date) || Number.isNaN(input.time.getTime())) throw new TypeError('"time" expected a valid Date');
  const details = input.details ?? {};
  const detailsJson = canonicalJson(details, 'details');
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  const entry: AuditEntry = { seq: (last?.seq ?? 0) + 1, time: input.time.toISOString(), actor, action, subject, details };
  const prevHash = last?.hash ?? GENESIS;
  const hash = entryHash(prevHash, entry);
  db.prepare('INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    entry.seq,
    entry.time,
    actor,
    action,
    subject,
    detailsJson,
    prevHash,
    hash,
  );
  return Object.freeze({ ...entry, details: parseFrozenJson(detailsJson) as AuditDetails, prevHash, hash });
}

/** Entries in order, optionally only those about one subject. */
export function readAuditLog(db: Database, options: { readonly subject?: string } = {}): readonly AuditRecord[] {
  const rows = (
    options.subject === undefined
      ? db.prepare('SELECT * FROM audit_log ORDER BY seq').all()
      : db.prepare('SELECT * FROM audit_log WHERE subject = ? ORDER BY seq').all(options.subject)
  ) as Row[];
  return Object.freeze(rows.map((r) => toRecord(r) ?? badRow(r)));
}

/**
 * Walks the chain from seq 1 and stops at the first entry that is missing (a gap), does not
 * link to the previous hash (inserted or reordered), or whose content no longer gives its hash
 * (edited). Entries appended at the end by someone who recomputes the hashes are caught only by
 * comparing with a head kept elsewhere (`expectHead`) or by the registry's cross-checks.
 */
export function verifyAuditLog(db: Database, options: { readonly expectHead?: { seq: number; hash: string } } = {}): AuditVerification {
  let prev = GENESIS;
  let expected = 1;
  let head: { seq: number; hash: string } | undefined;
  const fail = (seq: number, code: AuditProblem, reason: string): AuditVerification =>
    Object.freeze({ ok: false, entries: expected - 1, head, firstBadSeq: seq, code, reason: `seq ${seq}: ${reason}` });
  for (const row of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>) {
    if (row.seq !== expected) return fail(expected, 'AUDIT_SEQ_GAP', `entry missing (next entry is seq ${row.seq})`);
    if (row.prev_hash !== prev) return fail(row.seq, 'AUDIT_CHAIN_BROKEN', 'previous-hash link broken (entry inserted, removed or reordered)');
    const entry = toRecord(row);
    if (entry === undefined) return fail(row.seq, 'AUDIT_ENTRY_INVALID', 'entry does not parse');
    if (entryHash(prev, entry) !== row.hash) return fail(row.seq, 'AUDIT_HASH_MISMATCH', 'content does not match its hash (entry edited)');
    prev = row.hash;
    head = Object.freeze({ seq: row.seq, hash: row.hash });
    expected++;
  }
  const want = options.expectHead;
  if (want !== undefined) {
    if (head === undefined || head.seq < want.seq) return fail((head?.seq ?? 0) + 1, 'AUDIT_SEQ_GAP', `log ends before the expected head seq ${want.seq}`);
    const at = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(want.seq) as { hash: string } | undefined;
    if (at?.hash !== want.hash) return fail(want.seq, 'AUDIT_HASH_MISMATCH', 'differs from the expected head hash');
  }
  const n = expected - 1;
  return Object.freeze({ ok: true, entries: n, head, firstBadSeq: undefined, code: undefined, reason: `${n} entries, chain intact` });
}

function toRecord(row: Row): AuditRecord | undefined {
  let details: unknown;
  try {
    details = parseFrozenJson(row.details);
  } catch {
    return undefined;
  }
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return undefined;
  return Object.freeze({
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: details as AuditDetails,
    prevHash: row.prev_hash,
    hash: row.hash,
  });
}

function badRow(row: Row): never {
  throw new ValidationError('AUDIT_ENTRY_INVALID', `audit entry ${row.seq} does not parse`, { field: 'audit_log.details' });
}

function atext(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new TypeError(`"${name}" expected a string of 1 to ${max} characters`);
  }
  return value;
}

/** JSON.parse with every object and array frozen (the reviver runs bottom-up). */
export function parseFrozenJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (typeof v === 'object' && v !== null ? Object.freeze(v) : v));
}
