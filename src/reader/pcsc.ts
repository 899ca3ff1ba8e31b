/**
 * The PC/SC terminal over the `pcsclite` binding (node-pcsclite 1.0 on pcsc-lite 1.9): reader
 * lists, card insertion and removal, and a Transport for a connected card — as promises, with
 * errors as classes.
 *
 * The binding reports every failure as an Error whose text ends in the PC/SC return code, e.g.
 * "SCardTransmit error: Card was removed.(0x80100069)". Errors are classified by that number
 * (SCARD_E_* / SCARD_W_* of pcsc-lite's pcsclite.h), never by the wording.
 *
 * Each call below opens its own PC/SC context and closes it again (the transport and the watch
 * when they are closed): the binding runs a native thread per reader and per context, and a
 * context left open keeps the process alive.
 */

import { createRequire } from 'node:module';
import { CancuocError } from '../lds/errors.js';
import { BaseTransport, CardRemovedError, NoReaderError, TimeoutError, Transport, TransportError } from './transport.js';

// ---- the binding, as much of it as is used ----

interface NativeStatus {
  readonly state: number;
  readonly atr?: Buffer;
}

interface NativeReader {
  readonly name: string;
  readonly connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  connect(options: { share_mode: number; protocol: number }, cb: (err: Error | null | undefined, protocol?: number) => void): void;
  disconnect(disposition: number, cb: (err?: Error | null) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: Error | null | undefined, data?: Buffer) => void): void;
  close(): void;
  on(event: 'status', listener: (status: NativeStatus) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'end', listener: () => void): void;
}

