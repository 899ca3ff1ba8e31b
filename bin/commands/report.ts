import type { PassiveAuthReport, Verdict } from '../../src/reader/passive-auth.js';
import { EXIT } from '../exit-codes.js';

const MARK: Readonly<Record<string, string>> = Object.freeze({ pass: 'ok  ', fail: 'FAIL', warn: 'warn', 'not-applicable': 'n/a ' });

export function verdictExitCode(verdict: Verdict): number {
  return verdict === 'valid' ? EXIT.ok : verdict === 'untrusted' ? EXIT.untrusted : EXIT.invalid;
}

/** The human report: one line per check, then the verdict line. */
export function printPassiveAuth(report: PassiveAuthReport): void {
  const out: string[] = ['Passive authentication'];
  if (report.documentSigner !== undefined) out.push(`  Document Signer: ${report.documentSigner.subject} (serial ${report.documentSigner.serialNumber})`);
  if (report.csca !== undefined) out.push(`  CSCA:            ${report.csca.subject}`);
  if (report.signingTime !== undefined) out.push(`  Signed:          ${report.signingTime}`);
  for (const c of report.checks) out.push(`  [${MARK[c.status] ?? c.status}] ${c.id.padEnd(22)} ${c.reason}`);
  out.push(`VERDICT: ${report.verdict.toUpperCase()}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
