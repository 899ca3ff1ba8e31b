/**
 * `cancuoc serve`: the API (api.ts) and the console (console.ts) on one HTTP or HTTPS listener,
 * in one process or in a worker per core (node:cluster). Workers share nothing but the registry
 * (store.ts): keys, secrets, answered challenges and the request log live there; /metrics sums
 * the workers' counters through the primary.
 */
import cluster from 'node:cluster';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TrustStore } from '../reader/trust-store.js';
import { createApi, type ApiLimits } from './api.js';
import type { CardReader } from './checkpoint.js';
import { Metrics, prometheusText, sumSnapshots, type MetricsSnapshot } from './metrics.js';
import type { ServiceStore } from './store.js';

export interface ServiceOptions {
  readonly trust: TrustStore;
  readonly store: ServiceStore;
  readonly limits: ApiLimits;
  /** Milliseconds a client has to send the whole request (408 after). */
  readonly requestTimeoutMs: number;
  readonly revocationList?: Uint8Array;
  /** PEM certificate chain and key: HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: Uint8Array; readonly key: Uint8Array };
  readonly console?: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly readCard?: CardReader;
}

export interface RunningService {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions, host: string, port: number): Promise<RunningService> {
  const metrics = new Metrics();
  const metricsText = cluster.isWorker ? () => clusterMetrics(metrics) : async () => prometheusText(metrics.snapshot());
  if (cluster.isWorker) answerMetricsRequests(metrics);
  const api = createApi({ ...options, metrics, metricsText });
  const serverOptions = {
    requestTimeout: options.requestTimeoutMs,
    headersTimeout: Math.min(options.requestTimeoutMs, 60_000),
    // How often Node checks the two timeouts above; the default (30 s) would let a slow client sit long past them.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, options.requestTimeoutMs / 4)),
    keepAliveTimeout: 5000,
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => api.handle(req, res);
  const server: Server =
    options.tls === undefined
      ? createHttpServer(serverOptions, handler)
      : createHttpsServer({ ...serverOptions, cert: Buffer.from(options.tls.cert), key: Buffer.from(options.tls.key) }, handler);
  // Too slow: 408; garbage instead of HTTP: 400; either way an answer, not a dropped connection.
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    const status = e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `${options.tls === undefined ? 'http' : 'https'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return Object.freeze({
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          api.flush();
          resolve();
        });
        server.closeIdleConnections();
      }),
  });
}

// ---------------------------------------------------------------------------------------------
// Metrics across workers: a worker asks the primary, which asks every worker and sums.

interface MetricsMessage {
  readonly cancuoc: 'metrics-request' | 'metrics-snapshot' | 'metrics-sum';
  readonly id: number;
  readonly snapshot?: MetricsSnapshot;
}

const isMetricsMessage = (m: unknown): m is MetricsMessage => typeof m === 'object' && m !== null && typeof (m as MetricsMessage).cancuoc === 'string';

let nextRequest = 0;
const waiting = new Map<number, (s: MetricsSnapshot) => void>();

function answerMetricsRequests(metrics: Metrics): void {
  process.on('message', (m: unknown) => {
    if (!isMetricsMessage(m)) return;
    if (m.cancuoc === 'metrics-request') process.send!({ cancuoc: 'metrics-snapshot', id: m.id, snapshot: metrics.snapshot() });
    if (m.cancuoc === 'metrics-sum') {
      waiting.get(m.id)?.(m.snapshot!);
      waiting.delete(m.id);
    }
  });
}

function clusterMetrics(own: Metrics): Promise<string> {
  const id = ++nextRequest;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      resolve(prometheusText(own.snapshot())); // the primary did not answer: this worker's own counts
    }, 2000);
    waiting.set(id, (s) => {
      clearTimeout(timer);
      resolve(prometheusText(s));
    });
    process.send!({ cancuoc: 'metrics-request', id });
  });
}

/**
 * In the primary: forks `count` workers, restarts any that dies once the service is up, and sums
 * metrics for them. A worker that fails before the service listens (a port in use, a bad file)
 * would fail again: then the others are stopped and `onStartFailure` gets its exit code.
 */
export function superviseWorkers(count: number, onListening: (url: string) => void, onStartFailure: (code: number) => void): void {
  let announced = false;
  let failed = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code) => {
    if (worker.exitedAfterDisconnect || failed) return;
    if (announced) return void fork();
    failed = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    onStartFailure(code === 0 ? 5 : code);
  });
  cluster.on('message', (worker, m: unknown) => {
    if (!isMetricsMessage(m)) {
      if (!announced && typeof m === 'object' && m !== null && typeof (m as { listening?: string }).listening === 'string') {
        announced = true;
        onListening((m as { listening: string }).listening);
      }
      return;
    }
    if (m.cancuoc !== 'metrics-request') return;
    // Ids are the primary's own: each worker numbers its requests from 1.
    const id = ++nextRequest;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is NonNullable<typeof w> => w !== undefined && w.isConnected());
    const snapshots: MetricsSnapshot[] = [];
    const listeners: (() => void)[] = [];
    const done = () => {
      for (const off of listeners) off();
      if (worker.isConnected()) worker.send({ cancuoc: 'metrics-sum', id: m.id, snapshot: sumSnapshots(snapshots) });
    };
    const timer = setTimeout(done, 1000);
    for (const w of workers) {
      const listener = (r: unknown) => {
        if (!isMetricsMessage(r) || r.cancuoc !== 'metrics-snapshot' || r.id !== id) return;
        snapshots.push(r.snapshot!);
        if (snapshots.length === workers.length) {
          clearTimeout(timer);
          done();
        }
      };
      w.on('message', listener);
      listeners.push(() => w.off('message', listener));
      w.send({ cancuoc: 'metrics-request', id });
    }
  });
}
