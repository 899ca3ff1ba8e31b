/**
 * Crash safety (docs/registry.md, "Crash safety"): child processes drive the registry and are
 * killed with SIGKILL at random moments, again and again — on SQLite one run, on PostgreSQL two
 * runs at once (stations A and B of different processes, as two line machines), either of them
 * killed. After every kill the database and the audit log must be consistent and verifiable; the
 * next run resumes; at the end every citizen holds exactly one issued card and the log records
 * each issue once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../../src/issuance/audit-log.js';
import { Registry } from '../../../src/issuance/registry.js';
import { newRegistryTarget, stopRegistryEngines, type Engine } from '../../helpers/registry-engines.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHILD = join(import.meta.dirname, 'crash-child.ts');
afterAll(stopRegistryEngines);

interface Run {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly end: Promise<{ finished: boolean; killed: boolean }>;
  /** Resolves once the child has claimed `n` records since it started (or has ended). */
  claimed(n: number): Promise<void>;
}

function start(db: string, station: string | undefined, count: number): Run {
  // node itself, not the tsx wrapper: SIGKILL must hit the process that holds the database.
  const args = ['--import', 'tsx', CHILD, db, String(count), ...(station === undefined ? [] : [station])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const waiting: { n: number; resolve: () => void }[] = [];
  const claims = (): number => out.split('claimed\n').length - 1;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) onReady();
    for (const w of waiting.filter((w) => claims() >= w.n)) w.resolve();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const end = new Promise<{ finished: boolean; killed: boolean }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      onReady();
      waiting.forEach((w) => w.resolve());
      if (signal === null && code !== 0) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ finished: out.includes('done\n'), killed: signal === 'SIGKILL' });
    });
  });
  const claimed = (n: number): Promise<void> => new Promise((resolve) => (claims() >= n ? resolve() : waiting.push({ n, resolve })));
  return { child, ready, end, claimed };
}

/** The invariants that must hold after any crash, read in one snapshot. */
async function checkConsistent(db: string): Promise<{ issued: number }> {
  const reg = await Registry.open(db, { create: false, actor: 'checker@test' });
  try {
    expect(await reg.crossCheck()).toEqual([]);
    return await reg.store.read(async (tx) => {
      const chain = await verifyAuditLog(tx);
      expect(chain.ok, chain.reason).toBe(true);
      const one = async (sql: string): Promise<number> => (await tx.get<{ n: number }>(sql))!.n;
      // never two issued cards for one citizen
      expect(await one("SELECT count(*) AS n FROM (SELECT id_number FROM cards WHERE status = 'issued' GROUP BY id_number HAVING count(*) > 1) d")).toBe(0);
      // a record is done exactly when it holds an issued card
      expect(await one("SELECT count(*) AS n FROM queue q WHERE (q.state = 'done') <> EXISTS (SELECT 1 FROM cards c WHERE c.queue_id = q.id AND c.status = 'issued')")).toBe(0);
      // an issued card has all its facts
      expect(await one("SELECT count(*) AS n FROM cards WHERE status = 'issued' AND (chip_serial IS NULL OR document_number IS NULL OR sod_hash IS NULL OR issued_at IS NULL)")).toBe(0);
      // at most one card on the line per record, and a claimed record has one
      expect(await one("SELECT count(*) AS n FROM queue q WHERE q.state = 'claimed' AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.queue_id = q.id AND c.status IN ('pending','personalizing','written','verified'))")).toBe(0);
      // every issued card was logged once, and every logged issue is a card
      const issued = await one("SELECT count(*) AS n FROM cards WHERE status = 'issued'");
      expect(await one("SELECT count(*) AS n FROM audit_log WHERE action = 'card.issued'")).toBe(issued);
      return { issued };
    });
  } finally {
    await reg.close();
  }
}

// On PostgreSQL the station not being killed runs on meanwhile, so its queue must outlast ten
// restarts of the other (a node start each): more records there.
describe.each<[Engine, (string | undefined)[], number, number]>([
  ['sqlite', [undefined], 20, 200],
  ['postgres', ['Station A', 'Station B'], 40, 1200],
])('SIGKILL in the middle of registry transactions on %s', (engine, stations, maxDelayMs, COUNT) => {
  it('keeps registry and audit log consistent after every kill, and finishes with each citizen issued once', async () => {
    const db = await newRegistryTarget(engine);
    const runs = new Map(stations.map((s) => [s, start(db, s, COUNT)]));
    let kills = 0;
    let lastIssued = 0;
    for (let round = 0; round < 40 && kills < 12 && runs.size > 0; round++) {
      const pick = [...runs.keys()][Math.floor(Math.random() * runs.size)];
      const run = runs.get(pick)!;
      await run.ready;
      // A few records in (counted, so that a fast machine cannot finish the queue before the kill),
      // then a random moment inside the transactions of the next ones.
      let timer: NodeJS.Timeout | undefined;
      void run.claimed(1 + Math.floor(Math.random() * 6)).then(() => (timer = setTimeout(() => run.child.kill('SIGKILL'), Math.floor(Math.random() * maxDelayMs))));
      const r = await run.end;
      clearTimeout(timer);
      if (r.killed && !r.finished) kills++;
      const { issued } = await checkConsistent(db);
      expect(issued).toBeGreaterThanOrEqual(lastIssued); // a crash never undoes an issue
      lastIssued = issued;
      if (r.finished) runs.delete(pick);
      else runs.set(pick, start(db, pick, COUNT));
    }
    for (const run of runs.values()) run.child.kill('SIGKILL');
    await Promise.all([...runs.values()].map((r) => r.end));
    expect(kills).toBeGreaterThanOrEqual(10);
    // the last runs complete the queue, every station resuming its own cards
    for (const s of stations) {
      let final = await start(db, s, COUNT).end;
      while (!final.finished) final = await start(db, s, COUNT).end;
    }
    expect((await checkConsistent(db)).issued).toBe(COUNT);
    const reg = await Registry.open(db, { create: false });
    expect(await reg.counts()).toMatchObject({ queued: 0, onLine: 0, done: COUNT, setAside: 0 });
    // some kills left a card on the line, and a later run resumed it
    const resumes = (await reg.auditLog()).filter((e) => e.action === 'card.resume');
    expect(resumes.length).toBeGreaterThan(0);
    // a station resumed only its own cards (the other run was alive, or came back within the heartbeat)
    if (stations.length > 1) {
      expect(resumes.every((e) => e.details.station === e.details.fromStation)).toBe(true);
      const by = await reg.store.read((tx) => tx.all<{ station: string }>("SELECT DISTINCT station FROM cards WHERE status = 'issued' ORDER BY station"));
      expect(by.map((r) => r.station)).toEqual(stations); // both runs issued cards
    }
    await reg.close();
  }, 300_000);
});
