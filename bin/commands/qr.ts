import type { Command } from 'commander';
import QRCode from 'qrcode';
import { readInputText, writeFileAtomic } from '../../src/crypto/file-io.js';
import { loadPki } from '../../src/crypto/pki.js';
import { CancuocError, ValidationError } from '../../src/lds/errors.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { cccdQrText, cccdSeal, type CccdTextLayout } from '../../src/issuance/qr-payloads.js';
import { escapeLines } from '../../src/lds/display.js';
import { decodeQrImage } from '../../src/qr/decode-image.js';
import { crossCheckQr, type QrFields } from '../../src/reader/qr-check.js';
import { classifyQr, QR_VERDICT_ORDER, type QrCodeReport, type QrVerdict } from '../../src/reader/qr-verify.js';
import type { TrustStore } from '../../src/reader/trust-store.js';
import { verifyCard, type VerificationReport } from '../../src/reader/verify.js';
import { EXIT } from '../exit-codes.js';
import { accessFromOptions, asCliError, cardOptions, connectCard, type CardCliOptions } from './read.js';
import { loadTrust } from './trust.js';

interface MakeOptions {
  record: string;
  seal?: boolean;
  pki?: string;
  layout: string;
  out: string;
}

interface VerifyOptions extends Partial<CardCliOptions> {
  trust?: string[];
  json?: boolean;
  card?: boolean;
}

type Verdict = QrVerdict;
type CodeReport = QrCodeReport;

interface ImageReport {
  readonly image: string;
  readonly codes: readonly CodeReport[];
  readonly error?: string;
}

const EXIT_OF: Readonly<Record<Verdict, number>> = { INVALID: EXIT.invalid, UNREADABLE: EXIT.badInput, UNTRUSTED: EXIT.untrusted, UNSIGNED: EXIT.untrusted, VALID: EXIT.ok };
const PRECEDENCE: readonly { verdict: Verdict; exit: number }[] = QR_VERDICT_ORDER.map((verdict) => ({ verdict, exit: EXIT_OF[verdict] }));

