/**
 * Keys on a PKCS#11 token (SoftHSM2 through pkcs11js): generated on the token, sensitive and
 * never extractable (checked with pkcs11-tool), signing with CKM_ECDSA / CKM_RSA_PKCS_PSS over a
 * hash computed by cancuoc. A CSCA whose key lives on the token signs a DS that openssl verifies.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_SUITES } from '../../../src/crypto/algorithms.js';
import { issueCertificate, toPem } from '../../../src/crypto/certificates.js';
import { loadSigner, pkcs11KeyRef } from '../../../src/crypto/keystore.js';
import { openPkcs11Token, type Pkcs11Token } from '../../../src/crypto/pkcs11.js';
import { initPki, loadPki } from '../../../src/crypto/pki.js';
import { generateSoftwareKey } from '../../../src/crypto/signer.js';
import { hex } from '../../../src/lds/bytes.js';
import { createSoftHsmToken, softHsmAvailable, type SoftHsmToken } from '../../helpers/softhsm.js';
import { openssl, tempDir } from './openssl.js';

const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2040-01-01T00:00:00Z');
const at = String(Math.floor(new Date('2027-01-01T00:00:00Z').getTime() / 1000));

describe.skipIf(!softHsmAvailable())('PKCS#11 keys on SoftHSM2', () => {
  let hsm: SoftHsmToken;
  let token: Pkcs11Token;
  const dir = tempDir();
  beforeAll(() => {
    hsm = createSoftHsmToken();
    token = openPkcs11Token({ module: hsm.module, tokenLabel: hsm.tokenLabel, pin: hsm.pin });
  });
  afterAll(() => {
    token?.close();
    hsm?.remove();
  });

  describe.each(SIGNATURE_SUITES)('%s', (suite) => {
    it('a CSCA whose key lives on the token signs a DS that openssl verifies', async () => {
      const csca = token.generateKeyPair(`csca-${suite}`, suite);
      const cscaDer = await issueCertificate({ role: 'csca', subject: { country: 'VN', commonName: `HSM CSCA ${suite}` }, signer: csca, notBefore, notAfter });
      const dsDer = await issueCertificate({
        role: 'ds',
        subject: { country: 'VN', commonName: 'DS' },
        subjectPublicKey: generateSoftwareKey(suite).signer.publicKeySpki,
        issuerCertificate: cscaDer,
        signer: csca,
        notBefore,
        notAfter,
        documentTypes: ['ID'],
      });
      writeFileSync(join(dir, `${suite}-csca.pem`), toPem(cscaDer));
      writeFileSync(join(dir, `${suite}-ds.pem`), toPem(dsDer));
      const r = openssl(['verify', '-attime', at, '-CAfile', join(dir, `${suite}-csca.pem`), join(dir, `${suite}-ds.pem`)]);
      expect(r.stdout).toContain(': OK');
      expect(r.status).toBe(0);
      // the self-signature too: openssl checks it when the CSCA is its own leaf
      expect(openssl(['verify', '-attime', at, '-check_ss_sig', '-CAfile', join(dir, `${suite}-csca.pem`), join(dir, `${suite}-csca.pem`)]).status).toBe(0);
    });

    it('the signer found again by label has the same public key pkcs11-tool lists', async () => {
      const again = token.signer(`csca-${suite}`, suite);
      if (suite === 'rsa-pss-3072') {
        const out = join(dir, `${suite}-pub.der`);
        execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', hsm.tokenLabel, '--read-object', '--type', 'pubkey', '--label', `csca-${suite}`, '-o', out], { env: hsm.env, stdio: 'pipe' });
        expect(hex(new Uint8Array(readFileSync(out)))).toBe(hex(again.publicKeySpki));
        return;
      }
      // pkcs11-tool --read-object cannot export 384-bit EC keys; compare CKA_EC_POINT as it lists it
      const list = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', hsm.tokenLabel, '--list-objects', '--type', 'pubkey'], { env: hsm.env }).toString();
      const block = list.split('Public Key Object').find((b) => b.includes(`label:      csca-${suite}\n`))!;
      const point = /EC_POINT:\s+04[0-9a-f]{2}([0-9a-f]+)/.exec(block)![1]!;
      expect(hex(again.publicKeySpki).endsWith(point)).toBe(true);
      expect(block).toMatch(/Usage:\s+verify\n/);
    });
  });

  it('pkcs11-tool lists the private keys as sensitive, never extractable, sign-only', () => {
    const list = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', hsm.tokenLabel, '--login', '--pin', hsm.pin, '--list-objects', '--type', 'privkey'], { env: hsm.env }).toString();
    const blocks = list.split('Private Key Object').slice(1);
    expect(blocks).toHaveLength(SIGNATURE_SUITES.length);
    for (const b of blocks) {
      expect(b).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
      expect(b).toMatch(/Usage:\s+sign\n/);
    }
  });

  it('the private key value cannot be read out (CKR_ATTRIBUTE_SENSITIVE)', () => {
    const lib = new pkcs11js.PKCS11();
    lib.load(hsm.module);
    // cancuoc's own token object has initialised this library in this process already
    const ours = (() => {
      try {
        lib.C_Initialize();
        return true;
      } catch (e) {
        if ((e as { code?: number }).code === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) return false;
        throw e;
      }
    })();
    try {
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === hsm.tokenLabel)!;
      const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      try {
        lib.C_Login(session, pkcs11js.CKU_USER, hsm.pin);
      } catch (e) {
        if ((e as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw e;
      }
      lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'csca-ecdsa-p256' }]);
      const [key] = lib.C_FindObjects(session, 1);
      lib.C_FindObjectsFinal(session);
      expect(key).toBeDefined();
      expect(() => lib.C_GetAttributeValue(session, key!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      lib.C_CloseSession(session);
    } finally {
      if (ours) lib.C_Finalize();
    }
  });

  it('typed errors: duplicate label, unknown label, wrong curve, unknown token, wrong PIN, no PIN', () => {
    expect(() => token.generateKeyPair('csca-ecdsa-p256', 'ecdsa-p256')).toThrow(expect.objectContaining({ code: 'PKCS11_KEY_EXISTS' }));
    expect(() => token.signer('nope', 'ecdsa-p256')).toThrow(expect.objectContaining({ code: 'PKCS11_KEY_NOT_FOUND' }));
    expect(() => token.signer('csca-ecdsa-p256', 'ecdsa-bp256')).toThrow(expect.objectContaining({ code: 'PKCS11_KEY_MISMATCH' }));
    expect(() => openPkcs11Token({ module: hsm.module, tokenLabel: 'no-such-token', pin: hsm.pin })).toThrow(expect.objectContaining({ code: 'PKCS11_TOKEN_NOT_FOUND' }));
    const saved = process.env.CANCUOC_PKCS11_PIN;
    delete process.env.CANCUOC_PKCS11_PIN;
    try {
      expect(() => openPkcs11Token({ module: hsm.module, tokenLabel: hsm.tokenLabel })).toThrow(expect.objectContaining({ code: 'PKCS11_NO_PIN' }));
    } finally {
      if (saved !== undefined) process.env.CANCUOC_PKCS11_PIN = saved;
    }
  });

  it('a wrong PIN is PKCS11_PIN_INCORRECT (fresh library state)', async () => {
    token.close(); // last user: the module is finalised and the login state dropped
    expect(() => openPkcs11Token({ module: hsm.module, tokenLabel: hsm.tokenLabel, pin: '000000' })).toThrow(
      expect.objectContaining({ code: 'PKCS11_PIN_INCORRECT' }),
    );
    token = openPkcs11Token({ module: hsm.module, tokenLabel: hsm.tokenLabel, pin: hsm.pin });
    // a signer from a closed token refuses to sign rather than crash
    const s = openPkcs11Token({ module: hsm.module, tokenLabel: hsm.tokenLabel, pin: hsm.pin });
    const signer = s.signer('csca-ecdsa-p256', 'ecdsa-p256');
    s.close();
    await expect(signer.sign(new Uint8Array(1), 'sha256')).rejects.toMatchObject({ code: 'PKCS11_CLOSED' });
  });

  it('pki init with pkcs11: pki.json holds token references (no PIN), no key files; loadPki signs via CANCUOC_PKCS11_PIN', async () => {
    const pkiDir = join(tempDir(), 'pki');
    await initPki({ dir: pkiDir, suite: 'ecdsa-bp256', country: 'VN', pkcs11: { module: hsm.module, tokenLabel: hsm.tokenLabel, pin: hsm.pin, labelPrefix: 'pki-' } });
    expect(readdirSync(pkiDir).filter((n) => n.includes('key'))).toEqual([]);
    const json = readFileSync(join(pkiDir, 'pki.json'), 'utf8');
    expect(json).not.toContain(hsm.pin);
    expect(JSON.parse(json).keys.csca).toEqual({ kind: 'pkcs11', suite: 'ecdsa-bp256', module: hsm.module, tokenLabel: hsm.tokenLabel, keyLabel: 'pki-csca' });
    expect(openssl(['verify', '-CAfile', join(pkiDir, 'csca.pem'), join(pkiDir, 'ds.pem'), join(pkiDir, 'seal.pem')]).status).toBe(0);
    expect(openssl(['cms', '-verify', '-inform', 'DER', '-in', join(pkiDir, 'masterlist.ml'), '-CAfile', join(pkiDir, 'csca.pem'), '-purpose', 'any', '-out', '/dev/null']).status).toBe(0);
    process.env.CANCUOC_PKCS11_PIN = hsm.pin;
    try {
      const pki = await loadPki(pkiDir);
      const data = new TextEncoder().encode('SOD');
      writeFileSync(join(dir, 'data'), data);
      writeFileSync(join(dir, 'sig'), await pki.signers.ds.sign(data, 'sha256'));
      openssl(['x509', '-in', join(pkiDir, 'ds.pem'), '-noout', '-pubkey', '-out', join(dir, 'ds.pub')]);
      expect(openssl(['dgst', '-sha256', '-verify', join(dir, 'ds.pub'), '-signature', join(dir, 'sig'), join(dir, 'data')]).stdout).toContain('Verified OK');
      pki.close();
      const single = await loadSigner(pkcs11KeyRef(hsm.module, hsm.tokenLabel, 'pki-seal', 'ecdsa-bp256'));
      expect(single.publicKeySpki.length).toBeGreaterThan(0);
      single.close();
    } finally {
      delete process.env.CANCUOC_PKCS11_PIN;
    }
  });
});
