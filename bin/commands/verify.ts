/**
 * `cancuoc verify` on a card (same card options as `cancuoc read`) or on a dump (`--dir DIR`, any
 * folder with the sample file names), against `--trust` (CSCA certificates, master lists, CRLs,
 * the issuer's revocation list). Checks: src/reader/verify.ts. Output: the holder's fields in
 * Vietnamese from DG13, the face saved as an image file, each check with its reason and one
 * verdict line; or `--json` (docs/verify-schema.md). Exit 0 VALID, 1 INVALID, 2 UNTRUSTED,
 * 3 no card or access failed, 4 bad input.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import sharp from 'sharp';
import { writeFileAtomic } from '../../src/crypto/file-io.js';
import { loadTerminal } from '../../src/crypto/terminal-pki.js';
import { ValidationError } from '../../src/lds/errors.js';
import { readDocumentDir } from '../../src/reader/document-dir.js';
import { verificationJson, verifyCard, verifyDump, type VerificationReport, type VerificationVerdict } from '../../src/reader/verify.js';
import { EXIT } from '../exit-codes.js';
import { accessFromOptions, asCliError, cardOptions, connectCard, type CardCliOptions } from './read.js';
import { escapeLines } from '../../src/lds/display.js';
import { isoTimeOption } from './options.js';
import { loadTrust, policyOf, policyOptions, refusedTrustLines } from './trust.js';

interface VerifyCliOptions extends CardCliOptions {
  requireCrl?: boolean;
  acceptStaleCrl?: boolean;
  strict?: boolean;
  dir?: string;
  terminal?: string;
  trust: string[];
  json?: boolean;
  face?: string | false;
  at?: string;
}

export function verificationExitCode(verdict: VerificationVerdict): number {
  return verdict === 'VALID' ? EXIT.ok : verdict === 'UNTRUSTED' ? EXIT.untrusted : EXIT.invalid;
}

/** Only Terminal Authentication failed: the document is fine, the terminal was refused its data (exit 3, docs/eac.md). */
function terminalOnlyFailure(report: VerificationReport): boolean {
  const blocking = report.checks.filter((c) => c.status === 'fail' || c.status === 'not-bound');
  return blocking.length > 0 && blocking.every((c) => c.id === 'ta');
}

export function registerVerify(program: Command): void {
  policyOptions(cardOptions(program.command('verify').description('verify a card (PA, AA, CA, consistency, expiry, revocation) or a dump'), false))
    .option('--dir <dir>', 'verify a dump instead of a card (DG1.bin, EF_SOD.bin, ef0101.bin, …)')
    .requiredOption('--trust <path...>', 'CSCA certificates, master lists, CRLs, revocation lists, or directories of them')
    .option('--json', 'print the report as JSON (docs/verify-schema.md)')
    .option('--face <file>', 'save the face image to this new file (.jpg, .png; JPEG 2000 is kept as .jp2 when it cannot be converted); never over an existing file')
    .option('--no-face', 'do not save the face image (the default)')
    .option('--at <time>', 'check validity at this ISO 8601 time instead of now')
    .option('--terminal <dir>', 'inspection system from `pki terminal`: Terminal Authentication, then DG3 (docs/eac.md)')
    .action(async (opts: VerifyCliOptions) => {
      const at = isoTimeOption(opts.at);
      if (typeof opts.face === 'string' && (await stat(opts.face).catch(() => undefined)) !== undefined) {
        throw new ValidationError('OUTPUT_EXISTS', `--face ${opts.face}: the file exists; not overwritten`, { field: '--face' });
      }
      const { store, loaded } = await loadTrust(opts.trust, at);
      const policy = policyOf(opts);
      let report: VerificationReport;
      if (opts.dir !== undefined) {
        if (opts.can !== undefined || opts.mrz !== undefined || opts.id !== undefined || opts.reader !== undefined || opts.terminal !== undefined) {
          throw new ValidationError('CLI_ACCESS', '--dir verifies a dump: no --reader, --can, --mrz, --id or --terminal', { field: '--dir' });
        }
        report = verifyDump((await readDocumentDir(opts.dir)).files, { trust: store, at, policy });
      } else {
        const { access } = accessFromOptions(opts);
        const terminal = opts.terminal === undefined ? undefined : await loadTerminal(opts.terminal);
        try {
          const transport = await connectCard(opts);
          report = await verifyCard(transport, { trust: store, at, access, policy, ...(terminal && { terminal }) }).catch((e: unknown) => {
            throw asCliError(e);
          });
        } finally {
          terminal?.close();
        }
      }
      const face = await saveFace(report, opts.face);
      if (opts.json === true) process.stdout.write(`${JSON.stringify({ ...verificationJson(report), trust: loaded, ...(face && { faceFile: face.path }) }, null, 2)}\n`);
      else process.stdout.write(humanReport(report, face, refusedTrustLines(loaded)));
      process.exitCode = terminalOnlyFailure(report) ? EXIT.noCard : verificationExitCode(report.verdict);
    });
}

// ---------------------------------------------------------------------------------------------
// The face image

interface SavedFace {
  readonly path: string;
  readonly note: string;
}

const EXTENSION = { jpeg: '.jpg', jpeg2000: '.jp2' } as const;

/**
 * Writes the DG2 face only when --face asks, to a new file (personal data is not left behind
 * unasked, nor written over a file): as stored when the extension matches its format, else
 * converted with sharp. A JPEG 2000 face that sharp cannot decode is written as stored, with .jp2.
 */
