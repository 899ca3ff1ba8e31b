/**
 * Issue 10 item 10 / issue 15 item 7: nesting depth. Indefinite lengths (X.690 §8.1.3.6) are where
 * a BER reader recurses; 20,000 nested levels overflowed the stack ("internal error", exit 5).
 * The hostile bytes are written out here by hand, not by the encoder under test.
 */
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ParseError } from '../../src/lds/errors.js';
import { decodeTlv, MAX_TLV_DEPTH } from '../../src/lds/tlv.js';
import { runCli } from '../helpers/cli.js';

/** `depth` SEQUENCEs of indefinite length, one inside the other: 30 80 … 00 00. */
function nestedIndefinite(depth: number, outerTag = 0x30): Buffer {
  return Buffer.concat([Buffer.from([outerTag, 0x80]), Buffer.alloc(2 * (depth - 1), Buffer.from([0x30, 0x80])), Buffer.alloc(2 * depth)]);
}

/** `depth` SEQUENCEs in minimal DER, built from the inside out. */
function nestedDefinite(depth: number): Buffer {
  let b = Buffer.alloc(0);
  for (let i = 0; i < depth; i++) {
    const n = b.length;
    const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
    b = Buffer.concat([Buffer.from([0x30]), len, b]);
  }
  return b;
}

const work = mkdtempSync(join(tmpdir(), 'cancuoc-depth-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('BER-TLV nesting depth', () => {
  it(`reads ${MAX_TLV_DEPTH} nested indefinite lengths and refuses one more with TLV_TOO_DEEP`, () => {
    expect(decodeTlv(nestedIndefinite(MAX_TLV_DEPTH), 'lenient').size).toBe(4 * MAX_TLV_DEPTH);
    expect(() => decodeTlv(nestedIndefinite(MAX_TLV_DEPTH + 1), 'lenient')).toThrow(ParseError);
    expect(() => decodeTlv(nestedIndefinite(MAX_TLV_DEPTH + 1), 'lenient')).toThrow(expect.objectContaining({ code: 'TLV_TOO_DEEP' }));
  });

  it('20,000 levels: a typed error, not a stack overflow', () => {
    expect(() => decodeTlv(nestedIndefinite(20_000), 'lenient')).toThrow(expect.objectContaining({ code: 'TLV_TOO_DEEP' }));
  });
});

describe('every file parser on deep nesting (CLI)', () => {
  const S = 'test/vectors/samples';
  const TRUST = `${S}/bsi-tr03105/CSCA_NL_serial6_210621-340630.cer`;

  it('--trust holding 200,000 nested indefinite lengths, or 20,000 nested DER SEQUENCEs: exit 4, one line', () => {
    for (const [name, bytes] of [['deep-ber.der', nestedIndefinite(200_000)], ['deep-der.der', nestedDefinite(20_000)]] as const) {
      writeFileSync(join(work, name), bytes);
      const r = runCli(['lds', 'verify', `${S}/bsi2008`, '--trust', join(work, name)]);
      expect(r.status).toBe(4);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr).toContain(join(work, name));
    }
  });

  it('an EF.SOD and a DG1 nested 15,000 deep fail their parse check with TLV_TOO_DEEP, not INTERNAL', () => {
    const dump = join(work, 'dump');
    cpSync(`${S}/bsi2008`, dump, { recursive: true });
    writeFileSync(join(dump, 'EF_SOD.bin'), nestedIndefinite(15_000, 0x77));
    writeFileSync(join(dump, 'Datagroup1.bin'), nestedIndefinite(15_000, 0x61));
    const r = runCli(['verify', '--dir', dump, '--trust', TRUST, '--no-face', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const checks = (JSON.parse(r.stdout) as { checks: { id: string; status: string; code: string; reason: string }[] }).checks;
    expect(checks.find((c) => c.id === 'sod.parse')).toMatchObject({ status: 'fail', code: 'TLV_TOO_DEEP' });
    expect(checks.some((c) => c.code === 'INTERNAL')).toBe(false);
  });
});
