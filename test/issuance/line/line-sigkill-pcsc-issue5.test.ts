/**
 * Issue 5 §4 proof: a 20-card batch through the real stack — pcscd + vpcd, `cancuoc card serve
 * --hopper` and `cancuoc batch run` as child processes — killed with SIGKILL at random moments at
 * least 10 times and restarted until done. After every kill the registry and the audit log are
 * consistent and every locked card is accounted for; at the end every ejected card image is
 * locked exactly when one issued registry entry has its chip serial and SOD hash, and all 20
 * citizens hold one issued card each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hopperImages } from '../../../src/card/hopper.js';
import { loadImage } from '../../../src/card/image.js';
import { verifyAuditLog } from '../../../src/issuance/audit-log.js';
import { Registry } from '../../../src/issuance/registry.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../../helpers/pcscd.js';

const status = pcscStatus();
const ROOT = path.resolve(import.meta.dirname, '../../..');
const FID_SOD = 0x011d;
const KILLS = 10;

function cli(...args: string[]): ChildProcess {
  // node itself, not a wrapper: SIGKILL must hit the process that holds the card and the database.
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** The 20 fixture enrollments, records inline; citizen 17's card (expired 2025-01-01) gets a later expiry so it can verify VALID. */
function writeQueue(file: string): void {
  const lines = fs
    .readFileSync(path.join(ROOT, 'fixtures/queue-20.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const q = JSON.parse(l) as { record: string | object; photo: string; fingers: string[]; faceBox: number[] };
      const record = (typeof q.record === 'string' ? JSON.parse(fs.readFileSync(path.join(ROOT, q.record), 'utf8')) : q.record) as { dateOfExpiry: string | null };
      if (record.dateOfExpiry !== null && record.dateOfExpiry < '2027-01-01') record.dateOfExpiry = '2035-01-01';
      return JSON.stringify({ ...q, record, photo: path.join(ROOT, q.photo), fingers: q.fingers.map((f) => path.join(ROOT, f)) });
    });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

describe.skipIf(!status.available)('batch run + card serve --hopper through pcscd + vpcd, killed with SIGKILL', () => {
  let slot: HeldSlot;
  let hopper: ChildProcess | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cancuoc-line-'));
  const cards = path.join(dir, 'cards');
  const db = path.join(dir, 'registry.sqlite');
  const queue = path.join(dir, 'queue.jsonl');
  const log: string[] = [];

  beforeAll(async () => {
    slot = await acquireVpcdSlot();
    const pki = cli('pki', 'init', '--out', path.join(dir, 'pki'), '--alg', 'ecdsa-p256', '--insecure-plain-keys');
    expect((await exited(pki)).code).toBe(0);
    writeQueue(queue);
    hopper = cli('card', 'serve', '--hopper', cards, '--port', String(slot.port));
    hopper.stdout!.on('data', (d: Buffer) => log.push(`hopper: ${d.toString()}`));
    hopper.stderr!.on('data', (d: Buffer) => log.push(`hopper!: ${d.toString()}`));
  }, 60_000);

  afterAll(async () => {
    hopper?.kill('SIGTERM');
    if (hopper) await exited(hopper);
    slot?.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function batchRun(): ChildProcess {
    const child = cli('batch', 'run', '--queue', queue, '--pki', path.join(dir, 'pki'), '--db', db, '--reader', slot.reader, '--json');
    child.stdout!.on('data', (d: Buffer) => log.push(`batch: ${d.toString()}`));
    child.stderr!.on('data', (d: Buffer) => log.push(`batch!: ${d.toString()}`));
    return child;
  }

  /** Card images by chip serial: locked?, SHA-256 of EF.SOD. */
  function images(): Map<string, { locked: boolean; sodHash: string | undefined; file: string }> {
    const out = new Map<string, { locked: boolean; sodHash: string | undefined; file: string }>();
    for (const { file } of hopperImages(cards)) {
      const image = loadImage(file);
      const sod = image.files.get(FID_SOD);
      out.set(Buffer.from(image.serial).toString('hex').toUpperCase(), {
        locked: image.locked,
        sodHash: sod === undefined ? undefined : createHash('sha256').update(sod).digest('hex'),
        file,
      });
    }
    return out;
  }

  /** Invariants after any kill; returns the number of issued cards. */
  function checkConsistent(final: boolean): number {
    const registry = Registry.open(db, { create: false, actor: 'checker@test' });
    try {
      const d = registry.database;
      const chain = verifyAuditLog(d);
      expect(chain.ok, chain.reason).toBe(true);
      expect(registry.crossCheck()).toEqual([]);
      const n = (sql: string): number => (d.prepare(sql).get() as { n: number }).n;
      expect(n("SELECT count(*) AS n FROM (SELECT id_number FROM cards WHERE status = 'issued' GROUP BY id_number HAVING count(*) > 1)")).toBe(0);
      expect(n("SELECT count(*) AS n FROM queue q WHERE (q.state = 'done') <> EXISTS (SELECT 1 FROM cards c WHERE c.queue_id = q.id AND c.status = 'issued')")).toBe(0);
      const rows = d.prepare('SELECT chip_serial, sod_hash, status FROM cards WHERE chip_serial IS NOT NULL').all() as { chip_serial: string; sod_hash: string | null; status: string }[];
      const issued = rows.filter((r) => r.status === 'issued');
      for (const [serial, image] of images()) {
        const mine = issued.filter((r) => r.chip_serial === serial && r.sod_hash === image.sodHash);
        if (image.locked) {
          // Between the lock and its registry entry a locked card may be the one in the reader, recorded 'verified'.
          const inFlight = !final && rows.some((r) => r.chip_serial === serial && r.status === 'verified' && r.sod_hash === image.sodHash);
          expect(mine.length === 1 || inFlight, `locked ${path.basename(image.file)} ${serial} has ${mine.length} issued entries`).toBe(true);
        } else {
          expect(mine.length, `unlocked ${path.basename(image.file)} ${serial} is registered issued`).toBe(0);
        }
      }
      for (const r of issued) expect(images().get(r.chip_serial)?.locked, `issued card ${r.chip_serial} has a locked image`).toBe(true);
      return issued.length;
    } finally {
      registry.close();
    }
  }

  it('≥ 10 kills at random moments, restarts until done; registry, audit log and cards agree', async () => {
    let kills = 0;
    for (let round = 0; round < 40; round++) {
      const child = batchRun();
      const killing = kills < KILLS;
      // Start-up (tsx, PKI, PC/SC) takes about 1.5 s; a card about 1 s. Kill at a random moment: during
      // start-up or the first card, or at the latest a random moment after the first card is done, so
      // that ten kills always land before the twenty cards are through, whatever the machine's speed.
      const timers: NodeJS.Timeout[] = [];
      if (killing) {
        timers.push(setTimeout(() => child.kill('SIGKILL'), 800 + Math.random() * 2400));
        child.stdout!.on('data', (d: Buffer) => {
          if (timers.length === 1 && d.toString().includes('"status"')) timers.push(setTimeout(() => child.kill('SIGKILL'), Math.random() * 700));
        });
      }
      const { code, signal } = await exited(child);
      timers.forEach(clearTimeout);
      if (signal === 'SIGKILL') kills++;
      else expect(code, log.slice(-20).join('')).toBe(0);
      checkConsistent(false);
      if (signal === null && !killing) break;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(checkConsistent(true)).toBe(20);
    const locked = [...images().values()].filter((i) => i.locked);
    expect(locked.length).toBe(20);
  }, 240_000);
});