async function saveFace(report: VerificationReport, option: string | false | undefined): Promise<SavedFace | undefined> {
  const image = report.data.faceImage;
  const summary = report.face;
  if (typeof option !== 'string' || image === undefined || summary === undefined) return undefined;
  const stored = EXTENSION[summary.format];
  const target = option;
  const wanted = extname(target).toLowerCase();
  const format = wanted === '.png' ? 'png' : wanted === '.jpg' || wanted === '.jpeg' ? 'jpeg' : undefined;
  if (format === undefined && wanted !== stored) {
    throw new ValidationError('CLI_FACE', `--face ${target}: expected a .jpg or .png file name`, { field: '--face' });
  }
  if (wanted === stored || (format === 'jpeg' && summary.format === 'jpeg')) {
    await writeFileAtomic(target, image, 0o600, false);
    return Object.freeze({ path: target, note: `${summary.format.toUpperCase()} as stored` });
  }
  const converted = await sharp(image)
    .toFormat(format!)
    .toBuffer()
    .catch(() => undefined);
  if (converted !== undefined) {
    await writeFileAtomic(target, new Uint8Array(converted), 0o600, false);
    return Object.freeze({ path: target, note: `converted from ${summary.format.toUpperCase()}` });
  }
  const path = target.slice(0, target.length - wanted.length) + stored;
  await writeFileAtomic(path, image, 0o600, false);
  return Object.freeze({ path, note: `${summary.format.toUpperCase()} as stored (no ${summary.format} decoder to convert it)` });
}

// ---------------------------------------------------------------------------------------------
// The human report

/** DG13 fields with their labels as printed on the CCCD (cccd-profile.md "DG13"). */
const PERSONAL_LABELS: readonly (readonly [string, string])[] = [
  ['personalId', 'Số định danh'],
  ['fullName', 'Họ và tên'],
  ['dateOfBirth', 'Ngày sinh'],
  ['sex', 'Giới tính'],
  ['nationality', 'Quốc tịch'],
  ['ethnicity', 'Dân tộc'],
  ['religion', 'Tôn giáo'],
  ['placeOfOrigin', 'Quê quán'],
  ['placeOfResidence', 'Nơi thường trú'],
  ['identifyingMarks', 'Đặc điểm nhận dạng'],
  ['dateOfIssue', 'Ngày cấp'],
  ['dateOfExpiry', 'Có giá trị đến'],
  ['father', 'Họ tên cha'],
  ['mother', 'Họ tên mẹ'],
  ['spouse', 'Vợ/chồng'],
  ['oldIdNumber', 'Số CMND cũ'],
];

const MARK: Readonly<Record<string, string>> = Object.freeze({ pass: 'ok  ', fail: 'FAIL', warn: 'warn', 'not-applicable': 'n/a ', 'not-bound': 'UNBOUND' });

const yymmdd = (d: string): string => (/^\d{6}$/.test(d) ? `${d.slice(4, 6)}/${d.slice(2, 4)}/${d.slice(0, 2)}` : d);

function holderLines(report: VerificationReport): string[] {
  const width = 20;
  const line = (label: string, value: string) => `  ${`${label}:`.padEnd(width)}${value}`;
  if (report.personal !== undefined) {
    return PERSONAL_LABELS.filter(([k]) => report.personal![k] !== undefined).map(([k, label]) => line(label, report.personal![k]!));
  }
  const m = report.mrz;
  if (m === undefined) return ['  (no DG1 or DG13: nothing to show)'];
  return [
    line('Số giấy tờ', m.documentNumber),
    line('Họ và tên', `${m.primaryIdentifier} ${m.secondaryIdentifier}`.trim()),
    line('Ngày sinh', yymmdd(m.dateOfBirth)),
    line('Giới tính', m.sex === 'M' ? 'Nam' : m.sex === 'F' ? 'Nữ' : m.sex),
    line('Quốc tịch', m.nationality),
    line('Có giá trị đến', m.dateOfExpiry === '<<<<<<' ? 'Không thời hạn' : yymmdd(m.dateOfExpiry)),
  ];
}

/** `refused`: lines naming the --trust files that were refused (refusedTrustLines). */
export function humanReport(report: VerificationReport, face: SavedFace | undefined, refused: readonly string[] = []): string {
  const source = report.source === 'card' ? `chip, ${report.accessControl}, ${report.apdus} APDUs` : 'dump';
  const out = [`Thông tin trên chip (${source})`, ...holderLines(report)];
  if (report.face !== undefined) {
    const where = face === undefined ? 'not saved' : `saved to ${face.path} (${face.note})`;
    out.push(`  ${'Ảnh chân dung:'.padEnd(20)}${report.face.width}×${report.face.height}, ${where}`);
  }
  const fp = report.fingerprints;
  if (fp !== undefined) {
    out.push(`  ${'Vân tay (DG3):'.padEnd(20)}${fp.fingers} finger(s) at position(s) ${fp.positions.join(', ')}, ${fp.formats.join(', ')}`);
  }
  if (refused.length > 0) out.push('Trust', ...refused);
  out.push('Checks');
  for (const c of report.checks) out.push(`  [${MARK[c.status] ?? c.status}] ${c.id.padEnd(28)} ${c.reason}`);
  const warnings = [...new Set(report.checks.filter((c) => c.status === 'warn').map((c) => c.code))];
  if (warnings.length > 0) out.push(`Warnings: ${warnings.join(', ')}`);
  const unauthenticated = report.checks.find((c) => c.id === 'chip.authenticity')?.status !== 'pass';
  const note = report.verdict === 'VALID' && unauthenticated ? ' (the data are the issuer\'s; chip authenticity NOT checked)' : '';
  out.push(`VERDICT: ${report.verdict}${note}`);
  // card, file and QR text is shown with its control characters escaped (src/lds/display.ts)
  return `${escapeLines(out)}\n`;
}
