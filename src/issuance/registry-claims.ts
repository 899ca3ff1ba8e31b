/**
 * Who may take which record (docs/registry.md, "Several stations"): the batch row that makes one
 * `batch run` the only line on a registry, and the claims of its stations. Called by Registry
 * inside its IMMEDIATE transactions; each function here is one step of such a transaction.
 *
 * A batch is one run of the line. It records its owner (host and process id) and refreshes a
 * heartbeat while it runs; a second run on the same registry is refused while the first is alive
 * (REGISTRY_BUSY). A run killed with SIGKILL leaves its batch unfinished, and is recognised as gone
 * by its dead process id (same host) or its stale heartbeat (any host).
 *
 * Every card records the station (reader) that claimed it. After a crash a station resumes first
 * the cards it held itself — the card in its reader is theirs — and cards of stations that are not
 * in this run; never those of another station of this run.
 */
import type Database from 'better-sqlite3';
import { ValidationError } from '../lds/errors.js';
import type { AuditDetails } from './audit-log.js';
import type { CardStatus } from './registry.js';

type Db = Database.Database;

/** States of a card still on the line: claimNext resumes these first after a crash. */
export const LIVE: readonly CardStatus[] = ['pending', 'personalizing', 'written', 'verified'];
export const LIVE_SQL = LIVE.map((s) => `'${s}'`).join(', ');

/** A running line refreshes its batch this often; after six missed beats it counts as gone. */
export const HEARTBEAT_MS = 5_000;
const STALE_MS = 6 * HEARTBEAT_MS;

/** Schema v2: batch owners and stations, the station of each card. */
export const CLAIMS_SCHEMA = `
  ALTER TABLE batches ADD COLUMN owner_host TEXT;
  ALTER TABLE batches ADD COLUMN owner_pid INTEGER;
  ALTER TABLE batches ADD COLUMN heartbeat_at TEXT;
  ALTER TABLE batches ADD COLUMN stations TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE cards ADD COLUMN station TEXT;
  CREATE INDEX cards_live_station ON cards(status, station);
`;

/** One step of a registry transaction: the database, the transaction's time, its audit writer. */
export interface ClaimStep {
  readonly db: Db;
  readonly time: string;
  readonly audit: (action: string, subject: string | null, details: AuditDetails) => number;
}

/** The process running a batch. */
export interface BatchOwner {
  readonly host: string;
  readonly pid: number;
}

export interface Batch {
  readonly id: number;
  readonly label: string | undefined;
  readonly startedAt: string;
  /** The stations (reader names) of this run, each claiming records for itself. */
  readonly stations: readonly string[];
}

interface BatchRow {
  id: number;
  actor: string;
  owner_host: string | null;
  owner_pid: number | null;
  heartbeat_at: string | null;
  stations: string;
  finished_at: string | null;
}

interface LiveCard {
  id: number;
  queue_id: number;
  id_number: string;
  status: CardStatus;
  station: string | null;
}

const STATION = /^[\x20-\x7e]{1,200}$/;

/** A station name: the PC/SC reader name, printable ASCII. */
export function astation(value: unknown, name = 'station'): string {
  if (typeof value !== 'string' || !STATION.test(value)) throw new TypeError(`"${name}" expected 1 to 200 printable ASCII characters`);
  return value;
}

/** Station names of a new batch: distinct, at most 16 (more readers than any printer has). */
export function astations(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length > 16) throw new TypeError('"stations" expected an array of at most 16 reader names');
  const names = value.map((s, i) => astation(s, `stations[${i}]`));
  if (new Set(names).size !== names.length) throw new TypeError('"stations" names a reader twice');
  return Object.freeze(names);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses to start while another live process runs a batch on this registry: two runs would
 * each resume the other's cards in flight. The caller's own process is not checked (tests drive
 * several batches from one process, one after the other).
 */
function checkNoOtherRun(step: ClaimStep, owner: BatchOwner): void {
  const open = step.db.prepare('SELECT * FROM batches WHERE finished_at IS NULL AND owner_pid IS NOT NULL ORDER BY id').all() as BatchRow[];
  const now = Date.parse(step.time);
  for (const b of open) {
    const mine = b.owner_host === owner.host && b.owner_pid === owner.pid;
    const beating = b.heartbeat_at !== null && now - Date.parse(b.heartbeat_at) < STALE_MS;
    const gone = b.owner_host === owner.host && !alive(b.owner_pid!);
    if (!mine && beating && !gone) {
      throw new ValidationError(
        'REGISTRY_BUSY',
        `batch ${b.id} of ${b.actor} (process ${b.owner_pid} on ${b.owner_host}) is running on this registry; one batch run at a time`,
        { field: 'batch' },
      );
    }
  }
}

