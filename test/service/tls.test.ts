/**
 * `cancuoc serve --cert --key`: HTTPS with a certificate made by the openssl CLI, checked by
 * Node's TLS client against that certificate (RFC 8446); plain HTTP on the same port fails.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl-pki.js';
import { makePki, type TestPki } from '../verify/cards.js';
import { serve, type Served } from './serve.js';

const tmp = tempDir('cancuoc-serve-tls-');
const p = (name: string) => join(tmp.path, name);
let pki: TestPki;
let server: Served;

beforeAll(async () => {
  pki = makePki();
  writeFileSync(p('csca.der'), pki.csca.cert.der);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('key.pem'), '-out', p('cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1']);
  server = await serve(['--db', p('registry.db'), '--trust', p('csca.der'), '--workers', '1', '--cert', p('cert.pem'), '--key', p('key.pem')]);
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  pki?.remove();
  tmp.remove();
});

it('answers over TLS with the given certificate, and not over plain HTTP', async () => {
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = openssl(['x509', '-in', p('cert.pem')]);
  const { status, body, peer } = await new Promise<{ status: number; body: string; peer: string }>((resolve, reject) => {
    const req = request(`${server.url}/healthz`, { ca }, (res) => {
      let body = '';
      const peer = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, peer }));
    });
    req.on('error', reject);
    req.end();
  });
  expect(status).toBe(200);
  expect(JSON.parse(body)).toEqual({ status: 'ok' });
  expect(peer).toBe('localhost');
  await expect(fetch(server.url.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
});
