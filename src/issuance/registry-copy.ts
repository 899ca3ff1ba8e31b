/**
 * `registry migrate`: copies a registry to another engine (a SQLite file to a PostgreSQL server,
 * as a site joins the national registry) row for row — ids, times and the audit entries with
 * their hashes and MACs unchanged — in one transaction on the target, which must hold no
 * registry rows yet. The copy is then checked: the target's audit chain verifies (with the key
 * when given), ends at the source's head, and agrees with its cards (docs/registry.md).
 */
import { ValidationError } from '../lds/errors.js';
import type { AuditKey, AuditVerification } from './audit-log.js';
import type { Registry } from './registry.js';
import type { Tx } from './registry-store.js';

/** Tables in foreign-key order, with every column (the union of all schema versions). */
const TABLES: readonly { readonly name: string; readonly key: string; readonly columns: readonly string[] }[] = [
  { name: 'batches', key: 'id', columns: ['id', 'label', 'actor', 'started_at', 'finished_at', 'owner_host', 'owner_pid', 'heartbeat_at', 'stations'] },
  { name: 'queue', key: 'id', columns: ['id', 'id_number', 'record', 'state', 'attempts', 'batch_id', 'enqueued_at', 'updated_at'] },
  {
    name: 'cards',
    key: 'id',
    columns: [
      'id', 'queue_id', 'batch_id', 'id_number', 'attempt', 'status', 'chip_serial', 'document_number', 'sod_hash', 'reason',
      'created_at', 'updated_at', 'issued_at', 'revoked_at', 'audit_seq', 'station',
    ],
  },
  { name: 'audit_log', key: 'seq', columns: ['seq', 'time', 'actor', 'action', 'subject', 'details', 'prev_hash', 'hash', 'mac'] },
];

const PAGE = 2000;

export interface CopyResult {
  /** Rows copied per table. */
  readonly rows: Readonly<Record<string, number>>;
  /** The target's audit chain after the copy. */
  readonly audit: AuditVerification;
}

/** Copies every row of `from` into the empty registry `to`, then checks the copy. */
export async function copyRegistry(from: Registry, to: Registry, options: { readonly key?: AuditKey } = {}): Promise<CopyResult> {
  const source = await from.verifyAudit(options.key === undefined ? {} : { key: options.key });
  if (!source.ok) throw new ValidationError('REGISTRY_COPY_SOURCE', `the source's audit log is broken at ${source.reason}; not copied`, { field: '--from' });
  const rows: Record<string, number> = {};
  await to.store.write(async (target) => {
    for (const t of TABLES) {
      const any = await target.get(`SELECT 1 AS x FROM ${t.name} LIMIT 1`);
      if (any !== undefined) throw new ValidationError('REGISTRY_NOT_EMPTY', `the target already holds ${t.name} rows; a registry is copied into an empty one only`, { field: '--to' });
    }
    await from.store.read(async (src) => {
      for (const t of TABLES) rows[t.name] = await copyTable(src, target, t);
    });
    if (to.store.engine === 'postgres') {
      // Identity columns continue after the copied ids (PostgreSQL §9.17 setval).
      for (const t of TABLES.filter((x) => x.key === 'id')) {
        await target.run(`SELECT setval(pg_get_serial_sequence('${t.name}', 'id'), COALESCE((SELECT max(id) FROM ${t.name}), 0) + 1, false)`);
      }
    }
  });
  const audit = await to.verifyAudit(options.key === undefined ? {} : { key: options.key, ...(source.head === undefined ? {} : { expectHead: source.head }) });
  const problems = await to.crossCheck();
  if (!audit.ok || audit.head?.hash !== source.head?.hash || problems.length > 0) {
    throw new ValidationError('REGISTRY_COPY_MISMATCH', `the copy does not verify: ${audit.ok ? (problems[0] ?? 'head differs') : audit.reason}`, { field: '--to' });
  }
  return Object.freeze({ rows: Object.freeze(rows), audit });
}

async function copyTable(src: Tx, target: Tx, t: (typeof TABLES)[number]): Promise<number> {
  const cols = t.columns.join(', ');
  const insert = `INSERT INTO ${t.name} (${cols}) VALUES (${t.columns.map(() => '?').join(', ')})`;
  let n = 0;
  for (let after = -1; ; ) {
    const page = await src.all<Record<string, unknown>>(`SELECT ${cols} FROM ${t.name} WHERE ${t.key} > ? ORDER BY ${t.key} LIMIT ?`, after, PAGE);
    for (const row of page) await target.run(insert, ...t.columns.map((c) => row[c] ?? null));
    n += page.length;
    if (page.length < PAGE) return n;
    after = page.at(-1)![t.key] as number;
  }
}
