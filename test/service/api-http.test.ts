/**
 * `cancuoc serve` over real HTTP on loopback, two workers (node:cluster) sharing one registry:
 * verdicts on dumps (genuine, tampered, foreign signer), Active Authentication over the server's
 * own challenge (ICAO 9303-11 §6.1) and its replay, API keys, rate limits, body size and time
 * limits, malformed input, the request log, metrics and the OpenAPI document every response is
 * checked against. The PKI is made by the openssl CLI (test/verify/cards.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentSet } from '../../src/issuance/document-set.js';
import { openCard } from '../../src/reader/card-session.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { initPki } from '../../src/crypto/pki.js';
import { openServiceStore } from '../../src/service/store.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/openssl-pki.js';
import { issueCard, makePki, personalizedChip, type TestPki } from '../verify/cards.js';
import { expectDocumented, loadSpec } from './openapi-check.js';
import { serve, type Served } from './serve.js';

const tmp = tempDir('cancuoc-serve-');
const record = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/citizens/citizen-01.json'), 'utf8')) as { id: string; fullName: string };
const db = join(tmp.path, 'registry.db');
let pki: TestPki;
let card: DocumentSet;
let foreign: DocumentSet;
let server: Served;
let spec: Awaited<ReturnType<typeof loadSpec>>;

/** A fresh client per test, so that rate limits of one test do not touch another. */
function newKey(name: string): string {
  const store = openServiceStore(db);
  try {
    return store.addClient(`${name}-${randomBytes(3).toString('hex')}`, new Date());
  } finally {
    store.close();
  }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const filesOf = (set: DocumentSet, changes: Record<string, Uint8Array> = {}) =>
  Object.fromEntries([...set.files].filter(([n]) => n !== 'CardAccess').map(([n, b]) => [n, b64(changes[n] ?? b)]));

interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, key: string | undefined, body?: unknown, type = 'application/json'): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': type };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const payload = body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(payload !== undefined && { body: payload }) });
  const text = await res.text();
  const answer = { status: res.status, type: res.headers.get('content-type') ?? '', body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
  expectDocumented(spec, method, path, answer);
  return answer;
}

const check = (a: Answer, id: string) => (a.body.checks as { id: string; status: string; code: string }[]).find((c) => c.id === id);

