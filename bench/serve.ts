/**
 * `serve.*`: the verification service under load on loopback (docs/service.md "Performance").
 *
 * - `serve.verify_per_s`: POST /v1/documents/verify with a genuine dump, 64 connections
 *   (autocannon), a worker per core; `serve.p50_ms`, `serve.p99_ms` its latencies.
 * - Baseline in the same run: `serve.inprocess_verify_per_s`, the same verifyDump in this process
 *   (one core), and `serve.inprocess_pa_per_s`, passive authentication alone;
 *   `serve.ratio_per_core` = verify_per_s / workers / inprocess_verify_per_s.
 * - `serve.worker_cpu_ms_per_verify`: the workers' CPU time (proc(5) utime + stime) per verification,
 *   and `serve.ratio_cpu` = in-process time per verification / that: what one core would give
 *   compared with the in-process rate, whatever else shares the machine.
 * - Overload: the service restarted with a per-client limit of a tenth of the measured rate, then
 *   a soak at full load (10× the limit): `serve.overload_429`, `serve.overload_2xx`,
 *   `serve.overload_5xx` (must be 0), and the workers' resident memory at the start and end of
 *   the soak, in the middle and at the end (`serve.overload_rss_start_mb`, `_mid_mb`, `_end_mb`);
 *   `serve.overload_5xx` also counts connection errors.
 *
 * The load generator runs in this process and shares the cores with the workers, so the service
 * rate is a lower bound of what a separate client machine would see.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { dataGroupsOf } from '../src/reader/document-dir.js';
import { passiveAuthentication } from '../src/reader/passive-auth.js';
import { verifyDump } from '../src/reader/verify.js';
import { openServiceStore } from '../src/service/store.js';
import { packageRoot } from '../bin/commands/package-root.js';
import { rate, round } from './measure.js';
import { benchDocument } from './verify.js';

const DURATION_S = 10;
const SOAK_S = 30;
const SOAK_SLICES = 3;
const CONNECTIONS = 64;

interface Service {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function startService(args: readonly string[]): Promise<Service> {
  const root = packageRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/cli.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', '--no-console', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m === null) return;
      child.removeAllListeners('exit');
      resolve({
        url: m[1]!,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

const workersOf = (pid: number): string[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);

/** CPU time (user + system) the workers used so far, ms (proc(5): utime, stime in clock ticks, 100 a second). */
function workersCpuMs(pid: number): number {
  let ticks = 0;
  for (const c of workersOf(pid)) {
    const fields = readFileSync(`/proc/${c}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

/** Resident memory of the workers (the children of the primary), MB. */
function workersRssMb(pid: number): number {
  const children = workersOf(pid);
  let kb = 0;
  for (const c of children) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${c}/status`, 'utf8'));
    kb += Number(m?.[1] ?? 0);
  }
  return round(kb / 1024);
}

function load(url: string, key: string, body: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/v1/documents/verify`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
}

const sum = (rs: readonly autocannon.Result[], pred: (status: number) => boolean): number => rs.reduce((n, r) => n + countOf(r, pred), 0);

const countOf = (r: autocannon.Result, pred: (status: number) => boolean): number =>
  Object.entries(r.statusCodeStats ?? {}).reduce((n, [status, s]) => n + (pred(Number(status)) ? s.count : 0), 0);

export async function runServeBench(): Promise<Record<string, number>> {
  const { set, cscaCert, trust } = await benchDocument();
  const workers = availableParallelism();
  const inprocess = rate(() => verifyDump(set.files, { trust }));
  const sod = set.files.get('SOD')!;
  const dataGroups = dataGroupsOf(set.files);
  const pa = rate(() => passiveAuthentication({ sod, dataGroups, trust, at: new Date() }));

  const dir = mkdtempSync(join(tmpdir(), 'cancuoc-bench-serve-'));
  try {
    writeFileSync(join(dir, 'csca.der'), cscaCert);
    const db = join(dir, 'registry.db');
    const store = openServiceStore(db, { create: true });
    const key = store.addClient('bench', new Date());
    store.close();
    const body = JSON.stringify({ files: Object.fromEntries([...set.files].map(([n, b]) => [n, Buffer.from(b).toString('base64')])) });
    const common = ['--db', db, '--trust', join(dir, 'csca.der'), '--workers', String(workers)];

    let service = await startService([...common, '--rate', '1000000', '--burst', '1000000']);
    let full: autocannon.Result;
    let cpuPerVerify: number;
    try {
      await load(service.url, key, body, 2); // warm up the workers' JIT
      const cpuBefore = workersCpuMs(service.pid);
      full = await load(service.url, key, body, DURATION_S);
      cpuPerVerify = (workersCpuMs(service.pid) - cpuBefore) / Math.max(1, countOf(full, (s) => s === 200));
    } finally {
      await service.stop();
    }
    const verifyPerS = round(countOf(full, (s) => s === 200) / DURATION_S);

    const limit = Math.max(1, Math.floor(verifyPerS / 10));
    service = await startService([...common, '--rate', String(limit), '--burst', String(limit)]);
    const soak: autocannon.Result[] = [];
    const rss: number[] = [];
    try {
      await load(service.url, key, body, 2);
      rss.push(workersRssMb(service.pid));
      // In slices, to see the memory along the soak, not only at its ends.
      for (let i = 0; i < SOAK_SLICES; i++) {
        soak.push(await load(service.url, key, body, SOAK_S / SOAK_SLICES));
        rss.push(workersRssMb(service.pid));
      }
    } finally {
      await service.stop();
    }
    return {
      'serve.workers': workers,
      'serve.verify_per_s': verifyPerS,
      'serve.p50_ms': full.latency.p50,
      'serve.p99_ms': full.latency.p99,
      'serve.errors': full.errors + countOf(full, (s) => s !== 200),
      'serve.inprocess_verify_per_s': inprocess,
      'serve.inprocess_pa_per_s': pa,
      'serve.ratio_per_core': round(verifyPerS / workers / inprocess),
      'serve.worker_cpu_ms_per_verify': round(cpuPerVerify),
      'serve.ratio_cpu': round(1000 / inprocess / cpuPerVerify),
      'serve.overload_limit_per_s': limit,
      'serve.overload_2xx': sum(soak, (s) => s >= 200 && s < 300),
      'serve.overload_429': sum(soak, (s) => s === 429),
      'serve.overload_5xx': sum(soak, (s) => s >= 500) + soak.reduce((n, r) => n + r.errors, 0),
      'serve.overload_rss_start_mb': rss[0]!,
      'serve.overload_rss_mid_mb': rss[Math.floor(rss.length / 2)]!,
      'serve.overload_rss_end_mb': rss[rss.length - 1]!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
