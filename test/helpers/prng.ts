/** Seeded generators for the fuzz tests: a failing case replays from its seed. */

/** xorshift32: small, seeded, good enough to pick bytes. */
export function xorshift(seed: number) {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const int = (n: number): number => next() % n;
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => next() & 0xff);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  return { int, bytes, pick };
}
