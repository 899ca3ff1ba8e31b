/**
 * `cancuoc verify --dir` over the published samples (test/vectors/README.md verdicts),
 * run as a user would run the CLI. The trust store holds an unrelated CSCA (CSCA NL serial 6),
 * so every sample is UNTRUSTED (exit 2) at a time inside its DS validity. loes2006 stores its
 * face as JPEG 2000 (ISO/IEC 15444-1 signature box 0000000C 6A502020 0D0A870A).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const S = 'test/vectors/samples';
const TRUST = `${S}/bsi-tr03105/CSCA_NL_serial6_210621-340630.cer`;
const work = mkdtempSync(join(tmpdir(), 'cancuoc-verify-dir-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Json {
  verdict: string;
  source: string;
  checks: { id: string; status: string; code: string; reason: string }[];
  faceFile?: string;
}

function verify(sample: string, at: string, extra: string[] = []): { status: number | null; json: Json } {
  const r = runCli(['verify', '--dir', `${S}/${sample}`, '--trust', TRUST, '--at', at, '--json', ...extra]);
  expect(r.stderr).toBe('');
  return { status: r.status, json: JSON.parse(r.stdout) as Json };
}

const check = (j: Json, id: string) => j.checks.find((c) => c.id === id);

describe('cancuoc verify --dir on the published samples', () => {
  it('loes2006: DG1, DG2, DG15 match, signature valid, issuer not trusted → UNTRUSTED (2); JPEG 2000 face kept as .jp2', () => {
    const { status, json } = verify('loes2006', '2008-01-01T00:00:00Z', ['--face', join(work, 'loes.png')]);
    expect(status).toBe(2);
    expect(json.verdict).toBe('UNTRUSTED');
    for (const dg of [1, 2, 15]) expect(check(json, `dg.${dg}.hash`)?.status).toBe('pass');
    expect(check(json, 'cms.signature')?.status).toBe('pass');
    expect(check(json, 'chain')).toMatchObject({ status: 'fail', code: 'ISSUER_NOT_TRUSTED' });
    expect(check(json, 'aa')).toMatchObject({ status: 'not-applicable', code: 'NO_CHIP' });
    expect(check(json, 'mrz.check-digits')?.status).toBe('pass');
    expect(json.faceFile).toBe(join(work, 'loes.jp2'));
    expect(readFileSync(json.faceFile!).subarray(0, 12).toString('hex')).toBe('0000000c6a5020200d0a870a');
  });

  it('loes2006 today: the DS and the passport have expired → INVALID (1)', () => {
    const { status, json } = verify('loes2006', '2026-01-01T00:00:00Z', ['--no-face']);
    expect(status).toBe(1);
    expect(check(json, 'ds.validity')?.code).toBe('DS_EXPIRED');
    expect(check(json, 'document.expiry')?.code).toBe('DOCUMENT_EXPIRED');
  });

  it('bsi2008: DG1, DG2, DG3, DG14 match; DG4 and DG15 reported as not listed, no crash → UNTRUSTED (2)', () => {
    const { status, json } = verify('bsi2008', '2008-06-01T00:00:00Z', ['--no-face']);
    expect(status).toBe(2);
    for (const dg of [1, 2, 3, 14]) expect(check(json, `dg.${dg}.hash`)?.status).toBe('pass');
    for (const dg of [4, 15]) expect(check(json, `dg.${dg}.hash`)).toMatchObject({ status: 'warn', code: 'DG_NOT_LISTED' });
  });

  it('bsi-tr03105: DG1 and DG14 match, DG15 not listed, the chain says "issuer not trusted", DG2 listed but missing → INVALID (1)', () => {
    const { status, json } = verify('bsi-tr03105', '2014-06-01T00:00:00Z', ['--no-face']);
    expect(status).toBe(1);
    expect(check(json, 'dg.2.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(check(json, 'dg.1.hash')?.status).toBe('pass');
    expect(check(json, 'dg.14.hash')?.status).toBe('pass');
    expect(check(json, 'dg.15.hash')?.code).toBe('DG_NOT_LISTED');
    expect(check(json, 'chain')?.reason).toContain('issuer not trusted');
  });

  it('etsi: DG14 and DG15 match; no DG1 or DG2 (mandatory, ICAO 9303-10 §4.7) → INVALID (1)', () => {
    const { status, json } = verify('etsi', '2011-12-01T00:00:00Z');
    expect(status).toBe(1);
    expect(check(json, 'dg.1.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(check(json, 'dg.2.hash')).toMatchObject({ status: 'fail', code: 'DG_MANDATORY_MISSING' });
    expect(check(json, 'dg.14.hash')?.status).toBe('pass');
    expect(check(json, 'dg.15.hash')?.status).toBe('pass');
    expect(check(json, 'consistency.name')).toMatchObject({ status: 'not-applicable', code: 'NO_DG1' });
  });

  it('the human report prints every check and one verdict line', () => {
    const r = runCli(['verify', '--dir', `${S}/bsi2008`, '--trust', TRUST, '--at', '2008-06-01T00:00:00Z', '--no-face']);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/Họ và tên: +MUSTERMANN ERIKA/);
    expect(r.stdout.match(/^VERDICT: /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/VERDICT: UNTRUSTED\n$/);
  });

  it('bad input exits 4: no such directory, no trust, both --dir and --can', () => {
    expect(runCli(['verify', '--dir', join(work, 'nothing'), '--trust', TRUST]).status).toBe(4);
    expect(runCli(['verify', '--dir', `${S}/etsi`]).status).toBe(4);
    expect(runCli(['verify', '--dir', `${S}/etsi`, '--trust', TRUST, '--can', '123456']).status).toBe(4);
  });
});
