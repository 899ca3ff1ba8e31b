/**
 * The production registry (docs/registry.md): the queue of citizens to personalize, every card
 * made for them with its state, and the batches of the line, in one SQLite database (WAL,
 * synchronous = FULL). Every state change is one IMMEDIATE transaction that also appends its
 * audit entry (audit-log.ts), so after a crash at any instant the database holds either the old
 * state and log or the new state and log. Partial unique indexes make a second issued card for
 * the same ID number, document number or chip impossible, whatever the caller does.
 *
 *   pending → personalizing → written → verified → issued → lost / revoked
 *        ↘──────────────↘──────────↘──────────↘ set-aside
 *
 * Batches, the one-run-at-a-time rule and the claims of several stations: registry-claims.ts.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { abytes, fromHex, hex } from '../lds/bytes.js';
import { CancuocError, ValidationError } from '../lds/errors.js';
import { appendAudit, parseFrozenJson, readAuditLog, type AuditDetails, type AuditRecord } from './audit-log.js';
import { astation, astations, beat, claimCard, closeBatch, insertBatch, LIVE, LIVE_SQL, type Batch, type BatchOwner, type ClaimStep } from './registry-claims.js';
import { checkSchema, migrate } from './registry-schema.js';

export type { Batch } from './registry-claims.js';

type Db = Database.Database;

export type CardStatus = 'pending' | 'personalizing' | 'written' | 'verified' | 'issued' | 'set-aside' | 'lost' | 'revoked';
export type QueueState = 'queued' | 'claimed' | 'done' | 'set-aside';

export interface RegistryOptions {
  /** Who acts, for the audit log; defaults to "<OS user>@<host name>". */
  readonly actor?: string;
  /** false: the database must already exist (read and admin commands). Defaults to true. */
  readonly create?: boolean;
  /**
   * Open read-only (commands that only read: `registry show`, `audit verify`): nothing is written,
   * not even the switch to WAL; the file must be a registry of this schema. Works on a read-only
   * copy in a read-only folder. Implies create: false.
   */
  readonly readonly?: boolean;
  /** Clock, for tests; defaults to the system clock. */
  readonly now?: () => Date;
}

/** A card on the line, as the batch runner sees it. */
export interface LineItem {
  readonly queueId: number;
  readonly cardId: number;
  readonly batchId: number;
  readonly idNumber: string;
  /** The citizen record as enqueued (parsed JSON). */
  readonly record: unknown;
  readonly status: CardStatus;
  readonly attempt: number;
  /** The station (reader) that claimed the card. */
  readonly station: string | undefined;
  readonly chipSerial: string | undefined;
  readonly documentNumber: string | undefined;
  /** SHA-256 of EF.SOD as written. */
  readonly sodHash: Uint8Array | undefined;
  /** True when claimNext handed back a card left on the line by an earlier run. */
  readonly resumed: boolean;
}

export interface CardRow {
  readonly cardId: number;
  readonly queueId: number;
  readonly batchId: number;
  readonly idNumber: string;
  readonly attempt: number;
  readonly status: CardStatus;
  readonly station: string | undefined;
  readonly chipSerial: string | undefined;
  readonly documentNumber: string | undefined;
  readonly sodHash: Uint8Array | undefined;
  readonly reason: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly issuedAt: string | undefined;
  readonly revokedAt: string | undefined;
}

export interface EnqueueResult {
  readonly added: readonly number[];
  readonly skipped: readonly { readonly idNumber: string; readonly reason: string }[];
}

export interface CitizenView {
  readonly idNumber: string;
  readonly queue: readonly { readonly queueId: number; readonly state: QueueState; readonly attempts: number; readonly enqueuedAt: string }[];
  readonly cards: readonly CardRow[];
  readonly history: readonly AuditRecord[];
}

export interface Counts {
  readonly queued: number;
  readonly onLine: number;
  readonly done: number;
  readonly setAside: number;
}

export interface IssueFacts {
  readonly chipSerial: string;
  readonly documentNumber: string;
  readonly sodHash: Uint8Array;
}

