/** Shared fixtures for the security-object tests: sample files, openssl, hostile inputs. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { hex } from '../../../src/lds/bytes.js';
import { ParseError } from '../../../src/lds/errors.js';

export const SAMPLES = 'test/vectors/samples';

export function sample(path: string): Uint8Array {
  return new Uint8Array(readFileSync(`${SAMPLES}/${path}`));
}

/** Runs the openssl CLI on DER input given on stdin; returns stdout as text. */
export function openssl(args: readonly string[], input?: Uint8Array): string {
  return execFileSync('openssl', args, { input: input === undefined ? undefined : Buffer.from(input) }).toString('utf8');
}

/**
 * The bytes of the first hex dump printed after the line containing `label` by
 * `openssl cms -cmsout -print` ("0000 - 30 81 89 ...-06 09   ascii").
 */
export function dumpAfter(text: string, label: string, from = 0): Uint8Array {
  const lines = text.split('\n');
  let i = lines.findIndex((l, n) => n >= from && l.includes(label));
  if (i < 0) throw new Error(`label ${label} not in openssl output`);
  const out: number[] = [];
  for (i++; i < lines.length; i++) {
    const m = /^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -])*[0-9a-f]{2})/.exec(lines[i]!);
    if (m === null) {
      if (out.length > 0) break;
      continue;
    }
    for (const h of m[1]!.split(/[ -]/)) out.push(parseInt(h, 16));
  }
  return Uint8Array.from(out);
}

/** Deterministic PRNG (mulberry32) so a failing hostile case can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every proper prefix of `bytes`. */
export function* truncations(bytes: Uint8Array): Generator<Uint8Array> {
  for (let n = 0; n < bytes.length; n++) yield bytes.subarray(0, n);
}

/** `count` copies of `bytes` with 1–3 random bytes changed. */
export function* mutations(bytes: Uint8Array, count: number, seed = 1): Generator<Uint8Array> {
  const r = prng(seed);
  for (let i = 0; i < count; i++) {
    const m = Uint8Array.from(bytes);
    const k = 1 + Math.floor(r() * 3);
    for (let j = 0; j < k; j++) m[Math.floor(r() * m.length)] = Math.floor(r() * 256);
    yield m;
  }
}

/** `count` random buffers up to `max` bytes, half of them starting with `tag`. */
export function* randomInputs(tag: number, count: number, max = 300, seed = 7): Generator<Uint8Array> {
  const r = prng(seed);
  for (let i = 0; i < count; i++) {
    const b = Uint8Array.from({ length: Math.floor(r() * max) }, () => Math.floor(r() * 256));
    if (i % 2 === 0 && b.length > 0) b[0] = tag;
    yield b;
  }
}

/** Calls `decode` on each input: it may succeed or throw a ParseError with a code and an offset, nothing else. */
export function expectOnlyParseErrors(
  decode: (b: Uint8Array) => unknown,
  inputs: Iterable<Uint8Array>,
  opts: { mustFail?: boolean } = {},
): number {
  let failures = 0;
  for (const b of inputs) {
    let ok = true;
    try {
      decode(b);
    } catch (e) {
      ok = false;
      failures++;
      if (!(e instanceof ParseError)) throw new Error(`input ${hex(b).slice(0, 80)}… raised ${String(e)}`, { cause: e });
      expect(e.code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(typeof e.place.offset).toBe('number');
      expect(e.place.offset!).toBeGreaterThanOrEqual(0);
      expect(e.place.offset!).toBeLessThanOrEqual(b.length);
    }
    if (opts.mustFail && ok) throw new Error(`input ${hex(b).slice(0, 80)}… was accepted`);
  }
  return failures;
}

/** Values of the wrong type for a bytes argument (the noble-style hostile table). */
export const NOT_BYTES: readonly unknown[] = [
  undefined,
  null,
  0,
  1.5,
  NaN,
  -1,
  '',
  '3000',
  [],
  [0x30, 0x00],
  {},
  { length: 2 },
  true,
  Symbol('x'),
  () => 0,
  new ArrayBuffer(2),
  new Uint16Array(2),
  new DataView(new ArrayBuffer(2)),
  10n,
  new Map(),
];
