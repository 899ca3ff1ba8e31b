/**
 * A virtual card hopper for the production line (issue 5 §2), like a card printer's feeder and
 * encoder station: a directory of card images, one card at a time in a vpcd reader.
 *
 * The input stack is every unlocked image DIR/card-NNN.img, in name order (blanks made with
 * `cancuoc card new`, or a half-written card left by an earlier run); when it is empty a fresh
 * blank image is made with the next number. A card is ejected — its vpcd connection closed, so
 * pcscd sees it removed; its image stays in DIR as the output tray — once it is locked AND the
 * terminal has released it, and then the next card is inserted.
 *
 * "Released" is the terminal's power-off: SCardDisconnect with SCARD_UNPOWER_CARD reaches the
 * card as a vpcd power-off right after its last command. A terminal that dies is cleaned up by
 * pcscd with SCARD_RESET_CARD (a vpcd reset, later pcscd's idle power-off): the card stays, so a
 * line killed between the lock and its registry entry finds the card again when it restarts
 * (docs/registry.md, "The line after a crash"). An unlocked card is never ejected.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hex } from '../lds/bytes.js';
import type { CardHandler } from './card-handler.js';
import { VirtualChip } from './chip.js';
import { blankImage, ImageFile, loadImage, saveImage } from './image.js';
import { connectVpcd, type VpcdConnection, type VpcdOptions } from './vpcd.js';

const IMAGE_NAME = /^card-(\d+)\.img$/;

export interface HopperOptions {
  /** The directory of card images (made if missing). */
  readonly dir: string;
  /** Stop after ejecting this many cards; default: run until close(). */
  readonly cards?: number;
  readonly host?: string;
  /** vpcd port (35963 = "Virtual PCD 00 00"). */
  readonly port?: number;
  /** A card goes in or comes out. */
  readonly onEvent?: (event: HopperEvent) => void;
  /** Bridge and image-saving failures; the hopper keeps running. */
  readonly onError?: (error: unknown) => void;
}

export interface HopperEvent {
  readonly kind: 'inserted' | 'ejected';
  /** The image file of the card. */
  readonly file: string;
  /** Chip serial number, upper-case hex. */
  readonly serial: string;
  /** Cards ejected so far. */
  readonly ejected: number;
}

/** The card images of a hopper directory, by number. */
export function hopperImages(dir: string): readonly { readonly file: string; readonly number: number }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => ({ name, m: IMAGE_NAME.exec(name) }))
    .filter((e) => e.m !== null)
    .map((e) => Object.freeze({ file: path.join(dir, e.name), number: Number(e.m![1]) }))
    .sort((a, b) => a.number - b.number);
}

/**
 * Wraps the chip: tells when the terminal releases a locked card. A reset since the last command
 * means the terminal went away without a word (pcscd's clean-up of a dead client): not a release.
 */
class HopperSlot implements CardHandler {
  #resetSinceCommand = false;

  constructor(
    readonly chip: VirtualChip,
    private readonly onRelease: () => void,
  ) {}

  atr(): Uint8Array {
    return this.chip.atr();
  }

  powerOn(): void {
    this.chip.powerOn();
  }

  reset(): void {
    this.#resetSinceCommand = true;
    this.chip.reset();
  }

  powerOff(): void {
    this.chip.powerOff();
    if (this.chip.locked && !this.#resetSinceCommand) this.onRelease();
  }

  delayBefore(apdu: Uint8Array): Promise<void> | undefined {
    return this.chip.delayBefore(apdu);
  }

  transmit(apdu: Uint8Array): Uint8Array {
    this.#resetSinceCommand = false;
    return this.chip.transmit(apdu);
  }
}

export class CardHopper {
  readonly #options: HopperOptions;
  readonly #limit: number;
  #ejected = 0;
  #connection: VpcdConnection | undefined;
  #store: ImageFile | undefined;
  #closing = false;
  #settle!: () => void;
  #fail!: (e: unknown) => void;
  /** Settles when the hopper has stopped: `cards` ejected, or close(). Rejects if a card cannot be inserted. */
  readonly done: Promise<void> = new Promise((resolve, reject) => {
    this.#settle = resolve;
    this.#fail = reject;
  });

  private constructor(options: HopperOptions) {
    this.#options = options;
    this.#limit = options.cards ?? Infinity;
  }

  /** Inserts the first card; rejects (VpcdError VPCD_CONNECT_FAILED) when no vpcd driver listens. */
  static async start(options: HopperOptions): Promise<CardHopper> {
    if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '') {
      throw new TypeError('"dir" expected a directory path');
    }
    const cards = options.cards;
    if (cards !== undefined && (!Number.isSafeInteger(cards) || cards < 1)) throw new RangeError(`"cards" expected a positive integer, got ${cards}`);
    fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const hopper = new CardHopper(options);
    await hopper.#insert();
    return hopper;
  }

  get ejected(): number {
    return this.#ejected;
  }

  /** Takes the card out (its image saved) and stops. */
  async close(): Promise<void> {
    if (this.#closing) return this.done;
    this.#closing = true;
    await this.#connection?.close();
    this.#store?.flush();
    this.#settle();
    return this.done;
  }

  /** The first unlocked image in the directory, or a fresh blank with the next number. */
  #nextBlank(): string {
    const images = hopperImages(this.#options.dir);
    for (const { file } of images) {
      try {
        if (!loadImage(file).locked) return file;
      } catch (e) {
        this.#report(e); // an unreadable image stays where it is, like a jammed card
      }
    }
    const number = (images.at(-1)?.number ?? 0) + 1;
    const file = path.join(this.#options.dir, `card-${String(number).padStart(3, '0')}.img`);
    saveImage(file, blankImage());
    return file;
  }

  async #insert(): Promise<void> {
    const file = this.#nextBlank();
    const store = new ImageFile(file, { onError: (e) => this.#report(e) });
    const chip = new VirtualChip(loadImage(file), { persistence: store });
    let released = false;
    const slot = new HopperSlot(chip, () => {
      if (released) return;
      released = true;
      // Not inside the bridge's dispatch: eject once the power-off has been handled.
      setImmediate(() => void this.#eject(file, chip).catch((e: unknown) => this.#fail(e)));
    });
    const vpcd: VpcdOptions = {
      ...(this.#options.host === undefined ? {} : { host: this.#options.host }),
      ...(this.#options.port === undefined ? {} : { port: this.#options.port }),
      reconnect: true,
      onError: (e) => this.#report(e),
    };
    this.#store = store;
    this.#connection = await connectVpcd(slot, vpcd);
    this.#event('inserted', file, chip);
  }

  async #eject(file: string, chip: VirtualChip): Promise<void> {
    if (this.#closing) return;
    await this.#connection?.close();
    this.#store?.flush();
    this.#connection = undefined;
    this.#ejected++;
    this.#event('ejected', file, chip);
    if (this.#ejected >= this.#limit) {
      this.#closing = true;
      this.#settle();
      return;
    }
    if (!this.#closing) await this.#insert();
  }

  #event(kind: HopperEvent['kind'], file: string, chip: VirtualChip): void {
    const event = Object.freeze({ kind, file, serial: hex(chip.image().serial).toUpperCase(), ejected: this.#ejected });
    try {
      this.#options.onEvent?.(event);
    } catch (e) {
      this.#report(e);
    }
  }

  #report(e: unknown): void {
    if (this.#options.onError !== undefined) this.#options.onError(e);
    else process.emitWarning(e instanceof Error ? e.message : String(e));
  }
}
