import type { HashName } from '../../src/crypto/algorithms.js';
import type { Pki } from '../../src/crypto/pki.js';
import { chipEacFromPki, type ChipEac } from '../../src/issuance/document-set.js';
import { ValidationError } from '../../src/lds/errors.js';

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

/** The PKI's CVCA as every chip's Terminal Authentication trust point, dated today (nothing for a PKI without one). */
export function eacOption(pki: Pki): { eac?: ChipEac } {
  const eac = chipEacFromPki(pki);
  return eac === undefined ? {} : { eac };
}
