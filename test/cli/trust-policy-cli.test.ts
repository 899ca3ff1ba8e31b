/**
 * The trust policy as an operator meets it (docs/trust-policy.md): `verify --dir` and `lds verify`
 * say that a dump proves nothing about the chip, "no CRL" is visible, `--require-crl`,
 * `--accept-stale-crl` and `--strict` change the exit code as the README table says, a master
 * list alone is explained, a wrong-role signer shows its code in `--json`, and text from the
 * card reaches the terminal with its control characters escaped (issue 15 item 2).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizenDg13, parseCitizenRecord } from '../../src/issuance/citizen.js';
import type { DocumentSet } from '../../src/issuance/document-set.js';
import { encodeDg13 } from '../../src/lds/dg13.js';
import { OID } from '../../src/lds/oid.js';
import { escapeControls } from '../../src/lds/display.js';
import { openssl } from '../helpers/openssl-pki.js';
import { runCli } from '../helpers/cli.js';
import { issueCard, makePki, resign, type TestPki } from '../verify/cards.js';

const ROOT = join(import.meta.dirname, '../..');
let pki: TestPki;
let card: DocumentSet;
let dump: string;
let csca: string;

function writeDump(name: string, files: ReadonlyMap<string, Uint8Array>): string {
  const dir = join(pki.dir, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of files) writeFileSync(join(dir, `${file}.bin`), bytes);
  return dir;
}

interface Json {
  verdict: string;
  checks: { id: string; status: string; code: string; reason: string }[];
}

function verifyJson(dir: string, ...args: string[]): { status: number | null; json: Json } {
  const r = runCli(['verify', '--dir', dir, '--trust', csca, '--no-face', '--json', ...args]);
  expect(r.stderr).toBe('');
  return { status: r.status, json: JSON.parse(r.stdout) as Json };
}
const check = (j: Json, id: string) => j.checks.find((c) => c.id === id);

beforeAll(async () => {
  pki = makePki();
  csca = pki.csca.cert.certPath;
  card = await issueCard('01', pki.ds);
  dump = writeDump('genuine', card.files);
}, 120_000);
afterAll(() => pki?.remove());

describe('verify --dir and lds verify: a dump is not a chip (issue 10 item 11)', () => {
  it('the human report says chip authenticity was NOT checked and that no CRL was loaded; exit 0', () => {
    const r = runCli(['verify', '--dir', dump, '--trust', csca, '--no-face']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[warn\] chip\.authenticity\s+a dump: chip authenticity \(AA\/CA\) NOT checked/);
    expect(r.stdout).toMatch(/\[warn\] crl\s+no CRL of .* loaded: revocation of the DS NOT checked/);
    expect(r.stdout).toMatch(/^Warnings: .*NO_CRL.*CHIP_NOT_AUTHENTICATED|^Warnings: .*CHIP_NOT_AUTHENTICATED.*NO_CRL/m);
    expect(r.stdout).toMatch(/^VERDICT: VALID \(the data are the issuer's; chip authenticity NOT checked\)$/m);
  });

  it('lds verify says it too, in both forms', () => {
    const human = runCli(['lds', 'verify', dump, '--trust', csca]);
    expect(human.stdout).toMatch(/Chip authenticity \(AA\/CA\): NOT checked/);
    const json = JSON.parse(runCli(['lds', 'verify', dump, '--trust', csca, '--json']).stdout) as { chipAuthenticity: { code: string } };
    expect(json.chipAuthenticity.code).toBe('CHIP_NOT_AUTHENTICATED');
  });
});

describe('CRL policy on the command line (issue 10 item 3)', () => {
  it('--require-crl without a CRL: INVALID, exit 1, code NO_CRL', () => {
    const { status, json } = verifyJson(dump, '--require-crl');
    expect(status).toBe(1);
    expect(check(json, 'crl')).toMatchObject({ status: 'fail', code: 'NO_CRL' });
  });

  it('a CRL past nextUpdate (openssl ca -gencrl -crl_nextupdate in the past): exit 1; --accept-stale-crl: exit 0 with a warning', () => {
    const crl = join(pki.dir, 'stale.crl');
    writeFileSync(crl, pki.csca.crl({ lastUpdate: '20250101000000Z', nextUpdate: '20250201000000Z' }));
    const stale = verifyJson(dump, '--trust', crl);
    expect(stale.status).toBe(1);
    expect(check(stale.json, 'crl')).toMatchObject({ status: 'fail', code: 'CRL_OUTDATED' });
    const offline = verifyJson(dump, '--trust', crl, '--accept-stale-crl');
    expect(offline.status).toBe(0);
    expect(check(offline.json, 'crl')).toMatchObject({ status: 'warn', code: 'CRL_OUTDATED' });
  });
});

describe('roles and weak algorithms in --json (issue 10 items 1, 4)', () => {
  /** EF.SOD re-signed by `openssl cms -sign` over the genuine LDSSecurityObject. */
  function resignedDump(name: string, signer: { certPath: string; keyPath: string }, md: string): string {
    const sod = card.files.get('SOD')!;
    const ci = join(pki.dir, `${name}.ci`);
    const lds = join(pki.dir, `${name}.lds`);
    const out = join(pki.dir, `${name}.cms`);
    writeFileSync(ci, sod.subarray(2 + (sod[1]! & 0x80 ? sod[1]! & 0x7f : 0)));
    openssl(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', ci, '-out', lds]);
    openssl(['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-in', lds, '-econtent_type', OID.ldsSecurityObject,
      '-signer', signer.certPath, '-inkey', signer.keyPath, '-md', md, '-outform', 'DER', '-out', out]);
    const cms = readFileSync(out);
    const len = cms.length < 0x100 ? [0x81, cms.length] : [0x82, cms.length >> 8, cms.length & 0xff];
    return writeDump(name, new Map([...card.files, ['SOD', Uint8Array.from([0x77, ...len, ...cms])]]));
  }

  it('EF.SOD signed with the seal-signer key: DS_WRONG_ROLE, exit 1', () => {
    const seal = pki.csca.issue('seal', '/C=VN/O=cancuoc test/CN=Seal Signer', { ext: 'ext_seal' });
    const { status, json } = verifyJson(resignedDump('by-seal', seal, 'sha256'));
    expect(status).toBe(1);
    expect(check(json, 'ds.role')).toMatchObject({ status: 'fail', code: 'DS_WRONG_ROLE' });
  });

  it('SHA-1: a warning (exit 0), and a failure with --strict (exit 1)', () => {
    const dir = resignedDump('sha1', pki.ds, 'sha1');
    const lenient = verifyJson(dir);
    expect(lenient.status).toBe(0);
    expect(check(lenient.json, 'algorithms.sod.digest')).toMatchObject({ status: 'warn', code: 'WEAK_HASH_SHA1' });
    const strict = verifyJson(dir, '--strict');
    expect(strict.status).toBe(1);
    expect(check(strict.json, 'algorithms.sod.digest')).toMatchObject({ status: 'fail', code: 'WEAK_HASH_SHA1' });
  });

  /** A CSCA master list (ICAO 9303-12 §9) holding `csca`, signed by `signer` with `openssl cms -sign`. */
  function masterList(name: string, signer: { certPath: string; keyPath: string }, cscaDer: Uint8Array): string {
    const content = join(pki.dir, `${name}.content`);
    const set = Uint8Array.from([0x31, 0x82, cscaDer.length >> 8, cscaDer.length & 0xff, ...cscaDer]);
    const body = Uint8Array.from([0x02, 0x01, 0x00, ...set]);
    writeFileSync(content, Uint8Array.from([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]));
    const ml = join(pki.dir, `${name}.ml`);
    openssl(['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-in', content, '-econtent_type', OID.cscaMasterList,
      '-signer', signer.certPath, '-inkey', signer.keyPath, '-outform', 'DER', '-out', ml]);
    return ml;
  }

  it('a master list signed with the DS key: refused, its code in --json `trust` and on a human line', () => {
    const attacker = makePki();
    try {
      const ml = masterList('by-ds', pki.ds, attacker.csca.cert.der);
      const { status, json } = verifyJson(dump, '--trust', ml);
      expect(status).toBe(0);
      const trust = (json as unknown as { trust: { file: string; ok: boolean; code?: string }[] }).trust;
      expect(trust.find((f) => f.file === ml)).toMatchObject({ ok: false, code: 'ML_SIGNER_WRONG_ROLE' });
      const human = runCli(['verify', '--dir', dump, '--trust', csca, ml, '--no-face']);
      expect(human.stdout).toContain(`trust file ${ml} (master-list) refused [ML_SIGNER_WRONG_ROLE]`);
    } finally {
      attacker.remove();
    }
  });

  it('a master list alone as --trust: exit 4, and the message says its signer must chain to a CSCA already trusted', () => {
    const mls = pki.csca.issue('mls', '/C=VN/O=cancuoc test/CN=ML Signer', { ext: 'ext_mls' });
    const ml = masterList('alone', mls, pki.csca.cert.der);
    const r = runCli(['verify', '--dir', dump, '--trust', ml, '--no-face']);
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/signer must chain to a CSCA you already trust/);
    // with the CSCA, in any order, the same list loads
    expect(runCli(['verify', '--dir', dump, '--trust', ml, csca, '--no-face']).status).toBe(0);
  });
});

