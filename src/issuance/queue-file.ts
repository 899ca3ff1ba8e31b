/**
 * The enrollment queue of the production line (docs/queue.md): reading the queue file (JSON
 * Lines, or CSV with the same columns) and enrolling an entry. Each entry becomes one registry
 * queue record — the citizen record itself (not its path, so the registry keeps what was
 * enrolled) with absolute paths to the photo and fingers — which the line enrolls when it
 * reaches it, and again after a crash.
 *
 * CSV (RFC 4180 quoting): a header row naming the columns `record,photo,fingers,faceBox,grayscale`
 * (the last three optional); `fingers` holds up to two paths separated by `;`, `faceBox` four
 * whole numbers `x y w h`, `grayscale` `true` or empty.
 */
import { isAbsolute, resolve } from 'node:path';
import { readInputFile, readInputText } from '../crypto/file-io.js';
import type { Signer } from '../crypto/signer.js';
import { ValidationError } from '../lds/errors.js';
import { parseCitizenRecord, type CitizenRecord } from './citizen.js';
import type { ChipEac } from './document-set.js';
import { enroll, type Enrollment } from './enroll.js';
import type { FaceBox } from './portrait.js';

/** One record of the line's queue, as stored in the registry (JSON). */
export interface QueueEntry {
  /** The 12-digit ID number (Registry.enqueue keys on it). */
  readonly id: string;
  readonly record: CitizenRecord;
  /** Absolute path of the face photo. */
  readonly photo: string;
  /** Absolute paths of the finger templates (zero to two). */
  readonly fingers: readonly string[];
  readonly faceBox?: FaceBox;
  readonly grayscale?: boolean;
}

const KEYS = new Set(['record', 'photo', 'fingers', 'faceBox', 'grayscale']);

function lineError(line: number, message: string, field?: string): ValidationError {
  return new ValidationError('QUEUE_LINE_INVALID', `queue line ${line}: ${message}`, { field: field ?? `line ${line}` });
}

/** Fields of one queue line, whichever format it came in. */
interface RawEntry {
  readonly record: unknown;
  readonly photo: unknown;
  readonly fingers?: unknown;
  readonly faceBox?: unknown;
  readonly grayscale?: unknown;
}

/**
 * Reads a queue file (`.csv` → CSV, anything else JSON Lines). Paths inside are relative to
 * `cwd` (docs/queue.md: the directory `batch run` starts in); record files are read and validated
 * here, so a bad line stops the batch before anything is enqueued.
 */
export async function loadQueueFile(file: string, cwd: string = process.cwd()): Promise<readonly QueueEntry[]> {
  if (typeof file !== 'string' || file === '') throw new TypeError('"file" expected a path');
  const text = await readInputText(file, 'queue');
  const raws = file.toLowerCase().endsWith('.csv') ? csvEntries(text) : jsonlEntries(text);
  const entries: QueueEntry[] = [];
  const seen = new Set<string>();
  for (const [line, raw] of raws) {
    const entry = await toEntry(raw, line, cwd);
    if (seen.has(entry.id)) throw lineError(line, `ID number ${entry.id} is queued twice in this file`, 'record');
    seen.add(entry.id);
    entries.push(entry);
  }
  return Object.freeze(entries);
}

/** A queue record read back from the registry (Registry.claimNext → item.record). */
export function queueEntryOf(stored: unknown): QueueEntry {
  const o = stored as Partial<QueueEntry> | null;
  if (o === null || typeof o !== 'object' || typeof o.photo !== 'string' || !Array.isArray(o.fingers)) {
    throw new ValidationError('QUEUE_RECORD_INVALID', 'the registry holds a queue record that is not a line entry', { field: 'record' });
  }
  const record = parseCitizenRecord(o.record);
  return Object.freeze({ ...o, id: record.id, record, photo: o.photo, fingers: Object.freeze([...o.fingers] as string[]) });
}

