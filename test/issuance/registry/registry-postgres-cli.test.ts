/**
 * The CLI on a PostgreSQL registry (issue 14): `registry migrate --from FILE.sqlite --to
 * postgres://…` copies a keyed registry with its audit chain, which then verifies on the server
 * with the audit key (exit 0), is UNTRUSTED without it (exit 2) and fails once an insider
 * rewrote it (exit 1); `registry show` and `audit verify` reach the server through CANCUOC_DB;
 * a copy into a registry that is not empty is refused (exit 4, one line).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditKeyFromBytes } from '../../../src/issuance/audit-log.js';
import { Registry } from '../../../src/issuance/registry.js';
import { tempDir } from '../../crypto/pki/openssl.js';
import { runCli } from '../../helpers/cli.js';
import { newRegistryTarget, stopRegistryEngines } from '../../helpers/registry-engines.js';

const dir = tempDir('cancuoc-registry-pg-cli-');
const sqlite = join(dir, 'site.sqlite');
const keyFile = join(dir, 'audit.key');
const KEY = '5a'.repeat(32);
let url = '';
let sourceHead = '';

afterAll(stopRegistryEngines);

beforeAll(async () => {
  writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
  const reg = await Registry.open(sqlite, { actor: 'site@line', auditKey: auditKeyFromBytes(new Uint8Array(Buffer.from(KEY, 'hex'))) });
  await reg.enqueue([{ id: '001099012345' }, { id: '079204000123' }]);
  const item = (await reg.claimNext((await reg.startBatch('site', { stations: ['R1'] })).id, 'R1'))!;
  const sodHash = new Uint8Array(createHash('sha256').update('sod').digest());
  const v = await reg.markVerified(await reg.markWritten(await reg.markPersonalizing(item, 'CHIP-7'), { documentNumber: '099012345', sodHash }));
  await reg.markIssued(v, { chipSerial: 'CHIP-7', documentNumber: '099012345', sodHash });
  const head = (await reg.verifyAudit()).head!;
  sourceHead = `${head.seq}:${head.hash}`;
  await reg.close();
  url = await newRegistryTarget('postgres');
}, 120_000);

describe('cancuoc registry migrate and the CLI on postgres://', () => {
  it('copies the SQLite registry with its keyed chain; the server verifies it with the key, ends at the same head', () => {
    const m = runCli(['registry', 'migrate', '--from', sqlite, '--to', url, '--audit-key', keyFile]);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toContain('copied 2 queue entries, 1 cards, 1 batches, 8 audit entries');
    expect(m.stdout).toContain(`every MAC checked), head ${sourceHead}`);
    const v = runCli(['audit', 'verify'], { CANCUOC_DB: url, CANCUOC_AUDIT_KEY_FILE: keyFile });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toBe(`audit log intact: 8 entries, head ${sourceHead}, every MAC verified\n`);
    const show = runCli(['registry', 'show', '--chip', 'CHIP-7'], { CANCUOC_DB: url });
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/card 1: issued .*document 099012345, chip CHIP-7/);
  });

  it('without the key a keyed log is UNTRUSTED (exit 2); a second copy into it is refused (exit 4)', () => {
    const v = runCli(['audit', 'verify', '--db', url]);
    expect(v.status).toBe(2);
    expect(v.stderr.trim().split('\n')).toHaveLength(1);
    expect(v.stderr).toMatch(/keyed but no audit key/);
    const again = runCli(['registry', 'migrate', '--from', sqlite, '--to', url]);
    expect(again.status).toBe(4);
    expect(again.stderr).toMatch(/^cancuoc: the target already holds \w+ rows/);
  });

  it('an insider who deletes an entry and recomputes every hash on the server is caught (exit 1)', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      const rows = (await client.query('SELECT * FROM audit_log WHERE seq <> 3 ORDER BY seq')).rows as Record<string, string | number>[];
      await client.query('DELETE FROM audit_log');
      let prev = '0'.repeat(64);
      for (const [i, r] of rows.entries()) {
        const json = `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"details":${r.details},"seq":${i + 1},"subject":${JSON.stringify(r.subject)},"time":${JSON.stringify(r.time)}}`;
        const hash = createHash('sha256').update(Buffer.from(prev, 'hex')).update(json).digest('hex');
        await client.query('INSERT INTO audit_log VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [i + 1, r.time, r.actor, r.action, r.subject, r.details, prev, hash, r.mac]);
        prev = hash;
      }
      await client.query('UPDATE cards SET audit_seq = audit_seq - 1 WHERE audit_seq > 3');
    } finally {
      await client.end();
    }
    const v = runCli(['audit', 'verify', '--db', url, '--audit-key', keyFile]);
    expect(v.status).toBe(1);
    expect(v.stderr).toMatch(/^cancuoc: audit log broken at seq 3: MAC does not match under the audit key/);
  });
});