interface CardDbRow {
  id: number;
  queue_id: number;
  batch_id: number;
  id_number: string;
  attempt: number;
  status: CardStatus;
  station: string | null;
  chip_serial: string | null;
  document_number: string | null;
  sod_hash: string | null;
  reason: string | null;
  created_at: string;
  updated_at: string;
  issued_at: string | null;
  revoked_at: string | null;
}

const ID_NUMBER = /^\d{12}$/;
const DOCUMENT_NUMBER = /^[0-9A-Z]{1,22}$/;
const CHIP_SERIAL = /^[\x21-\x7e]{1,64}$/;

export class Registry {
  readonly #db: Db;
  readonly #actor: string;
  readonly #now: () => Date;
  readonly #owner: BatchOwner = Object.freeze({ host: hostname(), pid: process.pid });

  private constructor(db: Db, actor: string, now: () => Date) {
    this.#db = db;
    this.#actor = actor;
    this.#now = now;
  }

  /** Opens (or creates) a registry and brings its schema up to date. */
  static open(path: string, options: RegistryOptions = {}): Registry {
    if (typeof path !== 'string' || path === '') throw new TypeError('"path" expected a file path');
    const actor = options.actor ?? `${userInfo().username}@${hostname()}`;
    if (typeof actor !== 'string' || actor.length === 0 || actor.length > 200) throw new TypeError('"actor" expected 1 to 200 characters');
    const readonly = options.readonly === true;
    let db: Db;
    try {
      db = openDatabase(path, readonly, options.create === false);
    } catch (e) {
      throw registryFailure(path, e);
    }
    try {
      // First, so that another process setting up the same file makes this one wait, not fail.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // An existing file is checked before anything is written to it (not even the WAL switch)
      if (readonly || options.create === false) checkSchema(db, path, readonly);
      if (!readonly) {
        enableWal(db, path);
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
        migrate(db, path);
      }
    } catch (e) {
      db.close();
      throw registryFailure(path, e);
    }
    return new Registry(db, actor, options.now ?? (() => new Date()));
  }

  /** The database handle, for audit verification and read-only reports. */
  get database(): Db {
    return this.#db;
  }

  close(): void {
    this.#db.close();
  }

