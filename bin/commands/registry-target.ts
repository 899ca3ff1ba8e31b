/**
 * How every command names its registry and audit key: `--db` a SQLite file or a postgres:// URI
 * (default: CANCUOC_DB), `--audit-key` a key file (default: CANCUOC_AUDIT_KEY_FILE) whose HMAC
 * keys the audit chain (docs/registry.md, "Audit log").
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { openPkcs11Token } from '../../src/crypto/pkcs11.js';
import { auditKeyFromBytes, type AuditKey } from '../../src/issuance/audit-log.js';
import { Registry, type RegistryOptions } from '../../src/issuance/registry.js';
import { openFailed } from '../../src/issuance/registry-store.js';
import { CliError, EXIT } from '../exit-codes.js';

export interface RegistryTarget {
  db: string;
  auditKey?: string;
}

/** --db and --audit-key on a command. */
export function registryOptions(command: Command, what = 'registry'): Command {
  return command
    .addOption(new Option('--db <file|uri>', `${what}: a SQLite file or a postgres://… URI`).env('CANCUOC_DB').makeOptionMandatory())
    .addOption(
      new Option('--audit-key <file|pkcs11-uri>', 'audit key: a file of 32+ bytes as hex, or pkcs11:token=T;object=K?module-path=M (PIN: CANCUOC_PKCS11_PIN)').env(
        'CANCUOC_AUDIT_KEY_FILE',
      ),
    );
}

/**
 * The audit key: a key file of hex text (e.g. `openssl rand -hex 32`), at least 32 bytes; or a
 * secret key on a PKCS#11 token named by an RFC 7512 URI,
 * `pkcs11:token=LABEL;object=KEY?module-path=/usr/lib/softhsm/libsofthsm2.so` (PIN from
 * CANCUOC_PKCS11_PIN), whose HMAC is computed on the token.
 */
export async function loadAuditKey(file: string): Promise<AuditKey> {
  if (file.startsWith('pkcs11:')) return tokenAuditKey(file);
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw new CliError(EXIT.badInput, 'CLI_AUDIT_KEY', `--audit-key ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`, e);
  }
  if (!/^([0-9a-fA-F]{2}){32,128}$/.test(text)) {
    throw new CliError(EXIT.badInput, 'CLI_AUDIT_KEY', `--audit-key ${file}: expected 32 to 128 bytes as hex (openssl rand -hex 32)`);
  }
  return auditKeyFromBytes(new Uint8Array(Buffer.from(text, 'hex')));
}

function tokenAuditKey(uri: string): AuditKey {
  const m = /^pkcs11:([^?]*)(?:\?(.*))?$/.exec(uri)!;
  const attrs = (text: string | undefined, sep: string): Map<string, string> =>
    new Map((text ?? '').split(sep).filter(Boolean).map((kv) => [kv.split('=')[0]!, decodeURIComponent(kv.slice(kv.indexOf('=') + 1))]));
  const path = attrs(m[1], ';');
  const query = attrs(m[2], '&');
  const [tokenLabel, object, module] = [path.get('token'), path.get('object'), query.get('module-path')];
  if (tokenLabel === undefined || object === undefined || module === undefined) {
    throw new CliError(EXIT.badInput, 'CLI_AUDIT_KEY', `--audit-key ${uri}: expected pkcs11:token=LABEL;object=KEY?module-path=MODULE (RFC 7512)`);
  }
  const token = openPkcs11Token({ module, tokenLabel });
  process.once('exit', () => token.close());
  return Object.freeze({ mac: token.hmacSha256(object) });
}

/** Opens the registry named by the options. */
export async function openRegistry(target: RegistryTarget, options: RegistryOptions = {}): Promise<Registry> {
  if (typeof target.db !== 'string' || target.db.trim() === '') {
    throw new CliError(EXIT.badInput, 'CLI_DB', '--db: give a SQLite file or a postgres://… URI (or set CANCUOC_DB)');
  }
  const auditKey = target.auditKey === undefined ? undefined : await loadAuditKey(target.auditKey);
  return Registry.open(target.db, { ...options, ...(auditKey === undefined ? {} : { auditKey }) });
}

/**
 * Opens an existing registry (never creates one), read-only unless `write` (a command that only
 * reads writes nothing, not even the WAL switch), runs `fn`, closes it. SQLite failures met while
 * reading (damaged pages) name the file.
 */
export async function withRegistry<T>(target: RegistryTarget, fn: (r: Registry) => Promise<T>, write = false): Promise<T> {
  const registry = await openRegistry(target, write ? { create: false } : { readonly: true });
  try {
    return await fn(registry);
  } catch (e) {
    throw String((e as { code?: unknown }).code).startsWith('SQLITE_') ? openFailed(target.db, e) : e;
  } finally {
    await registry.close();
  }
}
