import { readFile, stat } from 'node:fs/promises';
import { TrustStore, type LoadedFile } from '../../src/reader/trust-store.js';
import { ValidationError } from '../../src/lds/errors.js';

/** A trust store from --trust paths: CSCA certificates, master lists, CRLs, or directories of them. */
export async function loadTrust(paths: readonly string[]): Promise<{ store: TrustStore; loaded: readonly LoadedFile[] }> {
  const store = new TrustStore();
  const loaded: LoadedFile[] = [];
  // Certificates before master lists and CRLs, so each is checked against what is already trusted.
  const files: { path: string; bytes: Uint8Array }[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new ValidationError('TRUST_NOT_FOUND', `--trust ${path}: no such file or directory`, { file: path });
    if (info.isDirectory()) loaded.push(...(await store.loadDirectory(path)));
    else files.push({ path, bytes: new Uint8Array(await readFile(path)) });
  }
  for (const f of files) loaded.push({ ...store.add(f.bytes), file: f.path });
  if (store.cscas.length === 0) {
    throw new ValidationError('TRUST_EMPTY', `no CSCA certificate could be loaded from ${paths.join(', ')}`, { field: '--trust' });
  }
  return { store, loaded };
}