  /** One IMMEDIATE transaction: the write lock is taken first, so two lines never interleave. */
  #tx<T>(fn: (time: string) => T): T {
    return this.#db.transaction(() => fn(this.#now().toISOString())).immediate();
  }

  #audit(action: string, subject: string | null, details: AuditDetails, time: string): number {
    return appendAudit(this.#db, { actor: this.#actor, action, subject, details, time: new Date(time) }).seq;
  }

  /** A transaction step for registry-claims.ts. */
  #step(time: string): ClaimStep {
    return { db: this.#db, time, audit: (action, subject, details) => this.#audit(action, subject, details, time) };
  }

  /**
   * Adds citizen records (objects with a 12-digit `id`) to the queue. A record is skipped when
   * its ID number is already queued or on the line, or already holds an issued card: running
   * the same queue file twice adds nothing.
   */
  enqueue(records: readonly { readonly id: string }[]): EnqueueResult {
    if (!Array.isArray(records)) throw new TypeError('"records" expected an array of citizen records');
    const items = records.map((r, i) => {
      if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !ID_NUMBER.test(r.id)) {
        throw new TypeError(`"records[${i}].id" expected a 12-digit ID number`);
      }
      return { idNumber: r.id, json: JSON.stringify(r) };
    });
    return this.#tx((time) => {
      const added: number[] = [];
      const skipped: { idNumber: string; reason: string }[] = [];
      const open = this.#db.prepare("SELECT 1 FROM queue WHERE id_number = ? AND state IN ('queued', 'claimed')");
      const issued = this.#db.prepare("SELECT 1 FROM cards WHERE id_number = ? AND status = 'issued'");
      const insert = this.#db.prepare("INSERT INTO queue (id_number, record, state, enqueued_at, updated_at) VALUES (?, ?, 'queued', ?, ?)");
      for (const { idNumber, json } of items) {
        const reason = open.get(idNumber) !== undefined ? 'already queued' : issued.get(idNumber) !== undefined ? 'already holds an issued card' : undefined;
        if (reason !== undefined) {
          skipped.push(Object.freeze({ idNumber, reason }));
          continue;
        }
        const queueId = Number(insert.run(idNumber, json, time, time).lastInsertRowid);
        this.#audit('queue.enqueue', idNumber, { queueId }, time);
        added.push(queueId);
      }
      return Object.freeze({ added: Object.freeze(added), skipped: Object.freeze(skipped) });
    });
  }

  /**
   * Starts a run of the line with its stations (reader names). Refused (REGISTRY_BUSY) while
   * another live process runs a batch on this registry; the caller keeps it alive with
   * heartbeat() every HEARTBEAT_MS and ends it with finishBatch().
   */
  startBatch(label?: string, options: { readonly stations?: readonly string[] } = {}): Batch {
    if (label !== undefined && (typeof label !== 'string' || label.length > 200)) throw new TypeError('"label" expected up to 200 characters');
    const stations = astations(options.stations ?? []);
    return this.#tx((time) => insertBatch(this.#step(time), this.#actor, this.#owner, label, stations));
  }

  /** The batch's run is alive (registry-claims.ts: a batch without a heartbeat for 30 s counts as gone). */
  heartbeat(batchId: number): void {
    aid(batchId, 'batchId');
    this.#tx((time) => beat(this.#step(time), batchId));
  }

  finishBatch(batchId: number): void {
    aid(batchId, 'batchId');
    this.#tx((time) => closeBatch(this.#step(time), batchId, this.#countsDetails()));
  }

  /**
   * The next card for `station` to make: first a card an earlier run left on the line (its own
   * before others; never one held by another station of this batch), else the oldest queued
   * record, claimed and given a new card row in 'pending'. One transaction, so a record is handed
   * out once whatever the number of stations.
   */
  claimNext(batchId: number, station?: string): LineItem | undefined {
    aid(batchId, 'batchId');
    const name = station === undefined ? null : astation(station);
    return this.#tx((time) => {
      const claim = claimCard(this.#step(time), batchId, name);
      return claim === undefined ? undefined : this.#item(claim.cardId, claim.resumed);
    });
  }

  /** A blank chip is in the reader and writing starts; re-personalizing a half-made card starts here too. */
  markPersonalizing(item: LineItem, chipSerial: string): LineItem {
    const serial = achipSerial(chipSerial);
    return this.#transition(item, ['pending', 'personalizing', 'written', 'verified'], 'personalizing', { chipSerial: serial }, (time) => [
      'UPDATE cards SET chip_serial = ?, document_number = NULL, sod_hash = NULL, updated_at = ? WHERE id = ?',
      [serial, time, item.cardId],
    ]);
  }

  /** Every file is on the chip: the document number and the SOD hash are known from here on. */
  markWritten(item: LineItem, facts: { readonly documentNumber: string; readonly sodHash: Uint8Array }): LineItem {
    const documentNumber = adocumentNumber(facts?.documentNumber);
    const sodHash = hex(abytes(facts.sodHash, 'sodHash', 32));
    return this.#transition(item, ['personalizing'], 'written', { documentNumber, sodHash }, (time) => [
      'UPDATE cards SET document_number = ?, sod_hash = ?, updated_at = ? WHERE id = ?',
      [documentNumber, sodHash, time, item.cardId],
    ]);
  }

  /** Read back and verified (passive, active and chip authentication). */
  markVerified(item: LineItem): LineItem {
    return this.#transition(item, ['written'], 'verified', {}, (time) => ['UPDATE cards SET updated_at = ? WHERE id = ?', [time, item.cardId]]);
  }

  /**
   * The card is locked and handed out. The facts must be those recorded while writing: a
   * mismatch means the runner holds a different card than the one it verified.
   */
  markIssued(item: LineItem, facts: IssueFacts): LineItem {
    const chipSerial = achipSerial(facts?.chipSerial);
    const documentNumber = adocumentNumber(facts.documentNumber);
    const sodHash = hex(abytes(facts.sodHash, 'sodHash', 32));
    return this.#transition(item, ['verified'], 'issued', { chipSerial, documentNumber, sodHash }, (time, row) => {
      if (row.chip_serial !== chipSerial || row.document_number !== documentNumber || row.sod_hash !== sodHash) {
        throw new ValidationError('REGISTRY_MISMATCH', `card ${item.cardId}: chip serial, document number or SOD hash differ from those recorded`, {
          field: 'facts',
        });
      }
      this.#db.prepare("UPDATE queue SET state = 'done', updated_at = ? WHERE id = ?").run(time, row.queue_id);
      return ['UPDATE cards SET issued_at = ?, updated_at = ? WHERE id = ?', [time, time, item.cardId]];
    });
  }

  /**
   * The card goes to the reject tray with a reason. With `retry` the record returns to the
   * queue for a new card; otherwise it waits for an operator (state set-aside).
   */
  setAside(item: LineItem, reason: string, options: { readonly retry?: boolean } = {}): LineItem {
    const why = areason(reason);
    const retry = options.retry === true;
    return this.#transition(item, LIVE, 'set-aside', { reason: why, retry }, (time, row) => {
      this.#db.prepare('UPDATE queue SET state = ?, updated_at = ? WHERE id = ?').run(retry ? 'queued' : 'set-aside', time, row.queue_id);
      return ['UPDATE cards SET reason = ?, updated_at = ? WHERE id = ?', [why, time, item.cardId]];
    });
  }

  /** Puts a set-aside record back in the queue (an operator's decision). */
  requeue(idNumber: string): void {
    const id = aidNumber(idNumber);
    this.#tx((time) => {
      const r = this.#db.prepare("UPDATE queue SET state = 'queued', updated_at = ? WHERE id_number = ? AND state = 'set-aside'").run(time, id);
      if (r.changes === 0) throw new ValidationError('REGISTRY_NOT_FOUND', `no set-aside record for ${id}`, { field: 'idNumber' });
      this.#audit('queue.requeue', id, {}, time);
    });
  }

  /** The issued card of an ID number or document number is reported lost. */
  markLost(idOrDocumentNumber: string, reason?: string): CardRow {
    return this.#revoke(idOrDocumentNumber, 'lost', ['issued'], reason);
  }

  /** The issued (or lost) card of an ID number or document number is revoked. */
  markRevoked(idOrDocumentNumber: string, reason?: string): CardRow {
    return this.#revoke(idOrDocumentNumber, 'revoked', ['issued', 'lost'], reason);
  }

  #revoke(key: string, status: 'lost' | 'revoked', from: readonly CardStatus[], reason: string | undefined): CardRow {
    const column = keyColumn(key);
    const why = reason === undefined ? null : areason(reason);
    return this.#tx((time) => {
      const row = this.#db
        .prepare(`SELECT * FROM cards WHERE ${column} = ? AND status IN (${from.map((s) => `'${s}'`).join(', ')}) ORDER BY id DESC LIMIT 1`)
        .get(key) as CardDbRow | undefined;
      if (row === undefined) throw new ValidationError('REGISTRY_NOT_FOUND', `no ${from.join(' or ')} card for ${key}`, { field: 'idOrDocumentNumber' });
      const seq = this.#audit(`card.${status}`, row.id_number, { cardId: row.id, from: row.status, ...(why === null ? {} : { reason: why }) }, time);
      this.#db
        .prepare('UPDATE cards SET status = ?, reason = ?, revoked_at = ?, updated_at = ?, audit_seq = ? WHERE id = ?')
        .run(status, why, time, time, seq, row.id);
      return this.#card(row.id);
    });
  }

  /** Checks the state change, applies it and its audit entry in one transaction. */
  #transition(
    item: LineItem,
    from: readonly CardStatus[],
    to: CardStatus,
    details: AuditDetails,
    apply: (time: string, row: CardDbRow) => [string, unknown[]],
  ): LineItem {
    if (typeof item !== 'object' || item === null || !Number.isSafeInteger(item.cardId)) throw new TypeError('"item" expected a LineItem');
    return this.#tx((time) => {
      const row = this.#db.prepare('SELECT * FROM cards WHERE id = ?').get(item.cardId) as CardDbRow | undefined;
      if (row === undefined) throw new ValidationError('REGISTRY_NOT_FOUND', `no card ${item.cardId}`, { field: 'item' });
      if (!from.includes(row.status)) {
        throw new ValidationError('REGISTRY_STATE', `card ${item.cardId} is ${row.status}; cannot become ${to}`, { field: 'status' });
      }
      const [sql, params] = apply(time, row);
      this.#db.prepare(sql).run(...params);
      const seq = this.#audit(`card.${to}`, row.id_number, { cardId: row.id, from: row.status, ...details }, time);
      try {
        this.#db.prepare('UPDATE cards SET status = ?, audit_seq = ? WHERE id = ?').run(to, seq, row.id);
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new ValidationError('REGISTRY_ALREADY_ISSUED', `an issued card already has this ID number, document number or chip (card ${row.id})`, {
            field: 'status',
          });
        }
        throw e;
      }
      return this.#item(row.id, item.resumed);
    });
  }

  #item(cardId: number, resumed: boolean): LineItem {
    const row = this.#db.prepare('SELECT c.*, q.record FROM cards c JOIN queue q ON q.id = c.queue_id WHERE c.id = ?').get(cardId) as CardDbRow & {
      record: string;
    };
    return Object.freeze({
      queueId: row.queue_id,
      cardId: row.id,
      batchId: row.batch_id,
      idNumber: row.id_number,
      record: parseFrozenJson(row.record),
      status: row.status,
      attempt: row.attempt,
      station: row.station ?? undefined,
      chipSerial: row.chip_serial ?? undefined,
      documentNumber: row.document_number ?? undefined,
      sodHash: row.sod_hash === null ? undefined : fromHex(row.sod_hash),
      resumed,
    });
  }

  #card(cardId: number): CardRow {
    return toCardRow(this.#db.prepare('SELECT * FROM cards WHERE id = ?').get(cardId) as CardDbRow);
  }

  /** Everything about one citizen, found by ID number or document number: no record contents. */
  show(idOrDocumentNumber: string): CitizenView {
    const key = idOrDocumentNumber;
    return this.#view(keyColumn(key) === 'id_number' ? key : this.#idOf('document_number', key), key);
  }

  /** The citizen whose card carries this chip serial (EF.ATR/INFO DO'46', as the line records it). */
  showChip(chipSerial: string): CitizenView {
    if (typeof chipSerial !== 'string') throw new TypeError('"chipSerial" expected a string');
    if (!CHIP_SERIAL.test(chipSerial)) {
      throw new ValidationError('REGISTRY_BAD_KEY', `${JSON.stringify(chipSerial.slice(0, 30))} is not a chip serial`, { field: 'chipSerial' });
    }
    return this.#view(this.#idOf('chip_serial', chipSerial.toUpperCase()), chipSerial);
  }

  /** The ID number of the newest card with this document number or chip, the issued one first. */
  #idOf(column: 'document_number' | 'chip_serial', value: string): string | undefined {
    const sql = `SELECT id_number FROM cards WHERE ${column} = ? ORDER BY status = 'issued' DESC, id DESC LIMIT 1`;
    return (this.#db.prepare(sql).get(value) as { id_number: string } | undefined)?.id_number;
  }

  #view(idNumber: string | undefined, key: string): CitizenView {
    const queue =
      idNumber === undefined
        ? []
        : (this.#db.prepare('SELECT id, state, attempts, enqueued_at FROM queue WHERE id_number = ? ORDER BY id').all(idNumber) as {
            id: number;
            state: QueueState;
            attempts: number;
            enqueued_at: string;
          }[]);
    if (idNumber === undefined || queue.length === 0) {
      throw new ValidationError('REGISTRY_NOT_FOUND', `nothing registered for ${key}`, { field: 'idOrDocumentNumber' });
    }
    const cards = (this.#db.prepare('SELECT * FROM cards WHERE id_number = ? ORDER BY id').all(idNumber) as CardDbRow[]).map(toCardRow);
    return Object.freeze({
      idNumber,
      queue: Object.freeze(queue.map((q) => Object.freeze({ queueId: q.id, state: q.state, attempts: q.attempts, enqueuedAt: q.enqueued_at }))),
      cards: Object.freeze(cards),
      history: readAuditLog(this.#db, { subject: idNumber }),
    });
  }

  /** Cards reported lost or revoked, oldest revocation first: the content of a revocation list. */
  listRevoked(): readonly CardRow[] {
    const rows = this.#db.prepare("SELECT * FROM cards WHERE status IN ('lost', 'revoked') ORDER BY revoked_at, id").all() as CardDbRow[];
    return Object.freeze(rows.map(toCardRow));
  }

  counts(): Counts {
    const n = (sql: string): number => (this.#db.prepare(sql).get() as { n: number }).n;
    return Object.freeze({
      queued: n("SELECT count(*) AS n FROM queue WHERE state = 'queued'"),
      onLine: n(`SELECT count(*) AS n FROM cards WHERE status IN (${LIVE_SQL})`),
      done: n("SELECT count(*) AS n FROM queue WHERE state = 'done'"),
      setAside: n("SELECT count(*) AS n FROM queue WHERE state = 'set-aside'"),
    });
  }

  #countsDetails(): AuditDetails {
    const c = this.counts();
    return { queued: c.queued, onLine: c.onLine, done: c.done, setAside: c.setAside };
  }

  /** Records an event that changes no registry row (an export, a line stop), with its own transaction. */
  logEvent(action: string, subject: string | null, details: AuditDetails = {}): AuditRecord {
    return this.#tx((time) => appendAudit(this.#db, { actor: this.#actor, action, subject, details, time: new Date(time) }));
  }

  /**
   * Cross-checks registry rows against the audit log: each card's last change must be the audit
   * entry it points to (same subject, action card.<status> or a claim/resume), which catches a
   * log cut short or rows changed without an entry. Returns the problems found, empty when none.
   */
  crossCheck(): readonly string[] {
    const problems: string[] = [];
    const rows = this.#db
      .prepare('SELECT c.id, c.id_number, c.status, c.audit_seq, a.action, a.subject, a.details FROM cards c LEFT JOIN audit_log a ON a.seq = c.audit_seq ORDER BY c.id')
      .all() as { id: number; id_number: string; status: CardStatus; audit_seq: number; action: string | null; subject: string | null; details: string | null }[];
    for (const r of rows) {
      if (r.action === null) {
        problems.push(`card ${r.id}: its last change (audit seq ${r.audit_seq}) is missing from the log`);
        continue;
      }
      const cardId = (JSON.parse(r.details ?? '{}') as { cardId?: number }).cardId;
      const fits = r.action === `card.${r.status}` || ((r.action === 'card.claim' || r.action === 'card.resume') && LIVE.includes(r.status));
      if (!fits || r.subject !== r.id_number || cardId !== r.id) {
        problems.push(`card ${r.id}: status ${r.status} does not match audit seq ${r.audit_seq} (${r.action})`);
      }
    }
    return Object.freeze(problems);
  }
}

