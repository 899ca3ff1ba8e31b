/**
 * Issue 15 items 14 (messages say which file, and what is really wrong) and 15 (doubtful input:
 * decided in docs/input-limits.md, "Doubtful input"). Hostile files are written byte by byte.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cancuoc-messages-'));
const pki = join(work, 'pki');
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => {
  expect(runCli(['pki', 'init', '--out', pki, '--insecure-plain-keys']).status).toBe(0);
});

const RECORD = 'fixtures/citizens/citizen-02.json';
const FACE = 'fixtures/faces/face-02.jpg';
const PROBE = 'test/vectors/fmr/iso19794-2-2005_sourceafis-probe.fmr';
const S = 'test/vectors/samples';
const record = (): Record<string, unknown> => JSON.parse(JSON.stringify(parseCitizenRecord(JSON.parse(readText(RECORD))))) as Record<string, unknown>;
const readText = (path: string): string => readFileSync(path, 'utf8');
const build = (extra: string[], out = 'set') =>
  runCli(['lds', 'build', '--record', RECORD, '--photo', FACE, '--pki', pki, '--out', join(work, out), '--insecure-plain-keys', ...extra]);

function expectBadInput(r: CliResult, text: string | RegExp): void {
  expect(r.status).toBe(4);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  if (typeof text === 'string') expect(r.stderr).toContain(text);
  else expect(r.stderr).toMatch(text);
}

describe('14: errors say which file', () => {
  it('a finger file that is not a template', () => {
    const bad = join(work, 'noise.fmr');
    writeFileSync(bad, Buffer.from('not a finger template at all'));
    expectBadInput(build(['--finger', PROBE, bad]), `finger file ${bad}:`);
  });

  it('a damaged card image', () => {
    const image = join(work, 'card.json');
    writeFileSync(image, '{"format":"cancuoc-card-image/1",');
    expectBadInput(runCli(['card', 'serve', '--image', image, '--port', '1']), `card image ${image}:`);
  });

  it('a master list alone as --trust says its signer must chain to a CSCA you already trust', () => {
    expectBadInput(runCli(['lds', 'verify', `${S}/bsi2008`, '--trust', join(pki, 'masterlist.ml')]), 'must chain to a CSCA you already trust');
  });

  it('a half-written PKI folder says to rerun pki init, which cleans the temporary files left', () => {
    const half = join(work, 'half');
    expect(runCli(['pki', 'init', '--out', half, '--insecure-plain-keys']).status).toBe(0);
    unlinkSync(join(half, 'pki.json')); // killed before its last write
    const leftover = join(half, `.crl.pem.4242.0123456789ab.tmp`);
    writeFileSync(leftover, '-----BEGIN X509 CRL-----\nhalf');
    const r = runCli(['lds', 'build', '--record', RECORD, '--photo', FACE, '--pki', half, '--out', join(work, 'from-half'), '--insecure-plain-keys']);
    expectBadInput(r, `has no pki.json: pki init was interrupted; run pki init --out ${half} again`);
    const again = runCli(['pki', 'init', '--out', half, '--insecure-plain-keys']);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(readdirSync(half).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('14: misleading messages', () => {
  it('a birth date of 1899-01-01 is before 1900, not "not a calendar date"', () => {
    expect(() => parseCitizenRecord({ ...record(), dateOfBirth: '1899-01-01' })).toThrow(/1899-01-01 is before 1900/);
    expect(() => parseCitizenRecord({ ...record(), dateOfBirth: '1990-02-30' })).toThrow(/not a calendar date/);
  });

  it('a record with a UTF-8 byte-order mark is read', () => {
    const bom = join(work, 'bom.json');
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(readText(RECORD))]));
    const r = runCli(['qr', 'make', '--record', bom, '--out', join(work, 'qr.svg')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--at takes ISO 8601 only: "1" and "Dec 25 1990" are refused', () => {
    for (const at of ['1', 'Dec 25 1990', '2026-13-01']) {
      expectBadInput(runCli(['lds', 'verify', `${S}/bsi2008`, '--trust', `${S}/bsi-tr03105/CSCA_NL_serial6_210621-340630.cer`, '--at', at]), `--at ${at}: not an ISO 8601 time`);
    }
  });
});

describe('15: doubtful input, decided', () => {
  it('an issue date in the future is refused', () => {
    const next = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    expect(() => parseCitizenRecord({ ...record(), dateOfIssue: next })).toThrow(new RegExp(`${next} is in the future`));
  });

  it('a finger template with 0 minutiae is refused', () => {
    // ISO/IEC 19794-2:2005 §7: header (24 bytes), one view with 0 minutiae, no extended data
    const header = [0x46, 0x4d, 0x52, 0x00, 0x20, 0x32, 0x30, 0x00, 0, 0, 0, 30, 0, 0, 0x01, 0x90, 0x01, 0xf4, 0, 0xc5, 0, 0xc5, 1, 0];
    const view = [2, 0x00, 60, 0, 0, 0];
    const empty = join(work, 'empty.fmr');
    writeFileSync(empty, Buffer.from([...header, ...view]));
    expectBadInput(build(['--finger', empty]), 'a finger view with 0 minutiae');
  });

  it('the same finger template twice is refused', () => {
    expectBadInput(build(['--finger', PROBE, PROBE]), 'the same finger view (position 0) given twice');
  });
});
