/**
 * `cancuoc audit verify --head SEQ:HASH`: the hash chain cannot see entries cut from its end, a
 * head recorded earlier can (docs/registry.md, "Audit log"). Exit codes from bin/exit-codes.ts.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/issuance/registry.js';
import { tempDir } from '../crypto/pki/openssl.js';
import { runCli } from '../helpers/cli.js';

const dir = tempDir('cancuoc-audit-head-');
const db = join(dir, 'registry.sqlite');
let recorded = '';

function headOf(stdout: string): string {
  const m = /head (\d+:[0-9a-f]{64})/.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return m![1]!;
}

/** A copy of the registry with every audit entry after `seq` deleted (its delete trigger dropped). */
function truncatedCopy(seq: number): string {
  const copy = join(dir, `cut-${seq}.sqlite`);
  const src = new Database(db);
  src.pragma('wal_checkpoint(TRUNCATE)');
  src.exec(`VACUUM INTO '${copy}'`);
  src.close();
  const t = new Database(copy);
  t.exec(`DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > ${seq}`);
  t.close();
  return copy;
}

beforeAll(async () => {
  const reg = await Registry.open(db, { actor: 'test@line' });
  await reg.enqueue([{ id: '001099012345' }, { id: '079303004567' }]);
  await reg.close();
  const first = runCli(['audit', 'verify', '--db', db]);
  expect(first.status, first.stderr).toBe(0);
  recorded = headOf(first.stdout);
  const more = await Registry.open(db, { actor: 'test@line' });
  await more.startBatch('later');
  await more.close();
}, 60_000);

describe('cancuoc audit verify --head', () => {
  it('passes while the log still holds the recorded head, and prints the new one', () => {
    const r = runCli(['audit', 'verify', '--db', db, '--head', recorded]);
    expect(r.status, r.stderr).toBe(0);
    const now = headOf(r.stdout);
    expect(Number(now.split(':')[0])).toBeGreaterThan(Number(recorded.split(':')[0]));
  });

  it('a log cut before the recorded head passes the chain alone, and fails against the head', () => {
    const seq = Number(recorded.split(':')[0]);
    const cut = truncatedCopy(seq - 1);
    expect(runCli(['audit', 'verify', '--db', cut]).status).toBe(0);
    const r = runCli(['audit', 'verify', '--db', cut, '--head', recorded]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^cancuoc: audit log broken at seq ${seq}: log ends before the expected head seq ${seq}`));
  });

  it('a head whose hash the log does not hold fails; a malformed one is bad input', () => {
    const [seq, hash] = recorded.split(':') as [string, string];
    const other = `${seq}:${hash.startsWith('0') ? '1' : '0'}${hash.slice(1)}`;
    const r = runCli(['audit', 'verify', '--db', db, '--head', other]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/differs from the expected head hash/);
    for (const bad of ['12', '12:abc', `x:${hash}`]) {
      const b = runCli(['audit', 'verify', '--db', db, '--head', bad]);
      expect(b.status, bad).toBe(4);
      expect(b.stderr.trim().split('\n')).toHaveLength(1);
      expect(b.stderr).toMatch(/--head .*expected SEQ:HASH/);
    }
  });
});
