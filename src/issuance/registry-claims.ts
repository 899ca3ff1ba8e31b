/**
 * Who may take which record (docs/registry.md, "Several stations" and "One run per station"):
 * the batch rows of the runs of the line, and the claims of their stations. Called by Registry
 * inside its write transactions; each function here is one step of such a transaction.
 *
 * A batch is one run of the line with its stations. It records its owner (host and process id)
 * and refreshes a heartbeat while it runs; a run naming a station that another live run holds is
 * refused (REGISTRY_BUSY). A run killed with SIGKILL leaves its batch unfinished, and is
 * recognised as gone by its dead process id (same host) or its stale heartbeat (any host).
 *
 * Every card records the station (reader) that claimed it. After a crash a station resumes first
 * the cards it held itself — the card in its reader is theirs — then cards of stations that no run
 * holds; never those of a station of this run or of another run whose heartbeat is fresh. On
 * PostgreSQL several runs claim at once: the rows are taken FOR UPDATE SKIP LOCKED.
 */
import { ValidationError } from '../lds/errors.js';
import type { AuditDetails } from './audit-log.js';
import { LIVE_SQL, type CardStatus } from './registry-schema.js';
import type { Dialect, Tx } from './registry-store.js';

/** A running line refreshes its batch this often; after six missed beats it counts as gone. */
export const HEARTBEAT_MS = 5_000;
const STALE_MS = 6 * HEARTBEAT_MS;

/**
 * One step of a registry transaction: its queries, the engine's SQL, the transaction's time,
 * its audit writer. Entries are appended when the transaction's work is done (audit-log.ts); an
 * entry whose details name a `cardId` becomes that card's `audit_seq`.
 */
