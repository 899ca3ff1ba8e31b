/**
 * A test double of a hopper in front of a reader (no pcscd), for the line tests in process:
 * closing the transport powers the card off, and a locked card is then ejected and a new blank
 * inserted. With `dieAfterLock`, the transport throws right after the chip answered LOCK, and the
 * card stays (a dead terminal). With `failWrites`, every UPDATE BINARY answers 65 81 (memory
 * failure): a broken encoder whose cards all fail; with `failLock`, LOCK does (the chip cannot
 * store the lock and stays unlocked). Also the set-up the in-process line tests share
 * (useLineFixture) and how they name a chip (serial, SOD hash).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { VirtualChip } from '../../../src/card/chip.js';
import { blankImage } from '../../../src/card/image.js';
import { initPki, loadPki, type Pki } from '../../../src/crypto/pki.js';
import { hex } from '../../../src/lds/bytes.js';
import type { CardStation } from '../../../src/issuance/line-card.js';
import { loadQueueFile, type QueueEntry } from '../../../src/issuance/queue-file.js';
import { InProcessTransport } from '../../../src/reader/in-process.js';
import { TrustStore } from '../../../src/reader/trust-store.js';

const LOCK = '00dadead';
/** ISO/IEC 7816-4 §11.2.3 UPDATE BINARY, even and odd INS. */
const UPDATE_BINARY = new Set([0xd6, 0xd7]);

export class InProcessHopper implements CardStation {
  readonly out: VirtualChip[] = [];
  card = new VirtualChip(blankImage());
  dieAfterLock = false;
  failWrites = false;
  failLock = false;

  constructor(readonly name = 'in-process hopper') {}

  async waitForCard(): Promise<void> {}

  async nextRemoval(): Promise<void> {}

  async connect() {
    const chip = this.card;
    const inner = InProcessTransport.open(chip);
    let died = false;
    return {
      maxCommandLength: undefined,
      transmit: async (apdu: Uint8Array) => {
        if ((this.failWrites && UPDATE_BINARY.has(apdu[1]!)) || (this.failLock && hex(apdu).startsWith(LOCK))) return Uint8Array.of(0x65, 0x81);
        const response = await inner.transmit(apdu);
        if (this.dieAfterLock && hex(apdu).startsWith(LOCK)) {
          died = true;
          throw new Error('killed');
        }
        return response;
      },
      close: async () => {
        await inner.close();
        if (!died && chip.locked) {
          this.out.push(chip);
          this.card = new VirtualChip(blankImage());
        }
      },
    };
  }
}

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FID_SOD = 0x011d;

export const serialOf = (chip: VirtualChip): string => hex(chip.image().serial).toUpperCase();
export const sodHashOf = (chip: VirtualChip): string => createHash('sha256').update(chip.image().files.get(FID_SOD)!).digest('hex');

/** What the in-process line tests share: a throwaway PKI, trust in its CSCA, the first fixture queue entries. */
export interface LineFixture {
  readonly dir: string;
  pki: Pki;
  trust: TrustStore;
  entries: readonly QueueEntry[];
}

/** Sets the fixture up before the file's tests (vitest beforeAll) and removes it after. */
export function useLineFixture(prefix: string, records: number): LineFixture {
  const f = { dir: mkdtempSync(join(tmpdir(), prefix)) } as LineFixture;
  beforeAll(async () => {
    await initPki({ dir: join(f.dir, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
    f.pki = await loadPki(join(f.dir, 'pki'));
    f.trust = new TrustStore();
    f.trust.addCertificates(f.pki.certificates.csca);
    f.entries = (await loadQueueFile(join(ROOT, 'fixtures/queue-20.jsonl'), ROOT)).slice(0, records);
  }, 60_000);
  afterAll(() => {
    f.pki?.close();
    rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}
