/**
 * ISO/IEC 7816-4 (2020) transport-level status words, handled once in BaseTransport and seen
 * here through InProcessTransport: '61XX' → GET RESPONSE ('00 C0 00 00 XX'), '6CXX' → the same
 * command again with Le = XX; and where the Le field sits in each command case (1, 2S, 3S, 4S,
 * 2E, 3E, 4E). Expected bytes are written out from the standard's case layouts and from the
 * test double's definition (echo-card.double.ts).
 */

import { describe, expect, it } from 'vitest';
import { CardHandler, CardHandlerError } from '../../src/card/card-handler.js';
import { fromHex, hex } from '../../src/lds/bytes.js';
import { CancuocError, ParseError } from '../../src/lds/errors.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { BaseTransport, locateLe, TransportError, withLe } from '../../src/reader/transport.js';
import { DOUBLE_ATR, EchoCardDouble, FIRST_PART, pattern } from './echo-card.double.js';

function open(double: CardHandler = new EchoCardDouble(), errors: CardHandlerError[] = [], maxCommandLength?: number) {
  return InProcessTransport.open(double, { onError: (e) => errors.push(e), ...(maxCommandLength && { maxCommandLength }) });
}

describe('command APDU cases: where Le is', () => {
  const cases: [string, string, { offset: number; width: 1 | 2 } | undefined][] = [
    ['case 1', '00a40000', undefined],
    ['case 2S', '00b0000010', { offset: 4, width: 1 }],
    ['case 3S', '00a4040c02' + '3f00', undefined],
    ['case 4S', '00a4040002' + '3f00' + '00', { offset: 7, width: 1 }],
    ['case 2E', '00b00000' + '000100', { offset: 5, width: 2 }],
    ['case 3E', '00d60000' + '000002' + 'aabb', undefined],
    ['case 4E', '002a9e9a' + '000002' + 'aabb' + '0000', { offset: 9, width: 2 }],
    ['malformed: Lc longer than the data', '00a4040c05' + '3f00', undefined],
    ['malformed: extended Lc 0', '00d60000' + '000000' + 'aa', undefined],
  ];
  for (const [name, apdu, expected] of cases) {
    it(name, () => expect(locateLe(fromHex(apdu))).toEqual(expected));
  }

  it('rewrites Le: short 256 and extended 65536 encode as zeros', () => {
    expect(hex(withLe(fromHex('00b0000010'), 0x20) as Uint8Array)).toBe('00b0000020');
    expect(hex(withLe(fromHex('00b0000010'), 256) as Uint8Array)).toBe('00b0000000');
    expect(hex(withLe(fromHex('00b00000000100'), 0x1234) as Uint8Array)).toBe('00b00000001234');
    expect(hex(withLe(fromHex('002a9e9a000002aabb0000'), 65536) as Uint8Array)).toBe('002a9e9a000002aabb0000');
    expect(withLe(fromHex('00a4040c023f00'), 5)).toBeUndefined();
  });
});