const BUSY_TIMEOUT_MS = 10_000;

/**
 * SQLite §"Write-Ahead Logging" + synchronous=FULL: a committed transaction survives power loss.
 * WAL stays set in the file. Turning a new file to WAL needs it alone: a process that opens it at
 * the same moment as another gets SQLITE_BUSY (the busy handler does not cover the switch) or the
 * old mode back, so it tries again for as long as the busy timeout.
 */
/**
 * A read-only open of a WAL database needs its -shm file; in a folder it cannot write (an
 * auditor's 0444 copy in a 0555 folder) SQLite cannot make one (https://sqlite.org/wal.html#readonly),
 * so the file is read into memory and opened from there.
 */
function openDatabase(path: string, readonly: boolean, mustExist: boolean): Db {
  if (!readonly) return new Database(path, { fileMustExist: mustExist });
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('user_version'); // the first read is where SQLite opens the WAL index
    return db;
  } catch (e) {
    const code = String((e as { code?: string }).code);
    if (!/^SQLITE_(CANTOPEN|READONLY)/.test(code) || folderWritable(path)) throw e;
    // no WAL index can be made here and none exists, so the file holds every commit: read a copy
    const image = readFileSync(path);
    if (image[18] === 2 && image[19] === 2) image.fill(1, 18, 20); // WAL → rollback header (sqlite.org/fileformat2.html §1.3.3)
    return new Database(image, { readonly: true });
  }
}

