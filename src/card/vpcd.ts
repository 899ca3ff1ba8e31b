/**
 * Bridge from a CardHandler to the vsmartcard "vpcd" reader driver inside pcscd (vsmartcard 3.3).
 *
 * The driver LISTENS on TCP, one port per reader slot (35963 for "Virtual PCD 00 00", 35964 for
 * "Virtual PCD 00 01", set by CHANNELID in /etc/reader.conf.d/vpcd); the virtual card CONNECTS.
 * Each message either way is a 2-byte big-endian length followed by that many bytes. A 1-byte
 * message from the driver is a control code (0 power off, 1 power on, 2 reset, 4 get ATR — only
 * the last one is answered); a longer one is a command APDU, answered by one response APDU.
 * The driver polls presence with "get ATR"; a closed socket reads as a removed card.
 */

import net from 'node:net';
import { uintBE } from '../lds/bytes.js';
import { CancuocError } from '../lds/errors.js';
import { CardHandler, CardHandlerError, guardedAtr, guardedPower, guardedTransmit, reportError, SW_NO_PRECISE_DIAGNOSIS } from './card-handler.js';

export const VPCD_DEFAULT_PORT = 35963;
/** The length prefix is 16 bits, so no message, APDU or response, can exceed this. */
export const VPCD_MAX_FRAME = 0xffff;

export const VpcdControl = Object.freeze({ POWER_OFF: 0, POWER_ON: 1, RESET: 2, GET_ATR: 4 });

/** Failures of the bridge itself: connecting, a lost connection, frames it cannot carry. */
export class VpcdError extends CancuocError {}

export function encodeVpcdFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > VPCD_MAX_FRAME) {
    throw new RangeError(`"payload" expected at most ${VPCD_MAX_FRAME} bytes, got ${payload.length}`);
  }
  const frame = new Uint8Array(2 + payload.length);
  frame[0] = payload.length >> 8;
  frame[1] = payload.length & 0xff;
  frame.set(payload, 2);
  return frame;
}

/**
 * Reassembles length-prefixed messages from a TCP byte stream: a chunk may hold part of a
 * message, exactly one, or several. Unconsumed bytes live in one growing buffer, so a message
 * arriving a byte at a time costs linear time. Returned payloads are fresh copies.
 */
export class VpcdFrameReader {
  private buffer = new Uint8Array(0);
  private start = 0;
  private end = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const frames: Uint8Array[] = [];
    while (this.end - this.start >= 2) {
      const size = ((this.buffer[this.start] as number) << 8) | (this.buffer[this.start + 1] as number);
      if (this.end - this.start < 2 + size) break;
      frames.push(this.buffer.slice(this.start + 2, this.start + 2 + size));
      this.start += 2 + size;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return frames;
  }

  /** Bytes received that do not yet form a whole message. */
  get pending(): number {
    return this.end - this.start;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buffer.length) {
        this.buffer.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(live + chunk.length, 2 * this.buffer.length, 1024));
        grown.set(this.buffer.subarray(this.start, this.end));
        this.buffer = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }
}

export interface VpcdOptions {
  readonly host?: string;
  readonly port?: number;
  /** After an unexpected drop, connect again every delayMs (default 1000) until close(). */
  readonly reconnect?: boolean | { readonly delayMs?: number };
  /** Handler and bridge failures; the bridge keeps running. Default: process.emitWarning. */
  readonly onError?: (error: CardHandlerError | VpcdError) => void;
}

export type VpcdState = 'connected' | 'reconnecting' | 'closed';

export interface VpcdConnection {
  readonly state: VpcdState;
  /** Settles when the bridge has stopped for good: close(), or a drop without reconnect. */
  readonly closed: Promise<void>;
  /** Finishes the APDU in progress, then disconnects: pcscd sees the card removed. */
  close(): Promise<void>;
}

/** Connects the card to the driver; rejects with VpcdError VPCD_CONNECT_FAILED if nothing listens. */
export async function connectVpcd(handler: CardHandler, options: VpcdOptions = {}): Promise<VpcdConnection> {
  if (handler === null || typeof handler !== 'object' || typeof handler.transmit !== 'function') {
    throw new TypeError('"handler" expected a CardHandler');
  }
  const port = options.port ?? VPCD_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new RangeError(`"port" expected 1..65535, got ${port}`);
  const bridge = new VpcdBridge(handler, options.host ?? '127.0.0.1', port, options);
  await bridge.open();
  return bridge;
}

/** How long close() waits for pcscd to notice the removal before dropping the socket. */
const CLOSE_GRACE_MS = 2000;

class VpcdBridge implements VpcdConnection {
  private socket: net.Socket | undefined;
  private current: VpcdState = 'connected';
  private queue: Promise<void> = Promise.resolve();
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reportedOutage = false;
  private settle!: () => void;
  readonly closed: Promise<void> = new Promise((resolve) => (this.settle = resolve));
  private readonly reconnectDelayMs: number | undefined;

