/**
 * `cancuoc registry …` and `cancuoc audit verify`: output, exit codes (bin/exit-codes.ts) and
 * one-line errors.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { initPki } from '../../../src/crypto/pki.js';
import { Registry } from '../../../src/issuance/registry.js';
import { tempDir } from '../../crypto/pki/openssl.js';
import { runCli } from '../../helpers/cli.js';

const dir = tempDir('cancuoc-registry-cli-');
const db = join(dir, 'registry.sqlite');
const oneLine = (text: string): void => expect(text.trim().split('\n')).toHaveLength(1);

beforeAll(async () => {
  await initPki({ dir: join(dir, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
  const reg = await Registry.open(db, { actor: 'test@line' });
  await reg.enqueue([{ id: '001099012345' }]);
  const item = (await reg.claimNext((await reg.startBatch()).id))!;
  const sodHash = new Uint8Array(createHash('sha256').update('sod').digest());
  const v = await reg.markVerified(await reg.markWritten(await reg.markPersonalizing(item, 'CHIP-1'), { documentNumber: '099012345', sodHash }));
  await reg.markIssued(v, { chipSerial: 'CHIP-1', documentNumber: '099012345', sodHash });
  await reg.close();
}, 60_000);

describe('cancuoc registry', () => {
  it('show prints the cards and history of a citizen (exit 0), the registry named by --db or CANCUOC_DB', () => {
    const r = runCli(['registry', 'show', '099012345'], { CANCUOC_DB: db });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ID number 001099012345');
    expect(r.stdout).toMatch(/card 1: issued .*document 099012345, chip CHIP-1/);
  });

  it('show --chip finds the citizen from the chip serial the line recorded', () => {
    for (const serial of ['CHIP-1', 'chip-1']) {
      const r = runCli(['registry', 'show', '--chip', serial, '--db', db]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('ID number 001099012345');
    }
    for (const args of [['--chip', 'CHIP-2'], ['--chip', 'not a serial'], [], ['099012345', '--chip', 'CHIP-1']]) {
      const r = runCli(['registry', 'show', ...args, '--db', db]);
      expect(r.status, args.join(' ')).toBe(4);
      oneLine(r.stderr);
    }
  });

  it('unknown citizen, missing database and bad flags: exit 4 and one line', () => {
    const unknown = runCli(['registry', 'show', '001000000000', '--db', db]);
    expect(unknown.status).toBe(4);
    oneLine(unknown.stderr);
    const missing = runCli(['registry', 'show', '001099012345', '--db', join(dir, 'none.sqlite')]);
    expect(missing.status).toBe(4);
    expect(existsSync(join(dir, 'none.sqlite'))).toBe(false);
    const none = runCli(['registry', 'show', '001099012345'], { CANCUOC_DB: '' });
    expect(none.status).toBe(4);
    expect(none.stderr).toMatch(/--db/);
    const site = runCli(['batch', 'run', '--queue', join(dir, 'q.jsonl'), '--pki', join(dir, 'pki'), '--db', db, '--site', 'line 1/a']);
    expect(site.status).toBe(4);
    expect(site.stderr).toMatch(/^cancuoc: --site "line 1\/a": expected/);
    const both = runCli(['registry', 'mark', '001099012345', '--db', db, '--lost', '--revoked']);
    expect(both.status).toBe(4);
    expect(both.stderr).toMatch(/^cancuoc: give exactly one of --lost and --revoked/);
  });

  it('mark --lost, then export-revocations writes the list and logs it; audit verify passes', () => {
    const m = runCli(['registry', 'mark', '001099012345', '--db', db, '--lost', '--reason', 'reported at the ward']);
    expect(m.status).toBe(0);
    expect(m.stdout).toContain('is now lost');
    const out = join(dir, 'revocations.rl');
    const e = runCli(['registry', 'export-revocations', '--db', db, '--pki', join(dir, 'pki'), '--out', out]);
    expect(e.status).toBe(0);
    expect(e.stdout).toContain('1 document(s)');
    const v = runCli(['audit', 'verify', '--db', db]);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^audit log intact: \d+ entries, head \d+:[0-9a-f]{64}, not keyed/);
  });
});

describe('cancuoc audit verify', () => {
  it('exit 1 with one line naming the seq when an entry was edited', () => {
    const copy = join(dir, 'tampered.sqlite');
    const src = new Database(db);
    src.pragma('wal_checkpoint(TRUNCATE)');
    src.exec(`VACUUM INTO '${copy}'`);
    src.close();
    const t = new Database(copy);
    t.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone else' WHERE seq = 3");
    t.close();
    const r = runCli(['audit', 'verify', '--db', copy]);
    expect(r.status).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^cancuoc: audit log broken at seq 3: content does not match its hash/);
  });
});