export interface ClaimStep {
  readonly tx: Tx;
  readonly sql: Dialect;
  readonly time: string;
  readonly audit: (action: string, subject: string | null, details: AuditDetails) => void;
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

/** The stations of a batch; a run with none works as the one unnamed station. */
function stationsOf(b: BatchRow): readonly string[] {
  const names = JSON.parse(b.stations) as string[];
  return names.length === 0 ? [''] : names;
}

/** Unfinished batches whose heartbeat is fresh. */
async function beating(step: ClaimStep): Promise<BatchRow[]> {
  const open = await step.tx.all<BatchRow>('SELECT * FROM batches WHERE finished_at IS NULL AND owner_pid IS NOT NULL ORDER BY id');
  const now = Date.parse(step.time);
  return open.filter((b) => b.heartbeat_at !== null && now - Date.parse(b.heartbeat_at) < STALE_MS);
}

/**
 * Refuses to start while another live run holds one of these stations: two runs would each
 * resume the other's cards in flight. A run is live while its heartbeat is fresh and, on the same
 * host, its process exists. The caller's own process is not checked (tests drive several batches
 * from one process, one after the other).
 */
async function checkStationsFree(step: ClaimStep, owner: BatchOwner, stations: readonly string[]): Promise<void> {
  const wanted = new Set(stations.length === 0 ? [''] : stations);
  for (const b of await beating(step)) {
    if ((b.owner_host === owner.host && b.owner_pid === owner.pid) || (b.owner_host === owner.host && !alive(b.owner_pid!))) continue;
    const shared = stationsOf(b).find((s) => wanted.has(s));
    if (shared !== undefined) {
      const which = shared === '' ? 'the default station' : `station "${shared}"`;
      throw new ValidationError(
        'REGISTRY_BUSY',
        `batch ${b.id} of ${b.actor} (process ${b.owner_pid} on ${b.owner_host}) is running ${which} on this registry; one run per station`,
        { field: 'batch' },
      );
    }
  }
}

/** Starts a batch owned by `owner`, after checking that no other live run holds its stations. */
export async function insertBatch(step: ClaimStep, actor: string, owner: BatchOwner, label: string | undefined, stations: readonly string[]): Promise<Batch> {
  await checkStationsFree(step, owner, stations);
  const id = await step.tx.insert(
    'INSERT INTO batches (label, actor, started_at, owner_host, owner_pid, heartbeat_at, stations) VALUES (?, ?, ?, ?, ?, ?, ?)',
    label ?? null,
    actor,
    step.time,
    owner.host,
    owner.pid,
    step.time,
    JSON.stringify(stations),
  );
  step.audit('batch.start', null, { batchId: id, stations: [...stations], ...(label === undefined ? {} : { label }) });
  return Object.freeze({ id, label, startedAt: step.time, stations });
}

async function openBatch(step: ClaimStep, batchId: number): Promise<BatchRow> {
  const batch = await step.tx.get<BatchRow>('SELECT * FROM batches WHERE id = ?', batchId);
  if (batch === undefined || batch.finished_at !== null) {
    throw new ValidationError('REGISTRY_STATE', `batch ${batchId} is unknown or finished`, { field: 'batchId' });
  }
  return batch;
}

/** The run is still alive: refreshes the heartbeat that keeps other runs off its stations. */
export async function beat(step: ClaimStep, batchId: number): Promise<void> {
  const r = await step.tx.run('UPDATE batches SET heartbeat_at = ? WHERE id = ? AND finished_at IS NULL', step.time, batchId);
  if (r !== 1) throw new ValidationError('REGISTRY_STATE', `batch ${batchId} is unknown or finished`, { field: 'batchId' });
}

/** Ends the batch; its counts go to the audit log. */
export async function closeBatch(step: ClaimStep, batchId: number, counts: AuditDetails): Promise<void> {
  const r = await step.tx.run('UPDATE batches SET finished_at = ? WHERE id = ? AND finished_at IS NULL', step.time, batchId);
  if (r !== 1) throw new ValidationError('REGISTRY_STATE', `batch ${batchId} is unknown or already finished`, { field: 'batchId' });
  step.audit('batch.finish', null, { batchId, ...counts });
}

/**
 * The card `station` takes next, as its id and whether it is resumed: first a card an earlier
 * run left on the line — this station's own before any other (the card in its reader belongs
 * to it), then — when `takeover()` says to look — one of an unnamed station or of a station that no unfinished
 * run with a fresh heartbeat holds; never one of another station of this run. Else the oldest
 * queued record, claimed, with a new card row in 'pending'.
 * Rows another transaction is claiming are skipped, not waited for (PostgreSQL).
 */
export async function claimCard(
  step: ClaimStep,
  batchId: number,
  station: string | null,
  takeover: () => boolean,
): Promise<{ readonly cardId: number; readonly resumed: boolean } | undefined> {
  const { tx, sql, time } = step;
  const batch = await openBatch(step, batchId);
  const columns = `SELECT id, queue_id, id_number, status, station FROM cards WHERE status IN (${LIVE_SQL}) AND batch_id <> ?`;
  const order = `ORDER BY CASE WHEN chip_serial IS NULL THEN 1 ELSE 0 END, id LIMIT 1${sql.skipLocked}`;
  // Its own first, through the index on the live cards' station: a few rows however many are on the line.
  let live =
    station === null
      ? await tx.get<LiveCard>(`${columns} AND station IS NULL ${order}`, batchId)
      : await tx.get<LiveCard>(`${columns} AND station = ? ${order}`, batchId, station);
  if (live === undefined && takeover()) {
    const held = new Set(JSON.parse(batch.stations) as string[]);
    // A run killed a moment ago holds its stations until its heartbeat is stale, whatever its
    // process: it may be back within seconds to finish the card in its own reader.
    for (const b of await beating(step)) if (b.id !== batchId) for (const s of stationsOf(b)) held.add(s);
    if (station !== null) held.delete(station);
    live = await tx.get<LiveCard>(`${columns} AND (station IS NULL OR station NOT IN ${sql.jsonList}) ${order}`, batchId, JSON.stringify([...held]));
  }
  if (live !== undefined) {
    step.audit('card.resume', live.id_number, { cardId: live.id, batchId, status: live.status, station, fromStation: live.station });
    await tx.run('UPDATE cards SET batch_id = ?, station = ?, updated_at = ? WHERE id = ?', batchId, station, time, live.id);
    await tx.run('UPDATE queue SET batch_id = ?, updated_at = ? WHERE id = ?', batchId, time, live.queue_id);
    return Object.freeze({ cardId: live.id, resumed: true });
  }
  const next = await tx.get<{ id: number; id_number: string; attempts: number }>(
    `SELECT id, id_number, attempts FROM queue WHERE state = 'queued' ORDER BY id LIMIT 1${sql.skipLocked}`,
  );
  if (next === undefined) return undefined;
  const attempt = next.attempts + 1;
  await tx.run("UPDATE queue SET state = 'claimed', attempts = ?, batch_id = ?, updated_at = ? WHERE id = ?", attempt, batchId, time, next.id);
  const cardId = await tx.insert(
    "INSERT INTO cards (queue_id, batch_id, id_number, attempt, status, station, created_at, updated_at, audit_seq) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, 0)",
    next.id,
    batchId,
    next.id_number,
    attempt,
    station,
    time,
    time,
  );
  step.audit('card.claim', next.id_number, { cardId, queueId: next.id, batchId, attempt, station });
  return Object.freeze({ cardId, resumed: false });
}
