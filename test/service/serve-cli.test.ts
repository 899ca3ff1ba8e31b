/** `cancuoc serve` and `serve keys` on bad input: one line, exit 4, never a stack trace. */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/openssl-pki.js';
import { makePki } from '../verify/cards.js';

const tmp = tempDir('cancuoc-serve-cli-');
afterAll(() => tmp.remove());

it('keys: add prints a key once, a second add of the name is refused, list and remove work', () => {
  const db = join(tmp.path, 'registry.db');
  const added = runCli(['serve', 'keys', 'add', 'bank-a', '--db', db]);
  expect(added.status).toBe(0);
  expect(added.stdout).toMatch(/^cck_[A-Za-z0-9_-]{43}\n$/);
  const again = runCli(['serve', 'keys', 'add', 'bank-a', '--db', db]);
  expect(again.status).toBe(4);
  expect(again.stderr).toBe('cancuoc: client bank-a already has a key; remove it first (field name)\n');
  expect(runCli(['serve', 'keys', 'add', 'bad name!', '--db', db]).status).toBe(4);
  expect(runCli(['serve', 'keys', 'list', '--db', db]).stdout).toMatch(/^bank-a\t\d{4}-/);
  expect(runCli(['serve', 'keys', 'remove', 'bank-a', '--db', db]).status).toBe(0);
  const gone = runCli(['serve', 'keys', 'remove', 'bank-a', '--db', db]);
  expect(gone.status).toBe(4);
  expect(gone.stderr).toMatch(/^cancuoc: no client named bank-a/);
});

it('serve: missing --trust, a bad port, half a TLS pair: exit 4 with one line', () => {
  const db = join(tmp.path, 'registry.db');
  for (const args of [['--db', db], ['--db', db, '--trust', tmp.path, '--port', '70000'], ['--db', db, '--trust', tmp.path, '--cert', 'x.pem']]) {
    const r = runCli(['serve', ...args]);
    expect(r.status, args.join(' ')).toBe(4);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }
});

it('serve on a port already taken, two workers: the failing worker says why, the service exits 4', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const port = (taken.address() as net.AddressInfo).port;
    const db = join(tmp.path, 'registry.db');
    const pki = makePki();
    writeFileSync(join(tmp.path, 'csca.der'), pki.csca.cert.der);
    pki.remove();
    const r = runCli(['serve', '--db', db, '--trust', join(tmp.path, 'csca.der'), '--host', '127.0.0.1', '--port', String(port), '--workers', '2']);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/EADDRINUSE/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  } finally {
    taken.close();
  }
});