beforeAll(async () => {
  pki = makePki();
  card = await issueCard('01', pki.ds);
  foreign = await issueCard('02', pki.foreignDs);
  writeFileSync(join(tmp.path, 'csca.der'), pki.csca.cert.der);
  const made = runCli(['serve', 'keys', 'add', 'bank-cli', '--db', db]);
  expect(made.status).toBe(0);
  // A second PKI made by `pki init`: its seal signer seals the QR, its DS signs the revocation list.
  await initPki({ dir: join(tmp.path, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
  const sealed = runCli(['qr', 'make', '--record', 'fixtures/citizens/citizen-01.json', '--seal', '--pki', join(tmp.path, 'pki'), '--out', join(tmp.path, 'seal.png')]);
  expect(sealed.status, sealed.stderr).toBe(0);
  const exported = runCli(['registry', 'export-revocations', '--db', db, '--pki', join(tmp.path, 'pki'), '--out', join(tmp.path, 'revocations.rl')]);
  expect(exported.status, exported.stderr).toBe(0);
  server = await serve([
    ...['--db', db, '--trust', join(tmp.path, 'csca.der'), join(tmp.path, 'pki'), '--revocations', join(tmp.path, 'revocations.rl'), '--workers', '2'],
    ...['--rate', '10', '--burst', '10', '--body-limit', '200000', '--request-timeout', '1000', '--challenge-ttl', '30'],
  ]);
  spec = await loadSpec(server.url);
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  pki?.remove();
  tmp.remove();
});

describe('verdicts on dumps', () => {
  it('a genuine dump: VALID, data only (no chip answered), the same checks as verify --json', async () => {
    const a = await call('POST', '/v1/documents/verify', newKey('bank'), { files: filesOf(card) });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ verdict: 'VALID', source: 'dump', presence: 'data-only' });
    expect(check(a, 'aa')).toMatchObject({ status: 'not-applicable', code: 'NO_CHIP' });
    expect(check(a, 'dg.13.hash')).toMatchObject({ status: 'pass' });
    expect(check(a, 'revocation')).toMatchObject({ status: 'pass' }); // --revocations was loaded into the trust store
    expect((a.body.personal as Record<string, string>).personalId).toBe(record.id);
  });

  it('a DG13 changed after signing: INVALID, the DG13 hash fails', async () => {
    const dg13 = card.files.get('DG13')!.slice();
    dg13[dg13.length - 1]! ^= 0x01;
    const a = await call('POST', '/v1/documents/verify', newKey('bank'), { files: filesOf(card, { DG13: dg13 }) });
    expect(a.body.verdict).toBe('INVALID');
    expect(check(a, 'dg.13.hash')).toMatchObject({ status: 'fail' });
  });

  it('signed under a CSCA the service does not trust: UNTRUSTED', async () => {
    const a = await call('POST', '/v1/documents/verify', newKey('bank'), { files: filesOf(foreign) });
    expect(a.body.verdict).toBe('UNTRUSTED');
    expect(check(a, 'chain')).toMatchObject({ status: 'fail', code: 'ISSUER_NOT_TRUSTED' });
  });
});

describe('Active Authentication over the service challenge', () => {
  /** The virtual chip answers INTERNAL AUTHENTICATE 00 88 00 00 08 nonce under PACE secure messaging. */
  async function chipSigns(nonce: Uint8Array): Promise<Uint8Array> {
    const session = await openCard(InProcessTransport.open(await personalizedChip({ set: card })), { can: card.can });
    try {
      const response = await session.transport.transmit(Uint8Array.of(0x00, 0x88, 0x00, 0x00, 0x08, ...nonce, 0x00));
      expect([...response.subarray(-2)]).toEqual([0x90, 0x00]);
      return response.slice(0, -2);
    } finally {
      await session.close();
    }
  }

  it('the chip signs the nonce: presence proven, aa passes; the same answer again is refused as a replay', async () => {
    const key = newKey('bank');
    const c = await call('POST', '/v1/challenges', key);
    expect(c.status).toBe(201);
    const nonce = new Uint8Array(Buffer.from(c.body.nonce as string, 'base64'));
    expect(nonce.length).toBe(8);
    const activeAuthentication = { challenge: c.body.challenge, signature: b64(await chipSigns(nonce)) };
    const a = await call('POST', '/v1/documents/verify', key, { files: filesOf(card), activeAuthentication });
    expect(a.body).toMatchObject({ verdict: 'VALID', presence: 'chip' });
    expect(check(a, 'aa')).toMatchObject({ status: 'pass', code: 'OK' });
    // Twice more: whichever worker takes it, the registry remembers the first use.
    for (let i = 0; i < 2; i++) {
      const again = await call('POST', '/v1/documents/verify', key, { files: filesOf(card), activeAuthentication });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'CHALLENGE_USED' });
    }
  });

  it('an answer to another nonce fails aa: INVALID, no presence', async () => {
    const key = newKey('bank');
    const c = await call('POST', '/v1/challenges', key);
    const signature = b64(await chipSigns(new Uint8Array(randomBytes(8))));
    const a = await call('POST', '/v1/documents/verify', key, { files: filesOf(card), activeAuthentication: { challenge: c.body.challenge, signature } });
    expect(a.body).toMatchObject({ verdict: 'INVALID', presence: 'data-only' });
    expect(check(a, 'aa')).toMatchObject({ status: 'fail', code: 'AA_SIGNATURE_INVALID' });
  });

  it('a challenge the service did not make (tag changed) or a made-up one is refused with 400', async () => {
    const key = newKey('bank');
    const c = await call('POST', '/v1/challenges', key);
    const token = Buffer.from(c.body.challenge as string, 'base64url');
    token[token.length - 1]! ^= 0x01;
    const forged = await call('POST', '/v1/documents/verify', key, {
      files: filesOf(card),
      activeAuthentication: { challenge: token.toString('base64url'), signature: b64(new Uint8Array(64)) },
    });
    expect(forged.status).toBe(400);
    expect(forged.body.error).toMatchObject({ code: 'CHALLENGE_FOREIGN' });
    const madeUp = await call('POST', '/v1/documents/verify', key, { files: filesOf(card), activeAuthentication: { challenge: 'abc', signature: 'AAAA' } });
    expect(madeUp.body.error).toMatchObject({ code: 'CHALLENGE_MALFORMED' });
  });
});

