/**
 * The registry tests run on both engines: a SQLite file in a temporary directory, and a fresh
 * database on a real PostgreSQL server (test/helpers/postgres.ts), started once per test file
 * on first use. Call stopRegistryEngines() in afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPostgres, type TestPostgres } from './postgres.js';

export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

let server: Promise<TestPostgres> | undefined;
const dirs: string[] = [];

/** The shared test server (started on first call). */
export function testPostgres(): Promise<TestPostgres> {
  return (server ??= startTestPostgres());
}

/** A new, empty registry location on `engine`: a file path or a postgres:// URI. */
export async function newRegistryTarget(engine: Engine): Promise<string> {
  if (engine === 'postgres') return (await testPostgres()).createDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'cancuoc-registry-'));
  dirs.push(dir);
  return join(dir, 'registry.sqlite');
}

export async function stopRegistryEngines(): Promise<void> {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  const s = server;
  server = undefined;
  if (s !== undefined) await (await s).stop();
}
