/**
 * Test harness for the real PC/SC stack: pcscd with the vsmartcard vpcd driver.
 *
 * Several vitest runs may share one machine (and one pcscd), so the harness keeps a little
 * state in $TMPDIR/cancuoc-pcscd: the pid of a pcscd it started, one file per run using it, one
 * lock per vpcd slot, and the lock of a test file waiting for both slots. The last run to leave
 * stops the pcscd a harness started; a pcscd started by anyone else is never stopped.
 */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { listReaders } from '../../src/reader/pcsc.js';

export interface VpcdSlot {
  readonly reader: string;
  readonly port: number;
}

/** /etc/reader.conf.d/vpcd: CHANNELID 0x8C7B = 35963; the driver opens two slots. */
export const VPCD_SLOTS: readonly VpcdSlot[] = Object.freeze([
  Object.freeze({ reader: 'Virtual PCD 00 00', port: 35963 }),
  Object.freeze({ reader: 'Virtual PCD 00 01', port: 35964 }),
]);

export interface PcscStatus {
  readonly available: boolean;
  readonly reason: string;
  readonly readers: readonly string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    pcsc: PcscStatus;
  }
}

const STATE_DIR = path.join(os.tmpdir(), 'cancuoc-pcscd');
const OWNER_FILE = path.join(STATE_DIR, 'owner.pid');
const USERS_DIR = path.join(STATE_DIR, 'users');
const START_LOCK = path.join(STATE_DIR, 'start.lock');
const LOG_FILE = path.join(STATE_DIR, 'pcscd.log');
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const VPCD_CONFIG = '/etc/reader.conf.d/vpcd';

export function pcscdSocketPath(): string {
  return process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';
}

/** pcscd is up when its client socket accepts a connection. */
export function isPcscdRunning(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(pcscdSocketPath());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function findPcscd(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return dirs.map((d) => path.join(d, 'pcscd')).find((p) => fs.existsSync(p));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cross-process mutex: mkdir is atomic. A lock older than a minute is from a dead run. */
async function withStartLock<T>(run: () => Promise<T>): Promise<T> {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(START_LOCK);
      break;
    } catch {
      const age = Date.now() - (fs.statSync(START_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000) fs.rmSync(START_LOCK, { recursive: true, force: true });
      if (i > 600) throw new Error(`pcscd harness: ${START_LOCK} stays locked`);
      await sleep(100);
    }
  }
  try {
    return await run();
  } finally {
    fs.rmSync(START_LOCK, { recursive: true, force: true });
  }
}

/** Without /etc/reader.conf.d/vpcd, give pcscd a private config dir naming the vpcd driver. */
function configArgs(): string[] {
  if (fs.existsSync(VPCD_CONFIG)) return [];
  if (!fs.existsSync(VPCD_DRIVER)) throw new Error(`vpcd driver missing (${VPCD_DRIVER}): install vsmartcard-vpcd`);
  const dir = path.join(STATE_DIR, 'reader.conf.d');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'vpcd'), `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x8C7B\nLIBPATH ${VPCD_DRIVER}\nCHANNELID 0x8C7B\n`);
  return ['--config', dir];
}

async function startPcscd(binary: string): Promise<void> {
  const log = fs.openSync(LOG_FILE, 'w');
  const child = spawn(binary, ['--foreground', ...configArgs()], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `pcscd exited (${signal ?? code})`));
  child.once('error', (e) => (exited = `pcscd did not start: ${e.message}`));
  child.unref();
  for (let i = 0; i < 100 && !(await isPcscdRunning()); i++) {
    if (exited !== undefined) break;
    await sleep(100);
  }
  if (exited !== undefined || child.pid === undefined) {
    throw new Error(`${exited ?? 'pcscd did not start'}; log: ${fs.readFileSync(LOG_FILE, 'utf8').slice(-2000)}`);
  }
  fs.writeFileSync(OWNER_FILE, String(child.pid));
}

/**
 * Makes sure pcscd runs with the vpcd readers; registers this process as a user. Resolves with
 * the status to hand to tests; throws only for failures that must stop a CI run.
 */
export async function ensurePcscd(): Promise<PcscStatus> {
  const userFile = path.join(USERS_DIR, String(process.pid));
  const reason = await withStartLock(async () => {
    fs.mkdirSync(USERS_DIR, { recursive: true });
    fs.writeFileSync(userFile, '');
    if (await isPcscdRunning()) return 'pcscd already running';
    const binary = findPcscd();
    if (binary === undefined) return undefined;
    await startPcscd(binary);
    return `started pcscd, log in ${LOG_FILE}`;
  });
  if (reason === undefined) return unavailable('pcscd binary not found (install the Debian package pcscd)');
  const readers = await listReaders(10_000);
  const missing = VPCD_SLOTS.filter((s) => !readers.includes(s.reader)).map((s) => s.reader);
  if (missing.length > 0) return unavailable(`pcscd runs but lacks reader(s) ${missing.join(', ')} (install vsmartcard-vpcd)`, readers);
  return Object.freeze({ available: true, reason, readers });
}

