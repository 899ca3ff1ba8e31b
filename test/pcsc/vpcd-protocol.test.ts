/**
 * The vsmartcard vpcd protocol (vsmartcard 3.3, virtualsmartcard/src/vpcd/vpcd.c): 2-byte
 * big-endian length + payload; 1-byte payloads are control codes 0 off, 1 on, 2 reset, 4 ATR.
 *
 * The driver side here is a TEST DOUBLE (DriverDouble, a local TCP server) because pcscd cannot
 * be told to split frames at chosen bytes, send garbage, or drop the connection on cue; the
 * real driver is exercised in pcsc-vpcd-stack.test.ts.
 */

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CardHandler, CardHandlerError } from '../../src/card/card-handler.js';
import { connectVpcd, encodeVpcdFrame, VpcdConnection, VpcdError, VpcdFrameReader } from '../../src/card/vpcd.js';
import { CancuocError } from '../../src/lds/errors.js';
import { hex } from '../../src/lds/bytes.js';
import { DOUBLE_ATR, EchoCardDouble, pattern } from './echo-card.double.js';

/** Deterministic xorshift32, so a failing split can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function frame(...bytes: number[]): Uint8Array {
  return new Uint8Array([bytes.length >> 8, bytes.length & 0xff, ...bytes]);
}

/** TEST DOUBLE of the vpcd driver: accepts the card, lets the test write bytes and read frames. */
class DriverDouble {
  readonly server = net.createServer();
  readonly sockets: net.Socket[] = [];
  private readonly frames: Uint8Array[] = [];
  private readonly reader = new VpcdFrameReader();
  private waiting: (() => void) | undefined;
  ended = false;