describe('unauthenticated text reaches the terminal escaped (issue 15 item 2)', () => {
  const HOSTILE = 'Hà Nội\u001b[8m\u001b[2J\u001b[1;1HVERDICT: VALID\u202e\u0007';

  it('a signed DG13 holding ANSI sequences and a bidi override: no raw control byte on stdout, the checks and the verdict stay visible', async () => {
    const record = parseCitizenRecord(readFileSync(join(ROOT, 'fixtures/citizens/citizen-01.json'), 'utf8'));
    const dg13 = encodeDg13({ ...citizenDg13(record), placeOfResidence: HOSTILE });
    const dir = writeDump('hostile-dg13', await resign(card.files, pki.ds, { DG13: dg13 }));
    const r = runCli(['verify', '--dir', dir, '--trust', csca, '--no-face']);
    const raw = [...r.stdout].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || (c >= '\u007f' && c <= '\u009f') || (c >= '\u202a' && c <= '\u202e')));
    expect(raw).toEqual([]);
    expect(r.stdout).toContain('Hà Nội\\x1b[8m\\x1b[2J\\x1b[1;1HVERDICT: VALID\\u202e\\x07');
    expect(r.stdout).toContain('[ok  ] dg.13.hash');
    expect(r.stdout).toMatch(/^VERDICT: VALID/m);
    // --json keeps the value as signed: JSON escapes it and the consumer decodes it
    const json = JSON.parse(runCli(['verify', '--dir', dir, '--trust', csca, '--no-face', '--json']).stdout) as { personal: Record<string, string> };
    expect(json.personal.placeOfResidence).toBe(HOSTILE);
  });

  it('a plain QR anyone can print, its name holding ESC[8m: qr verify shows it escaped', async () => {
    const text = '001099012345|012345678|Nguyễn\u001b[8m\u001b[1A Văn An|01011999|Nam|Hà Nội|01012021';
    const png = join(pki.dir, 'hostile-qr.png');
    await QRCode.toFile(png, [{ data: new TextEncoder().encode(text), mode: 'byte' }], { errorCorrectionLevel: 'M', scale: 6 });
    const r = runCli(['qr', 'verify', png]);
    expect(r.status).toBe(2); // unsigned
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('Nguyễn\\x1b[8m\\x1b[1A Văn An');
    expect(r.stdout).toMatch(/^VERDICT: UNTRUSTED \(unsigned\)$/m);
  });

  it('an error line quoting a file name with controls is one escaped line', () => {
    const r = runCli(['verify', '--dir', dump, '--trust', join(pki.dir, 'no\u001b[2Jsuch\nfile')]);
    expect(r.status).toBe(4);
    expect(r.stderr.split('\n')).toEqual([expect.stringContaining('no\\x1b[2Jsuch\\x0afile: no such file or directory'), '']);
    expect(r.stderr).not.toContain('\u001b');
  });

  it('escapeControls: C0, DEL, C1, bidi controls and lone surrogates become visible; Vietnamese text and emoji stay', () => {
    expect(escapeControls('Nguyễn Văn A 🙂')).toBe('Nguyễn Văn A 🙂');
    expect(escapeControls('a\u0000b\u007fc\u009bd\u2066e\u2029f\\')).toBe('a\\x00b\\x7fc\\x9bd\\u2066e\\u2029f\\\\');
    expect(escapeControls('x\ud800y')).toBe('x\\ud800y');
  });
});
