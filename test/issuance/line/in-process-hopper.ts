/**
 * A test double of a hopper in front of a reader (no pcscd), for the line tests in process:
 * closing the transport powers the card off, and a locked card is then ejected and a new blank
 * inserted. With `dieAfterLock`, the transport throws right after the chip answered LOCK, and the
 * card stays (a dead terminal). With `failWrites`, every UPDATE BINARY answers 65 81 (memory
 * failure): a broken encoder whose cards all fail; with `failLock`, LOCK does (the chip cannot
 * store the lock and stays unlocked).
 */
import { VirtualChip } from '../../../src/card/chip.js';
import { blankImage } from '../../../src/card/image.js';
import { hex } from '../../../src/lds/bytes.js';
import type { CardStation } from '../../../src/issuance/production-line.js';
import { InProcessTransport } from '../../../src/reader/in-process.js';

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
