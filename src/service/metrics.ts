/**
 * Counters and a latency histogram in the Prometheus text exposition format (version 0.0.4):
 * requests by route and status, verdicts by route, request durations. Each process counts its
 * own; with workers the primary sums their snapshots (server.ts).
 */

/** Upper bounds of the latency buckets, seconds. */
const BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface MetricsSnapshot {
  /** "route status" → count. */
  readonly requests: Readonly<Record<string, number>>;
  /** "route verdict" → count. */
  readonly verdicts: Readonly<Record<string, number>>;
  /** Cumulative counts per bucket, then +Inf. */
  readonly buckets: readonly number[];
  readonly sum: number;
}

export class Metrics {
  readonly #requests = new Map<string, number>();
  readonly #verdicts = new Map<string, number>();
  readonly #buckets: number[] = new Array<number>(BUCKETS.length + 1).fill(0);
  #sum = 0;

  record(route: string, status: number, seconds: number, verdict: string | null): void {
    const key = `${route} ${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    if (verdict !== null) this.#verdicts.set(`${route} ${verdict}`, (this.#verdicts.get(`${route} ${verdict}`) ?? 0) + 1);
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) this.#buckets[i]!++;
    this.#buckets[BUCKETS.length]!++;
    this.#sum += seconds;
  }

  snapshot(): MetricsSnapshot {
    return Object.freeze({
      requests: Object.fromEntries(this.#requests),
      verdicts: Object.fromEntries(this.#verdicts),
      buckets: Object.freeze([...this.#buckets]),
      sum: this.#sum,
    });
  }
}

/** Adds snapshots, e.g. those of every worker. */
export function sumSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const add = (maps: readonly Readonly<Record<string, number>>[]) => {
    const out: Record<string, number> = {};
    for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return Object.freeze({
    requests: add(snapshots.map((s) => s.requests)),
    verdicts: add(snapshots.map((s) => s.verdicts)),
    buckets: BUCKETS.map((_, i) => snapshots.reduce((n, s) => n + (s.buckets[i] ?? 0), 0)).concat(snapshots.reduce((n, s) => n + (s.buckets[BUCKETS.length] ?? 0), 0)),
    sum: snapshots.reduce((n, s) => n + s.sum, 0),
  });
}

const label = (v: string) => v.replace(/["\\\n]/g, '_');

export function prometheusText(s: MetricsSnapshot): string {
  const out = ['# HELP cancuoc_requests_total HTTP requests by route and status.', '# TYPE cancuoc_requests_total counter'];
  for (const [k, v] of Object.entries(s.requests)) {
    const [route, status] = k.split(' ');
    out.push(`cancuoc_requests_total{route="${label(route!)}",status="${status}"} ${v}`);
  }
  out.push('# HELP cancuoc_verdicts_total Verdicts given, by route.', '# TYPE cancuoc_verdicts_total counter');
  for (const [k, v] of Object.entries(s.verdicts)) {
    const [route, verdict] = k.split(' ');
    out.push(`cancuoc_verdicts_total{route="${label(route!)}",verdict="${label(verdict!)}"} ${v}`);
  }
  out.push('# HELP cancuoc_request_duration_seconds Time from request to response.', '# TYPE cancuoc_request_duration_seconds histogram');
  BUCKETS.forEach((b, i) => out.push(`cancuoc_request_duration_seconds_bucket{le="${b}"} ${s.buckets[i] ?? 0}`));
  const count = s.buckets[BUCKETS.length] ?? 0;
  out.push(`cancuoc_request_duration_seconds_bucket{le="+Inf"} ${count}`, `cancuoc_request_duration_seconds_sum ${s.sum}`, `cancuoc_request_duration_seconds_count ${count}`);
  return `${out.join('\n')}\n`;
}
