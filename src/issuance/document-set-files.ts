/**
 * A document set on disk, as `cancuoc lds build` writes it and `cancuoc personalize` reads it:
 * one `<name>.bin` per EF, the chip keys as PKCS#8 (encrypted unless a throwaway set was asked
 * for), and manifest.json. Every file is written atomically; the manifest goes last, so a set with
 * a manifest is complete.
 */
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { encryptPkcs8 } from '../crypto/key-encryption.js';
import { replaceDirectory, writeFileAtomic } from '../crypto/file-io.js';
import { resolvePassphrase } from '../crypto/keystore.js';
import type { DocumentSetManifest, DocumentSet as PersonalizationSet } from '../reader/personalize.js';
import type { DocumentSet } from './document-set.js';

export const MANIFEST_VERSION = 1 as const;

export type { DocumentSetManifest };

export interface WriteOptions {
  readonly insecurePlainKeys?: boolean;
  readonly passphrase?: string;
  /** Replace a non-empty output folder (the whole set, never file by file). */
  readonly force?: boolean;
}

/** Writes the set as the folder `dir`, which must be missing or empty unless `options.force` (see replaceDirectory). */
export async function writeDocumentSet(dir: string, set: DocumentSet, options: WriteOptions = {}): Promise<DocumentSetManifest> {
  return replaceDirectory(dir, options.force === true, (staging) => writeSetFiles(staging, set, options));
}

/** The files of a set into an existing folder; personal data and keys are 0600. */
export async function writeSetFiles(dir: string, set: DocumentSet, options: WriteOptions): Promise<DocumentSetManifest> {
  const encrypted = options.insecurePlainKeys !== true;
  const passphrase = encrypted ? await resolvePassphrase(options.passphrase, 'the chip keys') : undefined;
  const manifest = manifestOf(set, encrypted);
  for (const [name, bytes] of set.files) await writeFileAtomic(join(dir, manifest.files[name]!), bytes, 0o600);
  await writeFileAtomic(join(dir, manifest.keys.aa), await pkcs8(set.keys.aa, passphrase));
  await writeFileAtomic(join(dir, manifest.keys.ca), await pkcs8(set.keys.ca, passphrase));
  for (const [i, cert] of (set.eac?.trustPoints ?? []).entries()) await writeFileAtomic(join(dir, manifest.eac!.cvca[i]!), cert, 0o600);
  await writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
  return manifest;
}

/** The manifest of a set: `<name>.bin` per EF; `encrypted` says how the key files were written (absent: not on disk). */
function manifestOf(set: DocumentSet, encrypted?: boolean): DocumentSetManifest {
  return Object.freeze({
    version: MANIFEST_VERSION,
    documentNumber: set.documentNumber,
    dateOfBirth: set.dateOfBirth,
    dateOfExpiry: set.dateOfExpiry,
    can: set.can,
    files: Object.fromEntries([...set.files.keys()].map((name) => [name, `${name}.bin`])),
    keys: { aa: 'aa-key.pem', ca: 'ca-key.pem', ...(encrypted === undefined ? {} : { encrypted }) },
    ...(set.eac === undefined ? {} : { eac: { cvca: set.eac.trustPoints.map((_, i) => `cvca-${i + 1}.cvcert`), currentDate: set.eac.currentDate } }),
  });
}

/** PKCS#8 PEM; with a passphrase, PBES2 with the strong KDF of the PKI keys (key-encryption.ts). */
async function pkcs8(key: KeyObject, passphrase: string | undefined): Promise<string> {
  if (passphrase === undefined) return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  return encryptPkcs8(new Uint8Array(key.export({ type: 'pkcs8', format: 'der' })), passphrase);
}

/** The set as `personalize()` takes it, without a round trip through the disk. */
export function personalizationSet(set: DocumentSet): PersonalizationSet {
  return Object.freeze({
    manifest: manifestOf(set),
    files: set.files,
    aaKey: set.keys.aa,
    caKey: set.keys.ca,
    ...(set.eac === undefined ? {} : { eac: set.eac }),
  });
}