function jsonlEntries(text: string): [number, RawEntry][] {
  const out: [number, RawEntry][] = [];
  text.split('\n').forEach((content, i) => {
    if (content.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      throw lineError(i + 1, 'not a JSON object');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw lineError(i + 1, 'not a JSON object');
    for (const key of Object.keys(value)) if (!KEYS.has(key)) throw lineError(i + 1, `unknown key ${JSON.stringify(key)}`, key);
    out.push([i + 1, value as RawEntry]);
  });
  return out;
}

function csvEntries(text: string): [number, RawEntry][] {
  const rows = text
    .split('\n')
    .map((l, i) => [i + 1, l.replace(/\r$/, '')] as const)
    .filter(([, l]) => l.trim() !== '');
  if (rows.length === 0) return [];
  const header = csvFields(rows[0]![1], rows[0]![0]);
  for (const h of header) if (!KEYS.has(h)) throw lineError(rows[0]![0], `unknown column ${JSON.stringify(h)}`, h);
  return rows.slice(1).map(([line, content]) => {
    const fields = csvFields(content, line);
    if (fields.length !== header.length) throw lineError(line, `${fields.length} fields, the header has ${header.length}`);
    const get = (key: string): string | undefined => {
      const v = fields[header.indexOf(key)];
      return v === undefined || v === '' ? undefined : v;
    };
    const faceBox = get('faceBox');
    const fingers = get('fingers');
    const grayscale = get('grayscale');
    if (grayscale !== undefined && grayscale !== 'true' && grayscale !== 'false') throw lineError(line, 'grayscale must be true, false or empty', 'grayscale');
    return [
      line,
      {
        record: get('record'),
        photo: get('photo'),
        ...(fingers === undefined ? {} : { fingers: fingers.split(';').map((f) => f.trim()) }),
        ...(faceBox === undefined ? {} : { faceBox: faceBox.trim().split(/\s+/).map(Number) }),
        ...(grayscale === undefined ? {} : { grayscale: grayscale === 'true' }),
      },
    ];
  });
}

/** RFC 4180 fields of one line: commas separate, double quotes enclose, "" is a quote. */
function csvFields(line: string, lineNumber: number): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    let value = '';
    if (line[at] === '"') {
      at++;
      for (;;) {
        const quote = line.indexOf('"', at);
        if (quote < 0) throw lineError(lineNumber, 'unterminated quoted field');
        value += line.slice(at, quote);
        at = quote + 1;
        if (line[at] !== '"') break;
        value += '"';
        at++;
      }
      if (at < line.length && line[at] !== ',') throw lineError(lineNumber, 'text after a closing quote');
    } else {
      const comma = line.indexOf(',', at);
      value = line.slice(at, comma < 0 ? line.length : comma);
      at = comma < 0 ? line.length : comma;
    }
    fields.push(value.trim());
    if (at >= line.length) return fields;
    at++; // the comma
  }
}

async function toEntry(raw: RawEntry, line: number, cwd: string): Promise<QueueEntry> {
  const path = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v === '') throw lineError(line, `${field} must be a path`, field);
    return isAbsolute(v) ? v : resolve(cwd, v);
  };
  let recordJson: unknown = raw.record;
  if (typeof raw.record === 'string') {
    const recordPath = path(raw.record, 'record');
    recordJson = await readInputText(recordPath, 'json').catch((e: Error) => {
      throw lineError(line, e.message, 'record');
    });
  } else if (raw.record === undefined) {
    throw lineError(line, 'record is missing', 'record');
  }
  let record: CitizenRecord;
  try {
    record = parseCitizenRecord(recordJson);
  } catch (e) {
    throw lineError(line, `record: ${(e as Error).message}`, 'record');
  }
  const fingers = raw.fingers ?? [];
  if (!Array.isArray(fingers) || fingers.length > 2) throw lineError(line, 'fingers must be a list of at most two paths', 'fingers');
  const box = raw.faceBox;
  let faceBox: FaceBox | undefined;
  if (box !== undefined) {
    if (!Array.isArray(box) || box.length !== 4 || !box.every((n) => Number.isInteger(n) && n >= 0) || box[2] === 0 || box[3] === 0) {
      throw lineError(line, 'faceBox must be [x, y, width, height] in whole pixels', 'faceBox');
    }
    const [left, top, width, height] = box as [number, number, number, number];
    faceBox = Object.freeze({ left, top, width, height });
  }
  if (raw.grayscale !== undefined && typeof raw.grayscale !== 'boolean') throw lineError(line, 'grayscale must be true or false', 'grayscale');
  return Object.freeze({
    id: record.id,
    record,
    photo: path(raw.photo, 'photo'),
    fingers: Object.freeze(fingers.map((f, i) => path(f, `fingers[${i}]`))),
    ...(faceBox === undefined ? {} : { faceBox }),
    ...(raw.grayscale === true ? { grayscale: true } : {}),
  });
}

/** The signers an enrollment needs: the Document Signer, and the seal signer for the VDS. */
export interface LineSigners {
  readonly dsSigner: Signer;
  readonly dsCertificate: Uint8Array;
  readonly sealSigner?: Signer;
  readonly sealCertificate?: Uint8Array;
  /** Terminal Authentication trust points and date for every chip (chipEacFromPki). */
  readonly eac?: ChipEac;
}

/**
 * Enrolls a queue record as stored in the registry: reads its photo and fingers, then `enroll`,
 * without the card face (the line renders it from the verified chip, production-line.ts).
 */
export async function enrollQueueEntry(stored: unknown, signers: LineSigners, photoBudget?: number): Promise<Enrollment> {
  const entry = queueEntryOf(stored);
  const [photo, ...fingers] = await Promise.all([entry.photo, ...entry.fingers].map((f, i) => readInputFile(f, i === 0 ? 'photo' : 'finger')));
  return enroll({
    record: entry.record,
    photo: photo!,
    fingers,
    ...(entry.faceBox === undefined ? {} : { faceBox: entry.faceBox }),
    grayscale: entry.grayscale === true,
    ...(photoBudget === undefined ? {} : { photoBudget }),
    ...signers,
    renderFace: false,
  });
}
