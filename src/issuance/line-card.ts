/**
 * The card in a line station: the station itself (a PC/SC reader, or a test double), the chip
 * probe (serial and life-cycle state, in the clear), the decision table of docs/registry.md
 * ("The line after a crash"), and the two steps of a card the line runs on its own: the
 * verification as an inspection system and the card face for the printer.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { digest } from '../crypto/algorithms.js';
import { writeFileAtomic } from '../crypto/file-io.js';
import { commandApdu, INS, swHex } from '../lds/apdu.js';
import { equalBytes, hex } from '../lds/bytes.js';
import { canFromId } from '../lds/cccd-id.js';
import { CancuocError, ParseError } from '../lds/errors.js';
import { fileByName } from '../lds/files.js';
import { readTlvList } from '../lds/tlv.js';
import { LDS1_AID, openCard } from '../reader/card-session.js';
import { connect, ReaderWatch } from '../reader/pcsc.js';
import { readAtrInfo, selectEf } from '../reader/read-file.js';
import { plainExchange } from '../reader/secure-transport.js';
import { borrowedTransport, TransportError, type Transport } from '../reader/transport.js';
import type { TrustStore } from '../reader/trust-store.js';
import { verifyCard } from '../reader/verify.js';
import { renderCardFace } from './card-face.js';
import { cccdQrText } from './qr-payloads.js';
import { queueEntryOf } from './queue-file.js';
import type { LineItem } from './registry.js';

/** Where the line's cards come and go: a PC/SC reader (openPcscStation) or a test double. */
export interface CardStation {
  readonly name: string;
  /** Resolves when a card is in the reader, at once if one already is. */
  waitForCard(timeoutMs: number): Promise<void>;
  /** Connects to the card; closing the transport releases it (PC/SC: powers it off). */
  connect(): Promise<Transport>;
  /** Resolves on the next removal after this call (at once if no card is present); call it before releasing. */
  nextRemoval(timeoutMs: number): Promise<void>;
}

/**
 * A PC/SC reader as a station: card-inserted / card-removed events of ReaderWatch, and an
 * exclusive connection that powers the card off when closed (SCARD_UNPOWER_CARD): the release
 * a hopper waits for. An operator at a real reader sees the same: take the card out when told.
 */
export async function openPcscStation(reader: string): Promise<CardStation & { close(): Promise<void> }> {
  const watch = await ReaderWatch.open(reader, { timeoutMs: 5000 });
  return Object.freeze({
    name: reader,
    waitForCard: (timeoutMs: number) => watch.waitForCard(timeoutMs).then(() => undefined),
    connect: () => connect(reader, { share: 'exclusive', disposition: 'unpower', timeoutMs: 5000 }),
    nextRemoval: (timeoutMs: number) => {
      if (!watch.present) return Promise.resolve();
      // The event, not the state: a swap between two polls shows as removed + inserted.
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new TransportError('TIMEOUT', `the card stays in "${reader}" after ${timeoutMs} ms`, { step: 'wait-for-removal' }));
        }, timeoutMs);
        const off = watch.on('card-removed', () => {
          clearTimeout(timer);
          off();
          resolve();
        });
      });
    },
    close: () => watch.close(),
  });
}
/** The line stopped: LINE_HALTED (cards keep failing), LINE_NO_CARD (nothing came in time). */
export class LineError extends CancuocError {}

export interface ChipProbe {
  /** Upper-case hex of DO'46' in EF.ATR/INFO. */
  readonly serial: string;
  readonly locked: boolean;
}

/** ISO/IEC 7816-4 §12.7.1: DO'46' of EF.ATR/INFO, public before and after the lock. */
const TAG_PRE_ISSUING = 0x46;
const INS_PUT_DATA = 0xda;

/** Reads the chip serial and the life-cycle state, in the clear. */
export async function probeChip(transport: Transport): Promise<ChipProbe> {
  const exchange = plainExchange(transport);
  const info = await readAtrInfo(exchange);
  if (info.data === undefined) {
    throw new ParseError('CHIP_SERIAL_MISSING', `EF.ATR/INFO cannot be read (${swHex(info.sw)})`, { file: 'ATR/INFO', sw: info.sw });
  }
  const serial = readTlvList(info.data, 'lenient').find((d) => d.tag === TAG_PRE_ISSUING)?.value;
  if (serial === undefined || serial.length === 0 || serial.length > 32) {
    throw new ParseError('CHIP_SERIAL_MISSING', "EF.ATR/INFO has no DO'46' chip serial", { file: 'ATR/INFO', tag: TAG_PRE_ISSUING });
  }
  const app = await exchange(commandApdu({ cla: 0, ins: INS.SELECT, p1: 4, p2: 0x0c, data: LDS1_AID }));
  const com = app.sw === 0x9000 ? (await exchange(selectEf(fileByName('COM')!.fid))).sw : app.sw;
  // Unlocked: EF.COM selects (9000) or is not written yet (6A82). Locked: 6982 without a session —
  // unless the card was locked empty, so ask the life cycle too: after the lock every PUT DATA
  // answers 6985; before it, one with P1-P2 0000 is refused as unknown (6A86) and changes nothing.
  if (com !== 0x9000 && com !== 0x6a82 && com !== 0x6982) {
    throw new ParseError('CHIP_STATE_UNKNOWN', `the chip answered ${swHex(com)} to SELECT EF.COM`, { file: 'COM', sw: com });
  }
  const locked = com === 0x6982 || (await exchange(commandApdu({ cla: 0, ins: INS_PUT_DATA, p1: 0, p2: 0 }))).sw === 0x6985;
  return Object.freeze({ serial: hex(serial).toUpperCase(), locked });
}