/** Starts a batch owned by `owner`, after checking that no other live process runs one. */
export function insertBatch(step: ClaimStep, actor: string, owner: BatchOwner, label: string | undefined, stations: readonly string[]): Batch {
  checkNoOtherRun(step, owner);
  const id = Number(
    step.db
      .prepare('INSERT INTO batches (label, actor, started_at, owner_host, owner_pid, heartbeat_at, stations) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(label ?? null, actor, step.time, owner.host, owner.pid, step.time, JSON.stringify(stations)).lastInsertRowid,
  );
  step.audit('batch.start', null, { batchId: id, stations: [...stations], ...(label === undefined ? {} : { label }) });
  return Object.freeze({ id, label, startedAt: step.time, stations });
}

function openBatch(step: ClaimStep, batchId: number): BatchRow {
  const batch = step.db.prepare('SELECT * FROM batches WHERE id = ?').get(batchId) as BatchRow | undefined;
  if (batch === undefined || batch.finished_at !== null) {
    throw new ValidationError('REGISTRY_STATE', `batch ${batchId} is unknown or finished`, { field: 'batchId' });
  }
  return batch;
}

/** The run is still alive: refreshes the heartbeat that keeps other runs out. */
export function beat(step: ClaimStep, batchId: number): void {
  openBatch(step, batchId);
  step.db.prepare('UPDATE batches SET heartbeat_at = ? WHERE id = ?').run(step.time, batchId);
}

/** Ends the batch; its counts go to the audit log. */
export function closeBatch(step: ClaimStep, batchId: number, counts: AuditDetails): void {
  const r = step.db.prepare('UPDATE batches SET finished_at = ? WHERE id = ? AND finished_at IS NULL').run(step.time, batchId);
  if (r.changes !== 1) throw new ValidationError('REGISTRY_STATE', `batch ${batchId} is unknown or already finished`, { field: 'batchId' });
  step.audit('batch.finish', null, { batchId, ...counts });
}

/**
 * The card `station` takes next, as its id and whether it is resumed: first a card an earlier
 * run left on the line — this station's own before any other (the card in its reader belongs
 * to it), then one of an unnamed station or of a station not in this run; never one of another
 * station of this run. Else the oldest queued record, claimed, with a new card row in 'pending'.
 */
export function claimCard(step: ClaimStep, batchId: number, station: string | null): { readonly cardId: number; readonly resumed: boolean } | undefined {
  const { db, time } = step;
  const batch = openBatch(step, batchId);
  const live = db
    .prepare(
      `SELECT id, queue_id, id_number, status, station FROM cards
       WHERE status IN (${LIVE_SQL}) AND batch_id <> ?
         AND (station IS ? OR station IS NULL OR station NOT IN (SELECT value FROM json_each(?)))
       ORDER BY station IS ? DESC, chip_serial IS NOT NULL DESC, id LIMIT 1`,
    )
    .get(batchId, station, batch.stations, station) as LiveCard | undefined;
  if (live !== undefined) {
    const seq = step.audit('card.resume', live.id_number, { cardId: live.id, batchId, status: live.status, station, fromStation: live.station });
    db.prepare('UPDATE cards SET batch_id = ?, station = ?, updated_at = ?, audit_seq = ? WHERE id = ?').run(batchId, station, time, seq, live.id);
    db.prepare('UPDATE queue SET batch_id = ?, updated_at = ? WHERE id = ?').run(batchId, time, live.queue_id);
    return Object.freeze({ cardId: live.id, resumed: true });
  }
  const next = db.prepare("SELECT id, id_number, attempts FROM queue WHERE state = 'queued' ORDER BY id LIMIT 1").get() as
    | { id: number; id_number: string; attempts: number }
    | undefined;
  if (next === undefined) return undefined;
  const attempt = next.attempts + 1;
  db.prepare("UPDATE queue SET state = 'claimed', attempts = ?, batch_id = ?, updated_at = ? WHERE id = ?").run(attempt, batchId, time, next.id);
  const cardId = Number(
    db
      .prepare(
        "INSERT INTO cards (queue_id, batch_id, id_number, attempt, status, station, created_at, updated_at, audit_seq) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, 0)",
      )
      .run(next.id, batchId, next.id_number, attempt, station, time, time).lastInsertRowid,
  );
  const seq = step.audit('card.claim', next.id_number, { cardId, queueId: next.id, batchId, attempt, station });
  db.prepare('UPDATE cards SET audit_seq = ? WHERE id = ?').run(seq, cardId);
  return Object.freeze({ cardId, resumed: false });
}
