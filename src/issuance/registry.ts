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
import { hostname, userInfo } from 'node:os';
import { abytes, hex } from '../lds/bytes.js';
import { ValidationError } from '../lds/errors.js';
import {
  appendAudit,
  auditEntry,
  readAuditLog,
  verifyAuditLog,
  type AuditDetails,
  type AuditKey,
  type AuditRecord,
  type AuditVerification,
  type AuditVerifyOptions,
  type PendingEntry,
} from './audit-log.js';
import { astation, astations, beat, claimCard, closeBatch, HEARTBEAT_MS, insertBatch, type Batch, type BatchOwner, type ClaimStep } from './registry-claims.js';
import { PostgresStore } from './registry-postgres.js';
import { LIVE, type CardStatus } from './registry-schema.js';
import { SqliteStore } from './registry-sqlite.js';
import { isPostgresUrl, isUniqueViolation, type Store } from './registry-store.js';
import {
  achipSerial,
  adocumentNumber,
  aid,
  aidNumber,
  areason,
  CHIP_SERIAL,
  countsDetails,
  countsOf,
  ID_NUMBER,
  idOf,
  itemOf,
  keyColumn,
  toCardRow,
  viewOf,
  type CardDbRow,
  type CardRow,
  type CitizenView,
  type Counts,
  type EnqueueResult,
  type IssueFacts,
  type LineItem,
} from './registry-views.js';

export type { Batch } from './registry-claims.js';
export type { CardStatus } from './registry-schema.js';
export type { CardRow, CitizenView, Counts, EnqueueResult, IssueFacts, LineItem, QueueState } from './registry-views.js';

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
  /** The audit key: every entry this registry appends carries its MAC (audit-log.ts). */
  readonly auditKey?: AuditKey;
  /** PostgreSQL: connections in this process's pool (default 10). */
  readonly poolSize?: number;
}

export class Registry {
  readonly #store: Store;
  readonly #actor: string;
  readonly #now: () => Date;
  readonly #key: AuditKey | undefined;
  readonly #owner: BatchOwner = Object.freeze({ host: hostname(), pid: process.pid });
  /** When each batch's station last looked for other stations' abandoned cards. */
  readonly #takeoverChecked = new Map<string, number>();

  private constructor(store: Store, actor: string, now: () => Date, key: AuditKey | undefined) {
    this.#store = store;
    this.#actor = actor;
    this.#now = now;
    this.#key = key;
  }

