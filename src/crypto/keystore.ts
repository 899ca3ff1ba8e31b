/**
 * Where the PKI's private keys live: encrypted PKCS#8 files (RFC 5958 EncryptedPrivateKeyInfo,
 * PBES2 = PBKDF2 + AES-256-CBC, RFC 8018 §6.2), plaintext PKCS#8 only for a throwaway PKI, or a
 * PKCS#11 token. A `KeyRef` (JSON in pki.json) says which; `loadSigner` turns it into a Signer.
 * Secrets come from the caller, the environment or a no-echo prompt, and are never written out.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { basename, isAbsolute, join } from 'node:path';
import { CancuocError, ParseError, ValidationError } from '../lds/errors.js';
import { asuite, isSignatureSuite, type SignatureSuite } from './algorithms.js';
import { readInputText, writeFileAtomic } from './file-io.js';
import { openPkcs11Token } from './pkcs11.js';
import { softwareSigner, type Signer } from './signer.js';

export const PASSPHRASE_ENV = 'CANCUOC_PASSPHRASE';
export const PIN_ENV = 'CANCUOC_PKCS11_PIN';
const MIN_PASSPHRASE = 8;

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
    const passphrase = await resolvePassphrase(options.passphrase);
    if (passphrase.length < MIN_PASSPHRASE) {
      throw new ValidationError('KEYSTORE_WEAK_PASSPHRASE', `passphrase shorter than ${MIN_PASSPHRASE} characters`, {
        field: 'passphrase',
      });
    }
    // PKCS#8 v2 with PBES2: OpenSSL 3 uses PBKDF2-HMAC-SHA256 and a random salt and IV.
    pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
  } else {
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
  await writeFileAtomic(join(dir, file), pem, 0o600);
  return Object.freeze({ kind: 'pkcs8', suite, file, encrypted });
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
  const path = isAbsolute(checked.file) || options.dir === undefined ? checked.file : join(options.dir, checked.file);
  const key = await readPrivateKey(path, checked.encrypted, options.passphrase);
  try {
    return Object.freeze({ ...softwareSigner(key, checked.suite), close: () => undefined });
  } catch (e) {
    throw new ValidationError('KEYSTORE_SUITE_MISMATCH', (e as Error).message, { file: path }, { cause: e });
  }
}

async function readPrivateKey(path: string, encrypted: boolean, passphrase?: string): Promise<KeyObject> {
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
  if (!encrypted) return toKey(() => createPrivateKey({ key: pem, format: 'pem' }), path, 'KEYSTORE_BAD_KEY');
  const secret = await resolvePassphrase(passphrase, basename(path));
  return toKey(() => createPrivateKey({ key: pem, format: 'pem', passphrase: secret }), path, 'KEYSTORE_BAD_PASSPHRASE');
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
