/**
 * Key files: RFC 5958 EncryptedPrivateKeyInfo with PBES2 (PBKDF2 + AES-256-CBC, RFC 8018 §6.2),
 * written atomically with mode 0600. `openssl pkey` is the independent reader; a key must not be
 * readable without its passphrase.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadSigner,
  parseKeyRef,
  resolvePassphrase,
  savePrivateKey,
  type KeyRef,
} from '../../../src/crypto/keystore.js';
import { writeFileAtomic } from '../../../src/crypto/file-io.js';
import { generateSoftwareKey } from '../../../src/crypto/signer.js';
import { hex } from '../../../src/lds/bytes.js';
import { CancuocError, ParseError, ValidationError } from '../../../src/lds/errors.js';
import { openssl, tempDir } from './openssl.js';

const PASS = 'tám-ký-tự-trở-lên';
const savedEnv = process.env.CANCUOC_PASSPHRASE;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.CANCUOC_PASSPHRASE;
  else process.env.CANCUOC_PASSPHRASE = savedEnv;
});

describe('RFC 5958 / RFC 8018 encrypted PKCS#8 key files', () => {
  it('openssl sees PBES2 with PBKDF2 and AES-256-CBC, and opens the key only with the passphrase', async () => {
    const dir = tempDir();
    const { privateKey, signer } = generateSoftwareKey('ecdsa-bp256');
    const ref = await savePrivateKey(dir, 'ds', privateKey, 'ecdsa-bp256', { passphrase: PASS });
    expect(ref).toEqual({ kind: 'pkcs8', suite: 'ecdsa-bp256', file: 'ds.key.pem', encrypted: true });
    const path = join(dir, 'ds.key.pem');
    const pem = readFileSync(path, 'utf8');
    expect(pem.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const parsed = openssl(['asn1parse', '-in', path]).stdout;
    expect(parsed).toContain(':PBES2');
    expect(parsed).toContain(':PBKDF2');
    expect(parsed).toContain(':aes-256-cbc');
    const ok = openssl(['pkey', '-in', path, '-passin', `pass:${PASS}`, '-pubout', '-outform', 'DER']);
    expect(ok.status).toBe(0);
    expect(hex(new Uint8Array(ok.out))).toBe(hex(signer.publicKeySpki));
    expect(openssl(['pkey', '-in', path, '-passin', 'pass:wrong-passphrase', '-noout']).status).not.toBe(0);
    expect(openssl(['pkey', '-in', path, '-passin', 'pass:', '-noout']).status).not.toBe(0);
  });

  it('loadSigner opens it with the passphrase (argument or CANCUOC_PASSPHRASE) and signs', async () => {
    const dir = tempDir();
    const { privateKey, signer } = generateSoftwareKey('ecdsa-p384');
    const ref = await savePrivateKey(dir, 'csca', privateKey, 'ecdsa-p384', { passphrase: PASS });
    const loaded = await loadSigner(ref, { dir, passphrase: PASS });
    expect(hex(loaded.publicKeySpki)).toBe(hex(signer.publicKeySpki));
    process.env.CANCUOC_PASSPHRASE = PASS;
    const viaEnv = await loadSigner(ref, { dir });
    const data = new TextEncoder().encode('seal');
    const sig = await viaEnv.sign(data, 'sha384');
    writeFileSync(join(dir, 'sig'), sig);
    writeFileSync(join(dir, 'data'), data);
    openssl(['pkey', '-in', join(dir, 'csca.key.pem'), '-passin', `pass:${PASS}`, '-pubout', '-out', join(dir, 'pub.pem')]);
    expect(openssl(['dgst', '-sha384', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'data')]).stdout).toContain('Verified OK');
  });

  it('a wrong passphrase is KEYSTORE_BAD_PASSPHRASE; none at all (no TTY, no env) is KEYSTORE_NO_PASSPHRASE', async () => {
    const dir = tempDir();
    const { privateKey } = generateSoftwareKey('ecdsa-p256');
    const ref = await savePrivateKey(dir, 'k', privateKey, 'ecdsa-p256', { passphrase: PASS });
    await expect(loadSigner(ref, { dir, passphrase: 'not the passphrase' })).rejects.toMatchObject({ code: 'KEYSTORE_BAD_PASSPHRASE' });
    delete process.env.CANCUOC_PASSPHRASE;
    // a child process with stdin from /dev/null is not a TTY: it must fail fast, not prompt
    const script = `import { resolvePassphrase } from ${JSON.stringify(new URL('../../../src/crypto/keystore.ts', import.meta.url).pathname)};
      resolvePassphrase().then(() => process.exit(3), (e) => { console.log(e.code); process.exit(0); });`;
    const r = spawnSync('npx', ['tsx', '--eval', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CANCUOC_PASSPHRASE: '' } });
    expect(r.stdout.toString()).toContain('KEYSTORE_NO_PASSPHRASE');
    expect(r.status).toBe(0);
    await expect(resolvePassphrase(undefined)).rejects.toMatchObject({ code: 'KEYSTORE_NO_PASSPHRASE' });
  });

  it('refuses a short passphrase', async () => {
    const { privateKey } = generateSoftwareKey('ecdsa-p256');
    await expect(savePrivateKey(tempDir(), 'k', privateKey, 'ecdsa-p256', { passphrase: 'short' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('writes plaintext PKCS#8 only with insecurePlainKeys', async () => {
    const dir = tempDir();
    const { privateKey, signer } = generateSoftwareKey('rsa-pss-3072');
    const ref = await savePrivateKey(dir, 'k', privateKey, 'rsa-pss-3072', { insecurePlainKeys: true });
    expect(ref).toMatchObject({ encrypted: false });
    expect(readFileSync(join(dir, 'k.key.pem'), 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(statSync(join(dir, 'k.key.pem')).mode & 0o777).toBe(0o600);
    const loaded = await loadSigner(ref, { dir });
    expect(hex(loaded.publicKeySpki)).toBe(hex(signer.publicKeySpki));
  });

  it('a file that does not match its KeyRef is rejected, not guessed', async () => {
    const dir = tempDir();
    const { privateKey } = generateSoftwareKey('ecdsa-p256');
    const plain = await savePrivateKey(dir, 'plain', privateKey, 'ecdsa-p256', { insecurePlainKeys: true });
    await expect(loadSigner({ ...plain, encrypted: true } as KeyRef, { dir, passphrase: PASS })).rejects.toMatchObject({ code: 'KEYSTORE_UNEXPECTED_FORMAT' });
    await expect(loadSigner({ ...plain, suite: 'ecdsa-bp256' } as KeyRef, { dir })).rejects.toMatchObject({ code: 'KEYSTORE_SUITE_MISMATCH' });
    await expect(loadSigner({ ...plain, file: 'missing.pem' } as KeyRef, { dir })).rejects.toMatchObject({ code: 'KEYSTORE_READ_FAILED' });
    writeFileSync(join(dir, 'junk.key.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    await expect(loadSigner({ ...plain, file: 'junk.key.pem' } as KeyRef, { dir })).rejects.toMatchObject({ code: 'KEYSTORE_BAD_KEY' });
  });
});

describe('atomic writes', () => {
  it('replace the whole file, leave no temp files, and set the mode', async () => {
    const dir = tempDir();
    const path = join(dir, 'pki.json');
    await writeFileAtomic(path, 'first');
    await writeFileAtomic(path, 'second', 0o644);
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['pki.json']);
  });
});

describe('KeyRef JSON validation', () => {
  it.each([
    null,
    42,
    'pkcs8',
    {},
    { kind: 'pkcs8', suite: 'ecdsa-p256', file: 'a.pem' },
    { kind: 'pkcs8', suite: 'ecdsa-p521', file: 'a.pem', encrypted: true },
    { kind: 'pkcs8', suite: 'ecdsa-p256', file: '', encrypted: true },
    { kind: 'pkcs11', suite: 'ecdsa-p256', module: '/x.so', tokenLabel: 't' },
    { kind: 'hsm', suite: 'ecdsa-p256' },
  ])('rejects %j with KEYREF_INVALID', (value) => {
    try {
      parseKeyRef(value);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      expect((e as CancuocError).code).toBe('KEYREF_INVALID');
    }
  });
  it('accepts both kinds and never carries a PIN', () => {
    const ref = parseKeyRef({ kind: 'pkcs11', suite: 'ecdsa-p256', module: '/m.so', tokenLabel: 't', keyLabel: 'k', pin: '1234' });
    expect(ref).toEqual({ kind: 'pkcs11', suite: 'ecdsa-p256', module: '/m.so', tokenLabel: 't', keyLabel: 'k' });
    expect(Object.isFrozen(ref)).toBe(true);
  });
});
