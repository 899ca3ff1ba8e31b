/**
 * Issue 10 item 7: key files under PBES2 with PBKDF2-HMAC-SHA256 at 600,000 iterations (RFC 8018
 * §6.2, A.2), still read by `openssl pkcs8`; files of the old setting (2,048 iterations, made here
 * by `openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 2048`) still open, and `cancuoc pki rekey`
 * re-encrypts them. openssl is the independent judge of every file.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFileProtection } from '../../../src/crypto/key-encryption.js';
import { loadSigner, rekeyKeyFile, savePrivateKey } from '../../../src/crypto/keystore.js';
import { initPki, loadPki } from '../../../src/crypto/pki.js';
import { generateSoftwareKey } from '../../../src/crypto/signer.js';
import { hex } from '../../../src/lds/bytes.js';
import { runCli } from '../../helpers/cli.js';
import { openssl, tempDir } from './openssl.js';

const PASS = 'mật khẩu đủ dài';

/** `openssl asn1parse` of a key file: the KDF, its prf and the iteration count as openssl shows them. */
function kdfOf(path: string): { kdf: boolean; sha256: boolean; iterations: number } {
  const r = openssl(['asn1parse', '-in', path]);
  expect(r.status).toBe(0);
  // "INTEGER :0927C0" right after the salt in PBKDF2-params
  const iter = /OCTET STRING\s+\[HEX DUMP\]:[0-9A-F]+\n.*INTEGER\s+:([0-9A-F]+)/.exec(r.stdout);
  return { kdf: r.stdout.includes(':PBES2') && r.stdout.includes(':PBKDF2'), sha256: r.stdout.includes(':hmacWithSHA256'), iterations: parseInt(iter![1]!, 16) };
}

/** The public key (SPKI DER, hex) that `openssl pkcs8` finds in an encrypted file, or undefined. */
function opensslPublicKey(path: string, pass: string, dir: string): string | undefined {
  const plain = openssl(['pkcs8', '-in', path, '-passin', `pass:${pass}`, '-out', join(dir, 'plain.pem')]);
  if (plain.status !== 0) return undefined;
  return hex(new Uint8Array(openssl(['pkey', '-in', join(dir, 'plain.pem'), '-pubout', '-outform', 'DER']).out));
}

/** Re-encrypts a key file the way the old code (Node's export default) wrote it, with openssl. */
function oldStyle(path: string, dir: string): void {
  expect(openssl(['pkcs8', '-in', path, '-passin', `pass:${PASS}`, '-out', join(dir, 'old-plain.pem')]).status).toBe(0);
  const r = openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-iter', '2048', '-in', join(dir, 'old-plain.pem'), '-out', path, '-passout', `pass:${PASS}`]);
  expect(r.status).toBe(0);
}

describe('PBES2 with PBKDF2-HMAC-SHA256, 600,000 iterations', () => {
  it('a new key file: openssl asn1parse shows PBKDF2, hmacWithSHA256, 600000 iterations; openssl pkcs8 decrypts it', async () => {
    const dir = tempDir();
    const { privateKey, signer } = generateSoftwareKey('ecdsa-bp256');
    await savePrivateKey(dir, 'ds', privateKey, 'ecdsa-bp256', { passphrase: PASS });
    const path = join(dir, 'ds.key.pem');
    expect(kdfOf(path)).toEqual({ kdf: true, sha256: true, iterations: 600_000 });
    expect(opensslPublicKey(path, PASS, dir)).toBe(hex(signer.publicKeySpki));
    expect(opensslPublicKey(path, 'not the passphrase', dir)).toBeUndefined();
    expect(keyFileProtection(readFileSync(path, 'utf8'))).toEqual({ kdf: 'pbkdf2', prf: 'hmacWithSHA256', iterations: 600_000, strong: true });
  });

  it('an old-style file (openssl -iter 2048) still opens; rekeyKeyFile rewrites it with 600000 iterations, same key, mode 0600', async () => {
    const dir = tempDir();
    const { privateKey, signer } = generateSoftwareKey('ecdsa-p256');
    const ref = await savePrivateKey(dir, 'k', privateKey, 'ecdsa-p256', { passphrase: PASS });
    const path = join(dir, 'k.key.pem');
    oldStyle(path, dir);
    expect(kdfOf(path)).toEqual({ kdf: true, sha256: true, iterations: 2048 });
    expect(hex((await loadSigner(ref, { dir, passphrase: PASS })).publicKeySpki)).toBe(hex(signer.publicKeySpki));

    await expect(rekeyKeyFile(path, 'not the passphrase')).rejects.toMatchObject({ code: 'KEYSTORE_BAD_PASSPHRASE' });
    expect(kdfOf(path).iterations).toBe(2048); // untouched by the failed attempt
    const outcome = await rekeyKeyFile(path, PASS);
    expect(outcome.before).toMatchObject({ kdf: 'pbkdf2', iterations: 2048, strong: false });
    expect(outcome.after).toMatchObject({ kdf: 'pbkdf2', prf: 'hmacWithSHA256', iterations: 600_000 });
    expect(kdfOf(path)).toEqual({ kdf: true, sha256: true, iterations: 600_000 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(opensslPublicKey(path, PASS, dir)).toBe(hex(signer.publicKeySpki));
    expect((await rekeyKeyFile(path, PASS)).after).toBeUndefined(); // already up to date
  });

  it('`cancuoc pki rekey --pki DIR` re-encrypts old-style key files; the PKI still loads; --help states the rules', async () => {
    const dir = tempDir();
    const pkiDir = join(dir, 'pki');
    await initPki({ dir: pkiDir, suite: 'ecdsa-p256', country: 'VN', passphrase: PASS });
    const roles = ['csca', 'ds', 'seal', 'mlsigner'];
    for (const role of roles) oldStyle(join(pkiDir, `${role}.key.pem`), dir);
    for (const role of roles) expect(kdfOf(join(pkiDir, `${role}.key.pem`)).iterations).toBe(2048);

    expect(runCli(['pki', 'rekey', '--pki', pkiDir], { CANCUOC_PASSPHRASE: 'not the passphrase' }).status).toBe(4);
    const r = runCli(['pki', 'rekey', '--pki', pkiDir], { CANCUOC_PASSPHRASE: PASS });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(r.stdout).toContain('PBKDF2 hmacWithSHA256 2048 iterations, re-encrypted with PBKDF2 hmacWithSHA256 600000 iterations');
    for (const role of roles) expect(kdfOf(join(pkiDir, `${role}.key.pem`))).toEqual({ kdf: true, sha256: true, iterations: 600_000 });
    const pki = await loadPki(pkiDir, { passphrase: PASS }); // checks every key against its certificate
    pki.close();

    const help = runCli(['pki', 'init', '--help']).stdout;
    expect(help).toContain('PBKDF2-HMAC-SHA256 (600,000 iterations)');
    expect(help).toContain('at least 8 characters');
  });
});
