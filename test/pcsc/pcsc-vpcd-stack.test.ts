/**
 * PC/SC through the real stack: EchoCardDouble → vpcd bridge → TCP → pcscd (vpcd driver) →
 * libpcsclite → pcsclite binding → PcscTransport. Expected bytes come from the double's
 * definition (echo-card.double.ts) and from the bytes the test sends.
 */

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardHandlerError } from '../../src/card/card-handler.js';
import { connectVpcd, VpcdConnection, VpcdError } from '../../src/card/vpcd.js';
import { hex } from '../../src/lds/bytes.js';
import { connect, listReaders, PcscTransport, ReaderWatch, waitForCard } from '../../src/reader/pcsc.js';
import { CardRemovedError, NoReaderError, TimeoutError } from '../../src/reader/transport.js';
import { acquireVpcdSlot, HeldSlot, pcscStatus, VPCD_SLOTS } from '../helpers/pcscd.js';
import { DOUBLE_ATR, EchoCardDouble, pattern } from './echo-card.double.js';

const status = pcscStatus();

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function nextEvent(watch: ReaderWatch, event: 'card-inserted' | 'card-removed', timeoutMs = 10_000) {
  return new Promise<{ reader: string; atr?: Uint8Array }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const off = watch.on(event, (e) => {
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

describe.skipIf(!status.available)('PC/SC stack: pcscd + vpcd + pcsclite', () => {
  let slot: HeldSlot;
  let watch: ReaderWatch;
  let double: EchoCardDouble;
  let card: VpcdConnection | undefined;
  let transport: PcscTransport | undefined;
  const reported: (CardHandlerError | VpcdError)[] = [];

  beforeAll(async () => {
    slot = await acquireVpcdSlot();
    watch = await ReaderWatch.open(slot.reader, { timeoutMs: 10_000 });
    // A card left over from a crashed run would show up as present; wait for it to go.
    await watch.waitForRemoval(10_000);
  });

  afterAll(async () => {
    await transport?.close();
    await card?.close();
    await watch?.close();
    slot?.release();
  });

  it('lists both vpcd readers', async () => {
    const readers = await listReaders(5_000);
    for (const { reader } of VPCD_SLOTS) expect(readers).toContain(reader);
  });

  it('reports errors as classes while the slot is empty', async () => {
    expect(watch.present).toBe(false);
    await expect(connect('Cancuoc No Such Reader 00 00', { timeoutMs: 300 })).rejects.toBeInstanceOf(NoReaderError);
    const noCard = await connect(slot.reader).catch((e: unknown) => e);
    expect(noCard).toBeInstanceOf(CardRemovedError);
    expect((noCard as CardRemovedError).code).toBe('NO_CARD');
    expect((noCard as CardRemovedError).pcscCode).toBe(0x8010000c); // SCARD_E_NO_SMARTCARD
    await expect(waitForCard({ reader: slot.reader, timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('sees the card inserted, with the ATR the card gave', async () => {
    double = new EchoCardDouble();
    const inserted = nextEvent(watch, 'card-inserted');
    card = await connectVpcd(double, { port: slot.port, onError: (e) => reported.push(e) });
    const event = await inserted;
    expect(event.reader).toBe(slot.reader);
    expect(hex(event.atr as Uint8Array)).toBe(hex(DOUBLE_ATR));
    const found = await waitForCard({ reader: slot.reader, timeoutMs: 5_000 });
    expect(hex(found.atr as Uint8Array)).toBe(hex(DOUBLE_ATR));
  });

  it('connects with T=1 and carries a short APDU byte-exact both ways', async () => {
    transport = await connect(slot.reader);
    expect(transport.protocol).toBe('T=1');
    expect(hex(transport.atr)).toBe(hex(DOUBLE_ATR));
    expect(double.power).toContain('on');
    const command = new Uint8Array([0x00, 0xb0, 0x00, 0x10, 0x10]);
    const response = await transport.transmit(command);
    expect(hex(response)).toBe(hex(pattern(16)) + '9000');
    expect(hex(double.commands.at(-1) as Uint8Array)).toBe(hex(command));
  });

  it('carries extended APDUs: a 65535-byte response and the largest command vpcd can frame', async () => {
    const t = transport as PcscTransport;
    const read = new Uint8Array([0x00, 0xb0, 0xff, 0xfd, 0x00, 0x00, 0x00]); // 65533 data bytes
    expect(hex(await t.transmit(read))).toBe(hex(pattern(0xfffd)) + '9000');

    // 4 + 3 + 65528 = 65535 bytes, the vpcd frame limit.
    const data = new Uint8Array(randomBytes(65528));
    const write = concatBytes(new Uint8Array([0x00, 0xd6, 0x00, 0x00, 0x00, 0xff, 0xf8]), data);
    expect(hex(await t.transmit(write))).toBe('9000');
    expect(hex(double.commands.at(-1) as Uint8Array)).toBe(hex(write));
    const back = await t.transmit(new Uint8Array([0x00, 0xca, 0x00, 0x00, 0x00, 0x00, 0x00]));
    expect(hex(back)).toBe(hex(data) + '9000');
  });

  it('collects 61XX responses with GET RESPONSE', async () => {
    const before = double.commands.length;
    const response = await (transport as PcscTransport).transmit(new Uint8Array([0x00, 0x61, 0x02, 0x58, 0x00]));
    expect(hex(response)).toBe(hex(pattern(600)) + '9000');
    // 600 = 200 in the first answer (61 00), 256 (61 90), then 0x90 = 144 bytes.
    expect(double.commands.slice(before + 1).map(hex)).toEqual(['00c0000000', '00c0000090']);
  });

  it('resends with the Le a 6CXX names', async () => {
    const before = double.commands.length;
    const response = await (transport as PcscTransport).transmit(new Uint8Array([0x00, 0x6c, 0x20, 0x00, 0x10]));
    expect(hex(response)).toBe(hex(pattern(0x20)) + '9000');
    expect(double.commands.slice(before).map(hex)).toEqual(['006c200010', '006c200020']);
  });

  it('answers 6F00 when the card handler throws, reports it, and keeps working', async () => {
    const t = transport as PcscTransport;
    expect(hex(await t.transmit(new Uint8Array([0x00, 0xee, 0x00, 0x00])))).toBe('6f00');
    const error = reported.find((e) => e instanceof CardHandlerError);
    expect(error?.code).toBe('HANDLER_FAILED');
    expect(hex(await t.transmit(new Uint8Array([0x00, 0xb0, 0x00, 0x02, 0x02])))).toBe(hex(pattern(2)) + '9000');
  });

  it('sees closing the vpcd connection as card removal', async () => {
    const removed = nextEvent(watch, 'card-removed');
    await (card as VpcdConnection).close();
    expect((card as VpcdConnection).state).toBe('closed');
    expect((await removed).reader).toBe(slot.reader);
    expect(watch.present).toBe(false);
    const error = await (transport as PcscTransport).transmit(new Uint8Array([0x00, 0xb0, 0x00, 0x01, 0x01])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardRemovedError);
    expect((error as CardRemovedError).code).toBe('CARD_REMOVED');
    await (transport as PcscTransport).close();
    transport = undefined;
  });

  it('takes the card again after reconnecting', async () => {
    const inserted = nextEvent(watch, 'card-inserted');
    card = await connectVpcd(double, { port: slot.port, onError: (e) => reported.push(e) });
    expect(hex((await inserted).atr as Uint8Array)).toBe(hex(DOUBLE_ATR));
    transport = await connect(slot.reader, { share: 'shared' });
    expect(hex(await transport.transmit(new Uint8Array([0x00, 0xb0, 0x00, 0x03, 0x03])))).toBe(hex(pattern(3)) + '9000');
    await transport.close();
    transport = undefined;
    const removed = nextEvent(watch, 'card-removed');
    await card.close();
    await removed;
    expect(reported.filter((e) => e.code !== 'HANDLER_FAILED')).toEqual([]);
  });
});