describe('61XX and 6CXX through InProcessTransport', () => {
  it('powers the card on at open and off at close, and gives the ATR', async () => {
    const double = new EchoCardDouble();
    const t = open(double);
    expect(hex(t.atr)).toBe(hex(DOUBLE_ATR));
    await t.close();
    expect(double.power).toEqual(['on', 'off']);
  });

  it('collects a chained response with GET RESPONSE commands', async () => {
    const double = new EchoCardDouble();
    const t = open(double);
    const response = await t.transmit(fromHex('00610258' + '00'));
    expect(hex(response)).toBe(hex(pattern(600)) + '9000');
    // first part FIRST_PART bytes + '61 00'; then 256 + '61 90'; then 0x90 + '90 00'.
    expect(FIRST_PART).toBe(200);
    expect(double.commands.slice(1).map(hex)).toEqual(['00c0000000', '00c0000090']);
  });

  it('keeps the logical channel in GET RESPONSE and drops secure messaging bits', async () => {
    const cases: [string, string][] = [
      ['01', '01'], // first interindustry, channel 1
      ['0c', '00'], // SM bits b4 b3 dropped
      ['13', '03'], // chaining bit b5 dropped, channel 3
      ['45', '45'], // further interindustry, channel 9
      ['65', '45'], // its SM bit b6 dropped
      ['80', '00'], // proprietary
    ];
    for (const [cla, expected] of cases) {
      const double = new EchoCardDouble();
      await open(double).transmit(fromHex(cla + '61012c00'));
      expect(hex(double.commands[1] as Uint8Array).slice(0, 2)).toBe(expected);
    }
  });

  it('resends with the Le named by 6CXX, also for Le 256', async () => {
    const double = new EchoCardDouble();
    const t = open(double);
    expect(hex(await t.transmit(fromHex('006c2000ff')))).toBe(hex(pattern(0x20)) + '9000');
    expect(hex(await t.transmit(fromHex('006c000001')))).toBe(hex(pattern(256)) + '9000');
    expect(double.commands.map(hex)).toEqual(['006c2000ff', '006c200020', '006c000001', '006c000000']);
  });

  it('returns 6CXX unchanged to a command that has no Le to correct', async () => {
    const double = new EchoCardDouble();
    expect(hex(await open(double).transmit(fromHex('006c200002aabb')))).toBe('6c20');
    expect(double.commands.length).toBe(1);
  });

  it('serialises concurrent callers so their chains do not interleave', async () => {
    const t = open();
    const [a, b] = await Promise.all([t.transmit(fromHex('0061012c00')), t.transmit(fromHex('0061019000'))]);
    expect(hex(a)).toBe(hex(pattern(300)) + '9000');
    expect(hex(b)).toBe(hex(pattern(400)) + '9000');
  });

  it('answers 6F00 and reports when the handler throws or answers garbage', async () => {
    const errors: CardHandlerError[] = [];
    const t = open(new EchoCardDouble(), errors);
    expect(hex(await t.transmit(fromHex('00ee0000')))).toBe('6f00');
    expect(hex(await t.transmit(fromHex('00ef0000')))).toBe('6f00');
    expect(errors.map((e) => e.code)).toEqual(['HANDLER_FAILED', 'HANDLER_BAD_RESPONSE']);
  });
});

/** TEST DOUBLE transport: raw exchanges scripted by the test, to reach what a handler cannot. */
class ScriptedTransport extends BaseTransport {
  readonly maxCommandLength = undefined;
  readonly sent: string[] = [];
  constructor(private readonly answer: (apdu: Uint8Array) => Uint8Array) {
    super();
  }
  protected async exchange(apdu: Uint8Array): Promise<Uint8Array> {
    this.sent.push(hex(apdu));
    return this.answer(apdu);
  }
  protected async release(): Promise<void> {}
}

describe('hostile cards and misuse', () => {
  it('stops a card that answers 61XX for ever', async () => {
    const t = new ScriptedTransport(() => fromHex('aa6101'));
    const error = await t.transmit(fromHex('00b0000000')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('GET_RESPONSE_LOOP');
    expect((error as TransportError).place.sw).toBe(0x6101);
  });

  it('rejects a response without SW1 SW2 as a ParseError', async () => {
    for (const bad of ['', '90']) {
      const error = await new ScriptedTransport(() => fromHex(bad)).transmit(fromHex('00b0000000')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).code).toBe('RESPONSE_TOO_SHORT');
    }
  });

  it('rejects wrong arguments with TypeError / RangeError, and use after close', async () => {
    const t = open(new EchoCardDouble(), [], 16);
    await expect(t.transmit('00b0000000' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    await expect(t.transmit(fromHex('00b000'))).rejects.toThrow(RangeError);
    await expect(t.transmit(new Uint8Array(17))).rejects.toThrow(RangeError);
    await t.close();
    await expect(t.transmit(fromHex('00b0000001'))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(() => InProcessTransport.open(null as unknown as CardHandler)).toThrow(TypeError);
    expect(() => InProcessTransport.open(new EchoCardDouble(), { maxCommandLength: 2 })).toThrow(RangeError);
  });

  it('refuses a card without a valid ATR', () => {
    const mute: CardHandler = { atr: () => new Uint8Array(0), powerOn() {}, powerOff() {}, reset() {}, transmit: () => fromHex('9000') };
    expect(() => InProcessTransport.open(mute)).toThrow(expect.objectContaining({ code: 'CARD_UNRESPONSIVE' }));
  });

  it('random command APDUs give a response APDU or a typed error, never a crash', async () => {
    let s = 0x7816;
    const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const t = open(new EchoCardDouble());
    for (let i = 0; i < 2000; i++) {
      const apdu = new Uint8Array(4 + (next() % 12)).map(() => next());
      try {
        const response = await t.transmit(apdu);
        expect(response.length).toBeGreaterThanOrEqual(2);
      } catch (e) {
        expect(e).toBeInstanceOf(CancuocError);
      }
    }
  });
});
