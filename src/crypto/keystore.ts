/**
 * Where the PKI's private keys live: encrypted PKCS#8 files (RFC 5958 EncryptedPrivateKeyInfo,
 * PBES2 = PBKDF2-HMAC-SHA256 at 600,000 iterations + AES-256-CBC, RFC 8018 §6.2, see
 * key-encryption.ts), plaintext PKCS#8 only for a throwaway PKI, or a
 * PKCS#11 token. A `KeyRef` (JSON in pki.json) says which; `loadSigner` turns it into a Signer.
 * Secrets come from the caller, the environment or a no-echo prompt, and are never written out.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { basename, isAbsolute, join } from 'node:path';
import { CancuocError, ParseError, ValidationError } from '../lds/errors.js';
import { asuite, isSignatureSuite, type SignatureSuite } from './algorithms.js';
import { encryptPkcs8, keyFileProtection, type KeyFileProtection } from './key-encryption.js';
import { readInputText, writeFileAtomic } from './file-io.js';
import { openPkcs11Token } from './pkcs11.js';
import { softwareSigner, type Signer } from './signer.js';

export const PASSPHRASE_ENV = 'CANCUOC_PASSPHRASE';
export const PIN_ENV = 'CANCUOC_PKCS11_PIN';
/** The shortest passphrase a key file is encrypted under (stated in `pki --help`). */
export const MIN_PASSPHRASE = 8;

export type KeyRef =
  | {
      readonly kind: 'pkcs8';
      readonly suite: SignatureSuite;
      /** File name, relative to the PKI directory unless absolute. */
      readonly file: string;
      readonly encrypted: boolean;
    }
  | {
      readonly kind: 'pkcs11';
      readonly suite: SignatureSuite;
      readonly module: string;
      readonly tokenLabel: string;
      readonly keyLabel: string;
    };

/** A loaded signer; `close` releases a token session (a no-op for key files). */
export interface LoadedSigner extends Signer {
  close(): void;
}

export interface SecretOptions {
  /** Passphrase for encrypted PKCS#8; else CANCUOC_PASSPHRASE, else a prompt on a TTY. */
  readonly passphrase?: string;
  /** PKCS#11 user PIN; else CANCUOC_PKCS11_PIN. */
  readonly pin?: string;
}

/**
 * The passphrase: the explicit one, else CANCUOC_PASSPHRASE, else a no-echo prompt when stdin is
 * a TTY, else a clear error (a batch job must never hang on a hidden prompt).
 */
export async function resolvePassphrase(explicit?: string, purpose = 'the PKI private keys'): Promise<string> {
  if (explicit !== undefined) {
    if (typeof explicit !== 'string') throw new TypeError('"passphrase" expected a string');
    return explicit;
  }
  const env = process.env[PASSPHRASE_ENV];
  if (env !== undefined && env !== '') return env;
  if (process.stdin.isTTY === true) return promptHidden(`Passphrase for ${purpose}: `);
  throw new CancuocError(
    'KEYSTORE_NO_PASSPHRASE',
    `no passphrase for ${purpose}: set ${PASSPHRASE_ENV} or run on a terminal`,
    { step: 'passphrase' },
  );
}

function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: CancuocError): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') {
          return finish(new CancuocError('KEYSTORE_PROMPT_ABORTED', 'passphrase entry aborted', { step: 'passphrase' }));
        }
        typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
      }
    };
    stdin.on('data', onData);
  });
}

export interface SaveKeyOptions extends SecretOptions {
  /** Write plaintext PKCS#8 (a throwaway test PKI only). */
  readonly insecurePlainKeys?: boolean;
}

/** Stores a private key as `<dir>/<name>.key.pem` (mode 0600) and returns its KeyRef. */
export async function savePrivateKey(
  dir: string,
  name: string,
  privateKey: KeyObject,
  suite: SignatureSuite,
  options: SaveKeyOptions = {},
): Promise<KeyRef> {
  asuite(suite);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new TypeError(`"name" expected letters, digits, _ or -, got ${name}`);
  softwareSigner(privateKey, suite); // checks the key fits the suite
  const file = `${name}.key.pem`;
  const encrypted = options.insecurePlainKeys !== true;
  let pem: string;
  if (encrypted) {
    pem = await encryptKey(privateKey, await resolvePassphrase(options.passphrase));
  } else {
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
  await writeFileAtomic(join(dir, file), pem, 0o600);
  return Object.freeze({ kind: 'pkcs8', suite, file, encrypted });
}

/** PBES2 with the strong KDF of key-encryption.ts, under a passphrase of at least MIN_PASSPHRASE characters. */
async function encryptKey(privateKey: KeyObject, passphrase: string): Promise<string> {
  if (passphrase.length < MIN_PASSPHRASE) {
    throw new ValidationError('KEYSTORE_WEAK_PASSPHRASE', `passphrase shorter than ${MIN_PASSPHRASE} characters`, {
      field: 'passphrase',
    });
  }
  return encryptPkcs8(new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })), passphrase);
}

export interface RekeyOutcome {
  readonly file: string;
  readonly before: KeyFileProtection;
  /** Undefined when the file already had the current setting and was left alone. */
  readonly after: KeyFileProtection | undefined;
}

/**
 * Re-encrypts an encrypted PKCS#8 key file with the current KDF setting, same passphrase, written
 * atomically over the old file; a file that already has the setting is left alone.
 */
