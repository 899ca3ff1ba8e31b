/**
 * How every command names its registry and audit key: `--db` a SQLite file or a postgres:// URI
 * (default: CANCUOC_DB), `--audit-key` a key file (default: CANCUOC_AUDIT_KEY_FILE) whose HMAC
 * keys the audit chain (docs/registry.md, "Audit log").
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { auditKeyFromBytes, type AuditKey } from '../../src/issuance/audit-log.js';
import { Registry, type RegistryOptions } from '../../src/issuance/registry.js';
import { CliError, EXIT } from '../exit-codes.js';

export interface RegistryTarget {
  db: string;
  auditKey?: string;
}

/** --db and --audit-key on a command. */
export function registryOptions(command: Command, what = 'registry'): Command {
  return command
    .addOption(new Option('--db <file|uri>', `${what}: a SQLite file or a postgres://… URI`).env('CANCUOC_DB').makeOptionMandatory())
    .addOption(new Option('--audit-key <file>', 'audit key file (32+ bytes as hex): entries get its HMAC, `audit verify` checks it').env('CANCUOC_AUDIT_KEY_FILE'));
}

/** The audit key of a key file: hex text (e.g. `openssl rand -hex 32`), at least 32 bytes. */
export async function loadAuditKey(file: string): Promise<AuditKey> {
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

/** Opens the registry named by the options. */
export async function openRegistry(target: RegistryTarget, options: RegistryOptions = {}): Promise<Registry> {
  if (typeof target.db !== 'string' || target.db.trim() === '') {
    throw new CliError(EXIT.badInput, 'CLI_DB', '--db: give a SQLite file or a postgres://… URI (or set CANCUOC_DB)');
  }
  const auditKey = target.auditKey === undefined ? undefined : await loadAuditKey(target.auditKey);
  return Registry.open(target.db, { ...options, ...(auditKey === undefined ? {} : { auditKey }) });
}

/** Opens an existing registry (never creates one), runs `fn`, closes it. */
export async function withRegistry<T>(target: RegistryTarget, fn: (r: Registry) => Promise<T>): Promise<T> {
  const registry = await openRegistry(target, { create: false });
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}
