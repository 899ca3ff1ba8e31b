/**
 * TEST DOUBLE: a tiny CardHandler standing in for the virtual chip, so the PC/SC plumbing can be
 * tested before and apart from the real chip. Its behaviour is defined here, by instruction byte,
 * and the tests derive every expected byte from these definitions:
 *
 *   B0  answer P1P2 bytes of pattern() + 9000
 *   D6  store the command data field (short or extended Lc) + 9000
 *   CA  answer the stored bytes + 9000
 *   61  answer P1P2 bytes of pattern() through 61XX / GET RESPONSE (first part FIRST_PART bytes)
 *   6C  answer P1 bytes (00 = 256) of pattern() + 9000, but only to a case-2S command whose Le
 *       equals that length; otherwise 6C P1
 *   EE  throw;  EF  answer a single byte;  anything else 6D00
 */

import type { CardHandler } from '../../src/card/card-handler.js';

/** 3B 88 80 01 + 8 historical bytes + TCK: PC/SC part 3 contactless ATR offering T=0 and T=1. */
export const DOUBLE_ATR = new Uint8Array([0x3b, 0x88, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x09]);
export const FIRST_PART = 200;

export function pattern(length: number, from = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = ((from + i) * 31 + 7) & 0xff;
  return out;
}

function withSw(data: Uint8Array, sw1: number, sw2: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw1;
  out[data.length + 1] = sw2;
  return out;
}

export class EchoCardDouble implements CardHandler {
  readonly commands: Uint8Array[] = [];
  readonly power: string[] = [];
  private stored = new Uint8Array(0);
  private chained: { data: Uint8Array; sent: number } | undefined;

  atr(): Uint8Array {
    return DOUBLE_ATR;
  }

  powerOn(): void {
    this.power.push('on');
  }

  powerOff(): void {
    this.power.push('off');
  }

  reset(): void {
    this.power.push('reset');
  }

  transmit(apdu: Uint8Array): Uint8Array {
    this.commands.push(apdu.slice());
    const ins = apdu[1];
    const p1p2 = ((apdu[2] ?? 0) << 8) | (apdu[3] ?? 0);
    switch (ins) {
      case 0xb0:
        return withSw(pattern(p1p2), 0x90, 0x00);
      case 0xd6: {
        const extended = apdu[4] === 0 && apdu.length > 7;
        this.stored = extended ? apdu.slice(7) : apdu.slice(5);
        return new Uint8Array([0x90, 0x00]);
      }
      case 0xca:
        return withSw(this.stored, 0x90, 0x00);
      case 0x61:
        this.chained = { data: pattern(p1p2), sent: 0 };
        return this.nextPart(FIRST_PART);
      case 0xc0:
        if (this.chained === undefined) return new Uint8Array([0x69, 0x85]);
        return this.nextPart(apdu[4] || 256);
      case 0x6c: {
        const want = apdu[2] || 256;
        if (apdu.length === 5 && (apdu[4] || 256) === want) return withSw(pattern(want), 0x90, 0x00);
        return new Uint8Array([0x6c, apdu[2] ?? 0]);
      }
      case 0xee:
        throw new Error('test double told to fail');
      case 0xef:
        return new Uint8Array([0x90]);
      default:
        return new Uint8Array([0x6d, 0x00]);
    }
  }

  private nextPart(max: number): Uint8Array {
    const chain = this.chained as { data: Uint8Array; sent: number };
    const part = chain.data.subarray(chain.sent, chain.sent + max);
    chain.sent += part.length;
    const left = chain.data.length - chain.sent;
    if (left === 0) {
      this.chained = undefined;
      return withSw(part, 0x90, 0x00);
    }
    return withSw(part, 0x61, left > 255 ? 0x00 : left);
  }
}
