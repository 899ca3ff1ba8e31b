/** Shared hostile-input drivers for the biometric decoders: every failure must be a ParseError. */
import { expect } from 'vitest';
import { ParseError } from '../../../src/lds/errors.js';

/** Deterministic xorshift32, so a failing case can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Runs `decode`; it may succeed, but if it throws it must be a ParseError with a code and an offset. */
export function expectParseErrorOrValue(decode: (b: Uint8Array) => unknown, input: Uint8Array): ParseError | undefined {
  try {
    decode(input);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    const err = e as ParseError;
    expect(err.code).toMatch(/^[A-Z0-9]+(_[A-Z0-9]+)*$/);
    expect(typeof err.place.offset).toBe('number');
    return err;
  }
}

/** Every strict prefix must fail with a ParseError. */
export function truncations(decode: (b: Uint8Array) => unknown, bytes: Uint8Array, step = 1): void {
  for (let n = 0; n < bytes.length; n += step) {
    const err = expectParseErrorOrValue(decode, bytes.subarray(0, n));
    expect(err, `prefix of ${n} bytes`).toBeDefined();
  }
}

/** Flips random bytes inside the first `window` bytes. */
export function mutations(decode: (b: Uint8Array) => unknown, bytes: Uint8Array, rounds: number, window = bytes.length, seed = 7): void {
  const next = prng(seed);
  for (let i = 0; i < rounds; i++) {
    const copy = bytes.slice();
    const flips = 1 + (next() % 3);
    for (let k = 0; k < flips; k++) copy[next() % Math.min(window, copy.length)] = next() & 0xff;
    expectParseErrorOrValue(decode, copy);
  }
}

export function randomBytes(decode: (b: Uint8Array) => unknown, rounds: number, seed = 11, prefix: Uint8Array = new Uint8Array(0)): void {
  const next = prng(seed);
  for (let i = 0; i < rounds; i++) {
    const body = Uint8Array.from({ length: next() % 300 }, () => next() & 0xff);
    const input = new Uint8Array(prefix.length + body.length);
    input.set(prefix);
    input.set(body, prefix.length);
    expectParseErrorOrValue(decode, input);
  }
}
