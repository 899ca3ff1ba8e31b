/**
 * One PC/SC context over the `pcsclite` binding (node-pcsclite 1.0 on pcsc-lite 1.9): the part of
 * the binding that is used, its errors classified by PC/SC return code (SCARD_E_* / SCARD_W_* of
 * pcsc-lite's pcsclite.h, never by the wording), and the readers a context sees. pcsc.ts builds
 * the public API on it.
 */

import { createRequire } from 'node:module';
import { CardRemovedError, NoReaderError, TimeoutError, TransportError } from './transport.js';

// ---- the binding, as much of it as is used ----

interface NativeStatus {
  readonly state: number;
  readonly atr?: Buffer;
}

export interface NativeReader {
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
export class PcscSession {
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

export async function withSession<T>(run: (session: PcscSession) => Promise<T>): Promise<T> {
  const session = new PcscSession();
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

export function checkTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new RangeError(`"timeoutMs" expected a non-negative number, got ${timeoutMs}`);
  return timeoutMs;
}

export function checkReaderName(reader: unknown): string {
  if (typeof reader !== 'string' || reader.length === 0) throw new TypeError('"reader" expected a non-empty string');
  return reader;
}

/** Waits for a named reader to appear and report its first status. */
export function readerReady(session: PcscSession, reader: string, timeoutMs: number): Promise<ReaderEntry> {
  return session.waitFor(
    () => {
      const entry = session.entry(reader);
      return entry?.known ? entry : undefined;
    },
    timeoutMs,
    () => new NoReaderError('NO_READER', `no reader named "${reader}"`, { step: 'find-reader' }),
  );
}
