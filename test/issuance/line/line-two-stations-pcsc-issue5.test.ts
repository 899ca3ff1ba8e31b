/**
 * Issue 5 §2 with several encoder stations (docs/registry.md, "Several stations"): `cancuoc batch
 * run --reader A --reader B` through pcscd + vpcd, a `cancuoc card serve --hopper` in each vpcd
 * reader. Every record is issued exactly once, on one of the two readers; every card image
 * verifies (EF.SOD with `openssl cms -verify` against the CSCA, the chip with PACE, PA, AA, CA);
 * a second `batch run` on the same registry is refused while the first runs; SIGKILL mid-batch
 * leaves registry, audit log and cards consistent, and the next run resumes each card on the
 * reader that holds it (none is set aside). Bad --reader options, and a --faces directory that
 * cannot be written, exit 4 with one line.
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/card/image.js';
import { VirtualChip } from '../../../src/card/chip.js';
import { loadPki } from '../../../src/crypto/pki.js';
import { canFromId } from '../../../src/lds/cccd-id.js';
import { readTlv } from '../../../src/lds/tlv.js';
import { Registry } from '../../../src/issuance/registry.js';
import { openCard } from '../../../src/reader/card-session.js';
import { InProcessTransport } from '../../../src/reader/in-process.js';
import { TrustStore } from '../../../src/reader/trust-store.js';
import { verifyCard } from '../../../src/reader/verify.js';
import { opensslCmsVerify } from '../../helpers/openssl-pki.js';
import { acquireBothVpcdSlots, pcscStatus, type VpcdSlot } from '../../helpers/pcscd.js';
import { cardImages, checkLineConsistent, cli, exited, writeQueue } from './pcsc-line.js';

const status = pcscStatus();
const KILLS = 5;

/** Runs the CLI to its end: exit code, stdout, stderr. */
async function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const { code } = await exited(child);
  return { code, stdout, stderr };
}

