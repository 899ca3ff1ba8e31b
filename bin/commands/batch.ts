/**
 * `cancuoc batch run --queue Q.(csv|jsonl) --pki DIR --db registry.sqlite [--reader NAME]
 * [--limit N] [--json] [--trust ...]`: the production line (src/issuance/production-line.ts).
 * Enqueues the file's records (a second run adds none), then makes cards until the queue is
 * empty; after a crash the same command resumes. A progress bar on a terminal (stderr), one
 * JSON line per card on stdout with --json (ID number and document number, no other personal
 * data). Exit 0 all issued, 1 some set aside, 3 no reader / no card / line halted, 4 bad input.
 */
import type { Command } from 'commander';
import { loadPki } from '../../src/crypto/pki.js';
import { ValidationError } from '../../src/lds/errors.js';
import { LineError, openPcscStation, runProductionLine, type LineCardResult, type LineSummary } from '../../src/issuance/production-line.js';
import { loadQueueFile } from '../../src/issuance/queue-file.js';
import { Registry } from '../../src/issuance/registry.js';
import { listReaders } from '../../src/reader/pcsc.js';
import { TransportError } from '../../src/reader/transport.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { CliError, EXIT } from '../exit-codes.js';
import { loadTrust } from './trust.js';
import { photoBudgetOption } from './options.js';

interface BatchRunOptions {
  queue: string;
  pki: string;
  db: string;
  reader?: string;
  limit?: string;
  json?: boolean;
  trust?: string[];
  photoBudget: string;
  label?: string;
}

const NO_CARD_CODES = new Set(['NO_READER', 'NO_CARD', 'TIMEOUT', 'PCSC_NO_SERVICE', 'PCSC_UNAVAILABLE', 'LINE_NO_CARD', 'LINE_HALTED']);

export function registerBatch(program: Command): void {
  const batch = program.command('batch').description('the production line: personalize queued citizens card after card');
  batch
    .command('run')
    .description('enroll, personalize, verify, lock and register every queued citizen (resumes after a crash)')
    .requiredOption('--queue <file>', 'queue of enrollments: .jsonl or .csv (docs/queue.md)')
    .requiredOption('--pki <dir>', 'PKI made by `cancuoc pki init` (keys: CANCUOC_PASSPHRASE)')
    .requiredOption('--db <file>', 'registry database (created if missing)')
    .option('--reader <name>', 'PC/SC reader (default: the first one)')
    .option('--limit <n>', 'finish at most this many records in this run')
    .option('--json', 'one JSON line per card on stdout')
    .option('--trust <path...>', 'more trust for verification (the PKI CSCA and CRL are always trusted)')
    .option('--photo-budget <bytes>', 'largest DG2 JPEG', '15000')
    .option('--label <text>', 'batch label for the audit log')
    .action(async (opts: BatchRunOptions) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw new ValidationError('CLI_LIMIT', `--limit ${opts.limit}: expected a whole number`, { field: '--limit' });
      }
      const photoBudget = photoBudgetOption(opts.photoBudget);
      const entries = await loadQueueFile(opts.queue);
      const pki = await loadPki(opts.pki);
      const registry = Registry.open(opts.db);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let station;
      try {
        const trust = opts.trust === undefined ? new TrustStore() : (await loadTrust(opts.trust)).store;
        trust.addCertificates(pki.certificates.csca);
        trust.addCrl(pki.crl);
        const queued = registry.enqueue(entries);
        const reader = opts.reader ?? (await listReaders(2000))[0];
        if (reader === undefined) throw new CliError(EXIT.noCard, 'NO_READER', 'no PC/SC reader: is pcscd running?');
        station = await openPcscStation(reader);
        const counts = registry.counts();
        const total = Math.min(counts.queued + counts.onLine, limit ?? Infinity);
        const progress = new Progress(total, process.stderr.isTTY === true && opts.json !== true);
        if (opts.json !== true) process.stderr.write(`queue: ${queued.added.length} added, ${queued.skipped.length} already known; ${total} to make on "${reader}"\n`);
        const summary = await runProductionLine({
          registry,
          station,
          signers: { dsSigner: pki.signers.ds, dsCertificate: pki.certificates.ds, sealSigner: pki.signers.seal, sealCertificate: pki.certificates.seal },
          trust,
          photoBudget,
          signal: stop.signal,
          ...(limit === undefined ? {} : { limit }),
          ...(opts.label === undefined ? {} : { label: opts.label }),
          onCard: (r) => {
            if (opts.json === true) process.stdout.write(`${JSON.stringify(cardJson(r))}\n`);
            progress.card(r);
          },
        });
        progress.end();
        if (opts.json !== true) process.stdout.write(summaryText(summary));
        process.exitCode = summary.setAside > 0 ? EXIT.invalid : EXIT.ok;
      } catch (e) {
        if ((e instanceof LineError || e instanceof TransportError) && NO_CARD_CODES.has(e.code)) throw new CliError(EXIT.noCard, e.code, e.message, e);
        throw e;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await station?.close();
        registry.close();
        pki.close();
      }
    });
}

/** The JSON line of one card: no personal data beyond the ID number and the document number. */
function cardJson(r: LineCardResult): Record<string, unknown> {
  return {
    idNumber: r.idNumber,
    status: r.status,
    ...(r.documentNumber === undefined ? {} : { documentNumber: r.documentNumber }),
    ...(r.chipSerial === undefined ? {} : { chipSerial: r.chipSerial }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    resumed: r.resumed,
    ms: Math.round(r.ms),
  };
}

function summaryText(s: LineSummary): string {
  const perMin = s.issued === 0 ? 0 : (s.issued * 60_000) / s.elapsedMs;
  const stages = Object.entries(s.stages)
    .map(([k, ms]) => `${k} ${Math.round(ms)} ms`)
    .join(', ');
  return (
    `batch ${s.batchId}: ${s.issued} issued, ${s.setAside} set aside, ${s.rejectedCards} card(s) rejected in ` +
    `${(s.elapsedMs / 1000).toFixed(1)} s (${perMin.toFixed(1)} cards/min)\n  time per stage: ${stages}\n`
  );
}

/** A one-line progress bar on stderr, redrawn with \r: done/total, rate and ETA. */
class Progress {
  readonly #started = performance.now();
  #done = 0;
  #setAside = 0;

  constructor(
    private readonly total: number,
    private readonly tty: boolean,
  ) {}

  card(r: LineCardResult): void {
    this.#done++;
    if (r.status === 'set-aside') this.#setAside++;
    if (this.tty) process.stderr.write(`\r${this.#line()}`);
  }

  end(): void {
    if (this.tty) process.stderr.write('\n');
  }

  #line(): string {
    const width = 30;
    const total = Math.max(this.total, this.#done);
    const filled = total === 0 ? width : Math.round((this.#done / total) * width);
    const minutes = (performance.now() - this.#started) / 60_000;
    const rate = minutes > 0 ? this.#done / minutes : 0;
    const left = rate > 0 ? ((total - this.#done) / rate) * 60 : 0;
    const eta = `${Math.floor(left / 60)}:${String(Math.round(left % 60)).padStart(2, '0')}`;
    const aside = this.#setAside > 0 ? `, ${this.#setAside} set aside` : '';
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${total}${aside}  ${rate.toFixed(1)} cards/min  ETA ${eta} `;
  }
}