function folderWritable(path: string): boolean {
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** SQLite failures as typed errors naming the file: not a registry (exit 4), damaged (exit 4). */
export function registryFailure(path: string, e: unknown): CancuocError {
  if (e instanceof CancuocError) return e;
  const code = (e as { code?: string }).code;
  const message = (e as Error).message;
  if (code === 'SQLITE_NOTADB') return new ValidationError('REGISTRY_NOT_A_REGISTRY', 'not a cancuoc registry (not an SQLite database)', { file: path });
  if (code === 'SQLITE_CORRUPT') return new ValidationError('REGISTRY_DAMAGED', `registry file is damaged (SQLite: ${message}); restore it from a backup`, { file: path });
  return new CancuocError('REGISTRY_OPEN_FAILED', `cannot use registry ${path}: ${message}`, { file: path }, { cause: e });
}

function enableWal(db: Db, path: string): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      if (db.pragma('journal_mode = WAL', { simple: true }) === 'wal') return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    }
    if (Date.now() > deadline) throw new CancuocError('REGISTRY_BUSY', `cannot open registry ${path}: it stays locked by another process`, { file: path });
    Atomics.wait(PAUSE, 0, 0, 10); // open() is synchronous: wait 10 ms in place
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function toCardRow(r: CardDbRow): CardRow {
  return Object.freeze({
    cardId: r.id,
    queueId: r.queue_id,
    batchId: r.batch_id,
    idNumber: r.id_number,
    attempt: r.attempt,
    status: r.status,
    station: r.station ?? undefined,
    chipSerial: r.chip_serial ?? undefined,
    documentNumber: r.document_number ?? undefined,
    sodHash: r.sod_hash === null ? undefined : fromHex(r.sod_hash),
    reason: r.reason ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    issuedAt: r.issued_at ?? undefined,
    revokedAt: r.revoked_at ?? undefined,
  });
}