describe.skipIf(!status.available)('batch run with two stations: a hopper in each vpcd reader', () => {
  let slots: readonly VpcdSlot[] = [];
  let releaseSlots = (): void => undefined;
  const hoppers: ChildProcess[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cancuoc-line2-'));
  const pkiDir = path.join(dir, 'pki');
  const log: string[] = [];

  beforeAll(async () => {
    ({ slots, release: releaseSlots } = await acquireBothVpcdSlots());
    const pki = cli('pki', 'init', '--out', pkiDir, '--alg', 'ecdsa-p256', '--insecure-plain-keys');
    expect((await exited(pki)).code).toBe(0);
  }, 180_000);

  async function stopHoppers(): Promise<void> {
    const all = hoppers.splice(0);
    for (const h of all) h.kill('SIGTERM');
    await Promise.all(all.map(exited));
  }

  afterAll(async () => {
    await stopHoppers();
    releaseSlots();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A hopper in each reader, its images in `<base>-<port>`; returns the directories. */
  function startHoppers(base: string): string[] {
    return slots.map((slot) => {
      const cards = `${base}-${slot.port}`;
      const hopper = cli('card', 'serve', '--hopper', cards, '--port', String(slot.port));
      hopper.stdout!.on('data', (d: Buffer) => log.push(`hopper ${slot.port}: ${d.toString()}`));
      hopper.stderr!.on('data', (d: Buffer) => log.push(`hopper ${slot.port}!: ${d.toString()}`));
      hoppers.push(hopper);
      return cards;
    });
  }

  function batchRun(queue: string, db: string, ...more: string[]): ChildProcess {
    const readers = slots.flatMap((s) => ['--reader', s.reader]);
    const child = cli('batch', 'run', '--queue', queue, '--pki', pkiDir, '--db', db, ...readers, '--json', ...more);
    child.stdout!.on('data', (d: Buffer) => log.push(`batch ${child.pid}: ${d.toString()}`));
    child.stderr!.on('data', (d: Buffer) => log.push(`batch ${child.pid}!: ${d.toString()}`));
    return child;
  }

  it('refuses an unknown or repeated --reader, --reader with --all-readers, an unwritable --faces: exit 4, one line', async () => {
    const queue = path.join(dir, 'bad-reader.jsonl');
    writeQueue(queue, 1);
    const run = (...readers: string[]) => finished(cli('batch', 'run', '--queue', queue, '--pki', pkiDir, '--db', path.join(dir, 'bad.sqlite'), ...readers));
    const notDir = path.join(dir, 'a-file');
    fs.writeFileSync(notDir, '');
    const [unknown, twice, both, faces] = await Promise.all([
      run('--reader', slots[0]!.reader, '--reader', 'No Such Reader 00 00'),
      run('--reader', slots[0]!.reader, '--reader', slots[0]!.reader),
      run('--reader', slots[0]!.reader, '--all-readers'),
      run('--reader', slots[0]!.reader, '--faces', path.join(notDir, 'faces')),
    ]);
    for (const [r, text] of [
      [unknown, 'No Such Reader 00 00'],
      [twice, 'twice'],
      [both, '--all-readers'],
      [faces, '--faces'],
    ] as const) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(text);
    }
    // Refused before the registry is touched.
    expect(fs.existsSync(path.join(dir, 'bad.sqlite'))).toBe(false);
  }, 60_000);

  it('issues 12 records once each over both readers; a second batch run on the registry is refused', async () => {
    const queue = path.join(dir, 'q12.jsonl');
    const db = path.join(dir, 'r12.sqlite');
    writeQueue(queue, 12);
    // No card yet: the first run holds the registry while its stations wait for cards.
    const first = finished(batchRun(queue, db));
    await expect.poll(() => openBatches(db), { timeout: 30_000, interval: 200 }).toBe(1);
    const second = await finished(batchRun(queue, db));
    expect(second.code, second.stderr).toBe(4);
    expect(second.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/batch \d+ .* is running station .* on this registry; one run per station/);
    const dirs = startHoppers(path.join(dir, 'cards12'));
    const r = await Promise.race([first, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(log.join(''))), 60_000).unref())]);
    expect(r.code, log.slice(-20).join('')).toBe(0);

    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { station: string; idNumber: string; status: string; documentNumber: string; chipSerial: string });
    expect(lines).toHaveLength(12);
    expect(lines.every((l) => l.status === 'issued')).toBe(true);
    expect(new Set(lines.map((l) => l.idNumber)).size).toBe(12);
    expect(new Set(lines.map((l) => l.documentNumber)).size).toBe(12);
    expect(new Set(lines.map((l) => l.chipSerial)).size).toBe(12);
    for (const slot of slots) expect(lines.filter((l) => l.station === slot.reader).length, slot.reader).toBeGreaterThanOrEqual(3);

    expect(await checkLineConsistent(db, dirs, true)).toBe(12);
    const audit = await finished(cli('audit', 'verify', '--db', db));
    expect(audit.code, audit.stderr).toBe(0);

    // Every locked image in either tray: EF.SOD verifies with openssl against the CSCA, and the
    // chip verifies VALID under PACE with the CAN of the citizen the registry issued it to.
    const pki = await loadPki(pkiDir);
    const trust = new TrustStore();
    trust.addCertificates(pki.certificates.csca);
    pki.close();
    const registry = await Registry.open(db, { create: false });
    const owner = (serial: string) =>
      registry.store.read((tx) => tx.get<{ id_number: string; document_number: string }>("SELECT id_number, document_number FROM cards WHERE status = 'issued' AND chip_serial = ?", serial));
    const locked = [...cardImages(dirs)].filter(([, image]) => image.locked);
    expect(locked).toHaveLength(12);
    for (const [serial, image] of locked) {
      const sod = readTlv(image.sod!, 0, 'der');
      const cms = opensslCmsVerify(sod.value, path.join(pkiDir, 'csca.pem'), dir);
      expect(cms.ok, cms.output).toBe(true);
      const row = (await owner(serial))!;
      const session = await openCard(InProcessTransport.open(new VirtualChip(loadImage(image.file))), { can: canFromId(row.id_number) }, { method: 'pace' });
      const report = await verifyCard(session, { trust });
      await session.close();
      expect(report.verdict, JSON.stringify(report.checks.filter((c) => c.status !== 'pass'))).toBe('VALID');
      expect(report.mrz?.documentNumber).toBe(row.document_number);
    }
    await registry.close();
    await stopHoppers();
  }, 120_000);

  it(`SIGKILL mid-batch ${KILLS} times: consistent after each; every card resumed on its own reader`, async () => {
    const queue = path.join(dir, 'q20.jsonl');
    const db = path.join(dir, 'r20.sqlite');
    writeQueue(queue, 20);
    const dirs = startHoppers(path.join(dir, 'cards20'));
    let kills = 0;
    for (let round = 0; round < 20; round++) {
      const child = batchRun(queue, db);
      const killing = kills < KILLS;
      // Mid-batch: once this run's batch is in the registry, at a random moment within 2.5 s (a card
      // takes about 0.8 s per reader) or, sooner, within 0.8 s of the first card through.
      const timers: NodeJS.Timeout[] = [];
      const kill = (ms: number): void => void timers.push(setTimeout(() => child.kill('SIGKILL'), ms));
      if (killing) {
        const started = setInterval(async () => {
          if (!(await batchOf(db, child.pid!))) return;
          clearInterval(started);
          kill(Math.random() * 2500);
        }, 100);
        timers.push(started);
        child.stdout!.on('data', (d: Buffer) => {
          if (timers.length < 3 && d.toString().includes('"status"')) kill(Math.random() * 800);
        });
      }
      const { code, signal } = await exited(child);
      timers.forEach(clearTimeout);
      const issued = await checkLineConsistent(db, dirs, false);
      if (signal === 'SIGKILL') {
        kills++;
        expect(issued, 'the kill landed before the batch was done').toBeLessThan(20);
      } else {
        expect({ code, signal }, log.slice(-20).join('')).toEqual({ code: 0, signal: null });
      }
      if (signal === null && !killing) break;
    }
    expect(kills).toBe(KILLS);
    expect(await checkLineConsistent(db, dirs, true)).toBe(20);
    expect([...cardImages(dirs).values()].filter((i) => i.locked)).toHaveLength(20);
    const registry = await Registry.open(db, { create: false });
    // A card resumed by the wrong reader would be set aside ("left the reader"); none is.
    expect((await registry.counts()).setAside).toBe(0);
    const stations = await registry.store.read((tx) => tx.all<{ station: string }>("SELECT DISTINCT station FROM cards WHERE status = 'issued' ORDER BY station"));
    expect(stations.map((s) => s.station)).toEqual(slots.map((s) => s.reader).sort());
    await registry.close();
  }, 180_000);
});

/** Batches of the registry still running (0 before the file exists). */
async function openBatches(db: string): Promise<number> {
  if (!fs.existsSync(db)) return 0;
  const registry = await Registry.open(db, { create: false, actor: 'checker@test' });
  try {
    return (await registry.store.read((tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM batches WHERE finished_at IS NULL')))!.n;
  } finally {
    await registry.close();
  }
}

/** The process `pid` has started a batch on the registry (false while the file or its schema is still being made). */
async function batchOf(db: string, pid: number): Promise<boolean> {
  if (!fs.existsSync(db)) return false;
  let registry: Registry;
  try {
    registry = await Registry.open(db, { create: false, actor: 'checker@test' });
  } catch (e) {
    if ((e as { code?: string }).code === 'REGISTRY_NOT_A_REGISTRY') return false; // the run has not made the schema yet
    throw e;
  }
  try {
    return (await registry.store.read((tx) => tx.get('SELECT 1 AS x FROM batches WHERE owner_pid = ?', pid))) !== undefined;
  } finally {
    await registry.close();
  }
}
