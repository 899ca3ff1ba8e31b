/** ISO/IEC 7816-4 §5.1 command/response APDUs (cases 1–4, short and extended) and §5.6 status words. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { ParseError } from '../../../src/lds/errors.js';
import {
  bytesAvailable,
  commandApdu,
  decodeCommandApdu,
  decodeResponseApdu,
  encodeCommandApdu,
  encodeResponseApdu,
  exactLength,
  isSuccess,
  isWarning,
  responseApdu,
  SW,
  swHex,
} from '../../../src/lds/apdu.js';

describe('ISO/IEC 7816-4 §5.1 command APDU cases', () => {
  // [case, hex, nc, ne, extended] — the ICAO ones are App. D.3/D.4 and icao-worked-examples §5.3
  const cases: [string, string, number, number | undefined, boolean][] = [
    ['1', '00A40000', 0, undefined, false],
    ['2S (GET CHALLENGE, App. D.3)', '0084000008', 0, 8, false],
    ['2S with Le 00 = 256', '00B0000000', 0, 256, false],
    ['3S (SELECT EF.COM, App. D.4)', '00A4020C02011E', 2, undefined, false],
    [
      '4S (EXTERNAL AUTHENTICATE, App. D.3)',
      '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
      40,
      40,
      false,
    ],
    ['4S protected (App. D.4)', '0CB000000D9701048E08ED6705417E96BA5500', 13, 256, false],
    ['2E', '00B00000000100', 0, 256, true],
    ['2E with Le 0000 = 65536', '00B00000000000', 0, 65536, true],
    ['3E', '00D6000000000301020' + '3', 3, undefined, true],
    ['4E with Le 0000', '00B1000000000454020000' + '0000', 4, 65536, true],
  ];

  it.each(cases)('case %s decodes and re-encodes to the same bytes', (_name, h, nc, ne, extended) => {
    const bytes = fromHex(h);
    const apdu = decodeCommandApdu(bytes);
    expect(apdu.data.length).toBe(nc);
    expect(apdu.ne).toBe(ne);
    expect(apdu.extended).toBe(extended);
    expect(hex(encodeCommandApdu(apdu))).toBe(hex(bytes));
    expect(Object.isFrozen(apdu)).toBe(true);
  });

  it('switches to extended length when N_c > 255 or N_e > 256', () => {
    const big = commandApdu({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(300) });
    expect(hex(encodeCommandApdu(big).subarray(0, 7))).toBe('00d6000000012c');
    const longRead = commandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 1000 });
    expect(hex(encodeCommandApdu(longRead))).toBe('00b0000000' + '03e8');
    const both = commandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, data: Uint8Array.of(1), ne: 65536 });
    expect(hex(encodeCommandApdu(both))).toBe('00b0000000000101' + '0000');
  });

  it('rejects programmer errors with RangeError/TypeError naming the argument', () => {
    expect(() => commandApdu({ cla: 256, ins: 0, p1: 0, p2: 0 })).toThrow(/"cla"/);
    expect(() => commandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, ne: 0 })).toThrow(/"ne"/);
    expect(() => commandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, ne: 65537 })).toThrow(RangeError);
    expect(() => commandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: new Uint8Array(65536) })).toThrow(/"data"/);
    expect(() => commandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: [1] as never })).toThrow(TypeError);
    expect(() => decodeCommandApdu('00a40000' as never)).toThrow(TypeError);
  });
});

describe('ISO/IEC 7816-4 §5.1 malformed command lengths → ParseError', () => {
  it.each([
    ['too short', '00A400', 'APDU_TRUNCATED'],
    ['Lc larger than the data', '00A4020C03011E', 'APDU_LENGTH_INVALID'],
    ['Lc smaller than the data', '00A4020C01011E0000', 'APDU_LENGTH_INVALID'],
    ['extended marker with one byte', '00B0000000' + '01', 'APDU_LENGTH_INVALID'],
    ['extended Lc 0', '00B00000000000' + '00', 'APDU_LENGTH_INVALID'],
    ['extended Lc mismatch', '00D600000000050102', 'APDU_LENGTH_INVALID'],
    ['extended Lc with a 1-byte Le', '00D60000000001' + '01' + '00', 'APDU_LENGTH_INVALID'],
  ])('%s', (_name, h, code) => {
    expect(() => decodeCommandApdu(fromHex(h))).toThrow(expect.objectContaining({ code }));
  });

  it('every truncation of a valid APDU decodes to something else or throws ParseError, never a crash', () => {
    const full = fromHex('0C860000608751019E18F1BA79D805379752BB560EB70AAC3CE3BC5AFE2FDD4AEB325CA8B578B4A93B9F66A5DF40005F8E878535251D33DD974AAF77FB858773E5799FA9DC1034E89B1150EC7F0BB3DB4BF37A1B9EA4458A9701008E089D204D950C0B95DB00');
    expect(decodeCommandApdu(full).data.length).toBe(0x60);
    for (let n = 0; n < full.length; n++) {
      try {
        const a = decodeCommandApdu(full.subarray(0, n));
        expect(hex(encodeCommandApdu(a))).toBe(hex(full.subarray(0, n)));
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
      }
    }
  });

  it('random bytes: ParseError or a value that re-encodes to the same bytes', () => {
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const n = i % 12 < 8 ? i % 12 : (i % 300) + 4;
      const b = new Uint8Array(randomBytes(n));
      if (i % 3 === 0 && n > 5) {
        // make the length fields plausible now and then
        b[4] = i % 2 === 0 ? n - 5 : 0;
      }
      try {
        const a = decodeCommandApdu(b);
        expect(hex(encodeCommandApdu(a))).toBe(hex(b));
        parsed++;
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
        expect((e as ParseError).code).toMatch(/^APDU_[A-Z_]+$/);
      }
    }
    expect(parsed).toBeGreaterThan(100);
  });
});

describe('ISO/IEC 7816-4 response APDUs and §5.6 status words', () => {
  it('splits data and SW1-SW2 (App. D.3 GET CHALLENGE response)', () => {
    const r = decodeResponseApdu(fromHex('4608F919887022129000'));
    expect(hex(r.data)).toBe('4608f91988702212');
    expect(r.sw).toBe(SW.NO_ERROR);
    expect(hex(encodeResponseApdu(r))).toBe('4608f919887022129000');
    expect(hex(encodeResponseApdu(responseApdu(new Uint8Array(0), SW.FILE_OR_APPLICATION_NOT_FOUND)))).toBe('6a82');
  });

  it('rejects a response shorter than its trailer', () => {
    expect(() => decodeResponseApdu(fromHex('90'))).toThrow(expect.objectContaining({ code: 'APDU_TRUNCATED' }));
    expect(() => decodeResponseApdu(new Uint8Array(0))).toThrow(ParseError);
  });

  it('reads 61xx, 6Cxx and warnings', () => {
    expect(isSuccess(0x9000)).toBe(true);
    expect(isSuccess(0x6282)).toBe(false);
    expect(bytesAvailable(0x6110)).toBe(16);
    expect(bytesAvailable(0x6100)).toBe(256);
    expect(bytesAvailable(0x9000)).toBeUndefined();
    expect(exactLength(0x6c12)).toBe(18);
    expect(exactLength(0x6c00)).toBe(256);
    expect(exactLength(0x6700)).toBeUndefined();
    expect(isWarning(SW.END_OF_FILE_REACHED)).toBe(true);
    expect(isWarning(SW.SECURITY_STATUS_NOT_SATISFIED)).toBe(false);
    expect(swHex(SW.INCORRECT_SM_DATA_OBJECTS)).toBe('6988');
  });

  it('names the ISO 7816-4 §5.6 status words with their values', () => {
    expect(SW.SECURITY_STATUS_NOT_SATISFIED).toBe(0x6982);
    expect(SW.CONDITIONS_OF_USE_NOT_SATISFIED).toBe(0x6985);
    expect(SW.EXPECTED_SM_DATA_OBJECTS_MISSING).toBe(0x6987);
    expect(SW.INCORRECT_SM_DATA_OBJECTS).toBe(0x6988);
    expect(SW.INCORRECT_P1P2).toBe(0x6a86);
    expect(SW.REFERENCED_DATA_NOT_FOUND).toBe(0x6a88);
    expect(SW.WRONG_PARAMETERS_P1P2).toBe(0x6b00);
    expect(SW.INSTRUCTION_NOT_SUPPORTED).toBe(0x6d00);
    expect(SW.CLASS_NOT_SUPPORTED).toBe(0x6e00);
    expect(SW.WRONG_LENGTH).toBe(0x6700);
    expect(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD).toBe(0x6a80);
    expect(SW.WARNING_NVM_CHANGED).toBe(0x6300);
  });
});
