/**
 * The audit key on a PKCS#11 token (issue 10, item 8; SoftHSM2): a generic secret key, sensitive
 * and not extractable once on the token, computes each entry's HMAC there (CKM_SHA256_HMAC). The
 * MACs equal what openssl computes with the key's value (imported for the test); `audit verify
 * --audit-key pkcs11:…` accepts the log, and catches an insider who deleted an entry and
 * recomputed every hash; a malformed URI is bad input.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs11Token, type Pkcs11Token } from '../../../src/crypto/pkcs11.js';
import { Registry } from '../../../src/issuance/registry.js';
import { tempDir } from '../../crypto/pki/openssl.js';
import { runCli } from '../../helpers/cli.js';
import { createSoftHsmToken, softHsmAvailable, type SoftHsmToken } from '../../helpers/softhsm.js';

const KEY = Buffer.from('c3'.repeat(16) + '5e'.repeat(16), 'hex');
const dir = tempDir('cancuoc-audit-pkcs11-');
const db = join(dir, 'registry.sqlite');
let hsm: SoftHsmToken;
let token: Pkcs11Token;
let uri = '';

/** Puts KEY on the token as a generic secret key for HMAC, with pkcs11js directly (not the code under test). */
function importKey(t: SoftHsmToken): void {
  const lib = new pkcs11js.PKCS11();
  lib.load(t.module);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === t.tokenLabel)!;
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    lib.C_Login(session, pkcs11js.CKU_USER, t.pin);
    lib.C_CreateObject(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: 'audit' },
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_VERIFY, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_VALUE, value: KEY },
    ]);
    lib.C_CloseSession(session);
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

describe.skipIf(!softHsmAvailable())('audit key on a PKCS#11 token', () => {
  beforeAll(async () => {
    hsm = createSoftHsmToken('cancuoc-audit');
    importKey(hsm);
    token = openPkcs11Token({ module: hsm.module, tokenLabel: hsm.tokenLabel, pin: hsm.pin });
    uri = `pkcs11:token=${hsm.tokenLabel};object=audit?module-path=${hsm.module}`;
    const reg = await Registry.open(db, { actor: 'line@site', auditKey: { mac: token.hmacSha256('audit') } });
    await reg.enqueue(['001099000001', '001099000002', '001099000003'].map((id) => ({ id })));
    await reg.claimNext((await reg.startBatch()).id);
    await reg.close();
  }, 60_000);
  afterAll(() => {
    token?.close();
    hsm?.remove();
  });

  it('the token computes HMAC-SHA-256(key, "cancuoc-audit-v1" ‖ hash), as openssl does with the key', async () => {
    const reg = await Registry.open(db, { create: false });
    const log = await reg.auditLog();
    await reg.close();
    expect(log).toHaveLength(5);
    for (const e of log) {
      const input = Buffer.concat([Buffer.from('cancuoc-audit-v1'), Buffer.from(e.hash, 'hex')]);
      const out = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${KEY.toString('hex')}`, '-r'], { input });
      expect(e.mac).toBe(out.toString().split(' ')[0]);
    }
  });

  it('audit verify --audit-key pkcs11:… passes, then catches an entry deleted and every hash recomputed', () => {
    const env = { ...hsm.env, CANCUOC_PKCS11_PIN: hsm.pin };
    const ok = runCli(['audit', 'verify', '--db', db, '--audit-key', uri], env);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('every MAC verified');
    const raw = new Database(db);
    raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
    const rows = raw.prepare('SELECT * FROM audit_log WHERE seq <> 2 ORDER BY seq').all() as Record<string, string>[];
    raw.exec('DELETE FROM audit_log');
    let prev = '0'.repeat(64);
    for (const [i, r] of rows.entries()) {
      const json = `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"details":${r.details},"seq":${i + 1},"subject":${JSON.stringify(r.subject)},"time":${JSON.stringify(r.time)}}`;
      const hash = createHash('sha256').update(Buffer.from(prev, 'hex')).update(json).digest('hex');
      raw.prepare('INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        i + 1, r.time, r.actor, r.action, r.subject, r.details, prev, hash, r.mac,
      );
      prev = hash;
    }
    raw.exec('UPDATE cards SET audit_seq = audit_seq - 1');
    raw.close();
    const caught = runCli(['audit', 'verify', '--db', db, '--audit-key', uri], env);
    expect(caught.status).toBe(1);
    expect(caught.stderr).toMatch(/^cancuoc: audit log broken at seq 2: MAC does not match under the audit key/);
    const bad = runCli(['audit', 'verify', '--db', db, '--audit-key', 'pkcs11:object=audit'], env);
    expect(bad.status).toBe(4);
    expect(bad.stderr).toMatch(/RFC 7512/);
  }, 120_000);
});
