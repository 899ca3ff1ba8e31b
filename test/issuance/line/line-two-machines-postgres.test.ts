/**
 * Issue 14: two line machines on one PostgreSQL registry. Two `cancuoc batch run` processes
 * (`--site` each), each with its own vpcd reader and its own `card serve --hopper`, share one queue on a real
 * PostgreSQL server; either is killed with SIGKILL at random moments, at least 10 times, and
 * restarted. After every round of kills (each run killed at its own moment, so one dies while the
 * other still works) the invariants of docs/registry.md hold in one snapshot: the audit chain verifies, rows and log agree, no citizen issued twice,
 * `done` ⇔ issued, every locked card image has exactly one issued entry (or is the `verified`
 * card in a reader). At the end all 20 records are issued, 20 images locked, none set aside
 * (each run resumed only its own cards), and each locked image verifies with openssl cms.
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTlv } from '../../../src/lds/tlv.js';
import { Registry } from '../../../src/issuance/registry.js';
import { opensslCmsVerify } from '../../helpers/openssl-pki.js';
import { acquireBothVpcdSlots, pcscStatus, type VpcdSlot } from '../../helpers/pcscd.js';
import { newRegistryTarget, stopRegistryEngines } from '../../helpers/registry-engines.js';
import { cardImages, checkLineConsistent, cli, exited, writeQueue } from './pcsc-line.js';

const status = pcscStatus();
const KILLS = 10;

describe.skipIf(!status.available)('two batch runs (two machines) on one PostgreSQL registry, killed with SIGKILL', () => {
  let slots: readonly VpcdSlot[] = [];
  let releaseSlots = (): void => undefined;
  const hoppers: ChildProcess[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cancuoc-line-pg-'));
  const pkiDir = path.join(dir, 'pki');
  const queue = path.join(dir, 'q20.jsonl');
  const log: string[] = [];
  let url = '';
  let poll: pg.Client;

  beforeAll(async () => {
    ({ slots, release: releaseSlots } = await acquireBothVpcdSlots());
    const pki = cli('pki', 'init', '--out', pkiDir, '--alg', 'ecdsa-p256', '--insecure-plain-keys');
    expect((await exited(pki)).code).toBe(0);
    writeQueue(queue, 20);
    url = await newRegistryTarget('postgres');
    poll = new pg.Client({ connectionString: url });
    await poll.connect();
  }, 180_000);

  afterAll(async () => {
    const all = hoppers.splice(0);
    for (const h of all) h.kill('SIGTERM');
    await Promise.all(all.map(exited));
    await poll?.end();
    releaseSlots();
    await stopRegistryEngines();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Each run is another machine (`--site`): its station is SITE/reader. */
  const siteOf = (slot: VpcdSlot): string => `site-${slot.port}`;

  function batchRun(slot: VpcdSlot): ChildProcess {
    const child = cli('batch', 'run', '--queue', queue, '--pki', pkiDir, '--db', url, '--reader', slot.reader, '--site', siteOf(slot), '--json');
    child.stdout!.on('data', (d: Buffer) => log.push(`batch ${slot.port} ${child.pid}: ${d.toString()}`));
    child.stderr!.on('data', (d: Buffer) => log.push(`batch ${slot.port} ${child.pid}!: ${d.toString()}`));
    return child;
  }

  /** The process has its batch in the registry (the schema may not exist yet). */
  async function batchOf(pid: number): Promise<boolean> {
    try {
      return (await poll.query('SELECT 1 FROM batches WHERE owner_pid = $1', [pid])).rowCount === 1;
    } catch {
      return false;
    }
  }

  it(`${KILLS} kills of either run at random moments; consistent after each; all 20 issued once, none set aside`, async () => {
    const dirs = slots.map((slot) => {
      const cards = path.join(dir, `cards-${slot.port}`);
      const hopper = cli('card', 'serve', '--hopper', cards, '--port', String(slot.port));
      hopper.stderr!.on('data', (d: Buffer) => log.push(`hopper ${slot.port}!: ${d.toString()}`));
      hoppers.push(hopper);
      return cards;
    });
    const runs = new Map(slots.map((s) => [s, { child: batchRun(s), end: undefined as Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined }]));
    for (const r of runs.values()) r.end = exited(r.child);
    let kills = 0;
    // Each round, every live run is killed at its own random moment (so one dies while the other
    // still works), then both are restarted: with 20 records, a run left alone would drain the
    // queue before ten kills.
    for (let round = 0; round < 60 && runs.size > 0; round++) {
      const live = [...runs.entries()];
      const timers: NodeJS.Timeout[] = [];
      if (kills < KILLS) {
        for (const [, run] of live) {
          // Once its batch is in the registry: within 1.5 s, or sooner within 0.5 s of its next card through.
          const started = setInterval(async () => {
            if (!(await batchOf(run.child.pid!))) return;
            clearInterval(started);
            timers.push(setTimeout(() => run.child.kill('SIGKILL'), Math.random() * 1500));
          }, 100);
          timers.push(started);
          run.child.stdout!.on('data', (d: Buffer) => {
            if (d.toString().includes('"status"')) timers.push(setTimeout(() => run.child.kill('SIGKILL'), Math.random() * 500));
          });
        }
      }
      const ends = await Promise.all(live.map(([, run]) => run.end!));
      timers.forEach((t) => clearTimeout(t));
      await checkLineConsistent(url, dirs, false);
      live.forEach(([slot], i) => {
        const { code, signal } = ends[i]!;
        if (signal === 'SIGKILL') {
          kills++;
          const again = batchRun(slot);
          runs.set(slot, { child: again, end: exited(again) });
        } else {
          expect({ code, signal }, log.slice(-30).join('')).toEqual({ code: 0, signal: null });
          runs.delete(slot);
        }
      });
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // A run that ended while the other still had cards in flight: one last run per reader resumes nothing or finishes its own.
    for (const slot of slots) expect((await exited(batchRun(slot))).code, log.slice(-30).join('')).toBe(0);
    expect(await checkLineConsistent(url, dirs, true)).toBe(20);
    const locked = [...cardImages(dirs)].filter(([, image]) => image.locked);
    expect(locked).toHaveLength(20);
    for (const [, image] of locked.slice(0, 4)) {
      const cms = opensslCmsVerify(readTlv(image.sod!, 0, 'der').value, path.join(pkiDir, 'csca.pem'), dir);
      expect(cms.ok, cms.output).toBe(true);
    }
    const registry = await Registry.open(url, { create: false });
    try {
      expect(await registry.counts()).toEqual({ queued: 0, onLine: 0, done: 20, setAside: 0 });
      const stations = await registry.store.read((tx) => tx.all<{ station: string }>("SELECT DISTINCT station FROM cards WHERE status = 'issued' ORDER BY station"));
      expect(stations.map((s) => s.station)).toEqual(slots.map((s) => `${siteOf(s)}/${s.reader}`).sort());
      const resumes = (await registry.auditLog()).filter((e) => e.action === 'card.resume');
      expect(resumes.every((e) => e.details.station === e.details.fromStation), 'a run resumed only its own cards').toBe(true);
    } finally {
      await registry.close();
    }
  }, 480_000);
});