interface NativePcsc {
  on(event: 'reader', listener: (reader: NativeReader) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}

function openNative(): NativePcsc {
  let factory: () => NativePcsc;
  try {
    factory = createRequire(import.meta.url)('pcsclite') as () => NativePcsc;
  } catch (e) {
    throw new TransportError('PCSC_UNAVAILABLE', 'the pcsclite binding cannot be loaded', { step: 'load' }, { cause: e });
  }
  try {
    return factory();
  } catch (e) {
    throw fromPcsc(e, 'establish-context');
  }
}

// ---- errors ----

type TransportErrorClass = new (...args: ConstructorParameters<typeof TransportError>) => TransportError;

const PCSC_CODES: ReadonlyMap<number, readonly [string, TransportErrorClass]> = new Map([
  [0x80100069, ['CARD_REMOVED', CardRemovedError]], // SCARD_W_REMOVED_CARD
  [0x8010000c, ['NO_CARD', CardRemovedError]], // SCARD_E_NO_SMARTCARD
  [0x8010002e, ['NO_READER', NoReaderError]], // SCARD_E_NO_READERS_AVAILABLE
  [0x80100009, ['NO_READER', NoReaderError]], // SCARD_E_UNKNOWN_READER
  [0x80100017, ['NO_READER', NoReaderError]], // SCARD_E_READER_UNAVAILABLE
  [0x8010000a, ['TIMEOUT', TimeoutError]], // SCARD_E_TIMEOUT
  [0x8010001d, ['PCSC_NO_SERVICE', TransportError]], // SCARD_E_NO_SERVICE: pcscd not running
  [0x8010001e, ['PCSC_NO_SERVICE', TransportError]], // SCARD_E_SERVICE_STOPPED
  [0x80100068, ['CARD_RESET', TransportError]], // SCARD_W_RESET_CARD
  [0x80100066, ['CARD_UNRESPONSIVE', TransportError]], // SCARD_W_UNRESPONSIVE_CARD
  [0x80100067, ['CARD_UNPOWERED', TransportError]], // SCARD_W_UNPOWERED_CARD
  [0x80100065, ['CARD_UNSUPPORTED', TransportError]], // SCARD_W_UNSUPPORTED_CARD
  [0x8010000b, ['SHARING_VIOLATION', TransportError]], // SCARD_E_SHARING_VIOLATION
  [0x8010000f, ['PROTOCOL_MISMATCH', TransportError]], // SCARD_E_PROTO_MISMATCH
  [0x80100002, ['CANCELLED', TransportError]], // SCARD_E_CANCELLED
  [0x80100008, ['INSUFFICIENT_BUFFER', TransportError]], // SCARD_E_INSUFFICIENT_BUFFER
  [0x80100016, ['NOT_TRANSACTED', TransportError]], // SCARD_E_NOT_TRANSACTED
  [0x80100013, ['PCSC_COMM_ERROR', TransportError]], // SCARD_F_COMM_ERROR
]);

/** The PC/SC return code at the end of a binding error, e.g. "(0x80100069)". */
export function pcscCodeOf(error: unknown): number | undefined {
  const text = error instanceof Error ? error.message : '';
  const m = /\(0x([0-9a-fA-F]{8})\)\s*$/.exec(text);
  return m === null ? undefined : parseInt(m[1] as string, 16);
}

/** Turns a binding error into the matching TransportError subclass. */
export function fromPcsc(error: unknown, step: string, reader?: string): TransportError {
  if (error instanceof TransportError) return error;
  const pcscCode = pcscCodeOf(error);
  const [code, ErrorClass] = (pcscCode !== undefined ? PCSC_CODES.get(pcscCode) : undefined) ?? ['PCSC_ERROR', TransportError];
  const hexCode = pcscCode === undefined ? 'no PC/SC code' : `0x${pcscCode.toString(16).toUpperCase()}`;
  const where = reader === undefined ? '' : ` on "${reader}"`;
  return new ErrorClass(code, `PC/SC ${step} failed${where} (${hexCode})`, { step }, { cause: error, pcscCode });
}

// ---- one PC/SC context ----

export type CardEventName = 'card-inserted' | 'card-removed';

export interface CardEvent {
  readonly reader: string;
  /** The card's ATR, on insertion. */
  readonly atr?: Uint8Array;
}

interface ReaderEntry {
  readonly native: NativeReader;
  /** Settles with the reader's first status event: its native thread is then in its wait loop. */
  readonly started: Promise<void>;
  markStarted: () => void;
  known: boolean;
  present: boolean;
  counter: number;
  atr: Uint8Array | undefined;
}

const READER_START_GRACE_MS = 2000;

/**
 * A reader the binding reports after its context was closed (its list thread had the news
 * queued): closed as soon as its own thread runs, for the reason PcscSession.close gives.
 */
function closeWhenStarted(native: NativeReader): void {
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    native.close();
  };
  native.on('status', close);
  native.on('error', close);
}

/** One pcsclite context: the readers it sees, their card state, and waits on both. */
class PcscSession {
  private readonly native: NativePcsc;
  private readonly readers = new Map<string, ReaderEntry>();
  private readonly changeListeners = new Set<() => void>();
  private readonly cardListeners = new Set<(name: CardEventName, event: CardEvent) => void>();
  private failure: TransportError | undefined;
  private notifyScheduled = false;
  private closed = false;

  constructor() {
    this.native = openNative();
    this.native.on('error', (e) => this.fail(fromPcsc(e, 'list-readers')));
    this.native.on('reader', (reader) => this.addReader(reader));
  }

  get names(): string[] {
    return [...this.readers.keys()];
  }

  entry(name: string): ReaderEntry | undefined {
    return this.readers.get(name);
  }

  onCard(listener: (name: CardEventName, event: CardEvent) => void): () => void {
    this.cardListeners.add(listener);
    return () => this.cardListeners.delete(listener);
  }

