/**
 * The production line's append-only, hash-chained and keyed audit log (docs/registry.md, "Audit
 * log"). It lives in a table of the registry so that a state change and its audit entry commit in
 * one transaction: neither exists without the other after a crash.
 *
 *   entry = { seq, time, actor, action, subject, details }
 *   hash  = SHA-256(prev hash ‖ UTF-8 canonical JSON of entry), prev hash of seq 1 = 32 zero bytes
 *   mac   = HMAC-SHA-256(audit key, "cancuoc-audit-v1" ‖ hash)       (RFC 2104)
 *
 * The hash chain shows an edit to anyone; the MAC shows a rewrite by someone who can write the
 * database but does not hold the audit key: after deleting an entry and recomputing every hash,
 * the MACs no longer fit. Canonical JSON: object keys sorted by UTF-16 code units, no white space,
 * integers only (the RFC 8785 form for the values this log holds). `subject` is an ID number or
 * document number, never a name: the log carries no personal data beyond the ID number.
 */
import { createHash, createHmac } from 'node:crypto';
import { fromHex, utf8 } from '../lds/bytes.js';
import { constantTimeEqual } from '../crypto/constant-time.js';
import { ValidationError } from '../lds/errors.js';
import type { Dialect, Tx } from './registry-store.js';

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
  /** Hex HMAC of the hash under the audit key; undefined for an entry written without a key. */
  readonly mac: string | undefined;
}

export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  readonly details?: AuditDetails;
  readonly time: Date;
}

/**
 * The audit key: HMAC-SHA-256 under a secret the registry's database does not hold — a key file
 * (auditKeyFromBytes) or a generic secret on a PKCS#11 token (CKM_SHA256_HMAC).
 */
export interface AuditKey {
  /** HMAC-SHA-256 of `data`, 32 bytes. */
  mac(data: Uint8Array): Uint8Array;
}

export type AuditProblem = 'AUDIT_SEQ_GAP' | 'AUDIT_CHAIN_BROKEN' | 'AUDIT_HASH_MISMATCH' | 'AUDIT_ENTRY_INVALID' | 'AUDIT_MAC_MISSING' | 'AUDIT_MAC_MISMATCH';

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
  /**
   * 'verified': every entry's MAC was checked with the key; 'unchecked': entries carry MACs but no
   * key was given (an insider's rewrite would not be seen); 'absent': no entry carries a MAC.
   */
  readonly macs: 'verified' | 'unchecked' | 'absent';
}

const GENESIS = '0'.repeat(64);
const SUBJECT = /^(\d{12}|[0-9A-Z]{1,22})$/;
const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
const MAC_LABEL = utf8('cancuoc-audit-v1');
/** Entries read per query while verifying: a national log does not fit in memory at once. */
const PAGE = 5000;

/** An audit key held in memory (from a key file): at least 32 bytes (RFC 2104 §3: not shorter than the hash). */
export function auditKeyFromBytes(key: Uint8Array): AuditKey {
  if (!(key instanceof Uint8Array) || key.length < 32 || key.length > 128) throw new TypeError('"key" expected 32 to 128 bytes');
  const secret = Buffer.from(key);
  return Object.freeze({ mac: (data: Uint8Array) => new Uint8Array(createHmac('sha256', secret).update(data).digest()) });
}

/** The MAC of one entry's hash, hex. */
export function entryMac(key: AuditKey, hash: string): string {
  const data = new Uint8Array(MAC_LABEL.length + 32);
  data.set(MAC_LABEL);
  data.set(fromHex(hash), MAC_LABEL.length);
  return Buffer.from(key.mac(data)).toString('hex');
}

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
  mac: string | null;
}

/** An entry checked and made ready for appendAudit (done when the change is recorded, before any SQL). */
export interface PendingEntry {
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  readonly details: AuditDetails;
  readonly detailsJson: string;
  readonly time: string;
}

export function auditEntry(input: AuditInput): PendingEntry {
  const actor = atext(input.actor, 'actor', 200);
  const action = atext(input.action, 'action', 64);
  if (!ACTION.test(action)) throw new RangeError(`"action" expected a dotted lower-case verb, got ${action}`);
  const subject = input.subject;
  if (subject !== null && (typeof subject !== 'string' || !SUBJECT.test(subject))) {
    throw new RangeError('"subject" expected an ID number or a document number');
  }
  if (!(input.time instanceof Date) || Number.isNaN(input.time.getTime())) throw new TypeError('"time" expected a valid Date');
  const detailsJson = canonicalJson(input.details ?? {}, 'details');
  return Object.freeze({ actor, action, subject, details: parseFrozenJson(detailsJson) as AuditDetails, detailsJson, time: input.time.toISOString() });
}

/**
 * Appends entries at the head of the chain. Runs at the end of the transaction that makes the
 * changes they record, so both commit or vanish together. Where the engine lets writers run at
 * once (PostgreSQL), the dialect's lock serializes appends from the head read to the commit; it is
 * taken after every row lock of the transaction, so no two writers wait for each other.
 */