  constructor(
    private readonly handler: CardHandler,
    private readonly host: string,
    private readonly port: number,
    private readonly options: VpcdOptions,
  ) {
    const r = options.reconnect;
    this.reconnectDelayMs = r === true ? 1000 : typeof r === 'object' ? (r.delayMs ?? 1000) : undefined;
  }

  get state(): VpcdState {
    return this.current;
  }

  async open(): Promise<void> {
    this.attach(await this.connectSocket());
  }

  private connectSocket(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      const onConnectError = (e: Error) => {
        socket.destroy();
        reject(new VpcdError('VPCD_CONNECT_FAILED', `cannot reach the vpcd driver at ${this.host}:${this.port}`, { step: 'connect' }, { cause: e }));
      };
      socket.once('error', onConnectError);
      socket.once('connect', () => {
        socket.off('error', onConnectError);
        socket.setNoDelay(true);
        resolve(socket);
      });
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closed;
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (socket === undefined) {
      this.finish();
      return this.closed;
    }
    // Let the APDU in progress be answered, then send FIN: the driver's next read gets 0 bytes
    // and it ejects the card. Frames that arrive meanwhile are not answered.
    void this.queue.then(() => {
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    });
    return this.closed;
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.current = 'connected';
    this.reportedOutage = false;
    const reader = new VpcdFrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        this.queue = this.queue.then(() => this.dispatch(socket, frame));
      }
    });
    socket.on('error', (e) => {
      if (!this.closing) this.report(new VpcdError('VPCD_CONNECTION_LOST', 'connection to the vpcd driver failed', { step: 'io' }, { cause: e }));
    });
    socket.on('close', () => this.detach(socket));
  }

  private detach(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    // A card pulled from the field loses power.
    this.reportIf(guardedPower(this.handler, 'powerOff'));
    if (this.closing) this.finish();
    else if (this.reconnectDelayMs === undefined) {
      this.report(new VpcdError('VPCD_CONNECTION_LOST', 'the vpcd driver closed the connection', { step: 'io' }));
      this.finish();
    } else {
      this.current = 'reconnecting';
      this.scheduleReconnect(this.reconnectDelayMs);
    }
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.connectSocket().then(
        (socket) => {
          // close() may have been called while the connection was being made.
          if (this.closing) socket.destroy();
          else this.attach(socket);
        },
        (e: VpcdError) => {
          if (!this.reportedOutage) this.report(e);
          this.reportedOutage = true;
          if (!this.closing) this.scheduleReconnect(delayMs);
        },
      );
    }, delayMs);
  }

  private finish(): void {
    this.current = 'closed';
    this.settle();
  }

  private async dispatch(socket: net.Socket, message: Uint8Array): Promise<void> {
    if (this.closing || socket !== this.socket) return;
    if (message.length === 0) {
      this.report(new VpcdError('VPCD_EMPTY_FRAME', 'the vpcd driver sent an empty message', { step: 'io' }));
    } else if (message.length === 1) {
      this.control(socket, message[0] as number);
    } else {
      const { value, error } = await guardedTransmit(this.handler, message);
      this.reportIf(error);
      this.send(socket, value, 'transmit');
    }
  }

  private control(socket: net.Socket, code: number): void {
    switch (code) {
      case VpcdControl.POWER_OFF:
        return this.reportIf(guardedPower(this.handler, 'powerOff'));
      case VpcdControl.POWER_ON:
        return this.reportIf(guardedPower(this.handler, 'powerOn'));
      case VpcdControl.RESET:
        return this.reportIf(guardedPower(this.handler, 'reset'));
      case VpcdControl.GET_ATR: {
        // An empty answer tells the driver that no card is present.
        const { value, error } = guardedAtr(this.handler);
        this.reportIf(error);
        return this.send(socket, value ?? new Uint8Array(0), 'atr');
      }
      default:
        this.report(new VpcdError('VPCD_UNKNOWN_CONTROL', `the vpcd driver sent unknown control code ${code}`, { step: 'control' }));
    }
  }

  private send(socket: net.Socket, payload: Uint8Array, step: string): void {
    let body = payload;
    if (body.length > VPCD_MAX_FRAME) {
      this.report(new VpcdError('VPCD_FRAME_TOO_LARGE', `a ${body.length}-byte answer does not fit a vpcd message (max ${VPCD_MAX_FRAME})`, { step }));
      body = uintBE(SW_NO_PRECISE_DIAGNOSIS, 2);
    }
    if (!socket.destroyed && socket.writable) socket.write(encodeVpcdFrame(body));
  }

  private reportIf(error: CardHandlerError | undefined): void {
    if (error !== undefined) this.report(error);
  }

  private report(error: CardHandlerError | VpcdError): void {
    reportError(this.options.onError, error);
  }
}
