/**
 * Hostile input for every decoder of this area: truncated, mutated and random bytes must give
 * a ParseError (never another exception, never a hang). Seeds are fixed so failures replay.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/lds/bytes.js';
import { decodeCom } from '../../src/lds/com.js';
import { decodeDg1 } from '../../src/lds/dg1.js';
import { decodeDg11, encodeDg11 } from '../../src/lds/dg11.js';
import { decodeDg12, encodeDg12 } from '../../src/lds/dg12.js';
import { decodeDg13 } from '../../src/lds/dg13.js';
import { ParseError } from '../../src/lds/errors.js';
import { parseMrz } from '../../src/lds/mrz.js';

const sample = (p: string): Uint8Array => new Uint8Array(readFileSync(`test/vectors/${p}`));

const seeds: Array<[string, (b: Uint8Array) => unknown, Uint8Array]> = [
  ['DG1', decodeDg1, sample('samples/bsi2008/Datagroup1.bin')],
  ['COM', decodeCom, sample('samples/bsi-tr03105/EF_COM.bin')],
  ['DG13', decodeDg13, fromHex(readFileSync('test/vectors/dg13-synthetic.hex', 'utf8'))],
  ['DG11', decodeDg11, encodeDg11({ fullName: 'A<<B', otherNames: ['C', 'D'], proofOfCitizenship: Uint8Array.of(1, 2) })],
  ['DG12', decodeDg12, encodeDg12({ issuingAuthority: 'X', namesOfOtherPersons: ['E'], imageOfFront: Uint8Array.of(3) })],
];

/** xorshift32, deterministic. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function onlyParseError(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (e) {
    if (!(e instanceof ParseError)) throw new Error(`non-ParseError for ${Buffer.from(bytes).toString('hex')}: ${String(e)}`);
    expect(e.code).toMatch(/^[A-Z0-9_]+$/);
  }
}

describe.each(seeds)('%s decoder under hostile input', (_name, decode, good) => {
  it('every truncation is a ParseError', () => {
    for (let n = 0; n < good.length; n++) expect(() => decode(good.subarray(0, n))).toThrow(ParseError);
  });

  it('2000 random mutations give a value or a ParseError', () => {
    const r = rng(good.length * 7919);
    for (let i = 0; i < 2000; i++) {
      const b = good.slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let j = 0; j < flips; j++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      onlyParseError(decode, b);
    }
  });

  it('1000 random byte strings give a value or a ParseError', () => {
    const r = rng(12345 + good.length);
    for (let i = 0; i < 1000; i++) {
      const b = Uint8Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256));
      if (r() < 0.5 && b.length > 0) b[0] = good[0]!; // get past the outer tag half the time
      onlyParseError(decode, b);
    }
  });
});

describe('MRZ text under hostile input', () => {
  it('random strings of TD1/TD3 length and others only give ParseError', () => {
    const r = rng(99);
    const alphabet = 'ABCZ0189<< <a\u00e9\u4e00\n';
    for (let i = 0; i < 2000; i++) {
      const len = [90, 88, 89, 30, 0][Math.floor(r() * 5)]!;
      const s = Array.from({ length: len }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
      try {
        const m = parseMrz(s);
        expect(typeof m.valid).toBe('boolean');
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
      }
    }
  });
});