export async function appendAudit(tx: Tx, dialect: Dialect, entries: readonly PendingEntry[], key: AuditKey | undefined): Promise<readonly AuditRecord[]> {
  if (entries.length === 0) return Object.freeze([]);
  if (dialect.lockAudit !== undefined) await tx.run(dialect.lockAudit);
  const last = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS;
  const out: AuditRecord[] = [];
  for (const e of entries) {
    const entry: AuditEntry = { seq: ++seq, time: e.time, actor: e.actor, action: e.action, subject: e.subject, details: e.details };
    const hash = entryHash(prevHash, entry);
    const mac = key === undefined ? null : entryMac(key, hash);
    await tx.run(
      'INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      entry.seq,
      entry.time,
      entry.actor,
      entry.action,
      entry.subject,
      e.detailsJson,
      prevHash,
      hash,
      mac,
    );
    out.push(Object.freeze({ ...entry, prevHash, hash, mac: mac ?? undefined }));
    prevHash = hash;
  }
  return Object.freeze(out);
}

/** Entries in order, optionally only those about one subject. */
export async function readAuditLog(tx: Tx, options: { readonly subject?: string } = {}): Promise<readonly AuditRecord[]> {
  const rows =
    options.subject === undefined
      ? await tx.all<Row>('SELECT * FROM audit_log ORDER BY seq')
      : await tx.all<Row>('SELECT * FROM audit_log WHERE subject = ? ORDER BY seq', options.subject);
  return Object.freeze(rows.map((r) => toRecord(r) ?? badRow(r)));
}

export interface AuditVerifyOptions {
  /** A head (seq, hash) kept elsewhere: the log must still hold it. */
  readonly expectHead?: { readonly seq: number; readonly hash: string };
  /** The audit key: every entry must carry its MAC under this key. */
  readonly key?: AuditKey;
}

/**
 * Walks the chain from seq 1 and stops at the first entry that is missing (a gap), does not
 * link to the previous hash (inserted or reordered), whose content no longer gives its hash
 * (edited), or, with the key, whose MAC is missing or wrong (rewritten without the key). Entries
 * cut from the end are caught only by comparing with a head kept elsewhere (`expectHead`) or by
 * the registry's cross-checks.
 */
export async function verifyAuditLog(tx: Tx, options: AuditVerifyOptions = {}): Promise<AuditVerification> {
  let prev = GENESIS;
  let expected = 1;
  let keyed = false;
  let head: { seq: number; hash: string } | undefined;
  const key = options.key;
  const macs = (): AuditVerification['macs'] => (key !== undefined ? 'verified' : keyed ? 'unchecked' : 'absent');
  const fail = (seq: number, code: AuditProblem, reason: string): AuditVerification =>
    Object.freeze({ ok: false, entries: expected - 1, head, firstBadSeq: seq, code, reason: `seq ${seq}: ${reason}`, macs: macs() });
  for (let after = 0; ; ) {
    const rows = await tx.all<Row>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', after, PAGE);
    for (const row of rows) {
      if (row.seq !== expected) return fail(expected, 'AUDIT_SEQ_GAP', `entry missing (next entry is seq ${row.seq})`);
      if (row.prev_hash !== prev) return fail(row.seq, 'AUDIT_CHAIN_BROKEN', 'previous-hash link broken (entry inserted, removed or reordered)');
      const entry = toRecord(row);
      if (entry === undefined) return fail(row.seq, 'AUDIT_ENTRY_INVALID', 'entry does not parse');
      if (entryHash(prev, entry) !== row.hash) return fail(row.seq, 'AUDIT_HASH_MISMATCH', 'content does not match its hash (entry edited)');
      if (row.mac !== null) keyed = true;
      if (key !== undefined) {
        if (row.mac === null) return fail(row.seq, 'AUDIT_MAC_MISSING', 'entry carries no MAC under the audit key');
        if (!/^[0-9a-f]{64}$/.test(row.mac) || !constantTimeEqual(fromHex(row.mac), fromHex(entryMac(key, row.hash)))) {
          return fail(row.seq, 'AUDIT_MAC_MISMATCH', 'MAC does not match under the audit key (entry rewritten without the key)');
        }
      }
      prev = row.hash;
      head = Object.freeze({ seq: row.seq, hash: row.hash });
      expected++;
    }
    if (rows.length < PAGE) break;
    after = rows.at(-1)!.seq;
  }
  const want = options.expectHead;
  if (want !== undefined) {
    if (head === undefined || head.seq < want.seq) return fail((head?.seq ?? 0) + 1, 'AUDIT_SEQ_GAP', `log ends before the expected head seq ${want.seq}`);
    const at = await tx.get<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = ?', want.seq);
    if (at?.hash !== want.hash) return fail(want.seq, 'AUDIT_HASH_MISMATCH', 'differs from the expected head hash');
  }
  const n = expected - 1;
  return Object.freeze({ ok: true, entries: n, head, firstBadSeq: undefined, code: undefined, reason: `${n} entries, chain intact`, macs: macs() });
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
    mac: row.mac ?? undefined,
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
