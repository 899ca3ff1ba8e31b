/**
 * `cancuoc batch run --queue Q.(csv|jsonl) --pki DIR --db (registry.sqlite|postgres://…) [--reader NAME]...
 * [--all-readers] [--limit N] [--json] [--trust ...] [--faces DIR]`: the production line
 * (src/issuance/production-line.ts), one station per reader, all in this process. Enqueues the
 * file's records (a second run adds none), then makes cards until the queue is empty; after a
 * crash the same command resumes. A progress bar on a terminal (stderr), one JSON line per card
 * on stdout with --json (station, ID number and document number, no other personal data).
 * Exit 0 all issued, 1 some set aside, 3 no reader / no card / line halted, 4 bad input
 * (an unknown --reader, a registry another batch run is using).
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { loadPki } from '../../src/crypto/pki.js';
import { ValidationError } from '../../src/lds/errors.js';
import { LineError, openPcscStation, type CardStation } from '../../src/issuance/line-card.js';
import { runProductionLine, type LineCardResult, type LineSummary } from '../../src/issuance/production-line.js';
import { loadQueueFile } from '../../src/issuance/queue-file.js';
import { listReaders } from '../../src/reader/pcsc.js';
import { TransportError } from '../../src/reader/transport.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { CliError, EXIT } from '../exit-codes.js';
import { loadTrust } from './trust.js';
import { eacOption, photoBudgetOption } from './options.js';
import { openRegistry, registryOptions, type RegistryTarget } from './registry-target.js';

interface BatchRunOptions extends RegistryTarget {
  queue: string;
  pki: string;
  reader: string[];
  allReaders?: boolean;
  limit?: string;
  json?: boolean;
  trust?: string[];
  photoBudget: string;
  label?: string;
  site?: string;
  faces?: string;
}

const NO_CARD_CODES = new Set(['NO_READER', 'NO_CARD', 'TIMEOUT', 'PCSC_NO_SERVICE', 'PCSC_UNAVAILABLE', 'LINE_NO_CARD', 'LINE_HALTED']);

export function registerBatch(program: Command): void {
  const batch = program.command('batch').description('the production line: personalize queued citizens card after card');
  registryOptions(batch.command('run'), 'registry (created if missing)')
    .description('enroll, personalize, verify, lock and register every queued citizen (resumes after a crash)')
    .requiredOption('--queue <file>', 'queue of enrollments: .jsonl or .csv (docs/queue.md)')
    .requiredOption('--pki <dir>', 'PKI made by `cancuoc pki init` (keys: CANCUOC_PASSPHRASE)')
    .option('--reader <name>', 'PC/SC reader, one station each; repeat for several stations (default: the first reader)', (v: string, all: string[]) => [...all, v], [])
    .option('--all-readers', 'one station on every reader pcscd lists')
    .option('--limit <n>', 'finish at most this many records in this run')
    .option('--json', 'one JSON line per card on stdout')
    .option('--trust <path...>', 'more trust for verification (the PKI CSCA and CRL are always trusted)')
    .option('--photo-budget <bytes>', 'largest DG2 JPEG', '15000')
    .option('--label <text>', 'batch label for the audit log')
    .addOption(
      new Option('--site <name>', 'this machine on a shared registry: its stations are named SITE/reader (docs/registry.md, "One run per station")').env('CANCUOC_SITE'),
    )
    .option('--faces <dir>', "write each issued card's face for the printer: DIR/<document number>-front.png and -back.png")
    .action(async (opts: BatchRunOptions) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw new ValidationError('CLI_LIMIT', `--limit ${opts.limit}: expected a whole number`, { field: '--limit' });
      }
      const photoBudget = photoBudgetOption(opts.photoBudget);
      if (opts.site !== undefined && !/^[A-Za-z0-9._-]{1,40}$/.test(opts.site)) {
        throw new ValidationError('CLI_SITE', `--site ${JSON.stringify(opts.site.slice(0, 50))}: expected 1 to 40 letters, digits, '.', '_' or '-'`, { field: '--site' });
      }
      if (opts.faces !== undefined) await faceDirectory(opts.faces);
      const entries = await loadQueueFile(opts.queue);
      const pki = await loadPki(opts.pki);
      let readers: readonly string[];
      try {
        readers = await chooseReaders(opts.reader, opts.allReaders === true);
      } catch (e) {
        pki.close();
        throw noCard(e);
      }
      let registry;
      try {
        registry = await openRegistry(opts);
      } catch (e) {
        pki.close();
        throw e;
      }
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const stations: (CardStation & { close(): Promise<void> })[] = [];
      try {
        const trust = opts.trust === undefined ? new TrustStore() : (await loadTrust(opts.trust)).store;
        trust.addCertificates(pki.certificates.csca);
        trust.addCrl(pki.crl);
        const queued = await registry.enqueue(entries);
        for (const reader of readers) {
          const station = await openPcscStation(reader);
          stations.push(opts.site === undefined ? station : { ...station, name: `${opts.site}/${reader}` });
        }
        const counts = await registry.counts();
        const total = Math.min(counts.queued + counts.onLine, limit ?? Infinity);
        const progress = new Progress(total, readers, process.stderr.isTTY === true && opts.json !== true);
        if (opts.json !== true) {
          const on = readers.length === 1 ? `"${readers[0]}"` : readers.map((r, i) => `${i + 1} "${r}"`).join(', ');
          process.stderr.write(`queue: ${queued.added.length} added, ${queued.skipped.length} already known; ${total} to make on ${on}\n`);
        }
        const summary = await runProductionLine({
          registry,
          stations,
          signers: {
            dsSigner: pki.signers.ds,
            dsCertificate: pki.certificates.ds,
            sealSigner: pki.signers.seal,
            sealCertificate: pki.certificates.seal,
            ...eacOption(pki),
          },
          trust,
          photoBudget,
          ...(opts.faces === undefined ? {} : { faceDir: opts.faces }),
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
        throw noCard(e);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await Promise.all(stations.map((s) => s.close()));
        await registry.close();
        pki.close();
        // node-pcsclite 1.0 may leave a reader thread holding the event loop after its context is
        // closed (src/reader/pcsc.ts, PcscSession.close); with several readers and a busy CPU it
        // happens now and then. Everything is closed and written: do not wait for it.
        setTimeout(() => process.exit(), 3000).unref();
      }
    });
}

/** A --faces directory that cannot take files is the operator's to fix before any card: not a card set aside. */
async function faceDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new CliError(EXIT.badInput, 'CLI_FACES', `--faces ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Errors of the card side (no reader, no card, the line halted) exit 3; others go as they are. */
function noCard(e: unknown): unknown {
  if ((e instanceof LineError || e instanceof TransportError) && NO_CARD_CODES.has(e.code)) return new CliError(EXIT.noCard, e.code, e.message, e);
  return e;
}

/**
 * The readers to run stations on: those named (each once, each known to pcscd), every reader
 * with --all-readers, else the first one pcscd lists.
 */
async function chooseReaders(named: readonly string[], all: boolean): Promise<readonly string[]> {
  const bad = (message: string): CliError => new CliError(EXIT.badInput, 'CLI_READER', message);
  if (all && named.length > 0) throw bad('give --reader or --all-readers, not both');
  const twice = named.find((r, i) => named.indexOf(r) !== i);
  if (twice !== undefined) throw bad(`--reader "${twice}" is given twice: one station per reader`);
  const present = await listReaders(2000);
  if (present.length === 0) throw new CliError(EXIT.noCard, 'NO_READER', 'no PC/SC reader: is pcscd running?');
  if (all) return present;
  if (named.length === 0) return [present[0]!];
  const unknown = named.find((r) => !present.includes(r));
  if (unknown !== undefined) throw bad(`--reader "${unknown}": no such reader (pcscd has ${present.map((r) => `"${r}"`).join(', ')})`);
  return named;
}

/** The JSON line of one card: no personal data beyond the ID number and the document number. */
function cardJson(r: LineCardResult): Record<string, unknown> {
  return {
    station: r.station,
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
  const per =
    s.stations.length > 1 ? s.stations.map((st) => `  "${st.station}": ${st.issued} issued, ${st.setAside} set aside, ${st.rejectedCards} rejected\n`).join('') : '';
  return (
    `batch ${s.batchId}: ${s.issued} issued, ${s.setAside} set aside, ${s.rejectedCards} card(s) rejected in ` +
    `${(s.elapsedMs / 1000).toFixed(1)} s (${perMin.toFixed(1)} cards/min)\n${per}  time per stage (all stations): ${stages}\n`
  );
}

/** A one-line progress bar on stderr, redrawn with \r: done/total, cards per station, rate and ETA. */
class Progress {
  readonly #started = performance.now();
  readonly #perStation: Map<string, number>;
  #done = 0;
  #setAside = 0;

  constructor(
    private readonly total: number,
    readers: readonly string[],
    private readonly tty: boolean,
  ) {
    this.#perStation = new Map(readers.map((r) => [r, 0]));
  }

  card(r: LineCardResult): void {
    this.#done++;
    if (r.status === 'set-aside') this.#setAside++;
    this.#perStation.set(r.station, (this.#perStation.get(r.station) ?? 0) + 1);
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
    // Stations by their number in the "queue: …" line: cards each.
    const stations = this.#perStation.size > 1 ? ` (${[...this.#perStation.values()].map((n, i) => `${i + 1}: ${n}`).join(', ')})` : '';
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${total}${aside}${stations}  ${rate.toFixed(1)} cards/min  ETA ${eta} `;
  }
}
