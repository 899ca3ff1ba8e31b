/**
 * Issue 5 §4 proof: a 20-card batch through the real stack — pcscd + vpcd, `cancuoc card serve
 * --hopper` and `cancuoc batch run` as child processes — killed with SIGKILL at random moments at
 * least 10 times and restarted until done. After every kill the registry and the audit log are
 * consistent, every locked card is accounted for and every issued card has its printed face; at
 * the end every ejected card image is locked exactly when one issued registry entry has its chip
 * serial and SOD hash, and all 20 citizens hold one issued card each.
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../../helpers/pcscd.js';
import { cardImages, checkLineConsistent, cli, exited, writeQueue } from './pcsc-line.js';

const status = pcscStatus();
const KILLS = 10;

describe.skipIf(!status.available)('batch run + card serve --hopper through pcscd + vpcd, killed with SIGKILL', () => {
  let slot: HeldSlot;
  let hopper: ChildProcess | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cancuoc-line-'));
  const cards = path.join(dir, 'cards');
  const faces = path.join(dir, 'faces');
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
    const child = cli('batch', 'run', '--queue', queue, '--pki', path.join(dir, 'pki'), '--db', db, '--reader', slot.reader, '--json', '--faces', faces);
    child.stdout!.on('data', (d: Buffer) => log.push(`batch: ${d.toString()}`));
    child.stderr!.on('data', (d: Buffer) => log.push(`batch!: ${d.toString()}`));
    return child;
  }

  const checkConsistent = (final: boolean): Promise<number> => checkLineConsistent(db, [cards], final, faces);

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
      await checkConsistent(false);
      if (signal === null && !killing) break;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(await checkConsistent(true)).toBe(20);
    const locked = [...cardImages([cards]).values()].filter((i) => i.locked);
    expect(locked.length).toBe(20);
  }, 240_000);
});
