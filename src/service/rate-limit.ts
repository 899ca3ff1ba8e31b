/**
 * Per-client token buckets: `rate` requests a second on average, bursts of up to `burst`. Each
 * process keeps its own buckets; with N workers sharing a port, server.ts gives each 1/N of the
 * client's rate (the kernel spreads connections evenly enough for a limit against floods).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError('"rate" expected > 0 and "burst" ≥ 1');
  }

  /** Takes one token; returns 0 when allowed, else the seconds until one is free. */
  take(client: string, nowMs: number): number {
    const b = this.#buckets.get(client) ?? { tokens: this.burst, at: nowMs };
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.rate);
    b.at = nowMs;
    this.#buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
  }
}
