import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { readInputFile } from '../../src/crypto/file-io.js';
import { ValidationError } from '../../src/lds/errors.js';
import type { VerifyPolicy } from '../../src/reader/passive-auth.js';
import { TrustStore, type LoadedFile } from '../../src/reader/trust-store.js';

/**
 * A trust store from --trust paths: CSCA certificates, master lists, CRLs, cancuoc revocation
 * lists, or directories of them. Whatever the order on the command line, each is checked against
 * what is already trusted (TrustStore.addInOrder); a file that does not parse fails the command.
 */
export async function loadTrust(paths: readonly string[], at: Date = new Date()): Promise<{ store: TrustStore; loaded: readonly LoadedFile[] }> {
  const store = new TrustStore();
  const loaded: LoadedFile[] = [];
  const files: { name: string; bytes: Uint8Array }[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new ValidationError('TRUST_NOT_FOUND', `--trust ${path}: no such file or directory`, { file: path });
    if (info.isDirectory()) loaded.push(...(await store.loadDirectory(path, { at })));
    else files.push({ name: path, bytes: await readInputFile(path, 'trust') });
  }
  loaded.push(...store.addInOrder(files, { at, throwOnError: true }));
  if (store.cscas.length === 0) {
    const list = loaded.find((f) => f.kind === 'master-list' && !f.ok);
    const why =
      list === undefined
        ? ''
        : `; the master list ${list.file} was not loaded (${list.detail}): its signer must chain to a CSCA you already trust, so give that CSCA certificate with --trust too`;
    throw new ValidationError('TRUST_EMPTY', `no CSCA certificate could be loaded from ${paths.join(', ')}${why}`, { field: '--trust' });
  }
  return { store, loaded };
}

/** Human lines for the trust files that were refused, with their codes (nothing when all loaded). */
export function refusedTrustLines(loaded: readonly LoadedFile[]): string[] {
  return loaded.filter((f) => !f.ok).map((f) => `  trust file ${f.file} (${f.kind}) refused${f.code === undefined ? '' : ` [${f.code}]`}: ${f.detail}`);
}

/** --require-crl, --accept-stale-crl and --strict (docs/trust-policy.md). */
export function policyOptions(command: Command): Command {
  return command
    .option('--require-crl', 'fail when no usable CRL of the CSCA is loaded (checkpoints that must check revocation)')
    .option('--accept-stale-crl', 'use a CRL past its nextUpdate with a warning instead of failing (offline sites)')
    .option('--strict', 'fail on weak algorithms (SHA-1, RSA < 2048, DH-1024, 192-bit curves, 3DES PACE) instead of warning');
}

export function policyOf(opts: { requireCrl?: boolean; acceptStaleCrl?: boolean; strict?: boolean }): VerifyPolicy {
  return Object.freeze({ requireCrl: opts.requireCrl === true, acceptStaleCrl: opts.acceptStaleCrl === true, strict: opts.strict === true });
}
