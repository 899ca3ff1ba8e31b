/**
 * The JSON API of `cancuoc serve` (docs/service.md, served as OpenAPI at /openapi.json):
 * challenges, document and QR verification, the revocation list, health and metrics. Every
 * request is counted and logged (client, time, route, status, verdict, keyed hash of the document
 * number); nothing personal leaves through the log.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { documentNumberFromId } from '../lds/cccd-id.js';
import { fileByName } from '../lds/files.js';
import { CancuocError } from '../lds/errors.js';
import { decodeQrImage } from '../qr/decode-image.js';
import { classifyQr, QR_VERDICT_ORDER, type QrCodeReport } from '../reader/qr-verify.js';
import type { TrustStore } from '../reader/trust-store.js';
import { verificationJson, verifyDump, type VerificationReport } from '../reader/verify.js';
import { ChallengeError, challenges } from './challenges.js';
import type { CardReader } from './checkpoint.js';
import { base64Field, HttpError, mediaType, parseJsonBody, readBody, sendError, sendJson } from './http-io.js';
import type { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import type { RequestLogEntry, ServiceStore } from './store.js';

export interface ApiLimits {
  /** Largest request body, bytes. */
  readonly bodyBytes: number;
  /** Requests a second per client (this process's share), and the burst allowed. */
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly challengeLifetimeMs: number;
}

export interface ApiOptions {
  readonly trust: TrustStore;
  readonly store: ServiceStore;
  readonly limits: ApiLimits;
  readonly metrics: Metrics;
  /** The Prometheus text for /metrics (the sum over workers when there are several). */
  readonly metricsText: () => Promise<string>;
  /** The signed revocation list served at /v1/revocations (docs/revocation-list.md). */
  readonly revocationList?: Uint8Array;
  /** The checkpoint's card reader (checkpoint.ts); without it /v1/card/verify answers 404. */
  readonly readCard?: CardReader;
  /** Serves the console's pages; false when the path is not one of them. */
  readonly console?: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly now?: () => number;
}

/** What a handler tells the log: a verdict and the document it was about. */
interface Outcome {
  verdict: string | null;
  document: string | null;
}

type Handler = (req: IncomingMessage, res: ServerResponse, client: string, outcome: Outcome) => Promise<void>;

const FLUSH_MS = 100;

export interface Api {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Writes the request log still buffered. */
  flush(): void;
}