  /** Resolves with the first defined value of probe(), checked on every change; rejects on failure. */
  waitFor<T>(probe: () => T | undefined, timeoutMs: number, onTimeout: () => TransportError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.changeListeners.delete(check);
        settle();
      };
      const check = () => {
        if (this.failure !== undefined) return done(() => reject(this.failure));
        if (this.closed) return done(() => reject(new TransportError('CANCELLED', 'PC/SC context closed', { step: 'wait' })));
        const value = probe();
        if (value !== undefined) done(() => resolve(value));
      };
      const timer = setTimeout(() => done(() => reject(onTimeout())), timeoutMs);
      this.changeListeners.add(check);
      this.scheduleNotify();
    });
  }

  /**
   * Stops the binding's threads. A reader closed before its thread reached its wait loop never
   * releases its libuv handle (node-pcsclite 1.0 cardreader.cpp), which keeps the process alive;
   * so stop the reader list first, then close each reader once it has reported a status.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
    const entries = [...this.readers.values()];
    this.notifyNow();
    await Promise.race([Promise.all(entries.map((e) => e.started)), new Promise((r) => setTimeout(r, READER_START_GRACE_MS).unref())]);
    for (const { native } of entries) native.close();
    this.readers.clear();
  }

  private addReader(native: NativeReader): void {
    if (this.closed) return closeWhenStarted(native);
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const entry: ReaderEntry = { native, started, markStarted, known: false, present: false, counter: 0, atr: undefined };
    this.readers.set(native.name, entry);
    native.on('status', (status) => this.onStatus(entry, status));
    native.on('error', (e) => {
      entry.markStarted();
      this.fail(fromPcsc(e, 'reader-status', native.name));
    });
    native.on('end', () => {
      entry.markStarted();
      if (entry.present) this.emitCard('card-removed', { reader: native.name });
      this.readers.delete(native.name);
      this.scheduleNotify();
    });
    this.scheduleNotify();
  }

  /**
   * The upper 16 bits of the reader state count insertions and removals (pcsc-lite), so a card
   * swapped between two polls still shows up as a removal followed by an insertion.
   */
  private onStatus(entry: ReaderEntry, status: NativeStatus): void {
    entry.markStarted();
    const present = (status.state & entry.native.SCARD_STATE_PRESENT) !== 0;
    const counter = status.state >>> 16;
    const atr = present && status.atr !== undefined && status.atr.length > 0 ? new Uint8Array(status.atr) : undefined;
    const wasKnown = entry.known;
    const swapped = wasKnown && entry.present && present && counter !== entry.counter;
    const removed = wasKnown && entry.present && (!present || swapped);
    const inserted = wasKnown && present && (!entry.present || swapped);
    Object.assign(entry, { known: true, present, counter, atr });
    const name = entry.native.name;
    if (removed) this.emitCard('card-removed', { reader: name });
    if (inserted) this.emitCard('card-inserted', { reader: name, ...(atr && { atr: atr.slice() }) });
    this.scheduleNotify();
  }

  private emitCard(name: CardEventName, event: CardEvent): void {
    const frozen = Object.freeze(event);
    for (const listener of [...this.cardListeners]) listener(name, frozen);
  }

  private fail(error: TransportError): void {
    if (this.closed) return; // cancelling the native threads at close() reports SCARD_E_CANCELLED
    this.failure ??= error;
    this.scheduleNotify();
  }

  /** Changes arrive in bursts (one per reader of a list); check waiters once the burst is in. */
  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      this.notifyNow();
    });
  }

  private notifyNow(): void {
    for (const listener of [...this.changeListeners]) listener();
  }
}

async function withSession<T>(run: (session: PcscSession) => Promise<T>): Promise<T> {
  const session = new PcscSession();
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

function checkTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new RangeError(`"timeoutMs" expected a non-negative number, got ${timeoutMs}`);
  return timeoutMs;
}

function checkReaderName(reader: unknown): string {
  if (typeof reader !== 'string' || reader.length === 0) throw new TypeError('"reader" expected a non-empty string');
  return reader;
}

/** Waits for a named reader to appear and report its first status. */
function readerReady(session: PcscSession, reader: string, timeoutMs: number): Promise<ReaderEntry> {
  return session.waitFor(
    () => {
      const entry = session.entry(reader);
      return entry?.known ? entry : undefined;
    },
    timeoutMs,
    () => new NoReaderError('NO_READER', `no reader named "${reader}"`, { step: 'find-reader' }),
  );
}

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
