/**
 * Issue 15 items 8, 11, 12: commands that only read (`audit verify`, `registry show`) open the
 * registry read-only and write nothing — not to an unrelated SQLite file, an empty file or one
 * marked newer (the sqlite3 shell makes those, and the file's bytes are compared before and
 * after); a damaged registry is named as such (exit 4); an auditor's 0444 copy in a 0555 folder
 * can be checked by a user who cannot write there (the CLI runs as `nobody`, since root ignores modes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, openSync, readFileSync, readdirSync, truncateSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../../src/issuance/registry.js';
import { tempDir } from '../../crypto/pki/openssl.js';
import { runCli, type CliResult } from '../../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = tempDir('cancuoc-registry-ro-');
const db = join(dir, 'registry.sqlite');
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  const reg = await Registry.open(db, { actor: 'test@line' });
  for (let i = 0; i < 40; i++) await reg.enqueue([{ id: `0010990${10000 + i}` }]);
  const item = (await reg.claimNext((await reg.startBatch()).id))!;
  const sodHash = new Uint8Array(createHash('sha256').update('sod').digest());
  const v = await reg.markVerified(await reg.markWritten(await reg.markPersonalizing(item, 'CHIP-1'), { documentNumber: '099012345', sodHash }));
  await reg.markIssued(v, { chipSerial: 'CHIP-1', documentNumber: '099012345', sodHash });
  await reg.close();
}, 60_000);

function expectRefused(r: CliResult, text: string): void {
  expect(r.status).toBe(4);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(text);
}

describe('read commands never write', () => {
  const sqlite3 = (file: string, sql: string) => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' });

  it('11: an unrelated SQLite file is refused by audit verify, registry show and registry mark, and left byte for byte', () => {
    const other = join(dir, 'other.db');
    sqlite3(other, 'CREATE TABLE t(x); INSERT INTO t VALUES (1);');
    const before = sha(other);
    expectRefused(runCli(['audit', 'verify', '--db', other]), 'not a cancuoc registry');
    expectRefused(runCli(['registry', 'show', '001099010001', '--db', other]), 'not a cancuoc registry');
    expectRefused(runCli(['registry', 'mark', '001099010001', '--lost', '--db', other]), 'not a cancuoc registry');
    expect(sha(other)).toBe(before);
    expect(sqlite3(other, 'PRAGMA journal_mode;').trim()).toBe('delete');
    expect(sqlite3(other, "SELECT name FROM sqlite_master WHERE type = 'table';").trim()).toBe('t');
  });

  it('11: a 0-byte file is not a new registry', () => {
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    expectRefused(runCli(['audit', 'verify', '--db', empty]), 'not a cancuoc registry');
    expect(readFileSync(empty).length).toBe(0);
  });

  it('11: a file marked newer is refused before any switch to WAL', () => {
    const newer = join(dir, 'newer.db');
    sqlite3(newer, 'CREATE TABLE t(x); PRAGMA user_version = 99;');
    const before = sha(newer);
    expectRefused(runCli(['audit', 'verify', '--db', newer]), 'registry schema v99 is newer');
    expectRefused(runCli(['registry', 'mark', '001099010001', '--lost', '--db', newer]), 'registry schema v99 is newer');
    expect(sha(newer)).toBe(before);
    expect(sqlite3(newer, 'PRAGMA journal_mode;').trim()).toBe('delete');
  });

  it('8: a registry with damaged pages is named damaged, exit 4', () => {
    const bad = join(dir, 'damaged.sqlite');
    copyFileSync(db, bad);
    const fd = openSync(bad, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 17, 0xff), 0, 4096 * 17, 4096); // every page after the first
    closeSync(fd);
    const r = runCli(['audit', 'verify', '--db', bad]);
    expectRefused(r, 'registry file is damaged');
    expect(r.stderr).toContain(bad);
  });

  /** A 0444 copy of the registry (made longer by `grow` bytes of holes) in a 0555 folder. */
  function auditorCopy(name: string, grow = 0): string {
    const ro = join(dir, name);
    mkdirSync(ro);
    copyFileSync(db, join(ro, 'registry.sqlite'));
    if (grow > 0) truncateSync(join(ro, 'registry.sqlite'), readFileSync(db).length + grow);
    chmodSync(join(ro, 'registry.sqlite'), 0o444);
    chmodSync(ro, 0o555);
    chmodSync(dir, 0o755);
    return ro;
  }
  const asNobody = (args: string[]) =>
    spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'bin/cli.ts'), ...args], {
      cwd: ROOT,
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      timeout: 120_000,
    });

  it('12: a 0444 copy in a 0555 folder is checked by a user who cannot write there', () => {
    const ro = auditorCopy('auditor');
    const audit = asNobody(['audit', 'verify', '--db', join(ro, 'registry.sqlite')]);
    expect(audit.stderr).toBe('');
    expect(audit.status).toBe(0);
    expect(audit.stdout).toMatch(/^audit log intact: 46 entries/);
    const show = asNobody(['registry', 'show', '099012345', '--db', join(ro, 'registry.sqlite')]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/card 1: issued .*document 099012345, chip CHIP-1/);
    expect(readdirSync(ro)).toEqual(['registry.sqlite']);
  });

  it('12: such a copy too large to read into memory is refused with what to do, exit 4, nothing read or written', () => {
    const ro = auditorCopy('auditor-large', 600 * 1024 * 1024);
    const r = asNobody(['audit', 'verify', '--db', join(ro, 'registry.sqlite')]);
    expectRefused(r, 'MiB in a folder this user cannot write');
    expect(r.stderr).toContain('copy it into a writable folder');
    expect(readdirSync(ro)).toEqual(['registry.sqlite']);
  });
});
