/**
 * PC/SC return codes (pcsc-lite 1.9 pcsclite.h, SCARD_E_* / SCARD_W_*) → error classes. The
 * binding reports errors as text ending in "(0x8010XXXX)"; the message wording is varied here
 * to show that only the number decides. Codes read from /usr/include/PCSC/pcsclite.h.
 */

import { describe, expect, it } from 'vitest';
import { fromPcsc, pcscCodeOf } from '../../src/reader/pcsc-context.js';
import { CardRemovedError, NoReaderError, TimeoutError, TransportError } from '../../src/reader/transport.js';

describe('PC/SC return codes become error classes', () => {
  const table: [number, string, typeof TransportError][] = [
    [0x80100069, 'CARD_REMOVED', CardRemovedError], // SCARD_W_REMOVED_CARD
    [0x8010000c, 'NO_CARD', CardRemovedError], // SCARD_E_NO_SMARTCARD
    [0x8010002e, 'NO_READER', NoReaderError], // SCARD_E_NO_READERS_AVAILABLE
    [0x80100009, 'NO_READER', NoReaderError], // SCARD_E_UNKNOWN_READER
    [0x8010000a, 'TIMEOUT', TimeoutError], // SCARD_E_TIMEOUT
    [0x8010001d, 'PCSC_NO_SERVICE', TransportError], // SCARD_E_NO_SERVICE
    [0x8010000b, 'SHARING_VIOLATION', TransportError], // SCARD_E_SHARING_VIOLATION
    [0x8010000f, 'PROTOCOL_MISMATCH', TransportError], // SCARD_E_PROTO_MISMATCH
    [0x80100068, 'CARD_RESET', TransportError], // SCARD_W_RESET_CARD
    [0x80100031, 'PCSC_ERROR', TransportError], // SCARD_E_SERVER_TOO_BUSY: not mapped
  ];
  for (const [pcscCode, code, ErrorClass] of table) {
    it(`0x${pcscCode.toString(16)} → ${ErrorClass.name} ${code}`, () => {
      const raw = new Error(`SCardSomething error: whatever the locale says.(0x${pcscCode.toString(16).padStart(8, '0')})`);
      const error = fromPcsc(raw, 'transmit', 'Virtual PCD 00 00');
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.code).toBe(code);
      expect(error.pcscCode).toBe(pcscCode);
      expect(error.place.step).toBe('transmit');
      expect(error.cause).toBe(raw);
    });
  }

  it('an error without a trailing code is PCSC_ERROR without pcscCode', () => {
    expect(pcscCodeOf(new Error('Card Reader not connected'))).toBeUndefined();
    expect(pcscCodeOf('0x80100069')).toBeUndefined();
    const error = fromPcsc(new Error('Card was removed'), 'transmit');
    expect(error.constructor).toBe(TransportError);
    expect(error.code).toBe('PCSC_ERROR');
    expect(error.pcscCode).toBeUndefined();
  });
});
