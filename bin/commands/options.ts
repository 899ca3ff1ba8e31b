import type { HashName } from '../../src/crypto/algorithms.js';
import { readInputFile } from '../../src/crypto/file-io.js';
import type { Pki } from '../../src/crypto/pki.js';
import { chipEacFromPki, type ChipEac } from '../../src/issuance/document-set.js';
import { attempt, ParseError, ValidationError } from '../../src/lds/errors.js';

const SOD_HASHES: readonly string[] = ['sha256', 'sha384', 'sha512'];

/** --hash of a command that signs an EF.SOD. */
export function sodHashOption(text: string): HashName {
  if (!SOD_HASHES.includes(text)) throw new ValidationError('CLI_HASH', `--hash ${text}: expected sha256, sha384 or sha512`, { field: '--hash' });
  return text as HashName;
}

/** --photo-budget: the largest DG2 JPEG in bytes. */
export function photoBudgetOption(text: string): number {
  const budget = Number(text);
  if (!Number.isInteger(budget) || budget < 2000) {
    throw new ValidationError('CLI_BUDGET', `--photo-budget ${text}: expected a byte count ≥ 2000`, { field: '--photo-budget' });
  }
  return budget;
}

/** An ISO 8601 time (--at): a date, or a date and time with seconds and a zone; not whatever Date() guesses. */
export function isoTimeOption(text: string | undefined, field = '--at'): Date {
  if (text === undefined) return new Date();
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text);
  const at = new Date(text);
  if (!ok || Number.isNaN(at.getTime())) {
    throw new ValidationError('CLI_TIME', `${field} ${text}: not an ISO 8601 time (2026-12-06 or 2026-12-06T10:00:00Z)`, { field });
  }
  return at;
}

/** --finger files, each read (bounded) and checked with `parse`; a failure names the file. */
export async function fingerFiles(paths: readonly string[] | undefined, parse: (bytes: Uint8Array) => unknown): Promise<Uint8Array[]> {
  return Promise.all(
    (paths ?? []).map(async (path) => {
      const bytes = await readInputFile(path, 'finger');
      const parsed = attempt(() => parse(bytes));
      if (!parsed.ok) throw new ParseError(parsed.error.code, `finger file ${path}: ${parsed.error.message}`, {}, { cause: parsed.error });
      return bytes;
    }),
  );
}

/** The PKI's CVCA as every chip's Terminal Authentication trust point, dated today (nothing for a PKI without one). */
export function eacOption(pki: Pki): { eac?: ChipEac } {
  const eac = chipEacFromPki(pki);
  return eac === undefined ? {} : { eac };
}
