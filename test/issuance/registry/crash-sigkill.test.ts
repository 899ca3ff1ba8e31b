/**
 * Crash safety (docs/registry.md, "Crash safety"): a child process drives the registry and is
 * killed with SIGKILL at random moments, again and again. After every kill the database and the
 * audit log must be consistent and verifiable; the next run resumes; at the end every citizen
 * holds exactly one issued card and the log records each issue once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAuditLog, verifyAuditLog } from '../../../src/issuance/audit-log.js';
import { Registry } from '../../../src/issuance/registry.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHILD = join(import.meta.dirname, 'crash-child.ts');
const COUNT = 200;
const dir = mkdtempSync(join(tmpdir(), 'cancuoc-crash-'));
const db = join(dir, 'registry.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child; kills it `delayMs` after it is ready unless undefined. Resolves with whether it finished. */
function run(delayMs: number | undefined): Promise<{ finished: boolean; killed: boolean }> {
  return new Promise((resolve, reject) => {
    // node itself, not the tsx wrapper: SIGKILL must hit the process that holds the database.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, String(COUNT)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (delayMs !== undefined && out.includes('ready\n')) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ finished: out.includes('done\n'), killed: signal === 'SIGKILL' });
    });
  });
}

/** The invariants that must hold after any crash. */
function checkConsistent(): { issued: number } {
  const reg = Registry.open(db, { create: false, actor: 'checker@test' });
  try {
    const d = reg.database;
    const chain = verifyAuditLog(d);
    expect(chain.ok, chain.reason).toBe(true);
    expect(reg.crossCheck()).toEqual([]);
    const one = (sql: string): number => (d.prepare(sql).get() as { n: number }).n;
    // never two issued cards for one citizen
    expect(one("SELECT count(*) AS n FROM (SELECT id_number FROM cards WHERE status = 'issued' GROUP BY id_number HAVING count(*) > 1)")).toBe(0);
    // a record is done exactly when it holds an issued card
    expect(one("SELECT count(*) AS n FROM queue q WHERE (q.state = 'done') <> EXISTS (SELECT 1 FROM cards c WHERE c.queue_id = q.id AND c.status = 'issued')")).toBe(0);
    // an issued card has all its facts
    expect(one("SELECT count(*) AS n FROM cards WHERE status = 'issued' AND (chip_serial IS NULL OR document_number IS NULL OR sod_hash IS NULL OR issued_at IS NULL)")).toBe(0);
    // at most one card on the line per record, and a claimed record has one
    expect(one("SELECT count(*) AS n FROM queue q WHERE q.state = 'claimed' AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.queue_id = q.id AND c.status IN ('pending','personalizing','written','verified'))")).toBe(0);
    // every issued card was logged once, and every logged issue is a card
    const issued = one("SELECT count(*) AS n FROM cards WHERE status = 'issued'");
    expect(readAuditLog(d).filter((e) => e.action === 'card.issued')).toHaveLength(issued);
    return { issued };
  } finally {
    reg.close();
  }
}

describe('SIGKILL in the middle of registry transactions', () => {
  it('keeps registry and audit log consistent after every kill, and finishes with each citizen issued once', async () => {
    let kills = 0;
    let lastIssued = 0;
    for (let round = 0; round < 40 && kills < 12; round++) {
      const r = await run(Math.floor(Math.random() * 100));
      if (r.killed && !r.finished) kills++;
      const { issued } = checkConsistent();
      expect(issued).toBeGreaterThanOrEqual(lastIssued); // a crash never undoes an issue
      lastIssued = issued;
      if (r.finished) break;
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    // the last run completes the queue
    let final = await run(undefined);
    while (!final.finished) final = await run(undefined);
    expect(checkConsistent().issued).toBe(COUNT);
    const reg = Registry.open(db, { create: false });
    expect(reg.counts()).toMatchObject({ queued: 0, onLine: 0, done: COUNT, setAside: 0 });
    // some kills left a card on the line, and a later run resumed it
    expect(readAuditLog(reg.database).some((e) => e.action === 'card.resume')).toBe(true);
    reg.close();
  }, 240_000);
});
