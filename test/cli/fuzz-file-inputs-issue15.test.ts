/**
 * Issue 15 "done means": a fuzz test over the CLI's file inputs. Each case takes a good file of
 * one kind (trust certificate, EF.SOD, DG1, DG2, citizen record, finger template, photo, card
 * image, registry, QR image), damages it with a seeded generator (bit flips, cuts, byte runs,
 * repeated slices, length bytes set to 0x84 FF…, random bytes), and runs the command that reads
 * it. Whatever the bytes, the exit code is 0–4 (README "Exit codes": never 5, never a signal or a
 * hang) and stderr is empty or exactly one line. The count is fixed (CASES) and the run has a
 * budget (BUDGET_MS): cases past it are skipped, not failed — it bounds the suite, it asserts nothing.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { saveImage } from '../../src/card/image.js';
import { Registry } from '../../src/issuance/registry.js';
import { runCli } from '../helpers/cli.js';
import { prng } from '../lds/security/fixtures.js'; // mulberry32: the same cases on every run, so a failure can be replayed

const CASES = 30;
const BUDGET_MS = 150_000;
const work = mkdtempSync(join(tmpdir(), 'cancuoc-fuzz-'));
const pki = join(work, 'pki');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const S = 'test/vectors/samples';
const TRUST = `${S}/bsi-tr03105/CSCA_NL_serial6_210621-340630.cer`;

function mutate(input: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(input);
  const at = (): number => Math.floor(rnd() * Math.max(1, b.length));
  switch (Math.floor(rnd() * 6)) {
    case 0: // bit flips
      for (let i = 0; i < 1 + Math.floor(rnd() * 8); i++) b[at()]! ^= 1 << Math.floor(rnd() * 8);
      return b;
    case 1: // cut
      return b.subarray(0, at());
    case 2: // a run of one byte value
      return Buffer.concat([b.subarray(0, at()), Buffer.alloc(1 + Math.floor(rnd() * 64), rnd() < 0.5 ? 0xff : 0x00), b.subarray(at())]);
    case 3: { // a slice repeated
      const from = at();
      const slice = b.subarray(from, from + 1 + Math.floor(rnd() * 32));
      return Buffer.concat([b.subarray(0, from), ...Array<Buffer>(2 + Math.floor(rnd() * 50)).fill(slice), b.subarray(from)]);
    }
    case 4: { // a long-form length claiming 4 GB
      const i = at();
      return Buffer.concat([b.subarray(0, i), Buffer.from([0x84, 0xff, 0xff, 0xff, 0xff]), b.subarray(i + 1)]);
    }
    default: // random bytes of the same size
      return Buffer.from(Array.from({ length: b.length }, () => Math.floor(rnd() * 256)));
  }
}

interface Kind {
  readonly name: string;
  readonly good: () => Buffer;
  /** The command that reads `file`. */
  readonly run: (file: string, i: number) => string[];
}

const kinds: readonly Kind[] = [
  { name: 'trust certificate', good: () => readFileSync(TRUST), run: (f) => ['lds', 'verify', `${S}/bsi2008`, '--trust', f] },
  {
    name: 'EF.SOD',
    good: () => readFileSync(`${S}/bsi2008/EF_SOD.bin`),
    run: (f, i) => ['verify', '--dir', dumpWith(i, 'EF_SOD.bin', f), '--trust', TRUST, '--json'],
  },
  { name: 'DG1', good: () => readFileSync(`${S}/bsi2008/Datagroup1.bin`), run: (f, i) => ['verify', '--dir', dumpWith(i, 'Datagroup1.bin', f), '--trust', TRUST] },
  { name: 'DG2', good: () => readFileSync(`${S}/bsi2008/Datagroup2.bin`), run: (f, i) => ['verify', '--dir', dumpWith(i, 'Datagroup2.bin', f), '--trust', TRUST] },
  { name: 'citizen record', good: () => readFileSync('fixtures/citizens/citizen-02.json'), run: (f, i) => ['qr', 'make', '--record', f, '--out', join(work, `qr-${i}.svg`)] },
  {
    name: 'finger template',
    good: () => readFileSync('test/vectors/fmr/iso19794-2-2005_sourceafis-probe.fmr'),
    run: (f, i) => ['enroll', '--record', 'fixtures/citizens/citizen-02.json', '--photo', 'fixtures/faces/face-02.jpg', '--finger', f, '--pki', pki, '--out', join(work, `enroll-${i}`), '--insecure-plain-keys'],
  },
  {
    name: 'photo',
    good: () => readFileSync('fixtures/faces/face-02.jpg'),
    run: (f, i) => ['lds', 'build', '--record', 'fixtures/citizens/citizen-02.json', '--photo', f, '--pki', pki, '--out', join(work, `set-${i}`), '--insecure-plain-keys'],
  },
  { name: 'card image', good: () => readFileSync(join(work, 'card.json')), run: (f) => ['card', 'serve', '--image', f, '--port', '1'] },
  { name: 'registry', good: () => readFileSync(join(work, 'registry.sqlite')), run: (f) => ['audit', 'verify', '--db', f] },
  { name: 'QR image', good: () => readFileSync(join(work, 'qr.png')), run: (f) => ['qr', 'verify', f] },
];

/** A copy of the bsi2008 dump with one file replaced. */
function dumpWith(i: number, name: string, file: string): string {
  const dir = join(work, `dump-${i}`);
  mkdirSync(dir);
  for (const f of ['Datagroup1.bin', 'Datagroup2.bin', 'Datagroup3.bin', 'Datagroup14.bin', 'EF_COM.bin', 'EF_SOD.bin']) copyFileSync(join(S, 'bsi2008', f), join(dir, f));
  copyFileSync(file, join(dir, name));
  return dir;
}

beforeAll(async () => {
  expect(runCli(['pki', 'init', '--out', pki, '--insecure-plain-keys']).status).toBe(0);
  saveImage(join(work, 'card.json'), new VirtualChip().image());
  const reg = await Registry.open(join(work, 'registry.sqlite'), { actor: 'fuzz@test' });
  await reg.enqueue([{ id: '001099012345' }]);
  await reg.close();
  expect(runCli(['qr', 'make', '--record', 'fixtures/citizens/citizen-02.json', '--out', join(work, 'qr.png')]).status).toBe(0);
}, 60_000);

describe(`fuzz over the CLI's file inputs (${CASES} cases)`, () => {
  const started = Date.now();
  const rnd = prng(0x15);
  for (let i = 0; i < CASES; i++) {
    const kind = kinds[i % kinds.length]!;
    it(`case ${i}: damaged ${kind.name} → exit 0–4, stderr at most one line`, (ctx) => {
      if (Date.now() - started > BUDGET_MS) ctx.skip();
      const file = join(work, `input-${i}`);
      writeFileSync(file, mutate(kind.good(), rnd));
      const r = runCli(kind.run(file, i));
      expect(r.status, `${kind.name} case ${i}: ${r.stderr}`).not.toBeNull();
      expect(r.status!).toBeGreaterThanOrEqual(0);
      expect(r.status!, r.stderr).toBeLessThanOrEqual(4);
      expect(r.stderr === '' || /^[^\n]*\n$/.test(r.stderr), r.stderr).toBe(true);
    });
  }
});