  /**
   * Opens (or creates) a registry and brings its schema up to date: a SQLite file path, or a
   * PostgreSQL URI (`postgres://user@host/db`, libpq §34.1.1) for a registry shared by many sites.
   */
  static async open(target: string, options: RegistryOptions = {}): Promise<Registry> {
    if (typeof target !== 'string' || target === '') throw new TypeError('"target" expected a file path or a postgres:// URI');
    const actor = options.actor ?? `${userInfo().username}@${hostname()}`;
    if (typeof actor !== 'string' || actor.length === 0 || actor.length > 200) throw new TypeError('"actor" expected 1 to 200 characters');
    const readonly = options.readonly === true;
    const create = options.create !== false && !readonly;
    const store = isPostgresUrl(target)
      ? await PostgresStore.open(target, { create, ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }) })
      : SqliteStore.open(target, { create, readonly });
    return new Registry(store, actor, options.now ?? (() => new Date()), options.auditKey);
  }

  /** The storage engine, for audit verification, copies and read-only reports. */
  get store(): Store {
    return this.#store;
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  /**
   * One write transaction: the work of `fn`, then its audit entries appended at the head of the
   * chain (an entry naming a `cardId` becomes that card's audit_seq), all committed together.
   */
  async #write<T>(fn: (step: ClaimStep) => Promise<T>): Promise<[T, readonly AuditRecord[]]> {
    return this.#store.write(async (tx) => {
      const time = this.#now().toISOString();
      const pending: PendingEntry[] = [];
      const step: ClaimStep = {
        tx,
        sql: this.#store.dialect,
        time,
        audit: (action, subject, details) => void pending.push(auditEntry({ actor: this.#actor, action, subject, details, time: new Date(time) })),
      };
      const value = await fn(step);
      const records = await appendAudit(tx, this.#store.dialect, pending, this.#key);
      for (const r of records) {
        if (typeof r.details.cardId === 'number') await tx.run('UPDATE cards SET audit_seq = ? WHERE id = ?', r.seq, r.details.cardId);
      }
      return [value, records];
    });
  }

  async #tx<T>(fn: (step: ClaimStep) => Promise<T>): Promise<T> {
    return (await this.#write(fn))[0];
  }

  /**
   * Adds citizen records (objects with a 12-digit `id`) to the queue. A record is skipped when
   * its ID number is already queued or on the line, or already holds an issued card: running
   * the same queue file twice adds nothing.
   */
  async enqueue(records: readonly { readonly id: string }[]): Promise<EnqueueResult> {
    if (!Array.isArray(records)) throw new TypeError('"records" expected an array of citizen records');
    const items = records.map((r, i) => {
      if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !ID_NUMBER.test(r.id)) {
        throw new TypeError(`"records[${i}].id" expected a 12-digit ID number`);
      }
      return { idNumber: r.id, json: JSON.stringify(r) };
    });
    // Two sites enqueuing the same records at once: the loser of the race hits the unique index
    // and tries again, seeing the winner's rows as already queued.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#enqueueOnce(items);
      } catch (e) {
        if (!isUniqueViolation(e) || attempt === 3) throw e;
      }
    }
  }

  #enqueueOnce(items: readonly { readonly idNumber: string; readonly json: string }[]): Promise<EnqueueResult> {
    return this.#tx(async ({ tx, time, audit }) => {
      const added: number[] = [];
      const skipped: { idNumber: string; reason: string }[] = [];
      for (const { idNumber, json } of items) {
        const open = await tx.get("SELECT 1 AS x FROM queue WHERE id_number = ? AND state IN ('queued', 'claimed')", idNumber);
        const issued = open === undefined ? await tx.get("SELECT 1 AS x FROM cards WHERE id_number = ? AND status = 'issued'", idNumber) : undefined;
        const reason = open !== undefined ? 'already queued' : issued !== undefined ? 'already holds an issued card' : undefined;
        if (reason !== undefined) {
          skipped.push(Object.freeze({ idNumber, reason }));
          continue;
        }
        const queueId = await tx.insert("INSERT INTO queue (id_number, record, state, enqueued_at, updated_at) VALUES (?, ?, 'queued', ?, ?)", idNumber, json, time, time);
        audit('queue.enqueue', idNumber, { queueId });
        added.push(queueId);
      }
      return Object.freeze({ added: Object.freeze(added), skipped: Object.freeze(skipped) });
    });
  }

  /**
   * Starts a run of the line with its stations (reader names). Refused (REGISTRY_BUSY) while
   * another live run holds one of them; the caller keeps it alive with heartbeat() every
   * HEARTBEAT_MS and ends it with finishBatch().
   */
  async startBatch(label?: string, options: { readonly stations?: readonly string[] } = {}): Promise<Batch> {
    if (label !== undefined && (typeof label !== 'string' || label.length > 200)) throw new TypeError('"label" expected up to 200 characters');
    const stations = astations(options.stations ?? []);
    return this.#tx((step) => insertBatch(step, this.#actor, this.#owner, label, stations));
  }

  /** The batch's run is alive (registry-claims.ts: a batch without a heartbeat for 30 s counts as gone). */
  async heartbeat(batchId: number): Promise<void> {
    aid(batchId, 'batchId');
    await this.#tx((step) => beat(step, batchId));
  }

  async finishBatch(batchId: number): Promise<void> {
    aid(batchId, 'batchId');
    await this.#tx(async (step) => closeBatch(step, batchId, countsDetails(await countsOf(step.tx))));
  }

  /**
   * The next card for `station` to make: first a card an earlier run left on the line (its own
   * before others; never one held by another station of this batch or of another live run),
   * else the oldest queued record, claimed and given a new card row in 'pending'. One
   * transaction, so a record is handed out once whatever the number of stations and machines.
   */
  async claimNext(batchId: number, station?: string): Promise<LineItem | undefined> {
    aid(batchId, 'batchId');
    const name = station === undefined ? null : astation(station);
    return this.#tx(async (step) => {
      // Another station's cards become free only when its run stops or goes silent (heartbeats):
      // looking for them once per heartbeat period is enough, and spares a scan of every card on the line.
      const key = `${batchId}/${name ?? ''}`;
      const now = Date.parse(step.time);
      const takeover = (): boolean => {
        const last = this.#takeoverChecked.get(key);
        if (last !== undefined && now - last < HEARTBEAT_MS) return false;
        this.#takeoverChecked.set(key, now);
        return true;
      };
      const claim = await claimCard(step, batchId, name, takeover);
      return claim === undefined ? undefined : itemOf(step.tx, claim.cardId, claim.resumed);
    });
  }

  /** A blank chip is in the reader and writing starts; re-personalizing a half-made card starts here too. */
  async markPersonalizing(item: LineItem, chipSerial: string): Promise<LineItem> {
    const serial = achipSerial(chipSerial);
    return this.#transition(item, ['pending', 'personalizing', 'written', 'verified'], 'personalizing', { chipSerial: serial }, async ({ tx, time }) => {
      await tx.run('UPDATE cards SET chip_serial = ?, document_number = NULL, sod_hash = NULL, updated_at = ? WHERE id = ?', serial, time, item.cardId);
    });
  }

  /** Every file is on the chip: the document number and the SOD hash are known from here on. */
  async markWritten(item: LineItem, facts: { readonly documentNumber: string; readonly sodHash: Uint8Array }): Promise<LineItem> {
    const documentNumber = adocumentNumber(facts?.documentNumber);
    const sodHash = hex(abytes(facts.sodHash, 'sodHash', 32));
    return this.#transition(item, ['personalizing'], 'written', { documentNumber, sodHash }, async ({ tx, time }) => {
      await tx.run('UPDATE cards SET document_number = ?, sod_hash = ?, updated_at = ? WHERE id = ?', documentNumber, sodHash, time, item.cardId);
    });
  }

  /** Read back and verified (passive, active and chip authentication). */
  async markVerified(item: LineItem): Promise<LineItem> {
    return this.#transition(item, ['written'], 'verified', {}, async ({ tx, time }) => {
      await tx.run('UPDATE cards SET updated_at = ? WHERE id = ?', time, item.cardId);
    });
  }

  /**
   * The card is locked and handed out. The facts must be those recorded while writing: a
   * mismatch means the runner holds a different card than the one it verified.
   */
  async markIssued(item: LineItem, facts: IssueFacts): Promise<LineItem> {
    const chipSerial = achipSerial(facts?.chipSerial);
    const documentNumber = adocumentNumber(facts.documentNumber);
    const sodHash = hex(abytes(facts.sodHash, 'sodHash', 32));
    return this.#transition(item, ['verified'], 'issued', { chipSerial, documentNumber, sodHash }, async ({ tx, time }, row) => {
      if (row.chip_serial !== chipSerial || row.document_number !== documentNumber || row.sod_hash !== sodHash) {
        throw new ValidationError('REGISTRY_MISMATCH', `card ${item.cardId}: chip serial, document number or SOD hash differ from those recorded`, {
          field: 'facts',
        });
      }
      await tx.run("UPDATE queue SET state = 'done', updated_at = ? WHERE id = ?", time, row.queue_id);
      await tx.run('UPDATE cards SET issued_at = ?, updated_at = ? WHERE id = ?', time, time, item.cardId);
    });
  }

  /**
   * The card goes to the reject tray with a reason. With `retry` the record returns to the
   * queue for a new card; otherwise it waits for an operator (state set-aside).
   */
  async setAside(item: LineItem, reason: string, options: { readonly retry?: boolean } = {}): Promise<LineItem> {
    const why = areason(reason);
    const retry = options.retry === true;
    return this.#transition(item, LIVE, 'set-aside', { reason: why, retry }, async ({ tx, time }, row) => {
      await tx.run('UPDATE queue SET state = ?, updated_at = ? WHERE id = ?', retry ? 'queued' : 'set-aside', time, row.queue_id);
      await tx.run('UPDATE cards SET reason = ?, updated_at = ? WHERE id = ?', why, time, item.cardId);
    });
  }

  /** Puts a set-aside record back in the queue (an operator's decision). */
  async requeue(idNumber: string): Promise<void> {
    const id = aidNumber(idNumber);
    await this.#tx(async ({ tx, time, audit }) => {
      const n = await tx.run("UPDATE queue SET state = 'queued', updated_at = ? WHERE id_number = ? AND state = 'set-aside'", time, id);
      if (n === 0) throw new ValidationError('REGISTRY_NOT_FOUND', `no set-aside record for ${id}`, { field: 'idNumber' });
      audit('queue.requeue', id, {});
    });
  }

  /** The issued card of an ID number or document number is reported lost. */
  async markLost(idOrDocumentNumber: string, reason?: string): Promise<CardRow> {
    return this.#revoke(idOrDocumentNumber, 'lost', ['issued'], reason);
  }

  /** The issued (or lost) card of an ID number or document number is revoked. */
  async markRevoked(idOrDocumentNumber: string, reason?: string): Promise<CardRow> {
    return this.#revoke(idOrDocumentNumber, 'revoked', ['issued', 'lost'], reason);
  }

  async #revoke(key: string, status: 'lost' | 'revoked', from: readonly CardStatus[], reason: string | undefined): Promise<CardRow> {
    const column = keyColumn(key);
    const why = reason === undefined ? null : areason(reason);
    return this.#tx(async ({ tx, sql, time, audit }) => {
      const row = await tx.get<CardDbRow>(
        `SELECT * FROM cards WHERE ${column} = ? AND status IN (${from.map((s) => `'${s}'`).join(', ')}) ORDER BY id DESC LIMIT 1${sql.forUpdate}`,
        key,
      );
      if (row === undefined) throw new ValidationError('REGISTRY_NOT_FOUND', `no ${from.join(' or ')} card for ${key}`, { field: 'idOrDocumentNumber' });
      audit(`card.${status}`, row.id_number, { cardId: row.id, from: row.status, ...(why === null ? {} : { reason: why }) });
      await tx.run('UPDATE cards SET status = ?, reason = ?, revoked_at = ?, updated_at = ? WHERE id = ?', status, why, time, time, row.id);
      return toCardRow((await tx.get<CardDbRow>('SELECT * FROM cards WHERE id = ?', row.id))!);
    });
  }

  /** Checks the state change, applies it and its audit entry in one transaction. */
  async #transition(
    item: LineItem,
    from: readonly CardStatus[],
    to: CardStatus,
    details: AuditDetails,
    apply: (step: ClaimStep, row: CardDbRow) => Promise<void>,
  ): Promise<LineItem> {
    if (typeof item !== 'object' || item === null || !Number.isSafeInteger(item.cardId)) throw new TypeError('"item" expected a LineItem');
    return this.#tx(async (step) => {
      const { tx, sql } = step;
      const row = await tx.get<CardDbRow>(`SELECT * FROM cards WHERE id = ?${sql.forUpdate}`, item.cardId);
      if (row === undefined) throw new ValidationError('REGISTRY_NOT_FOUND', `no card ${item.cardId}`, { field: 'item' });
      if (!from.includes(row.status)) {
        throw new ValidationError('REGISTRY_STATE', `card ${item.cardId} is ${row.status}; cannot become ${to}`, { field: 'status' });
      }
      await apply(step, row);
      step.audit(`card.${to}`, row.id_number, { cardId: row.id, from: row.status, ...details });
      try {
        await tx.run('UPDATE cards SET status = ? WHERE id = ?', to, row.id);
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new ValidationError('REGISTRY_ALREADY_ISSUED', `an issued card already has this ID number, document number or chip (card ${row.id})`, {
            field: 'status',
          });
        }
        throw e;
      }
      return itemOf(tx, row.id, item.resumed);
    });
  }

  /** Everything about one citizen, found by ID number or document number: no record contents. */
  async show(idOrDocumentNumber: string): Promise<CitizenView> {
    const key = idOrDocumentNumber;
    const column = keyColumn(key);
    return this.#store.read(async (tx) => viewOf(tx, column === 'id_number' ? key : await idOf(tx, 'document_number', key), key));
  }

  /** The citizen whose card carries this chip serial (EF.ATR/INFO DO'46', as the line records it). */
  async showChip(chipSerial: string): Promise<CitizenView> {
    if (typeof chipSerial !== 'string') throw new TypeError('"chipSerial" expected a string');
    if (!CHIP_SERIAL.test(chipSerial)) {
      throw new ValidationError('REGISTRY_BAD_KEY', `${JSON.stringify(chipSerial.slice(0, 30))} is not a chip serial`, { field: 'chipSerial' });
    }
    return this.#store.read(async (tx) => viewOf(tx, await idOf(tx, 'chip_serial', chipSerial.toUpperCase()), chipSerial));
  }

  /** Cards reported lost or revoked, oldest revocation first: the content of a revocation list. */
  async listRevoked(): Promise<readonly CardRow[]> {
    return this.#store.read(async (tx) => {
      const rows = await tx.all<CardDbRow>("SELECT * FROM cards WHERE status IN ('lost', 'revoked') ORDER BY revoked_at, id");
      return Object.freeze(rows.map(toCardRow));
    });
  }

  async counts(): Promise<Counts> {
    return this.#store.read(countsOf);
  }

  /** Records an event that changes no registry row (an export, a line stop), with its own transaction. */
  async logEvent(action: string, subject: string | null, details: AuditDetails = {}): Promise<AuditRecord> {
    const [, records] = await this.#write(async (step) => step.audit(action, subject, details));
    return records[0]!;
  }

  /** The audit entries in order, optionally only those about one subject. */
  async auditLog(options: { readonly subject?: string } = {}): Promise<readonly AuditRecord[]> {
    return this.#store.read((tx) => readAuditLog(tx, options));
  }

  /** The audit chain checked from seq 1 (audit-log.ts), with this registry's audit key unless another is given. */
  async verifyAudit(options: AuditVerifyOptions = {}): Promise<AuditVerification> {
    const key = options.key ?? this.#key;
    return this.#store.read((tx) => verifyAuditLog(tx, { ...options, ...(key === undefined ? {} : { key }) }));
  }

  /**
   * Cross-checks registry rows against the audit log: each card's last change must be the audit
   * entry it points to (same subject, action card.<status> or a claim/resume), which catches a
   * log cut short or rows changed without an entry. Returns the problems found, empty when none.
   */
  async crossCheck(): Promise<readonly string[]> {
    return this.#store.read(async (tx) => {
      const problems: string[] = [];
      const rows = await tx.all<{ id: number; id_number: string; status: CardStatus; audit_seq: number; action: string | null; subject: string | null; details: string | null }>(
        'SELECT c.id, c.id_number, c.status, c.audit_seq, a.action, a.subject, a.details FROM cards c LEFT JOIN audit_log a ON a.seq = c.audit_seq ORDER BY c.id',
      );
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
    });
  }
}
