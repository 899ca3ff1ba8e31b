import { stat } from 'node:fs/promises';
import { readInputFile } from '../../src/crypto/file-io.js';
import { attempt, ParseError, ValidationError } from '../../src/lds/errors.js';
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
  for (const f of ordered) {
    const added = attempt(() => store.add(f.bytes));
    if (!added.ok) throw new ParseError(added.error.code, `trust file ${f.path}: ${added.error.message}`, {}, { cause: added.error });
    loaded.push({ ...added.value, file: f.path });
  }
  if (store.cscas.length === 0) {
    // ICAO 9303-12 §8: a master list is trusted only through a CSCA already trusted
    const list = loaded.find((l) => l.kind === 'master-list' && !l.ok);
    const hint = list === undefined ? '' : `: the signer of master list ${list.file} must chain to a CSCA you already trust; give that CSCA with --trust too`;
    throw new ValidationError('TRUST_EMPTY', `no CSCA certificate could be loaded from ${paths.join(', ')}${hint}`, { field: '--trust' });
  }
  return { store, loaded };
}