describe('clients and limits', () => {
  it('no key or an unknown key: 401 with WWW-Authenticate; the key made by `serve keys add` works', async () => {
    for (const key of [undefined, 'cck_not-a-key']) {
      const a = await call('POST', '/v1/challenges', key);
      expect(a.status).toBe(401);
      expect(a.body.error).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    const res = await fetch(`${server.url}/v1/challenges`, { method: 'POST' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const store = openServiceStore(db);
    expect(store.listClients().map((c) => c.name)).toContain('bank-cli');
    store.close();
  });

  it('a flood from one client: 429 with Retry-After, never a 5xx, other clients unaffected', async () => {
    const key = newKey('flood');
    const answers = await Promise.all(Array.from({ length: 60 }, () => fetch(`${server.url}/v1/challenges`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
    expect(Number(answers.find((r) => r.status === 429)!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call('POST', '/v1/challenges', newKey('calm'))).status).toBe(201);
  });

  it('a body over the limit: 413', async () => {
    const a = await call('POST', '/v1/documents/verify', newKey('bank'), { files: { SOD: 'A'.repeat(300_000) } });
    expect(a.status).toBe(413);
    expect(a.body.error).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  it('a request not finished within --request-timeout: 408', async () => {
    const { port } = new URL(server.url);
    const key = newKey('slow');
    const status = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /v1/documents/verify HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":`);
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data.split('\r\n')[0]!));
      socket.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('malformed JSON, bad base64, wrong shapes: 400 with one clear message each', async () => {
    const cases: [unknown, string, RegExp][] = [
      ['{"files": {', 'BAD_JSON', /not valid JSON/],
      ['[1,2]', 'BAD_JSON', /JSON object/],
      [{ files: { SOD: 'not base64!' } }, 'BAD_BASE64', /files\.SOD is not valid base64/],
      [{ files: { SOD: 'QUJDRA=' } }, 'BAD_BASE64', /files\.SOD is not valid base64/],
      [{ files: { SOD: 'QU=D' } }, 'BAD_BASE64', /files\.SOD is not valid base64/],
      [{ files: { SOD: 'QUJD====' } }, 'BAD_BASE64', /files\.SOD is not valid base64/],
      [{ files: { SOD: 'QUJ DQUJ' } }, 'BAD_BASE64', /files\.SOD is not valid base64/],
      [{ files: { SOD: 'QUJD-_JD' } }, 'BAD_BASE64', /files\.SOD is not valid base64/],
      [{ files: { SOD: 'QUJDQ!==' } }, 'BAD_BASE64', /files\.SOD is not valid base64/],
      [{ files: { SOD: 'QUJD' }, activeAuthentication: { challenge: 'x', signature: '***' } }, 'BAD_BASE64', /activeAuthentication\.signature/],
      [{ files: { DG1: 'QUJD' } }, 'BAD_REQUEST', /files\.SOD is missing/],
      [{ files: { EVIL: 'QUJD', SOD: 'QUJD' } }, 'BAD_REQUEST', /files\.EVIL is not an LDS file name/],
      [{ files: 'x' }, 'BAD_REQUEST', /"files" must be an object/],
    ];
    for (const [body, code, message] of cases) {
      const a = await call('POST', '/v1/documents/verify', newKey('bank'), body);
      expect(a.status, JSON.stringify(body)).toBe(400);
      expect((a.body.error as { code: string }).code).toBe(code);
      expect((a.body.error as { message: string }).message).toMatch(message);
    }
    const garbage = await call('POST', '/v1/documents/verify', newKey('bank'), { files: { SOD: b64(new Uint8Array(randomBytes(300))) } });
    expect(garbage.status).toBe(200);
    expect(garbage.body.verdict).toBe('INVALID');
  });

  it('files cut short, flipped, emptied or swapped: a verdict (never VALID for a signed file), never a 5xx', async () => {
    const names = ['SOD', 'DG1', 'DG2', 'DG13', 'DG14', 'DG15', 'COM'];
    for (let i = 0; i < 28; i++) {
      const name = names[i % names.length]!;
      const bytes = card.files.get(name)!.slice();
      const how = Math.floor(i / names.length);
      const changed =
        how === 0 ? bytes.subarray(0, Math.max(1, bytes.length >> 1)) :
        how === 1 ? (bytes[(i * 7919) % bytes.length]! ^= 0x80, bytes) :
        how === 2 ? new Uint8Array(0) :
        card.files.get(names[(i + 1) % names.length]!)!;
      const a = await call('POST', '/v1/documents/verify', newKey('fuzz'), { files: filesOf(card, { [name]: changed }) });
      expect(a.status, `${name} #${how}`).toBe(200);
      // EF.SOD hashes data groups only, not EF.COM: a changed COM that still decodes may verify.
      if (name !== 'COM') expect(a.body.verdict, `${name} #${how}`).not.toBe('VALID');
    }
  });
});

describe('QR codes, revocations, health, metrics, request log', () => {
  it('the plain CCCD text is UNSIGNED; garbage image bytes are a 400; an unknown media type a 415', async () => {
    const key = newKey('station');
    const text = `${record.id}||${record.fullName}|01011999|Nam|somewhere|15032021`;
    const a = await call('POST', '/v1/qr/verify', key, { text });
    expect(a.body).toMatchObject({ verdict: 'UNSIGNED' });
    expect((a.body.codes as { kind: string }[])[0]!.kind).toBe('cccd-text');
    expect((await call('POST', '/v1/qr/verify', key, new Uint8Array(randomBytes(200)), 'image/png')).status).toBe(400);
    const other = await fetch(`${server.url}/v1/qr/verify`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' }, body: 'x' });
    expect(other.status).toBe(415);
  });

  it('a photo of the sealed QR (image/png): VALID with the holder fields', async () => {
    const a = await call('POST', '/v1/qr/verify', newKey('station'), new Uint8Array(readFileSync(join(tmp.path, 'seal.png'))), 'image/png');
    expect(a.body.verdict).toBe('VALID');
    expect((a.body.codes as { kind: string; fields: { fullName: string } }[])[0]).toMatchObject({ kind: 'vds', fields: { fullName: record.fullName } });
  });

  it('the revocation list exactly as exported; healthz ok', async () => {
    const res = await fetch(`${server.url}/v1/revocations`, { headers: { authorization: `Bearer ${newKey('bank')}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(tmp.path, 'revocations.rl')))).toBe(true);
    expect((await call('GET', '/healthz', undefined)).body).toEqual({ status: 'ok' });
  });

  it('/metrics sums both workers in Prometheus text', async () => {
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const total = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
    // Every request so far went through one of the two workers; the sum holds at least the verifies made above.
    expect(total(/^cancuoc_verdicts_total\{route="\/v1\/documents\/verify",verdict="VALID"\} (\d+)$/gm)).toBeGreaterThanOrEqual(2);
    expect(total(/^cancuoc_requests_total\{route="\/v1\/challenges",status="429"\} (\d+)$/gm)).toBeGreaterThan(0);
    expect(text).toMatch(/^cancuoc_request_duration_seconds_count \d+$/m);
  });

  it('the request log has client, route, status, verdict and a keyed hash, and no personal data', async () => {
    await new Promise((r) => setTimeout(r, 300)); // the workers write their log every 100 ms
    const store = openServiceStore(db);
    const log = store.readRequestLog();
    store.close();
    const verifies = log.filter((e) => e.route === '/v1/documents/verify' && e.verdict === 'VALID');
    expect(verifies.length).toBeGreaterThanOrEqual(2);
    expect(verifies[0]!.client).toMatch(/^bank-/);
    expect(verifies[0]!.document).toMatch(/^[0-9a-f]{32}$/);
    // The same document gives the same hash (so an agency's requests can be traced), but not the number.
    expect(new Set(verifies.map((e) => e.document)).size).toBe(1);
    // The sealed QR of the same citizen traces to the same hash (its ID gives the document number).
    const qr = log.find((e) => e.route === '/v1/qr/verify' && e.verdict === 'VALID');
    expect(qr?.document).toBe(verifies[0]!.document);
    const dump = JSON.stringify(log);
    for (const secret of [card.documentNumber, record.id, record.fullName]) expect(dump).not.toContain(secret);
    expect(log.some((e) => e.status === 401 && e.client === '-')).toBe(true);
    // The request cut off by the time limit is logged too, as answered by no handler (499).
    expect(log.find((e) => e.client.startsWith('slow-'))).toMatchObject({ route: '/v1/documents/verify', status: 499 });
  });
});
