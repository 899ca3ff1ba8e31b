/**
 * SQLite registry schema creation under concurrency (docs/registry.md): several processes opening
 * one new registry at the same instant all succeed, and the schema is made once — each migration
 * step checks the version inside its write transaction, and the switch to WAL is retried while
 * another opener holds the new file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'cancuoc-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opener(db: string, start: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(import.meta.dirname, 'registry-opener.ts'), db, start], { cwd: ROOT });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('Registry.open from several processes at once', () => {
  it('every process opens a new registry; the schema is made once', async () => {
    for (let round = 0; round < 5; round++) {
      const db = join(dir, `r${round}.sqlite`);
      const start = join(dir, `go${round}`);
      const runs = Array.from({ length: 6 }, () => opener(db, start));
      await new Promise((r) => setTimeout(r, 1200)); // all started and polling
      writeFileSync(start, '');
      for (const r of await Promise.all(runs)) expect(r, r.out).toMatchObject({ code: 0, out: 'opened\n' });
      const check = new Database(db, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(2);
      expect(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'batches'").get()).toEqual({ n: 1 });
      check.close();
    }
  }, 60_000);
});