/** SHA-256 of EF.SOD, the registry's fingerprint of what a card holds. */
export function sodHash(sod: Uint8Array): Uint8Array {
  return digest('sha256', sod);
}

/** Checks of verify.ts whose failure is the chip's (reading, AA, CA), not the document's. */
const CHIP_CHECKS: ReadonlySet<string> = new Set(['read', 'aa', 'ca']);

/** What to do with one record and the card in the reader. */
export type Move =
  | { readonly kind: 'personalize' }
  | { readonly kind: 'complete' }
  | { readonly kind: 'reject-card'; readonly reason: string }
  | { readonly kind: 'abandon'; readonly reason: string };

/**
 * The decision table of docs/registry.md: the record's last recorded state against the card
 * that is in the reader.
 */
export function decide(item: Pick<LineItem, 'status' | 'chipSerial'>, chip: ChipProbe): Move {
  const same = item.chipSerial === chip.serial;
  if (item.status === 'verified') {
    if (same) return { kind: 'complete' };
    // Its card left the reader before the registry heard of the lock: it may be locked.
    return { kind: 'abandon', reason: `card ${item.chipSerial ?? '?'} left the reader before it was recorded issued; find it and destroy it if locked` };
  }
  if (chip.locked) {
    return same
      ? { kind: 'abandon', reason: `card ${chip.serial} is locked but was never verified` }
      : { kind: 'reject-card', reason: `card ${chip.serial} is locked: not blank` };
  }
  return { kind: 'personalize' };
}

/** The card face from the chip's portrait and the queued record, written atomically; the files written. */
export async function writeCardFaces(dir: string | undefined, item: LineItem, portrait: Uint8Array | undefined): Promise<readonly string[]> {
  if (dir === undefined) return [];
  if (portrait === undefined) throw new LineError('LINE_NO_PORTRAIT', 'the chip holds no portrait to print', { step: 'card-face' });
  const { record } = queueEntryOf(item.record);
  const face = await renderCardFace({ record, portrait, qr: cccdQrText(record) });
  const files = [join(dir, `${item.documentNumber!}-front.png`), join(dir, `${item.documentNumber!}-back.png`)];
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(files[0]!, face.front, 0o600);
  await writeFileAtomic(files[1]!, face.back, 0o600);
  return files;
}

/**
 * The portrait read from the card when it verifies VALID and holds the SOD recorded for the
 * record; else why not, and whether the chip is to blame (another card may do) or the document
 * (none will).
 */
export async function verifyLineCard(
  transport: Transport,
  item: LineItem,
  trust: TrustStore,
): Promise<{ readonly reason: string; readonly chipFault: boolean } | { readonly faceImage: Uint8Array | undefined }> {
  let session;
  try {
    session = await openCard(borrowedTransport(transport), { can: canFromId(item.idNumber) }, { method: 'pace' });
  } catch (e) {
    if (e instanceof TransportError) throw e;
    return { reason: `PACE with the CAN failed: ${e instanceof CancuocError ? e.code : 'error'}`, chipFault: true };
  }
  try {
    const report = await verifyCard(session, { trust });
    if (report.verdict !== 'VALID') {
      const failed = report.checks.filter((c) => c.status === 'fail' || c.status === 'not-bound');
      const list = failed.map((c) => `${c.id}:${c.code}`).join(', ');
      return { reason: `verification ${report.verdict}: ${list || 'no check passed'}`, chipFault: failed.some((c) => CHIP_CHECKS.has(c.id)) };
    }
    const sod = report.data.files.get('SOD');
    if (sod === undefined || item.sodHash === undefined || !equalBytes(sodHash(sod), item.sodHash)) {
      return { reason: 'the chip holds another EF.SOD than the one recorded', chipFault: true };
    }
    if (report.mrz?.documentNumber !== item.documentNumber) return { reason: 'the chip holds another document number than the one recorded', chipFault: true };
    return { faceImage: report.data.faceImage };
  } finally {
    await session.close();
  }
}