export function registerQr(program: Command): void {
  const qr = program.command('qr').description('QR codes: the plain CCCD text and the signed ICAO VDS seal');
  qr.command('make')
    .description('write the QR code of a citizen record as PNG or SVG')
    .requiredOption('--record <file>', 'citizen record (JSON)')
    .option('--seal', 'a signed ICAO VDS seal (vn-cccd profile; ECDSA PKIs only, ICAO 9303-13) instead of the plain text')
    .option('--pki <dir>', 'PKI made by `cancuoc pki init` (with --seal)')
    .option('--layout <year>', 'plain text layout: 2021 (7 fields) or 2024 (11 fields)', '2021')
    .requiredOption('--out <file>', 'output image, .png or .svg')
    .action(async (opts: MakeOptions) => {
      const format = /\.(png|svg)$/i.exec(opts.out)?.[1]?.toLowerCase();
      if (format === undefined) throw new ValidationError('CLI_QR_FORMAT', `--out ${opts.out}: expected a .png or .svg file`, { field: '--out' });
      if (opts.layout !== '2021' && opts.layout !== '2024') throw new ValidationError('CLI_QR_LAYOUT', '--layout expects 2021 or 2024', { field: '--layout' });
      if (opts.seal === true && opts.pki === undefined) throw new ValidationError('CLI_QR_PKI', '--seal needs --pki DIR', { field: '--pki' });
      const record = parseCitizenRecord(await readInputText(opts.record, 'json'));
      const payload = opts.seal === true ? await sealOf(record, opts.pki!) : new TextEncoder().encode(cccdQrText(record, opts.layout as CccdTextLayout));
      // byte mode for both: the text is UTF-8, the seal binary; error correction M
      const segments = [{ data: payload, mode: 'byte' as const }];
      const options = { errorCorrectionLevel: 'M' as const, margin: 4 };
      const image =
        format === 'svg' ? await QRCode.toString(segments, { ...options, type: 'svg' }) : new Uint8Array(await QRCode.toBuffer(segments, { ...options, type: 'png', scale: 6 }));
      await writeFileAtomic(opts.out, image, 0o600);
      process.stdout.write(`${opts.seal === true ? 'VDS seal' : 'plain CCCD text'} (${payload.length} bytes) written to ${opts.out}\n`);
    });

  const verify = qr
    .command('verify')
    .description('decode QR codes in images, parse them and verify seals; with --card, check them against the chip')
    .argument('<image...>', 'photos or scans (PNG, JPEG, …)')
    .option('--trust <path...>', 'CSCA certificates, seal-signer certificates, master lists, CRLs, or directories of them')
    .option('--json', 'machine-readable output')
    .option('--card', 'also verify the card on the reader (needs --trust and --can/--mrz/--id) and compare every QR field with its DG13');
  cardOptions(verify, false).action(async (images: string[], opts: VerifyOptions) => {
      const trust = opts.trust === undefined ? undefined : (await loadTrust(opts.trust)).store;
      const chip = opts.card === true ? await verifyChip(opts, trust) : undefined;
      const reports: ImageReport[] = [];
      for (const image of images) reports.push(withChip(await verifyImage(image, trust), chip));
      const verdicts = reports.flatMap((r) => (r.codes.length === 0 ? ['UNREADABLE' as Verdict] : r.codes.map((c) => c.verdict)));
      const worst = PRECEDENCE.find((p) => verdicts.includes(p.verdict)) ?? PRECEDENCE[1]!;
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ verdict: worst.verdict, exitCode: worst.exit, images: reports }, null, 2)}\n`);
      } else {
        printReports(reports, worst.verdict);
      }
      process.exitCode = worst.exit;
    });
}

/** The chip on the reader, fully verified (PA, AA, CA, consistency): its DG13 is what the QR must say. */
async function verifyChip(opts: VerifyOptions, trust: TrustStore | undefined): Promise<VerificationReport> {
  if (trust === undefined) throw new ValidationError('CLI_QR_CARD', '--card needs --trust to verify the chip', { field: '--trust' });
  const { access } = accessFromOptions(opts as CardCliOptions);
  const transport = await connectCard({ wait: '5', ...opts } as CardCliOptions);
  try {
    return await verifyCard(transport, { trust, access });
  } catch (e) {
    throw asCliError(e);
  } finally {
    await transport.close();
  }
}

/**
 * A QR backed by the chip: every field must equal DG13 of a chip that verified VALID. The plain
 * text, unsigned by itself, becomes VALID that way; any disagreement makes it INVALID.
 */
function withChip(report: ImageReport, chip: VerificationReport | undefined): ImageReport {
  if (chip === undefined) return report;
  const codes = report.codes.map((c): CodeReport => {
    if (c.fields === undefined) return c;
    const checks = crossCheckQr(c.fields as QrFields, chip.personal ?? {});
    const mismatch = checks.find((k) => !k.match);
    const base = { ...c, chip: { verdict: chip.verdict, checks } };
    if (mismatch !== undefined) {
      return { ...base, verdict: 'INVALID', code: 'QR_CHIP_MISMATCH', reason: `${mismatch.field} on the QR (${mismatch.qr ?? 'empty'}) differs from the chip (${mismatch.chip ?? 'empty'})` };
    }
    if (chip.verdict !== 'VALID') return { ...base, verdict: chip.verdict, code: 'CHIP_NOT_VALID', reason: `the chip verified ${chip.verdict}: ${c.reason}` };
    if (c.verdict === 'UNSIGNED') return { ...base, verdict: 'VALID', code: 'QR_MATCHES_CHIP', reason: `unsigned, but all ${checks.length} fields agree with the verified chip` };
    return base;
  });
  return Object.freeze({ ...report, codes });
}

async function sealOf(record: ReturnType<typeof parseCitizenRecord>, dir: string): Promise<Uint8Array> {
  const pki = await loadPki(dir);
  try {
    return await cccdSeal(record, { signer: pki.signers.seal, signerCertificate: pki.certificates.seal });
  } finally {
    pki.close();
  }
}

async function verifyImage(image: string, trust: TrustStore | undefined): Promise<ImageReport> {
  let codes;
  try {
    codes = await decodeQrImage(image);
  } catch (e) {
    if (e instanceof CancuocError) return Object.freeze({ image, codes: [], error: e.message });
    throw e;
  }
  if (codes.length === 0) return Object.freeze({ image, codes: [], error: 'no QR code found' });
  return Object.freeze({ image, codes: codes.map((c) => classifyQr(c.bytes, trust)) });
}

function printReports(reports: readonly ImageReport[], verdict: Verdict): void {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.image}:`);
    if (r.error !== undefined) out.push(`  ${r.error}`);
    for (const c of r.codes) {
      out.push(`  ${c.kind === 'cccd-text' ? 'plain CCCD text' : c.kind === 'vds' ? 'VDS seal' : 'unknown QR'}: ${c.verdict} (${c.code}) ${c.reason}`);
      for (const [k, v] of Object.entries(c.fields ?? {})) out.push(`    ${k.padEnd(22)} ${Array.isArray(v) ? v.join('|') : String(v)}`);
      if (c.chip !== undefined) {
        const bad = c.chip.checks.filter((k) => !k.match);
        out.push(`  chip (${c.chip.verdict}): ${bad.length === 0 ? `all ${c.chip.checks.length} QR fields agree with DG13` : bad.map((k) => `${k.field} differs`).join(', ')}`);
      }
    }
  }
  out.push(`VERDICT: ${verdict === 'UNSIGNED' ? 'UNTRUSTED (unsigned)' : verdict === 'UNREADABLE' ? 'BAD INPUT' : verdict}`);
  // QR text is anyone's to write: controls escaped (src/lds/display.ts)
  process.stdout.write(`${escapeLines(out)}\n`);
}