function unavailable(reason: string, readers: readonly string[] = []): PcscStatus {
  return Object.freeze({ available: false, reason, readers });
}

/** Unregisters this process; the last user stops a pcscd that a harness started. */
export async function releasePcscd(): Promise<void> {
  await withStartLock(async () => {
    fs.rmSync(path.join(USERS_DIR, String(process.pid)), { force: true });
    const others = fs.readdirSync(USERS_DIR).filter((name) => {
      if (alive(Number(name))) return true;
      fs.rmSync(path.join(USERS_DIR, name), { force: true });
      return false;
    });
    const owner = readPid(OWNER_FILE);
    if (others.length > 0 || owner === undefined) return;
    fs.rmSync(OWNER_FILE, { force: true });
    if (!alive(owner)) return;
    process.kill(owner, 'SIGTERM');
    for (let i = 0; i < 50 && alive(owner); i++) await sleep(100);
    if (alive(owner)) process.kill(owner, 'SIGKILL');
  });
}

/** What global-setup found; tests skip (outside CI) when PC/SC is unavailable. */
export function pcscStatus(): PcscStatus {
  const status = inject('pcsc');
  if (!status.available) console.warn(`PC/SC tests skipped: ${status.reason}`);
  return status;
}

export interface HeldSlot extends VpcdSlot {
  release(): void;
}

/** Held by the one test file that waits for both slots; single-slot files take no slot meanwhile. */
const PAIR_LOCK = path.join(STATE_DIR, 'pair.lock');

const slotLock = (slot: VpcdSlot): string => path.join(STATE_DIR, `slot-${slot.port}.lock`);

/** Creates `lock` holding this pid, after clearing it if its holder died; false while someone else holds it. */
function tryLock(lock: string): boolean {
  const holder = readPid(lock);
  if (holder !== undefined && !alive(holder)) fs.rmSync(lock, { force: true });
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

/** Someone else waits for both slots. */
function pairWaiting(): boolean {
  const holder = readPid(PAIR_LOCK);
  return holder !== undefined && holder !== process.pid && alive(holder);
}

/**
 * Takes a vpcd slot for this test file. The driver serves one card per slot; a second
 * connection would sit unanswered in the listen backlog, so test files queue here instead.
 */
export async function acquireVpcdSlot(timeoutMs = 120_000): Promise<HeldSlot> {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A file waiting for both slots goes first, or single-slot files could keep it waiting for ever.
    const slot = pairWaiting() ? undefined : VPCD_SLOTS.find((s) => tryLock(slotLock(s)));
    if (slot !== undefined) {
      const release = () => fs.rmSync(slotLock(slot), { force: true });
      process.once('exit', release);
      return Object.freeze({ ...slot, release });
    }
    if (Date.now() > deadline) throw new Error('no free vpcd slot: other test runs hold both');
    await sleep(200);
  }
}

/**
 * Takes both vpcd slots, for the multi-reader line tests. No deadlock: a file holding one slot
 * never waits for another, and of the files wanting both only the holder of the pair lock waits,
 * taking the slots in order as they come free.
 */
export async function acquireBothVpcdSlots(timeoutMs = 180_000): Promise<{ readonly slots: readonly VpcdSlot[]; release(): void }> {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const held: VpcdSlot[] = [];
  const leavePair = () => {
    if (readPid(PAIR_LOCK) === process.pid) fs.rmSync(PAIR_LOCK, { force: true });
  };
  const release = () => {
    for (const slot of held) fs.rmSync(slotLock(slot), { force: true });
    leavePair();
  };
  process.once('exit', release);
  try {
    while (!tryLock(PAIR_LOCK)) {
      if (Date.now() > deadline) throw new Error('vpcd slots: another test file waits for both');
      await sleep(200);
    }
    for (const slot of VPCD_SLOTS) {
      while (!tryLock(slotLock(slot))) {
        if (Date.now() > deadline) throw new Error(`vpcd slot ${slot.port} stays taken by other test runs`);
        await sleep(200);
      }
      held.push(slot);
    }
  } catch (e) {
    release();
    throw e;
  }
  leavePair();
  return Object.freeze({ slots: Object.freeze([...held]), release });
}
