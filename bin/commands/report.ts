import { escapeLines } from '../../src/lds/display.js';
import type { PassiveAuthReport, Verdict } from '../../src/reader/passive-auth.js';
import { EXIT } from '../exit-codes.js';

const MARK: Readonly<Record<string, string>> = Object.freeze({ pass: 'ok  ', fail: 'FAIL', warn: 'warn', 'not-applicable': 'n/a ' });

export function verdictExitCode(verdict: Verdict): number {
  return verdict === 'valid' ? EXIT.ok : verdict === 'untrusted' ? EXIT.untrusted : EXIT.invalid;
}

/** The human report: one line per check, then the verdict line. */
export function printPassiveAuth(report: PassiveAuthReport, refused: readonly string[] = []): void {
  const out: string[] = ['Passive authentication', ...refused];
  if (report.documentSigner !== undefined) out.push(`  Document Signer: ${report.documentSigner.subject} (serial ${report.documentSigner.serialNumber})`);
  if (report.csca !== undefined) out.push(`  CSCA:            ${report.csca.subject}`);
  if (report.signingTime !== undefined) out.push(`  Signed:          ${report.signingTime}`);
  for (const c of report.checks) out.push(`  [${MARK[c.status] ?? c.status}] ${c.id.padEnd(22)} ${c.reason}`);
  const warnings = [...new Set(report.checks.filter((c) => c.status === 'warn').map((c) => c.code))];
  if (warnings.length > 0) out.push(`Warnings: ${warnings.join(', ')}`);
  out.push(`Chip authenticity (AA/CA): NOT checked: ${CHIP_NOT_CHECKED.reason}`);
  out.push(`VERDICT: ${report.verdict.toUpperCase()}`);
  // certificate names come from the files being checked (src/lds/display.ts)
  process.stdout.write(`${escapeLines(out)}\n`);
}

/** `lds verify` checks files only: the JSON form says so in `chipAuthenticity` (docs/report-schema.md). */
export const CHIP_NOT_CHECKED = Object.freeze({
  status: 'not-checked',
  code: 'CHIP_NOT_AUTHENTICATED',
  reason: 'passive authentication of files only; Active and Chip Authentication need the chip (ICAO 9303-11 §6)',
});
