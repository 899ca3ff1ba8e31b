/**
 * What the registry hands out and how it reads it (registry.ts): the line's items, card rows and
 * citizen views built from rows, the counts, and the checks of the keys callers pass in.
 */
import { fromHex } from '../lds/bytes.js';
import { ValidationError } from '../lds/errors.js';
import { parseFrozenJson, readAuditLog, type AuditDetails, type AuditRecord } from './audit-log.js';
import { LIVE_SQL, type CardStatus } from './registry-schema.js';
import type { Tx } from './registry-store.js';

export type QueueState = 'queued' | 'claimed' | 'done' | 'set-aside';

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

export interface CardDbRow {
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

export const ID_NUMBER = /^\d{12}$/;
const DOCUMENT_NUMBER = /^[0-9A-Z]{1,22}$/;
export const CHIP_SERIAL = /^[\x21-\x7e]{1,64}$/;
export async function itemOf(tx: Tx, cardId: number, resumed: boolean): Promise<LineItem> {
  const row = (await tx.get<CardDbRow & { record: string }>('SELECT c.*, q.record FROM cards c JOIN queue q ON q.id = c.queue_id WHERE c.id = ?', cardId))!;
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

/** The ID number of the newest card with this document number or chip, the issued one first. */
export async function idOf(tx: Tx, column: 'document_number' | 'chip_serial', value: string): Promise<string | undefined> {
  const sql = `SELECT id_number FROM cards WHERE ${column} = ? ORDER BY CASE WHEN status = 'issued' THEN 0 ELSE 1 END, id DESC LIMIT 1`;
  return (await tx.get<{ id_number: string }>(sql, value))?.id_number;
}

export async function viewOf(tx: Tx, idNumber: string | undefined, key: string): Promise<CitizenView> {
  const queue =
    idNumber === undefined
      ? []
      : await tx.all<{ id: number; state: QueueState; attempts: number; enqueued_at: string }>(
          'SELECT id, state, attempts, enqueued_at FROM queue WHERE id_number = ? ORDER BY id',
          idNumber,
        );
  if (idNumber === undefined || queue.length === 0) {
    throw new ValidationError('REGISTRY_NOT_FOUND', `nothing registered for ${key}`, { field: 'idOrDocumentNumber' });
  }
  const cards = (await tx.all<CardDbRow>('SELECT * FROM cards WHERE id_number = ? ORDER BY id', idNumber)).map(toCardRow);
  return Object.freeze({
    idNumber,
    queue: Object.freeze(queue.map((q) => Object.freeze({ queueId: q.id, state: q.state, attempts: q.attempts, enqueuedAt: q.enqueued_at }))),
    cards: Object.freeze(cards),
    history: await readAuditLog(tx, { subject: idNumber }),
  });
}

export async function countsOf(tx: Tx): Promise<Counts> {
  const n = async (sql: string): Promise<number> => (await tx.get<{ n: number }>(sql))!.n;
  return Object.freeze({
    queued: await n("SELECT count(*) AS n FROM queue WHERE state = 'queued'"),
    onLine: await n(`SELECT count(*) AS n FROM cards WHERE status IN (${LIVE_SQL})`),
    done: await n("SELECT count(*) AS n FROM queue WHERE state = 'done'"),
    setAside: await n("SELECT count(*) AS n FROM queue WHERE state = 'set-aside'"),
  });
}

export function countsDetails(c: Counts): AuditDetails {
  return { queued: c.queued, onLine: c.onLine, done: c.done, setAside: c.setAside };
}

export function toCardRow(r: CardDbRow): CardRow {
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
export function keyColumn(key: unknown): 'id_number' | 'document_number' {
  if (typeof key !== 'string') throw new TypeError('"idOrDocumentNumber" expected a string');
  if (ID_NUMBER.test(key)) return 'id_number';
  if (DOCUMENT_NUMBER.test(key)) return 'document_number';
  throw new ValidationError('REGISTRY_BAD_KEY', `${JSON.stringify(key.slice(0, 30))} is neither a 12-digit ID number nor a document number`, {
    field: 'idOrDocumentNumber',
  });
}

export function aid(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) throw new TypeError(`"${name}" expected a positive integer`);
  return value as number;
}

export function aidNumber(value: unknown): string {
  if (typeof value !== 'string' || !ID_NUMBER.test(value)) throw new TypeError('"idNumber" expected a 12-digit ID number');
  return value;
}

export function adocumentNumber(value: unknown): string {
  if (typeof value !== 'string' || !DOCUMENT_NUMBER.test(value)) throw new TypeError('"documentNumber" expected 1 to 22 digits or capitals');
  return value;
}

export function achipSerial(value: unknown): string {
  if (typeof value !== 'string' || !CHIP_SERIAL.test(value)) throw new TypeError('"chipSerial" expected 1 to 64 printable ASCII characters');
  return value;
}

export function areason(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 500) throw new TypeError('"reason" expected 1 to 500 characters');
  return value;
}
