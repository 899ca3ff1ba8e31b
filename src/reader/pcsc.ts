/**
 * The PC/SC terminal over the `pcsclite` binding (node-pcsclite 1.0 on pcsc-lite 1.9): reader
 * lists, card insertion and removal, and a Transport for a connected card — as promises, with
 * errors as classes.
 *
 * The binding reports every failure as an Error whose text ends in the PC/SC return code, e.g.
 * "SCardTransmit error: Card was removed.(0x80100069)". Errors are classified by that number
 * (SCARD_E_* / SCARD_W_* of pcsc-lite's pcsclite.h), never by the wording: pcsc-context.ts.
 *
 * Each call below opens its own PC/SC context and closes it again (the transport and the watch
 * when they are closed): the binding runs a native thread per reader and per context, and a
 * context left open keeps the process alive.
 */

import { CancuocError } from '../lds/errors.js';
import { checkReaderName, checkTimeout, fromPcsc, PcscSession, readerReady, withSession, type CardEvent, type CardEventName, type NativeReader } from './pcsc-context.js';
import { BaseTransport, NoReaderError, TimeoutError, Transport } from './transport.js';

// ---- the public API ----

/** Reader names; waits up to timeoutMs for at least one reader, then returns what is there. */
export async function listReaders(timeoutMs = 2000): Promise<readonly string[]> {
  checkTimeout(timeoutMs);
  return withSession(async (session) => {
    try {
      return Object.freeze(await session.waitFor(() => (session.names.length > 0 ? session.names : undefined), timeoutMs, () => new TimeoutError('TIMEOUT', 'no reader', { step: 'list-readers' })));
    } catch (e) {
      if (e instanceof TimeoutError) return Object.freeze([]);
      throw e;
    }
  });
}

export interface WaitForCardOptions {
  /** Only this reader; default: any reader. */
  readonly reader?: string;
  readonly timeoutMs: number;
}

/** Resolves as soon as a card is present (already, or when inserted) with its reader and ATR. */
export async function waitForCard(options: WaitForCardOptions): Promise<CardEvent> {
  const timeoutMs = checkTimeout(options.timeoutMs);
  const wanted = options.reader === undefined ? undefined : checkReaderName(options.reader);
  return withSession((session) =>
    session.waitFor(
      () => {
        for (const name of wanted === undefined ? session.names : [wanted]) {
          const entry = session.entry(name);
          if (entry?.present) return Object.freeze({ reader: name, ...(entry.atr && { atr: entry.atr.slice() }) });
        }
        return undefined;
      },
      timeoutMs,
      () =>
        wanted !== undefined && session.entry(wanted) === undefined
          ? new NoReaderError('NO_READER', `no reader named "${wanted}"`, { step: 'wait-for-card' })
          : new TimeoutError('TIMEOUT', `no card within ${timeoutMs} ms`, { step: 'wait-for-card' }),
    ),
  );
}

/**
 * Card insertion and removal on one reader, for batches that wait for the next card.
 * Events fire on changes after the watch starts; `present` tells the state at the start.
 */
export class ReaderWatch {
  private constructor(
    private readonly session: PcscSession,
    readonly reader: string,
  ) {}

  static async open(reader: string, options: { readonly timeoutMs?: number } = {}): Promise<ReaderWatch> {
    const name = checkReaderName(reader);
    const session = new PcscSession();
    try {
      await readerReady(session, name, checkTimeout(options.timeoutMs ?? 2000));
    } catch (e) {
      await session.close();
      throw e;
    }
    return new ReaderWatch(session, name);
  }

  get present(): boolean {
    return this.session.entry(this.reader)?.present ?? false;
  }

  get atr(): Uint8Array | undefined {
    return this.session.entry(this.reader)?.atr?.slice();
  }

  /** Subscribes to one event; returns the function that unsubscribes. */
  on(event: CardEventName, listener: (event: CardEvent) => void): () => void {
    return this.session.onCard((name, e) => {
      if (name === event && e.reader === this.reader) listener(e);
    });
  }

  waitForCard(timeoutMs: number): Promise<CardEvent> {
    return this.session.waitFor(
      () => {
        const entry = this.session.entry(this.reader);
        return entry?.present ? Object.freeze({ reader: this.reader, ...(entry.atr && { atr: entry.atr.slice() }) }) : undefined;
      },
      checkTimeout(timeoutMs),
      () => new TimeoutError('TIMEOUT', `no card in "${this.reader}" within ${timeoutMs} ms`, { step: 'wait-for-card' }),
    );
  }

