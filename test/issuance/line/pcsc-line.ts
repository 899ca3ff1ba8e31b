/**
 * Shared by the line tests through pcscd + vpcd: the CLI as a child process, the fixture queue,
 * the card images the hoppers leave, and the invariants of docs/registry.md ("The line after a
 * crash") that must hold after any kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { hopperImages } from '../../../src/card/hopper.js';
import { loadImage } from '../../../src/card/image.js';
import { verifyAuditLog } from '../../../src/issuance/audit-log.js';
import { Registry } from '../../../src/issuance/registry.js';
import { isPostgresUrl } from '../../../src/issuance/registry-store.js';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const FID_SOD = 0x011d;

export function cli(...args: string[]): ChildProcess {
  // node itself, not a wrapper: SIGKILL must hit the process that holds the card and the database.
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Exit code and signal, once the child's output is read to the end too. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/**
 * The first `count` of the 20 fixture enrollments, records inline; citizen 17's card (expired
 * 2025-01-01) gets a later expiry so it can verify VALID.
 */
export function writeQueue(file: string, count = 20): void {
  const lines = fs
    .readFileSync(path.join(ROOT, 'fixtures/queue-20.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, count)
    .map((l) => {
      const q = JSON.parse(l) as { record: string | object; photo: string; fingers: string[]; faceBox: number[] };
      const record = (typeof q.record === 'string' ? JSON.parse(fs.readFileSync(path.join(ROOT, q.record), 'utf8')) : q.record) as { dateOfExpiry: string | null };
      if (record.dateOfExpiry !== null && record.dateOfExpiry < '2027-01-01') record.dateOfExpiry = '2035-01-01';
      return JSON.stringify({ ...q, record, photo: path.join(ROOT, q.photo), fingers: q.fingers.map((f) => path.join(ROOT, f)) });
    });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

export interface CardImage {
  readonly file: string;
  readonly locked: boolean;
  /** Hex SHA-256 of EF.SOD as stored on the chip. */
  readonly sodHash: string | undefined;
  readonly sod: Uint8Array | undefined;
}

/** The card images of hopper directories, by chip serial (upper-case hex); a serial seen twice fails. */
export function cardImages(dirs: readonly string[]): Map<string, CardImage> {
  const out = new Map<string, CardImage>();
  for (const dir of dirs) {
    for (const { file } of hopperImages(dir)) {
      const image = loadImage(file);
      const sod = image.files.get(FID_SOD);
      const serial = Buffer.from(image.serial).toString('hex').toUpperCase();
      expect(out.has(serial), `chip serial ${serial} in two images`).toBe(false);
      out.set(serial, { file, locked: image.locked, sod, sodHash: sod === undefined ? undefined : createHash('sha256').update(sod).digest('hex') });
    }
  }
  return out;
}

/**
 * The invariants after any kill: audit chain intact, rows and log agree, one issued card per
 * citizen, `done` ⇔ issued, every locked image has exactly one issued entry with its serial and
 * SOD hash (or, before the final run, is a card in flight recorded `verified`), no unlocked
 * image is registered issued, every issued entry has a locked image. Returns the issued count
 * (0 when the registry does not exist yet).
 */
export async function checkLineConsistent(db: string, hopperDirs: readonly string[], final: boolean, faceDir?: string): Promise<number> {
  if (!isPostgresUrl(db) && !fs.existsSync(db)) {
    // Killed before it opened the registry: no card can have been locked.
    expect([...cardImages(hopperDirs).values()].filter((i) => i.locked)).toEqual([]);
    return 0;
  }
  const registry = await Registry.open(db, { create: false, actor: 'checker@test' });
  try {
    expect(await registry.crossCheck()).toEqual([]);
    // One snapshot: other runs may be writing meanwhile (two line machines on one PostgreSQL registry).
    return await registry.store.read(async (tx) => {
      const chain = await verifyAuditLog(tx);
      expect(chain.ok, chain.reason).toBe(true);
      const n = async (sql: string): Promise<number> => (await tx.get<{ n: number }>(sql))!.n;
      expect(await n("SELECT count(*) AS n FROM (SELECT id_number FROM cards WHERE status = 'issued' GROUP BY id_number HAVING count(*) > 1) d")).toBe(0);
      expect(await n("SELECT count(*) AS n FROM queue q WHERE (q.state = 'done') <> EXISTS (SELECT 1 FROM cards c WHERE c.queue_id = q.id AND c.status = 'issued')")).toBe(0);
      const rows = await tx.all<{ chip_serial: string; sod_hash: string | null; status: string }>('SELECT chip_serial, sod_hash, status FROM cards WHERE chip_serial IS NOT NULL');
      const issued = rows.filter((r) => r.status === 'issued');
      const images = cardImages(hopperDirs);
      for (const [serial, image] of images) {
        const mine = issued.filter((r) => r.chip_serial === serial && r.sod_hash === image.sodHash);
        if (image.locked) {
          // Between the lock and its registry entry a locked card may be the one in a reader, recorded 'verified'.
          const inFlight = !final && rows.some((r) => r.chip_serial === serial && r.status === 'verified' && r.sod_hash === image.sodHash);
          expect(mine.length === 1 || inFlight, `locked ${path.basename(image.file)} ${serial} has ${mine.length} issued entries`).toBe(true);
        } else {
          expect(mine.length, `unlocked ${path.basename(image.file)} ${serial} is registered issued`).toBe(0);
        }
      }
      for (const r of issued) expect(images.get(r.chip_serial)?.locked, `issued card ${r.chip_serial} has a locked image`).toBe(true);
      if (faceDir !== undefined) {
        // Faces are written (atomically) before the lock: every issued card has a whole PNG front and back.
        const docs = await tx.all<{ document_number: string }>("SELECT document_number FROM cards WHERE status = 'issued'");
        for (const { document_number: doc } of docs) {
          for (const side of ['front', 'back']) {
            const png = fs.readFileSync(path.join(faceDir, `${doc}-${side}.png`));
            expect(png.subarray(png.length - 8).toString('hex'), `${doc}-${side}.png ends with IEND`).toBe('49454e44ae426082');
          }
        }
      }
      return issued.length;
    });
  } finally {
    await registry.close();
  }
}
