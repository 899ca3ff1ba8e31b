/**
 * `pki init` makes the CVCA beside the CSCA; `pki terminal` issues a DV under it and an IS under
 * the DV (BSI TR-03110-3 v2.21 §2.2, §C.4.1), checked with openpace's cvc-print: it parses each
 * certificate, shows the rights asked for, and verifies the chain from the CVCA.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cvKeyDomain, cvSign, cvVerify } from '../../../src/crypto/cv-certificates.js';
import { initPki, loadPki } from '../../../src/crypto/pki.js';
import { issueTerminal, loadTerminal } from '../../../src/crypto/terminal-pki.js';
import { decodeCvCertificate, type CvCertificate } from '../../../src/lds/cvc.js';
import { runCli } from '../../helpers/cli.js';
import { createSoftHsmToken, softHsmAvailable } from '../../helpers/softhsm.js';
import { tempDir } from '../pki/openssl.js';
import { printed, trustDir } from './openpace.js';

const PASS = 'mật khẩu đủ dài';
const env = { CANCUOC_PASSPHRASE: PASS };
const cert = (dir: string, name: string): CvCertificate => decodeCvCertificate(new Uint8Array(readFileSync(join(dir, name))));

describe('pki init + pki terminal', () => {
  const root = tempDir();
  const pkiDir = join(root, 'pki');
  beforeAll(async () => {
    await initPki({ dir: pkiDir, suite: 'ecdsa-bp256', country: 'VN', passphrase: PASS });
  });

  it('pki init writes a self-signed CVCA that cvc-print reads and verifies', async () => {
    const cvca = cert(pkiDir, 'cvca.cvcert');
    const p = printed(join(pkiDir, 'cvca.cvcert'), 'cvc', trustDir(root, [cvca]));
    expect(p.fields).toMatchObject({ CAR: 'VNCVCA00001', CHR: 'VNCVCA00001' });
    expect(p.chat).toEqual(['Inspection system', 'Read fingerprint', 'Read iris', 'CVCA certificate']);
    expect(p.verified).toBe(true);
    expect(readFileSync(join(pkiDir, 'cvca.key.pem'), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const pki = await loadPki(pkiDir, { passphrase: PASS });
    try {
      expect(pki.eac?.cvca.chr).toBe('VNCVCA00001');
    } finally {
      pki.close();
    }
  });

  it('pki terminal --rights dg3 --days 10: DV and IS verified by cvc-print, DG3 only, 10 days', async () => {
    const out = join(root, 'term');
    const r = runCli(['pki', 'terminal', '--pki', pkiDir, '--out', out, '--rights', 'dg3', '--days', '10'], env);
    expect(r.status, r.stderr).toBe(0);
    const cvca = cert(pkiDir, 'cvca.cvcert');
    const dv = cert(out, 'dv.cvcert');
    const is = cert(out, 'is.cvcert');
    const trust = trustDir(root, [cvca, dv]);
    const pdv = printed(join(out, 'dv.cvcert'), 'cvc', trust);
    const pis = printed(join(out, 'is.cvcert'), 'cvc', trust);
    expect([pdv.verified, pis.verified]).toEqual([true, true]);
    expect(pdv.fields.CAR).toBe('VNCVCA00001');
    expect(pis.fields.CAR).toBe(dv.chr);
    expect(pis.chat).toEqual(['Inspection system', 'Read fingerprint', 'Terminal certificate']);
    const days = (Date.parse(is.expirationDate) - Date.parse(is.effectiveDate)) / 86400000;
    expect(days).toBe(10);
    expect(dv.chat.role).toBe('dv-domestic');
    expect(readFileSync(join(out, 'is.key.pem'), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const t = await loadTerminal(out, { passphrase: PASS });
    try {
      expect(t.chain.map((c) => c.chr)).toEqual([dv.chr, is.chr]);
    } finally {
      t.close();
    }
    const again = runCli(['pki', 'terminal', '--pki', pkiDir, '--out', out], env);
    expect([again.status, again.stderr]).toEqual([4, expect.stringContaining('already exists')]);
  });

  it('--foreign makes a foreign DV; bad --rights and --days are bad input', () => {
    const out = join(root, 'foreign');
    const r = runCli(['pki', 'terminal', '--pki', pkiDir, '--out', out, '--foreign', '--rights', 'none'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(cert(out, 'dv.cvcert').chat.role).toBe('dv-foreign');
    expect(printed(join(out, 'is.cvcert')).chat).toEqual(['Inspection system', 'Terminal certificate']);
    expect(runCli(['pki', 'terminal', '--pki', pkiDir, '--out', join(root, 'x'), '--rights', 'dg2'], env).status).toBe(4);
    expect(runCli(['pki', 'terminal', '--pki', pkiDir, '--out', join(root, 'y'), '--days', '0'], env).status).toBe(4);
  });
});

describe.skipIf(!softHsmAvailable())('pki init + pki terminal on a PKCS#11 token (SoftHSM2)', () => {
  it('the CVCA and the IS key live on the token; cvc-print verifies the chain; the IS key signs for TA', async () => {
    const hsm = createSoftHsmToken('cancuoc-eac');
    const root = tempDir();
    try {
      const pkiDir = join(root, 'pki');
      await initPki({ dir: pkiDir, suite: 'ecdsa-p256', country: 'VN', pkcs11: { module: hsm.module, tokenLabel: hsm.tokenLabel, pin: hsm.pin, labelPrefix: 'eac-' } });
      const pki = await loadPki(pkiDir, { pin: hsm.pin });
      try {
        expect(pki.manifest.eac?.key).toMatchObject({ kind: 'pkcs11', keyLabel: 'eac-cvca' });
        await issueTerminal({ pki, out: join(root, 'term'), rights: { readDg3: true, readDg4: false }, pin: hsm.pin });
      } finally {
        pki.close();
      }
      const manifest = JSON.parse(readFileSync(join(root, 'term', 'terminal.json'), 'utf8'));
      expect(manifest.key).toMatchObject({ kind: 'pkcs11', tokenLabel: 'cancuoc-eac' });
      expect(JSON.stringify(manifest)).not.toContain(hsm.pin);
      const cvca = cert(pkiDir, 'cvca.cvcert');
      const dv = cert(join(root, 'term'), 'dv.cvcert');
      const trust = trustDir(root, [cvca, dv]);
      expect(printed(join(root, 'term', 'is.cvcert'), 'cvc', trust).verified).toBe(true);
      const t = await loadTerminal(join(root, 'term'), { pin: hsm.pin });
      try {
        const data = new TextEncoder().encode('ID_PICC || r_PICC || Comp(PK_PCD)');
        const sig = await cvSign(t.signer, t.is.publicKey.oid, data);
        expect(cvVerify(t.is.publicKey, cvKeyDomain(cvca.publicKey, undefined), data, sig)).toBe(true);
      } finally {
        t.close();
      }
    } finally {
      hsm.remove();
    }
  });

  it('pki cvca-rollover on the token: the new CVCA key is made there, never a file; cvc-print verifies the link from the old CVCA', async () => {
    const hsm = createSoftHsmToken('cancuoc-eac-roll');
    const root = tempDir();
    try {
      const pkiDir = join(root, 'pki');
      await initPki({ dir: pkiDir, suite: 'ecdsa-p256', country: 'VN', pkcs11: { module: hsm.module, tokenLabel: hsm.tokenLabel, pin: hsm.pin, labelPrefix: 'eac-' } });
      const filesBefore = readdirSync(pkiDir).sort();
      const r = runCli(['pki', 'cvca-rollover', '--pki', pkiDir], { ...hsm.env, CANCUOC_PKCS11_PIN: hsm.pin });
      expect(r.status, r.stderr).toBe(0);
      // two certificates more, and no key file
      expect(readdirSync(pkiDir).sort()).toEqual([...filesBefore, 'cvca-00002.cvcert', 'cvca-link-00002.cvcert'].sort());
      const manifest = JSON.parse(readFileSync(join(pkiDir, 'pki.json'), 'utf8'));
      expect(manifest.eac).toMatchObject({ cvca: 'cvca-00002.cvcert', key: { kind: 'pkcs11', keyLabel: 'eac-cvca-00002' }, links: ['cvca-link-00002.cvcert'] });
      expect(JSON.stringify(manifest)).not.toContain(hsm.pin);

      const list = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', hsm.tokenLabel, '--login', '--pin', hsm.pin, '--list-objects', '--type', 'privkey'], { env: hsm.env }).toString();
      const block = list.split('Private Key Object').find((b) => b.includes('label:      eac-cvca-00002\n'));
      expect(block).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);

      const oldCvca = cert(pkiDir, 'cvca.cvcert');
      const link = cert(pkiDir, 'cvca-link-00002.cvcert');
      const next = cert(pkiDir, 'cvca-00002.cvcert');
      expect([link.car, link.chr, next.car, next.chr]).toEqual(['VNCVCA00001', 'VNCVCA00002', 'VNCVCA00002', 'VNCVCA00002']);
      expect(printed(join(pkiDir, 'cvca-link-00002.cvcert'), 'cvc', trustDir(root, [oldCvca])).verified).toBe(true);
      expect(printed(join(pkiDir, 'cvca-00002.cvcert'), 'cvc', trustDir(root, [next])).verified).toBe(true);
      // the link carries the new key: the self-signed certificate and the link agree on it
      expect(link.publicKey).toEqual(next.publicKey);
      expect(link.publicKey).not.toEqual(oldCvca.publicKey);
    } finally {
      hsm.remove();
    }
  });
});