  waitForRemoval(timeoutMs: number): Promise<void> {
    return this.session.waitFor(
      () => (this.session.entry(this.reader)?.present ? undefined : true),
      checkTimeout(timeoutMs),
      () => new TimeoutError('TIMEOUT', `card still in "${this.reader}" after ${timeoutMs} ms`, { step: 'wait-for-removal' }),
    ).then(() => undefined);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** Shorthand for ReaderWatch.open. */
export function watchReader(reader: string, options: { readonly timeoutMs?: number } = {}): Promise<ReaderWatch> {
  return ReaderWatch.open(reader, options);
}

export interface ConnectOptions {
  /** Default 'exclusive': nobody else talks to the card while we personalise or read it. */
  readonly share?: 'exclusive' | 'shared';
  /** What happens to the card at close(); default 'reset' so no session state outlives us. */
  readonly disposition?: 'leave' | 'reset' | 'unpower';
  /** How long to wait for the reader to show up; default 2000 ms. */
  readonly timeoutMs?: number;
}

/** Room for a full extended response: 65536 data bytes + SW1 SW2. */
const RECEIVE_BUFFER = 65536 + 2;
/** ISO/IEC 7816-4 extended case 4: header 4 + Lc 3 + 65535 data + Le 2. Short case 4 for T=0. */
const MAX_EXTENDED_COMMAND = 4 + 3 + 65535 + 2;
const MAX_SHORT_COMMAND = 4 + 1 + 255 + 1;

/** A card connected through PC/SC. */
export class PcscTransport extends BaseTransport implements Transport {
  readonly maxCommandLength: number;

  private constructor(
    private readonly session: PcscSession,
    private readonly native: NativeReader,
    readonly reader: string,
    readonly atr: Uint8Array,
    readonly protocol: 'T=0' | 'T=1',
    private readonly protocolCode: number,
    private readonly disposition: number,
  ) {
    super();
    // Extended APDUs need T=1 (T=0 would need ENVELOPE chaining, not done here).
    this.maxCommandLength = protocol === 'T=1' ? MAX_EXTENDED_COMMAND : MAX_SHORT_COMMAND;
  }

  /** Connects to the card in `reader`, preferring T=1 and falling back to what the card offers. */
  static async connect(reader: string, options: ConnectOptions = {}): Promise<PcscTransport> {
    const name = checkReaderName(reader);
    const session = new PcscSession();
    try {
      const entry = await readerReady(session, name, checkTimeout(options.timeoutMs ?? 2000));
      const native = entry.native;
      const share = options.share === 'shared' ? native.SCARD_SHARE_SHARED : native.SCARD_SHARE_EXCLUSIVE;
      const protocolCode = await connectPreferringT1(native, share);
      const disposition = { leave: native.SCARD_LEAVE_CARD, reset: native.SCARD_RESET_CARD, unpower: native.SCARD_UNPOWER_CARD }[options.disposition ?? 'reset'];
      const protocol = protocolCode === native.SCARD_PROTOCOL_T1 ? 'T=1' : 'T=0';
      return new PcscTransport(session, native, name, entry.atr?.slice() ?? new Uint8Array(0), protocol, protocolCode, disposition);
    } catch (e) {
      await session.close();
      throw e;
    }
  }

  protected exchange(apdu: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.native.transmit(Buffer.from(apdu), RECEIVE_BUFFER, this.protocolCode, (err, data) => {
        if (err) reject(fromPcsc(err, 'transmit', this.reader));
        else resolve(new Uint8Array(data ?? new Uint8Array(0)));
      });
    });
  }

  protected release(): Promise<void> {
    return new Promise((resolve) => {
      // A card already gone cannot be reset; the handle is released either way.
      this.native.disconnect(this.disposition, () => resolve(this.session.close()));
    });
  }
}

/** Shorthand for PcscTransport.connect. */
export function connect(reader: string, options: ConnectOptions = {}): Promise<PcscTransport> {
  return PcscTransport.connect(reader, options);
}

function connectWith(native: NativeReader, share: number, protocols: number): Promise<number> {
  return new Promise((resolve, reject) => {
    native.connect({ share_mode: share, protocol: protocols }, (err, protocol) => {
      if (err) reject(fromPcsc(err, 'connect', native.name));
      else resolve(protocol ?? protocols);
    });
  });
}

async function connectPreferringT1(native: NativeReader, share: number): Promise<number> {
  try {
    return await connectWith(native, share, native.SCARD_PROTOCOL_T1);
  } catch (e) {
    if (!(e instanceof CancuocError) || e.code !== 'PROTOCOL_MISMATCH') throw e;
    return connectWith(native, share, native.SCARD_PROTOCOL_T0 | native.SCARD_PROTOCOL_T1);
  }
}