export function createApi(options: ApiOptions): Api {
  const { store, limits, metrics, trust } = options;
  const now = options.now ?? Date.now;
  const limiter = new RateLimiter(limits.ratePerSecond, limits.burst);
  const nonces = challenges(store.secret('challenge'), limits.challengeLifetimeMs, (id, exp, t) => store.useChallenge(id, exp, t));
  const auditKey = store.secret('audit');
  // The document number (for a CCCD the last 9 digits of the ID, cccd-profile.md), so a chip and its QR trace alike.
  const documentHash = (documentNumber: string | undefined, id?: unknown) => {
    const n = documentNumber ?? (typeof id === 'string' && /^\d{12}$/.test(id) ? documentNumberFromId(id) : undefined);
    return n === undefined ? null : createHmac('sha256', auditKey).update(n, 'utf8').digest('hex').slice(0, 32);
  };
  const openApi = JSON.stringify(openApiDocument());

  let pending: RequestLogEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const entries = pending;
    pending = [];
    store.logRequests(entries);
  };
  const log = (entry: RequestLogEntry) => {
    pending.push(entry);
    if (pending.length >= 500) flush();
    else timer ??= setTimeout(flush, FLUSH_MS).unref();
  };

  const verifyDocument: Handler = async (req, res, _client, outcome) => {
    const body = parseJsonBody(await jsonBody(req, limits.bodyBytes));
    const files = filesOf(body.files);
    const aa = body.activeAuthentication;
    let activeAuth: { challenge: Uint8Array; signature: Uint8Array } | undefined;
    if (aa !== undefined) {
      if (aa === null || typeof aa !== 'object') throw new HttpError(400, 'BAD_REQUEST', 'activeAuthentication must be an object { challenge, signature }');
      const { challenge, signature } = aa as Record<string, unknown>;
      if (typeof challenge !== 'string') throw new HttpError(400, 'BAD_REQUEST', 'activeAuthentication.challenge must be the string POST /v1/challenges gave');
      const sig = base64Field(signature, 'activeAuthentication.signature');
      activeAuth = { challenge: redeem(challenge), signature: sig };
    }
    const report = verifyDump(files, { trust, at: new Date(now()), ...(activeAuth && { activeAuth }) });
    outcome.verdict = report.verdict;
    outcome.document = documentHash(report.mrz?.documentNumber, report.personal?.personalId);
    sendJson(res, 200, { ...verificationJson(report), presence: presenceOf(report, activeAuth !== undefined) });
  };

  const redeem = (token: string): Uint8Array => {
    try {
      return nonces.redeem(token, now());
    } catch (e) {
      if (e instanceof ChallengeError) throw new HttpError(e.code === 'CHALLENGE_USED' ? 409 : 400, e.code, e.message);
      throw e;
    }
  };

  const verifyQr: Handler = async (req, res, _client, outcome) => {
    const type = mediaType(req);
    let codes: QrCodeReport[];
    let error: string | undefined;
    if (type === 'image/png' || type === 'image/jpeg') {
      const image = await readBody(req, limits.bodyBytes);
      let found;
      try {
        found = await decodeQrImage(image, { budgetMs: 1500 });
      } catch (e) {
        if (e instanceof CancuocError) throw new HttpError(400, 'BAD_IMAGE', `the body is not a readable ${type} image`);
        throw e;
      }
      codes = found.map((c) => classifyQr(c.bytes, trust));
      if (codes.length === 0) error = 'no QR code found';
    } else if (type === 'application/json') {
      const body = parseJsonBody(await readBody(req, limits.bodyBytes));
      const bytes =
        typeof body.text === 'string' ? new TextEncoder().encode(body.text) : body.bytes !== undefined ? base64Field(body.bytes, 'bytes') : undefined;
      if (bytes === undefined) throw new HttpError(400, 'BAD_REQUEST', 'give the QR content as "text" (a string) or "bytes" (base64)');
      codes = [classifyQr(bytes, trust)];
    } else {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send image/png, image/jpeg or application/json');
    }
    const verdict = QR_VERDICT_ORDER.find((v) => codes.some((c) => c.verdict === v)) ?? 'UNREADABLE';
    outcome.verdict = verdict;
    outcome.document = documentHash(undefined, codes.map((c) => c.fields?.personalId).find((x) => typeof x === 'string'));
    sendJson(res, 200, { verdict, codes, ...(error !== undefined && { error }) });
  };

  const verifyCard: Handler = async (req, res, _client, outcome) => {
    const body = parseJsonBody(await jsonBody(req, limits.bodyBytes));
    if (options.readCard === undefined) throw new HttpError(404, 'NO_READER', 'this service was started without a card reader (--reader)');
    const { report, faceImage } = await options.readCard(body);
    outcome.verdict = report.verdict;
    outcome.document = documentHash(report.mrz?.documentNumber, report.personal?.personalId);
    sendJson(res, 200, { ...verificationJson(report), presence: 'chip', ...(faceImage !== undefined && { faceImage }) });
  };

  const routes: Readonly<Record<string, { method: string; auth: boolean; handler: Handler }>> = {
    '/healthz': { method: 'GET', auth: false, handler: async (_q, res) => sendJson(res, 200, { status: 'ok' }) },
    '/metrics': {
      method: 'GET',
      auth: false,
      handler: async (_q, res) => {
        const text = await options.metricsText();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    },
    '/openapi.json': {
      method: 'GET',
      auth: false,
      handler: async (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(openApi) });
        res.end(openApi);
      },
    },
    '/v1/challenges': { method: 'POST', auth: true, handler: async (_q, res) => sendJson(res, 201, nonces.issue(now())) },
    '/v1/documents/verify': { method: 'POST', auth: true, handler: verifyDocument },
    '/v1/qr/verify': { method: 'POST', auth: true, handler: verifyQr },
    '/v1/card/verify': { method: 'POST', auth: true, handler: verifyCard },
    '/v1/revocations': {
      method: 'GET',
      auth: true,
      handler: async (_q, res) => {
        const list = options.revocationList;
        if (list === undefined) throw new HttpError(404, 'NO_REVOCATION_LIST', 'this service was started without a revocation list');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': list.length });
        res.end(list);
      },
    },
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    const route = Object.hasOwn(routes, path) ? routes[path]! : undefined;
    const outcome: Outcome = { verdict: null, document: null };
    let client = '-';
    // 'close' comes for every request, also one the client gave up on (logged as 499, as nginx does).
    res.on('close', () => {
      const name = route === undefined ? 'other' : path;
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.record(name, status, Number(process.hrtime.bigint() - started) / 1e9, outcome.verdict);
      log({ time: new Date(now()).toISOString(), client, route: name, status, verdict: outcome.verdict, document: outcome.document });
    });
    const run = async (): Promise<void> => {
      if (route === undefined) {
        if (options.console?.(req, res) === true) return;
        throw new HttpError(404, 'NOT_FOUND', `no such path: ${path.slice(0, 100)}`);
      }
      if (req.method !== route.method) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${route.method}`);
      if (route.auth) {
        client = authenticate(req);
        const wait = limiter.take(client, now());
        if (wait > 0) {
          req.resume();
          return sendError(res, new HttpError(429, 'RATE_LIMITED', `client ${client} is over its rate limit; retry in ${wait} s`), { 'retry-after': String(wait) });
        }
      }
      await route.handler(req, res, client, outcome);
    };
    run().catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof HttpError) return sendError(res, e, e.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      // A bug, not bad input: one line, no request data (it may be personal).
      process.stderr.write(`cancuoc serve: internal error on ${path}: ${e instanceof Error ? e.name : 'error'}\n`);
      sendError(res, new HttpError(500, 'INTERNAL', 'internal error'));
    });
  }

  function authenticate(req: IncomingMessage): string {
    const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(req.headers.authorization ?? '');
    const client = m === null ? undefined : store.clientOfKey(m[1]!);
    if (client === undefined) {
      req.resume();
      throw new HttpError(401, 'UNAUTHORIZED', 'send a valid API key as "Authorization: Bearer KEY"');
    }
    return client;
  }

  return Object.freeze({ handle, flush });
}

async function jsonBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  if (mediaType(req) !== 'application/json') {
    req.resume();
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
  }
  return readBody(req, limit);
}

/** `files`: LDS file name (SOD, COM, DG1…DG16, CardAccess) → base64. */
function filesOf(value: unknown): Map<string, Uint8Array> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'BAD_REQUEST', '"files" must be an object of LDS file names (SOD, DG1, …) to base64');
  }
  const files = new Map<string, Uint8Array>();
  for (const [name, b64] of Object.entries(value)) {
    if (fileByName(name) === undefined) throw new HttpError(400, 'BAD_REQUEST', `files.${name.slice(0, 40)} is not an LDS file name (SOD, COM, CardAccess, DG1…DG16)`);
    files.set(name, base64Field(b64, `files.${name}`));
  }
  if (!files.has('SOD')) throw new HttpError(400, 'BAD_REQUEST', 'files.SOD is missing: nothing can be verified without EF.SOD');
  return files;
}

/** A chip was present only when it answered this service's own challenge and AA passed (bound to the SOD). */
function presenceOf(report: VerificationReport, answered: boolean): 'chip' | 'data-only' {
  const aa = report.checks.find((c) => c.id === 'aa');
  return answered && aa?.status === 'pass' ? 'chip' : 'data-only';
}
