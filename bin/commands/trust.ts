import { stat } from 'node:fs/promises';
import { readInputFile } from '../../src/crypto/file-io.js';
import { attempt, ValidationError } from '../../src/lds/errors.js';
import { KIND_ORDER, pkiFileKind, TrustStore, type LoadedFile } from '../../src/reader/trust-store.js';

/**
 * A trust store from --trust paths: CSCA certificates, master lists, CRLs, cancuoc revocation
 * lists, or directories of them.
 */
export async function loadTrust(paths: readonly string[]): Promise<{ store: TrustStore; loaded: readonly LoadedFile[] }> {
  const store = new TrustStore();
  const loaded: LoadedFile[] = [];
  const files: { path: string; bytes: Uint8Array }[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new ValidationError('TRUST_NOT_FOUND', `--trust ${path}: no such file or directory`, { file: path });
    if (info.isDirectory()) loaded.push(...(await store.loadDirectory(path)));
    else files.push({ path, bytes: await readInputFile(path, 'trust') });
  }
  // Certificates before master lists, CRLs and revocation lists, whatever the order on the command
  // line, so each is checked against what is already trusted; an unreadable file comes last and fails there.
  const rank = (bytes: Uint8Array): number => {
    const kind = attempt(() => pkiFileKind(bytes));
    return kind.ok ? KIND_ORDER.indexOf(kind.value) : KIND_ORDER.length;
  };
  const ordered = files.map((f) => ({ ...f, rank: rank(f.bytes) })).sort((a, b) => a.rank - b.rank);
  for (const f of ordered) loaded.push({ ...store.add(f.bytes), file: f.path });
  if (store.cscas.length === 0) {
    throw new ValidationError('TRUST_EMPTY', `no CSCA certificate could be loaded from ${paths.join(', ')}`, { field: '--trust' });
  }
  return { store, loaded };
}
