/**
 * The terminal through the real PC/SC stack: VirtualChip → vpcd bridge → pcscd (vpcd driver) →
 * libpcsclite → pcsclite → PcscTransport. Personalize a blank chip (docs/perso.md), then read it
 * with PACE-CAN, PACE-MRZ and BAC. With CI=true a missing pcscd fails the run (global-setup).
 *
 * The chip is a blank card image served by `cancuoc card serve` in a child process, as a user runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../src/card/image.js';
import { hex } from '../../src/lds/bytes.js';
import { openCard } from '../../src/reader/card-session.js';
import { connect, ReaderWatch, waitForCard } from '../../src/reader/pcsc.js';
import { runCli } from '../helpers/cli.js';
import { personalize, type DocumentSet } from '../../src/reader/personalize.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../helpers/pcscd.js';
import { buildDocumentSet, PERSON } from './document-set.fixture.js';

const status = pcscStatus();

describe.skipIf(!status.available)('personalize and read through pcscd + vpcd + pcsclite', () => {
  let slot: HeldSlot;
  let server: ChildProcess;
  let set: DocumentSet;
  const work = mkdtempSync(join(tmpdir(), 'cancuoc-reader-pcsc-'));
  const image = join(work, 'card.img');

  beforeAll(async () => {
    slot = await acquireVpcdSlot();
    set = buildDocumentSet();
    expect(runCli(['card', 'new', '--out', image]).status).toBe(0);
    const root = join(import.meta.dirname, '../..');
    server = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/cli.ts'), 'card', 'serve', '--image', image, '--port', String(slot.port)], {
      cwd: root,
      stdio: 'ignore',
    });
    await waitForCard({ reader: slot.reader, timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await stopServer();
    slot?.release();
    rmSync(work, { recursive: true, force: true });
  });

  /** Ctrl-C for `card serve`: the card leaves the reader and its image is saved. */
  async function stopServer(): Promise<void> {
    if (server === undefined || server.exitCode !== null) return;
    const watch = await ReaderWatch.open(slot.reader, { timeoutMs: 10_000 });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGINT');
    await exited;
    await watch.waitForRemoval(10_000).catch(() => undefined);
    await watch.close();
  }

  it('personalizes the blank chip, verifies it through PACE, and locks it', async () => {
    const t = await connect(slot.reader);
    try {
      const report = await personalize(t, set);
      expect(report.locked).toBe(true);
      expect([...report.filesVerified].sort()).toEqual([...set.files.keys()].sort());
    } finally {
      await t.close();
    }
  });

  for (const [label, access, method] of [
    ['PACE-CAN', { can: PERSON.can }, 'pace'],
    ['PACE-MRZ', { documentNumber: PERSON.documentNumber, dateOfBirth: PERSON.dateOfBirth, dateOfExpiry: PERSON.dateOfExpiry }, 'pace'],
    ['BAC', { documentNumber: PERSON.documentNumber, dateOfBirth: PERSON.dateOfBirth, dateOfExpiry: PERSON.dateOfExpiry }, 'bac'],
  ] as const) {
    it(`${label}: reads DG1, DG2 and SOD back byte for byte`, async () => {
      const session = await openCard(await connect(slot.reader), access, { method });
      try {
        for (const name of ['DG1', 'DG2', 'SOD']) expect(hex(await session.readFile(name))).toBe(hex(set.files.get(name)!));
        expect((await session.activeAuth()).valid).toBe(true);
      } finally {
        await session.close();
      }
    });
  }

  it('a wrong CAN fails with ACCESS_DENIED over PC/SC too', async () => {
    const t = await connect(slot.reader);
    try {
      await expect(openCard(t, { can: '111111' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    } finally {
      await t.close();
    }
  });

  it('after Ctrl-C the saved card image is locked and holds the files written', async () => {
    await stopServer();
    const saved = loadImage(image);
    expect(saved.locked).toBe(true);
    expect(hex(saved.files.get(0x0101)!)).toBe(hex(set.files.get('DG1')!));
  });
});