/** A 12-digit key is an ID number, anything else a document number. */
function keyColumn(key: unknown): 'id_number' | 'document_number' {
  if (typeof key !== 'string') throw new TypeError('"idOrDocumentNumber" expected a string');
  if (ID_NUMBER.test(key)) return 'id_number';
  if (DOCUMENT_NUMBER.test(key)) return 'document_number';
  throw new ValidationError('REGISTRY_BAD_KEY', `${JSON.stringify(key.slice(0, 30))} is neither a 12-digit ID number nor a document number`, {
    field: 'idOrDocumentNumber',
  });
}

function aid(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) throw new TypeError(`"${name}" expected a positive integer`);
  return value as number;
}

function aidNumber(value: unknown): string {
  if (typeof value !== 'string' || !ID_NUMBER.test(value)) throw new TypeError('"idNumber" expected a 12-digit ID number');
  return value;
}

function adocumentNumber(value: unknown): string {
  if (typeof value !== 'string' || !DOCUMENT_NUMBER.test(value)) throw new TypeError('"documentNumber" expected 1 to 22 digits or capitals');
  return value;
}

function achipSerial(value: unknown): string {
  if (typeof value !== 'string' || !CHIP_SERIAL.test(value)) throw new TypeError('"chipSerial" expected 1 to 64 printable ASCII characters');
  return value;
}

function areason(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 500) throw new TypeError('"reason" expected 1 to 500 characters');
  return value;
}
