/**
 * Reads the EFs of one document from a directory: a `cancuoc read` dump or `lds build` output
 * (DG1.bin, SOD.bin, COM.bin), or the names other eMRTD projects publish their test files under
 * (Datagroup1.bin, EF_SOD.bin, EF_DG14.bin, ef0101.bin by file id). Names are matched without case.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readInputFile } from '../crypto/file-io.js';
import { ValidationError } from '../lds/errors.js';
import { fileByFid, LDS_FILES, type LdsFile } from '../lds/files.js';

export interface DocumentFiles {
  /** LDS file name (COM, SOD, CardAccess, DG1…DG16) → bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** LDS file name → the file name it was read from. */
  readonly sources: ReadonlyMap<string, string>;
}

/** The LDS file a directory entry holds, or undefined when the name is not one we know. */
export function ldsFileForName(fileName: string): LdsFile | undefined {
  const m = /^(?:ef[._]?)?(com|sod|cardaccess|dg(\d{1,2})|datagroup(\d{1,2})|([0-9a-f]{4}))(?:\.bin)?$/i.exec(fileName);
  if (m === null) return undefined;
  if (m[4] !== undefined) return fileByFid(Number.parseInt(m[4], 16));
  const dg = m[2] ?? m[3];
  const name = dg !== undefined ? `DG${Number(dg)}` : LDS_FILES.find((f) => f.name.toLowerCase() === m[1]!.toLowerCase())?.name;
  return LDS_FILES.find((f) => f.name === name);
}

export async function readDocumentDir(dir: string): Promise<DocumentFiles> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    throw new ValidationError('DIR_UNREADABLE', `cannot read directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, {
      file: dir,
    });
  }
  const files = new Map<string, Uint8Array>();
  const sources = new Map<string, string>();
  for (const entry of entries.sort()) {
    const lds = ldsFileForName(entry);
    if (lds === undefined) continue;
    const earlier = sources.get(lds.name);
    if (earlier !== undefined) {
      throw new ValidationError('DIR_AMBIGUOUS', `both ${earlier} and ${entry} hold ${lds.name}`, { file: join(dir, entry) });
    }
    files.set(lds.name, await readInputFile(join(dir, entry), 'ef'));
    sources.set(lds.name, entry);
  }
  if (!files.has('SOD')) {
    throw new ValidationError('DIR_NO_SOD', `no EF.SOD in ${dir} (SOD.bin, EF_SOD.bin or ef011D.bin)`, { file: dir });
  }
  return Object.freeze({ files, sources });
}

/** Data group number → bytes, for passive authentication. */
export function dataGroupsOf(files: ReadonlyMap<string, Uint8Array>): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const f of LDS_FILES) {
    const bytes = files.get(f.name);
    if (f.dg !== undefined && bytes !== undefined) out.set(f.dg, bytes);
  }
  return out;
}
