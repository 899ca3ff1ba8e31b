/**
 * `cancuoc serve`: the verification service and console (src/service, docs/service.md), and
 * `cancuoc serve keys add|list|remove` for the API keys of its clients.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../src/lds/errors.js';
import { cardReader } from '../../src/service/checkpoint.js';
import { consoleHandler } from '../../src/service/console.js';
import { startService, superviseWorkers } from '../../src/service/server.js';
import { openServiceStore } from '../../src/service/store.js';
import { packageRoot } from './package-root.js';
import { loadTrust } from './trust.js';

interface ServeOptions {
  db: string;
  trust: string[];
  host: string;
  port: string;
  workers: string;
  cert?: string;
  key?: string;
  revocations?: string;
  rate: string;
  burst: string;
  bodyLimit: string;
  requestTimeout: string;
  challengeTtl: string;
  reader?: string | true;
  console: boolean;
}

function integer(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new ValidationError('CLI_NUMBER', `${option} ${text}: expected an integer from ${min} to ${max}`, { field: option });
  return n;
}

/** The zxing-wasm package folder, wherever npm put it (its exports name the reader's .wasm). */
function zxingPackage(): string {
  return dirname(dirname(dirname(createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm'))));
}

/** `serve keys …` takes the --db of `serve` (commander gives it to the parent wherever it stands). */
function dbOf(cmd: Command): string {
  const db = (cmd.optsWithGlobals() as { db?: string }).db;
  if (db === undefined) throw new ValidationError('CLI_SERVE', 'give the registry with --db FILE', { field: '--db' });
  return db;
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('the verification service for agencies and banks (JSON API, OpenAPI at /openapi.json) and the console')
    .option('--db <file>', 'registry database (API keys, secrets, answered challenges, request log)')
    .option('--trust <path...>', 'CSCA certificates, master lists, CRLs, revocation lists, or directories of them')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', '8080')
    .option('--workers <n>', 'worker processes (auto: one per core)', 'auto')
    .option('--cert <file>', 'PEM certificate chain: serve HTTPS (with --key)')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--revocations <file>', 'the signed revocation list to serve at /v1/revocations (and to check against)')
    .option('--rate <n>', 'requests a second per client', '200')
    .option('--burst <n>', 'burst per client', '400')
    .option('--body-limit <bytes>', 'largest request body', '1048576')
    .option('--request-timeout <ms>', 'time to send the whole request (408 after)', '10000')
    .option('--challenge-ttl <s>', 'lifetime of an Active Authentication challenge', '60')
    .option('--reader [name]', 'checkpoint: read cards on this PC/SC reader (default: the first with a card)')
    .option('--no-console', 'no web console, only the API')
    .action(async (opts: ServeOptions) => {
      if (opts.db === undefined || opts.trust === undefined) throw new ValidationError('CLI_SERVE', 'serve needs --db and --trust', { field: '--db' });
      if ((opts.cert === undefined) !== (opts.key === undefined)) throw new ValidationError('CLI_TLS', 'give both --cert and --key, or neither', { field: '--cert' });
      // One card reader, one process reading it: a checkpoint runs as a single process.
      const workers = opts.reader !== undefined ? integer(opts.workers === 'auto' ? '1' : opts.workers, '--workers (with --reader)', 1, 1)
        : opts.workers === 'auto' ? availableParallelism() : integer(opts.workers, '--workers', 1, 256);
      const port = integer(opts.port, '--port', 0, 65535);
      const { store: trust } = await loadTrust(opts.trust);
      const revocationList = opts.revocations === undefined ? undefined : new Uint8Array(await readFile(opts.revocations));
      if (revocationList !== undefined) {
        const added = trust.add(revocationList);
        if (!added.ok) throw new ValidationError('CLI_REVOCATIONS', `--revocations ${opts.revocations}: ${added.detail}`, { field: '--revocations' });
      }
      const tls = opts.cert === undefined ? undefined : { cert: new Uint8Array(await readFile(opts.cert)), key: new Uint8Array(await readFile(opts.key!)) };
      if (cluster.isPrimary) {
        // Created here once, so workers starting together never race to make the file.
        openServiceStore(opts.db, { create: true }).close();
        if (workers > 1) {
          superviseWorkers(
            workers,
            (url) => process.stdout.write(`cancuoc serve: listening on ${url} (${workers} workers)\n`),
            (code) => (process.exitCode = code), // the worker printed why
          );
          const stop = () => cluster.disconnect(() => process.exit(0));
          process.once('SIGTERM', stop).once('SIGINT', stop);
          return;
        }
      }
      const store = openServiceStore(opts.db);
      const share = cluster.isWorker ? workers : 1;
      const running = await startService(
        {
          trust,
          store,
          limits: {
            bodyBytes: integer(opts.bodyLimit, '--body-limit', 1024, 64 * 1024 * 1024),
            ratePerSecond: integer(opts.rate, '--rate', 1, 1_000_000) / share,
            burst: Math.max(1, integer(opts.burst, '--burst', 1, 1_000_000) / share),
            challengeLifetimeMs: integer(opts.challengeTtl, '--challenge-ttl', 5, 3600) * 1000,
          },
          requestTimeoutMs: integer(opts.requestTimeout, '--request-timeout', 100, 600_000),
          ...(revocationList && { revocationList }),
          ...(tls && { tls }),
          ...(opts.reader !== undefined && { readCard: cardReader(trust, opts.reader === true ? undefined : opts.reader) }),
          ...(opts.console && { console: consoleHandler({ pages: join(packageRoot(), 'console'), zxing: zxingPackage() }) }),
        },
        opts.host,
        port,
      ).catch((e: unknown) => {
        store.close();
        // A worker's IPC channel would keep it alive with the error printed: exit once cli.ts has set
        // the exit code (its handler runs first), so the primary sees it.
        if (cluster.isWorker) setImmediate(() => process.exit());
        throw e;
      });
      if (cluster.isWorker) process.send!({ listening: running.url });
      else process.stdout.write(`cancuoc serve: listening on ${running.url}\n`);
      const stop = () =>
        void running.close().then(() => {
          store.close();
          process.exit(0);
        });
      process.once('SIGTERM', stop).once('SIGINT', stop);
      if (cluster.isWorker) process.once('disconnect', stop);
    });

  const keys = serve.command('keys').description("the API keys of the service's clients");
  keys
    .command('add')
    .description('make an API key for a client; it is printed once and only its hash is kept')
    .argument('<name>', 'client name (letters, digits, . _ -)')
    .action((name: string, _opts: unknown, cmd: Command) => {
      const store = openServiceStore(dbOf(cmd), { create: true });
      try {
        process.stdout.write(`${store.addClient(name, new Date())}\n`);
      } finally {
        store.close();
      }
    });
  keys
    .command('list')
    .description('the clients that have a key')
    .action((_opts: unknown, cmd: Command) => {
      const store = openServiceStore(dbOf(cmd));
      try {
        for (const c of store.listClients()) process.stdout.write(`${c.name}\t${c.createdAt}\n`);
      } finally {
        store.close();
      }
    });
  keys
    .command('remove')
    .description("remove a client's key")
    .argument('<name>', 'client name')
    .action((name: string, _opts: unknown, cmd: Command) => {
      const store = openServiceStore(dbOf(cmd));
      try {
        if (!store.removeClient(name)) throw new ValidationError('SERVICE_NO_CLIENT', `no client named ${name}`, { field: 'name' });
        process.stdout.write(`removed the key of ${name}\n`);
      } finally {
        store.close();
      }
    });
}