  async listen(): Promise<number> {
    this.server.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('data', (chunk) => {
        this.frames.push(...this.reader.push(chunk));
        this.waiting?.();
      });
      socket.on('end', () => (this.ended = true));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  get pendingFrames(): number {
    return this.frames.length;
  }

  get socket(): net.Socket {
    return this.sockets.at(-1) as net.Socket;
  }

  async connected(count = 1): Promise<void> {
    while (this.sockets.length < count) await new Promise((r) => setTimeout(r, 10));
  }

  async nextFrame(): Promise<Uint8Array> {
    while (this.frames.length === 0) await new Promise<void>((r) => (this.waiting = r));
    return this.frames.shift() as Uint8Array;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

describe('vpcd framing: 2-byte big-endian length + payload', () => {
  it('encodes the length prefix big-endian', () => {
    expect(hex(encodeVpcdFrame(new Uint8Array([0x04])))).toBe('000104');
    expect(hex(encodeVpcdFrame(new Uint8Array(0x0102)).subarray(0, 2))).toBe('0102');
    expect(() => encodeVpcdFrame(new Uint8Array(0x10000))).toThrow(RangeError);
  });

  it('reassembles frames however the stream is split', () => {
    const payloads = [new Uint8Array([4]), pattern(5), new Uint8Array(0), pattern(300), pattern(70000 - 4536), new Uint8Array([1])];
    const stream = new Uint8Array(Buffer.concat(payloads.map((p) => encodeVpcdFrame(p))));
    const random = rng(0x9303);
    for (let round = 0; round < 200; round++) {
      const reader = new VpcdFrameReader();
      const got: Uint8Array[] = [];
      for (let at = 0; at < stream.length; ) {
        const size = round === 0 ? 1 : 1 + Math.floor(random() * (round % 2 ? 16 : 40000));
        got.push(...reader.push(stream.subarray(at, at + size)));
        at += size;
      }
      expect(got.map(hex)).toEqual(payloads.map(hex));
      expect(reader.pending).toBe(0);
    }
  });

  it('keeps an incomplete frame pending', () => {
    const reader = new VpcdFrameReader();
    expect(reader.push(new Uint8Array([0x00, 0x03, 0xaa]))).toEqual([]);
    expect(reader.pending).toBe(3);
    expect(reader.push(new Uint8Array([0xbb, 0xcc, 0x00])).map(hex)).toEqual(['aabbcc']);
    expect(reader.pending).toBe(1);
  });
});

describe('vpcd bridge against a driver double', () => {
  let driver: DriverDouble;
  let card: VpcdConnection | undefined;

  afterEach(async () => {
    await card?.close();
    card = undefined;
    await driver.close();
  });

  async function start(handler: CardHandler, errors: CancuocError[] = [], reconnect?: { delayMs: number }): Promise<number> {
    driver = new DriverDouble();
    const port = await driver.listen();
    card = await connectVpcd(handler, { port, onError: (e) => errors.push(e), ...(reconnect && { reconnect }) });
    await driver.connected();
    return port;
  }

  it('answers GET ATR sent one byte at a time, and several messages in one chunk in order', async () => {
    const double = new EchoCardDouble();
    await start(double);
    for (const byte of frame(4)) {
      driver.socket.write(new Uint8Array([byte]));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(hex(await driver.nextFrame())).toBe(hex(DOUBLE_ATR));
    driver.socket.write(new Uint8Array(Buffer.concat([frame(1), frame(0x00, 0xb0, 0x00, 0x04, 0x04), frame(2), frame(4), frame(0)])));
    expect(hex(await driver.nextFrame())).toBe(hex(pattern(4)) + '9000');
    expect(hex(await driver.nextFrame())).toBe(hex(DOUBLE_ATR));
    await new Promise((r) => setTimeout(r, 20));
    expect(double.power).toEqual(['on', 'reset', 'off']);
  });

  it('answers 6F00 and reports when the handler throws or answers garbage', async () => {
    const errors: CancuocError[] = [];
    await start(new EchoCardDouble(), errors);
    driver.socket.write(frame(0x00, 0xee, 0x00, 0x00));
    expect(hex(await driver.nextFrame())).toBe('6f00');
    driver.socket.write(frame(0x00, 0xef, 0x00, 0x00));
    expect(hex(await driver.nextFrame())).toBe('6f00');
    expect(errors.map((e) => [e.constructor, e.code])).toEqual([
      [CardHandlerError, 'HANDLER_FAILED'],
      [CardHandlerError, 'HANDLER_BAD_RESPONSE'],
    ]);
  });

  it('answers 6F00 when a response cannot fit a vpcd message', async () => {
    const errors: CancuocError[] = [];
    const huge: CardHandler = { atr: () => DOUBLE_ATR, powerOn() {}, powerOff() {}, reset() {}, transmit: () => new Uint8Array(0x10000 + 2) };
    await start(huge, errors);
    driver.socket.write(frame(0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00));
    expect(hex(await driver.nextFrame())).toBe('6f00');
    expect(errors[0]).toBeInstanceOf(VpcdError);
    expect(errors[0]?.code).toBe('VPCD_FRAME_TOO_LARGE');
  });

  it('answers an empty ATR (no card) when the handler cannot give one', async () => {
    const errors: CancuocError[] = [];
    const broken: CardHandler = { atr: () => new Uint8Array(40), powerOn() {}, powerOff() {}, reset() {}, transmit: () => new Uint8Array([0x90, 0]) };
    await start(broken, errors);
    driver.socket.write(frame(4));
    expect(hex(await driver.nextFrame())).toBe('');
    expect(errors[0]?.code).toBe('HANDLER_BAD_ATR');
  });

  it('reports unknown control codes and empty messages, and keeps serving', async () => {
    const errors: CancuocError[] = [];
    await start(new EchoCardDouble(), errors);
    driver.socket.write(new Uint8Array(Buffer.concat([frame(9), new Uint8Array([0, 0]), frame(4)])));
    expect(hex(await driver.nextFrame())).toBe(hex(DOUBLE_ATR));
    expect(errors.map((e) => e.code)).toEqual(['VPCD_UNKNOWN_CONTROL', 'VPCD_EMPTY_FRAME']);
  });

  it('survives random messages in random chunks: only typed reports, and it keeps answering', async () => {
    const errors: CancuocError[] = [];
    await start(new EchoCardDouble(), errors);
    const random = rng(7816);
    const byte = () => Math.floor(random() * 256);
    const messages = Array.from({ length: 400 }, () => new Uint8Array(Math.floor(random() * 12)).map(byte));
    const stream = Buffer.concat(messages.map((m) => encodeVpcdFrame(m)));
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * 50);
      driver.socket.write(stream.subarray(at, at + size));
      at += size;
    }
    driver.socket.write(frame(4));
    let answer: Uint8Array;
    do answer = await driver.nextFrame();
    while (hex(answer) !== hex(DOUBLE_ATR) || driver.pendingFrames > 0);
    expect(card?.state).toBe('connected');
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toBeInstanceOf(CancuocError);
  });

  it('finishes the APDU in progress before close() disconnects', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: CardHandler = {
      atr: () => DOUBLE_ATR,
      powerOn() {},
      powerOff() {},
      reset() {},
      transmit: async () => {
        await gate;
        return new Uint8Array([0x90, 0x00]);
      },
    };
    await start(slow);
    driver.socket.write(frame(0x00, 0xa4, 0x04, 0x0c));
    await new Promise((r) => setTimeout(r, 20));
    const closing = (card as VpcdConnection).close();
    release();
    expect(hex(await driver.nextFrame())).toBe('9000');
    await closing;
    expect(driver.ended).toBe(true);
    expect(card?.state).toBe('closed');
  });

  it('reconnects after the driver drops the connection, powering the card off meanwhile', async () => {
    const double = new EchoCardDouble();
    const errors: CancuocError[] = [];
    await start(double, errors, { delayMs: 50 });
    driver.socket.destroy();
    await driver.connected(2);
    expect(double.power).toContain('off');
    driver.socket.write(frame(4));
    expect(hex(await driver.nextFrame())).toBe(hex(DOUBLE_ATR));
    expect(card?.state).toBe('connected');
  });

  it('without reconnect, a drop ends the connection and is reported', async () => {
    const errors: CancuocError[] = [];
    await start(new EchoCardDouble(), errors);
    driver.socket.destroy();
    await (card as VpcdConnection).closed;
    expect(card?.state).toBe('closed');
    expect(errors.map((e) => e.code)).toContain('VPCD_CONNECTION_LOST');
  });

  it('rejects with VPCD_CONNECT_FAILED when nothing listens', async () => {
    driver = new DriverDouble();
    const port = await driver.listen();
    await driver.close();
    const error = await connectVpcd(new EchoCardDouble(), { port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VpcdError);
    expect((error as VpcdError).code).toBe('VPCD_CONNECT_FAILED');
    driver = new DriverDouble();
  });

  it('rejects misuse with TypeError / RangeError', async () => {
    driver = new DriverDouble();
    await expect(connectVpcd(null as unknown as CardHandler)).rejects.toThrow(TypeError);
    await expect(connectVpcd(new EchoCardDouble(), { port: 70000 })).rejects.toThrow(RangeError);
  });
});
