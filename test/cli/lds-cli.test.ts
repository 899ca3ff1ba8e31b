/**
 * `cancuoc pki init`, `lds build` and `lds verify` end to end, with OpenSSL as the independent judge
 * of the SOD and certificates, and the exit codes of the README.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cancuoc-cli-'));
const pki = join(work, 'pki');
const set = join(work, 'set');
const SAMPLES = join(import.meta.dirname, '../vectors/samples');

beforeAll(() => {
  const init = runCli(['pki', 'init', '--out', pki, '--alg', 'ecdsa-bp256', '--country', 'VNM'], { CANCUOC_PASSPHRASE: 'correct horse battery' });
  expect(init.stderr).toBe('');
  expect(init.status).toBe(0);
  const build = runCli(
    ['lds', 'build', '--record', 'fixtures/citizens/citizen-02.json', '--photo', 'fixtures/faces/face-02.jpg', '--pki', pki, '--out', set,
      '--finger', 'test/vectors/fmr/iso19794-2-2005_sourceafis-probe.fmr'],
    { CANCUOC_PASSPHRASE: 'correct horse battery' },
  );
  expect(build.stderr).toBe('');
  expect(build.status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('cancuoc lds build', () => {
  it('writes every file of the set, and keys only in encrypted form', () => {
    const names = readdirSync(set).sort();
    for (const f of ['COM.bin', 'CardAccess.bin', 'DG1.bin', 'DG2.bin', 'DG3.bin', 'DG13.bin', 'DG14.bin', 'DG15.bin', 'SOD.bin', 'manifest.json']) {
      expect(names).toContain(f);
    }
    for (const key of ['aa-key.pem', 'ca-key.pem']) {
      expect(readFileSync(join(set, key), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
      // PBES2 with PBKDF2-HMAC-SHA256 at 600,000 (0x0927C0) iterations, as openssl reads it (issue 10 item 7)
      const parsed = execFileSync('openssl', ['asn1parse', '-in', join(set, key)], { encoding: 'utf8' });
      expect(parsed).toMatch(/:PBKDF2[\s\S]*INTEGER\s+:0927C0[\s\S]*:hmacWithSHA256/);
    }
    const manifest = JSON.parse(readFileSync(join(set, 'manifest.json'), 'utf8')) as { can: string; documentNumber: string };
    expect(manifest.can).toBe('004567');
    expect(manifest.documentNumber).toBe('303004567');
  });

  it('keeps the DG2 portrait under the 15 KB budget', () => {
    expect(readFileSync(join(set, 'DG2.bin')).length).toBeLessThan(15_500);
  });

  it('signs an EF.SOD that openssl cms -verify accepts with the CSCA as the only trust anchor', () => {
    const sod = readFileSync(join(set, 'SOD.bin'));
    // strip the 77 L wrapper: 77 82 LL LL
    const headerLength = sod[1]! < 0x80 ? 2 : 2 + (sod[1]! & 0x7f);
    writeFileSync(join(work, 'sod.p7'), sod.subarray(headerLength));
    const out = execFileSync(
      'openssl',
      ['cms', '-verify', '-inform', 'DER', '-in', join(work, 'sod.p7'), '-CAfile', join(pki, 'csca.pem'), '-purpose', 'any', '-out', join(work, 'lds.der')],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(out).toBe('');
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', join(work, 'lds.der')], { encoding: 'utf8' });
    expect(parsed).toContain(':0108'); // LDSVersionInfo, LDS 1.8
  });

  it('issues a DS certificate that openssl verify accepts under the CSCA', () => {
    const out = execFileSync('openssl', ['verify', '-CAfile', join(pki, 'csca.pem'), join(pki, 'ds.pem')], { encoding: 'utf8' });
    expect(out.trim()).toBe(`${join(pki, 'ds.pem')}: OK`);
  });
});

describe('cancuoc lds verify', () => {
  it('VALID (exit 0) with the CSCA and its CRL', () => {
    const r = runCli(['lds', 'verify', set, '--trust', join(pki, 'csca.pem'), join(pki, 'crl.pem')]);
    expect(r.stdout).toMatch(/VERDICT: VALID/);
    expect(r.status).toBe(0);
  });

  it('stable JSON with one entry per check', () => {
    const r = runCli(['lds', 'verify', set, '--trust', pki, '--json']);
    const report = JSON.parse(r.stdout) as { verdict: string; checks: { id: string; status: string }[]; chipAuthenticity: { status: string; code: string } };
    expect(report.verdict).toBe('valid');
    expect(report.checks.map((c) => c.id)).toEqual([
      'sod.parse', 'cms.signature', 'cms.signed-attributes', 'ds.certificate', 'ds.validity', 'ds.role', 'chain', 'crl',
      'dg.1.hash', 'dg.2.hash', 'dg.3.hash', 'dg.13.hash', 'dg.14.hash', 'dg.15.hash', 'algorithms',
    ]);
    // files only: the report says plainly that the chip was not authenticated
    expect(report.chipAuthenticity).toMatchObject({ status: 'not-checked', code: 'CHIP_NOT_AUTHENTICATED' });
  });

  it('INVALID (exit 1) when a data group byte changes', () => {
    const tampered = join(work, 'tampered');
    rmSync(tampered, { recursive: true, force: true });
    execFileSync('cp', ['-r', set, tampered]);
    const dg13 = readFileSync(join(tampered, 'DG13.bin'));
    dg13[dg13.length - 3]! ^= 0x01;
    writeFileSync(join(tampered, 'DG13.bin'), dg13);
    const r = runCli(['lds', 'verify', tampered, '--trust', join(pki, 'csca.pem')]);
    expect(r.stdout).toMatch(/\[FAIL\] dg\.13\.hash/);
    expect(r.stdout).toMatch(/VERDICT: INVALID/);
    expect(r.status).toBe(1);
  });

  it('UNTRUSTED (exit 2) when the DS chains to a CSCA outside the trust store', () => {
    const other = join(work, 'other-pki');
    expect(runCli(['pki', 'init', '--out', other, '--insecure-plain-keys']).status).toBe(0);
    const r = runCli(['lds', 'verify', set, '--trust', join(other, 'csca.pem')]);
    expect(r.stdout).toMatch(/\[FAIL\] chain +issuer not trusted/);
    expect(r.stdout).toMatch(/VERDICT: UNTRUSTED/);
    expect(r.status).toBe(2);
  });

  it('BSI TR-03105 sample at its signing time: signature valid, DG15 unlisted, issuer not trusted, DG2 missing (exit 1)', () => {
    const r = runCli(['lds', 'verify', join(SAMPLES, 'bsi-tr03105'), '--trust', join(pki, 'csca.pem'), '--json', '--at', '2014-06-01T00:00:00Z']);
    const report = JSON.parse(r.stdout) as { verdict: string; checks: { id: string; status: string; code: string; reason: string }[] };
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('cms.signature')!.status).toBe('pass');
    expect(byId.get('chain')!.reason).toMatch(/issuer not trusted/);
    expect(byId.get('dg.1.hash')!.status).toBe('pass');
    expect(byId.get('dg.14.hash')!.status).toBe('pass');
    expect(byId.get('dg.15.hash')!.reason).toMatch(/not listed/);
    // the sample leaves out DG2, which its SOD lists and ICAO 9303-10 §4.7 makes mandatory
    expect(byId.get('dg.2.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(report.verdict).toBe('invalid');
    expect(r.status).toBe(1);
  });

  it('reads the Dutch 2006 sample under its file-id names (ef0101.bin, ef011D.bin)', () => {
    const r = runCli(['lds', 'verify', join(SAMPLES, 'loes2006'), '--trust', join(pki, 'csca.pem'), '--json']);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string }[] };
    const hashes = report.checks.filter((c) => /^dg\.\d+\.hash$/.test(c.id));
    expect(hashes.map((c) => [c.id, c.status])).toEqual([['dg.1.hash', 'pass'], ['dg.2.hash', 'pass'], ['dg.15.hash', 'pass']]);
  });

  it('bad input: one line on stderr, exit 4, no stack trace', () => {
    const empty = join(work, 'empty');
    rmSync(empty, { recursive: true, force: true });
    execFileSync('mkdir', ['-p', empty]);
    const r = runCli(['lds', 'verify', empty, '--trust', join(pki, 'csca.pem')]);
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^cancuoc: no EF\.SOD/);
    const garbage = join(work, 'garbage');
    execFileSync('mkdir', ['-p', garbage]);
    copyFileSync(join(set, 'SOD.bin'), join(garbage, 'SOD.bin'));
    writeFileSync(join(garbage, 'SOD.bin'), Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff));
    const g = runCli(['lds', 'verify', garbage, '--trust', join(pki, 'csca.pem')]);
    expect(g.stdout).toMatch(/\[FAIL\] sod\.parse/);
    expect(g.status).toBe(1);
    expect(g.stderr).toBe('');
  });

  it('rejects a record with a wrong field by name, exit 4', () => {
    const bad = join(work, 'bad.json');
    const record = JSON.parse(readFileSync('fixtures/citizens/citizen-01.json', 'utf8')) as Record<string, unknown>;
    record.sex = 'F'; // the ID's century digit says male
    writeFileSync(bad, JSON.stringify(record));
    const r = runCli(['lds', 'build', '--record', bad, '--photo', 'fixtures/faces/face-01.jpg', '--pki', pki, '--out', join(work, 'x')], {
      CANCUOC_PASSPHRASE: 'correct horse battery',
    });
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^cancuoc: id: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