export async function rekeyKeyFile(path: string, passphrase?: string): Promise<RekeyOutcome> {
  const pem = await readKeyPem(path, true);
  const before = keyFileProtection(pem);
  if (before === undefined) throw new ParseError('KEYSTORE_UNEXPECTED_FORMAT', 'not an EncryptedPrivateKeyInfo (RFC 5958 §3)', { file: path });
  if (before.strong) return Object.freeze({ file: path, before, after: undefined });
  const secret = await resolvePassphrase(passphrase, basename(path));
  const key = toKey(() => createPrivateKey({ key: pem, format: 'pem', passphrase: secret }), path, 'KEYSTORE_BAD_PASSPHRASE');
  const next = await encryptKey(key, secret);
  await writeFileAtomic(path, next, 0o600);
  return Object.freeze({ file: path, before, after: keyFileProtection(next)! });
}

/** Records a key generated on a token; the PIN stays out of the reference. */
export function pkcs11KeyRef(module: string, tokenLabel: string, keyLabel: string, suite: SignatureSuite): KeyRef {
  return Object.freeze({ kind: 'pkcs11', suite: asuite(suite), module, tokenLabel, keyLabel });
}

/** Opens the key a KeyRef points at. `dir` resolves relative file names. */
export async function loadSigner(ref: KeyRef, options: SecretOptions & { readonly dir?: string } = {}): Promise<LoadedSigner> {
  const checked = parseKeyRef(ref);
  if (checked.kind === 'pkcs11') {
    const token = openPkcs11Token({ module: checked.module, tokenLabel: checked.tokenLabel, pin: options.pin ?? process.env[PIN_ENV] });
    try {
      const signer = token.signer(checked.keyLabel, checked.suite);
      return Object.freeze({ ...signer, sign: signer.sign, close: () => token.close() });
    } catch (e) {
      token.close();
      throw e;
    }
  }
  const path = keyFilePath(checked, options.dir);
  const key = await readPrivateKey(path, checked.encrypted, options.passphrase);
  try {
    return Object.freeze({ ...softwareSigner(key, checked.suite), close: () => undefined });
  } catch (e) {
    throw new ValidationError('KEYSTORE_SUITE_MISMATCH', (e as Error).message, { file: path }, { cause: e });
  }
}

/** Where a key file is: its name relative to `dir` unless absolute. */
export function keyFilePath(ref: Extract<KeyRef, { kind: 'pkcs8' }>, dir: string | undefined): string {
  return isAbsolute(ref.file) || dir === undefined ? ref.file : join(dir, ref.file);
}

async function readPrivateKey(path: string, encrypted: boolean, passphrase?: string): Promise<KeyObject> {
  const pem = await readKeyPem(path, encrypted);
  if (!encrypted) return toKey(() => createPrivateKey({ key: pem, format: 'pem' }), path, 'KEYSTORE_BAD_KEY');
  const secret = await resolvePassphrase(passphrase, basename(path));
  return toKey(() => createPrivateKey({ key: pem, format: 'pem', passphrase: secret }), path, 'KEYSTORE_BAD_PASSPHRASE');
}

/** The PEM text of a key file, checked to be the (encrypted or plaintext) PKCS#8 the caller expects. */
async function readKeyPem(path: string, encrypted: boolean): Promise<string> {
  let pem: string;
  try {
    pem = await readInputText(path, 'pem');
  } catch (e) {
    throw new CancuocError('KEYSTORE_READ_FAILED', (e as Error).message, {}, { cause: e });
  }
  const isEncrypted = pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
  if (isEncrypted !== encrypted || (!isEncrypted && !pem.includes('-----BEGIN PRIVATE KEY-----'))) {
    throw new ParseError(
      'KEYSTORE_UNEXPECTED_FORMAT',
      `key file is not ${encrypted ? 'an encrypted' : 'a plaintext'} PKCS#8 PEM as pki.json says`,
      { file: path },
    );
  }
  return pem;
}

function toKey(fn: () => KeyObject, file: string, code: string): KeyObject {
  try {
    return fn();
  } catch (e) {
    const what = code === 'KEYSTORE_BAD_PASSPHRASE' ? 'cannot decrypt key (wrong passphrase or damaged file)' : 'not a private key';
    throw new ParseError(code, what, { file }, { cause: e });
  }
}

/** Checks a KeyRef read from JSON; rejects anything unexpected with the offending field. */
export function parseKeyRef(value: unknown): KeyRef {
  const bad = (field: string): never => {
    throw new ParseError('KEYREF_INVALID', `key reference: bad or missing ${field}`, { field });
  };
  if (typeof value !== 'object' || value === null) return bad('(object)');
  const v = value as Record<string, unknown>;
  if (!isSignatureSuite(v.suite)) bad('suite');
  const str = (field: string): string => (typeof v[field] === 'string' && v[field] !== '' ? (v[field] as string) : bad(field));
  if (v.kind === 'pkcs8') {
    if (typeof v.encrypted !== 'boolean') bad('encrypted');
    return Object.freeze({ kind: 'pkcs8', suite: v.suite as SignatureSuite, file: str('file'), encrypted: v.encrypted as boolean });
  }
  if (v.kind === 'pkcs11') {
    return pkcs11KeyRef(str('module'), str('tokenLabel'), str('keyLabel'), v.suite as SignatureSuite);
  }
  return bad('kind');
}
