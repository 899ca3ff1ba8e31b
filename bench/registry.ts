/**
 * The registry at scale (issue 14), both engines in the same run: a generated registry of
 * `CANCUOC_BENCH_CITIZENS` citizens (default 1 000 000; the national figure is 10
 * million, which takes long on a small machine), each with one issued card, then
 *   registry.lookup_p99_ms.<engine>.id / .chip  `show` by ID number and `showChip` by chip serial,
 *                                               p99 over 2 000 random citizens;
 *   registry.claims_per_s.<engine>              8 stations (8 registry handles) claiming at once;
 *   audit.appends_per_s.<engine>                8 writers appending keyed entries at once.
 * SQLite is a file in a temporary directory (WAL, synchronous = FULL), the 8 stations sharing
 * one handle as in one `batch run`; PostgreSQL (8 handles, as 8 machines) is
 * CANCUOC_TEST_PG (a URI allowed to CREATE DATABASE) or a private server started here with fsync
 * on, as a production server runs. The rows are generated in SQL (a recursive CTE on SQLite,
 * generate_series on PostgreSQL) with the same values on both; their cards point at no audit
 * entry, so this registry is for measuring only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditKeyFromBytes } from '../src/issuance/audit-log.js';
import { Registry } from '../src/issuance/registry.js';
import { startTestPostgres } from '../test/helpers/postgres.js';
import { round } from './measure.js';

const STATIONS = 8;
const LOOKUPS = 2000;
const CLAIMS = 4000;
const APPENDS = 4000;
const KEY = auditKeyFromBytes(new Uint8Array(32).fill(0x42));

/** Row values as SQL over the series `i`, the same text on both engines. */
function generate(engine: 'sqlite' | 'postgres', n: number): string[] {
  const pad = (width: number, hex = false): string =>
    engine === 'sqlite' ? `printf('%0${width}${hex ? 'X' : 'd'}', i)` : hex ? `lpad(upper(to_hex(i)), ${width}, '0')` : `lpad(i::text, ${width}, '0')`;
  const series = engine === 'sqlite' ? `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})` : '';
  const from = engine === 'sqlite' ? 'FROM s' : `FROM generate_series(1, ${n}) AS s(i)`;
  const t = "'2026-01-01T00:00:00.000Z'";
  const id = `'1' || ${pad(11)}`;
  return [
    `${series} INSERT INTO queue (id, id_number, record, state, attempts, batch_id, enqueued_at, updated_at)
     SELECT i, ${id}, '{"id":"' || ${id} || '"}', 'done', 1, 1, ${t}, ${t} ${from}`,
    `${series} INSERT INTO cards (id, queue_id, batch_id, id_number, attempt, status, chip_serial, document_number, sod_hash, created_at, updated_at, issued_at, audit_seq, station)
     SELECT i, i, 1, ${id}, 1, 'issued', 'C' || ${pad(15, true)}, ${pad(9)}, ${pad(64)}, ${t}, ${t}, ${t}, 0, 'bench' ${from}`,
    ...(engine === 'postgres'
      ? ["SELECT setval(pg_get_serial_sequence('queue', 'id'), (SELECT max(id) FROM queue))", "SELECT setval(pg_get_serial_sequence('cards', 'id'), (SELECT max(id) FROM cards))"]
      : []),
  ];
}

function p99(ms: number[]): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!);
}

async function lookups(reg: Registry, n: number, key: (i: number) => string, find: (k: string) => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let j = 0; j < LOOKUPS + 100; j++) {
    const k = key(1 + Math.floor(Math.random() * n));
    const start = performance.now();
    await find(k);
    if (j >= 100) ms.push(performance.now() - start); // the first 100 warm the cache
  }
  return p99(ms);
}

/** `work` on 8 handles at once until `total` operations are done; operations per second. */
async function concurrently(handles: readonly Registry[], total: number, work: (r: Registry, station: string) => Promise<boolean>): Promise<number> {
  let done = 0;
  const start = performance.now();
  await Promise.all(
    handles.map(async (r, i) => {
      while (done < total && (await work(r, `bench station ${i}`))) done++;
    }),
  );
  return round((done * 1000) / (performance.now() - start));
}

async function benchEngine(engine: 'sqlite' | 'postgres', target: string, n: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  const reg = await Registry.open(target, { actor: 'bench@registry', auditKey: KEY });
  await reg.finishBatch((await reg.startBatch('generated')).id);
  for (const sql of generate(engine, n)) await reg.store.write((tx) => tx.run(sql));
  await reg.store.write((tx) => tx.run('ANALYZE'));
  process.stderr.write(`bench registry: ${n} citizens generated on ${engine} in ${Math.round((performance.now() - t0) / 1000)} s\n`);
  const id = (i: number): string => `1${String(i).padStart(11, '0')}`;
  const chip = (i: number): string => `C${i.toString(16).toUpperCase().padStart(15, '0')}`;
  const out: Record<string, number> = {
    [`registry.lookup_p99_ms.${engine}.id`]: await lookups(reg, n, id, (k) => reg.show(k)),
    [`registry.lookup_p99_ms.${engine}.chip`]: await lookups(reg, n, chip, (k) => reg.showChip(k)),
  };
  await reg.enqueue(Array.from({ length: CLAIMS }, (_, i) => ({ id: `2${String(i).padStart(11, '0')}` })));
  // PostgreSQL: 8 handles, each with its own connections, as 8 machines. SQLite: the 8 stations of
  // one `batch run` share its one handle (a second handle on the file in the same thread would
  // wait synchronously for the first's write lock).
  const handles =
    engine === 'postgres'
      ? await Promise.all(Array.from({ length: STATIONS }, () => Registry.open(target, { actor: 'bench@station', auditKey: KEY, poolSize: 2 })))
      : Array.from({ length: STATIONS }, () => reg);
  try {
    const batches = await Promise.all(handles.map((h, i) => h.startBatch(`station ${i}`, { stations: [`bench station ${i}`] })));
    out[`registry.claims_per_s.${engine}`] = await concurrently(handles, CLAIMS, async (h, station) => {
      const b = batches[Number(station.split(' ').at(-1))]!;
      return (await h.claimNext(b.id, station)) !== undefined;
    });
    out[`audit.appends_per_s.${engine}`] = await concurrently(handles, APPENDS, async (h) => (await h.logEvent('bench.append', null, { n: 1 }), true));
  } finally {
    if (engine === 'postgres') await Promise.all(handles.map((h) => h.close()));
  }
  const audit = await reg.verifyAudit();
  if (!audit.ok || audit.macs !== 'verified') throw new Error(`bench registry: the audit chain on ${engine} does not verify: ${audit.reason}`);
  await reg.close();
  return out;
}

export async function runRegistryBench(): Promise<Record<string, number>> {
  const n = Number(process.env.CANCUOC_BENCH_CITIZENS ?? 1_000_000);
  if (!Number.isSafeInteger(n) || n < 1000) throw new Error('CANCUOC_BENCH_CITIZENS: expected a whole number ≥ 1000');
  const dir = await mkdtemp(join(tmpdir(), 'cancuoc-bench-registry-'));
  const server = await startTestPostgres({ durable: true });
  try {
    return {
      'registry.citizens': n,
      ...(await benchEngine('sqlite', join(dir, 'registry.sqlite'), n)),
      ...(await benchEngine('postgres', await server.createDatabase(), n)),
    };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
