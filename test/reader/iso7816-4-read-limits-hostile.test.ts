/**
 * ISO/IEC 7816-4 (2020) §12.1.1 / §12.7.1 limits, the SM block size of ICAO 9303-11 §9.8.5, and
 * hostile card answers: random ATRs, EF.ATR/INFO, EF.CardAccess and READ BINARY answers give a
 * typed error or a value — never a crash.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/lds/bytes.js';
import { CancuocError } from '../../src/lds/errors.js';
import { decodeCardAccess } from '../../src/lds/card-access.js';
import type { ResponseApdu } from '../../src/lds/apdu.js';
import { choosePace } from '../../src/reader/pace.js';
import { cardCapabilities, extendedLengthInfo, maxReadLength, readFile, SHORT_LIMITS } from '../../src/reader/read-file.js';
import type { Exchange } from '../../src/reader/secure-transport.js';

const rnd = (n: number) => new Uint8Array(randomBytes(n));

function typedOrValue(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CancuocError);
    expect((e as CancuocError).code).toMatch(/^[A-Z0-9_]+$/);
  }
}

describe('ISO/IEC 7816-4 §12.1.1: card capabilities in the ATR', () => {
  it('reads b7 (extended Lc/Le) and b6 (EF.ATR/INFO) of the third software function table', () => {
    // 3B 88 80 01 | 80 73 94 01 E0 … : T0 = 88 (TD1, 8 historical bytes), TD1 80, TD2 01; hand-assembled.
    const atr = fromHex('3B888001' + '8073940160' + '000000' + '00');
    expect(cardCapabilities(atr)).toEqual({ extendedLength: true, extendedLengthInfo: true });
    const none = fromHex('3B888001' + '8073940100' + '000000' + '00');
    expect(cardCapabilities(none)).toEqual({ extendedLength: false, extendedLengthInfo: false });
  });

  it('random ATRs: a typed error or an answer', () => {
    for (let i = 0; i < 3000; i++) typedOrValue(() => cardCapabilities(rnd(i % 34)));
  });
});

describe('ISO/IEC 7816-4 §12.7.1: DO 7F66 in EF.ATR/INFO', () => {
  it('takes the largest command APDU and the largest response APDU (SW1 SW2 included)', () => {
    const limits = extendedLengthInfo(fromHex('7F660802020800020208004701E0'))!;
    expect(limits).toMatchObject({ extended: true, maxCommandLength: 0x800, maxResponseLength: 0x800 - 2 });
    expect(extendedLengthInfo(fromHex('4701E0'))).toBeUndefined();
  });

  it('random EF.ATR/INFO contents: a typed error or an answer', () => {
    for (let i = 0; i < 3000; i++) typedOrValue(() => extendedLengthInfo(concat7F66(rnd(i % 20))));
  });
});

function concat7F66(body: Uint8Array): Uint8Array {
  return Uint8Array.from([0x7f, 0x66, body.length, ...body]);
}

describe('ICAO 9303-11 §9.8.5: the largest READ BINARY under secure messaging', () => {
  it('short APDUs: 223 bytes under AES, 231 under 3DES, 256 plain (computed by hand from the DO layout)', () => {
    // AES: 223 → 14 blocks = 224 + indicator 01 = 225 → 87 81 E1 | 99 02 | 8E 08 → 3+225+4+10 = 242 ≤ 256; 224 → 258.
    expect(maxReadLength(SHORT_LIMITS, 'AES-128')).toBe(223);
    // 3DES: 231 → 29 blocks = 232 + 1 = 233 → 3+233+14 = 250; 232 → 30 blocks → 258.
    expect(maxReadLength(SHORT_LIMITS, '3DES')).toBe(231);
    expect(maxReadLength(SHORT_LIMITS, undefined)).toBe(256);
  });
});

/** Test double: a chip answering READ BINARY from a script of raw answers. */
function answering(answers: ResponseApdu[]): Exchange {
  return async () => answers.shift() ?? { data: new Uint8Array(0), sw: 0x6a82 };
}

describe('hostile READ BINARY answers', () => {
  const file = { name: 'DG1', fid: 0x0101, sfi: 1 };
  it('a header longer than what follows, then empty reads: FILE_TRUNCATED', async () => {
    const run = readFile(answering([{ data: fromHex('6105AABB'), sw: 0x6282 }, { data: new Uint8Array(0), sw: 0x9000 }]), file, { limits: SHORT_LIMITS });
    await expect(run).rejects.toMatchObject({ code: 'FILE_TRUNCATED', place: { file: 'DG1', offset: 4 } });
  });

  it('an indefinite or 5-byte length: FILE_HEADER_INVALID', async () => {
    await expect(readFile(answering([{ data: fromHex('6180'), sw: 0x9000 }]), file, { limits: SHORT_LIMITS })).rejects.toMatchObject({ code: 'FILE_HEADER_INVALID' });
    await expect(readFile(answering([{ data: fromHex('6185FFFFFFFFFF'), sw: 0x9000 }]), file, { limits: SHORT_LIMITS })).rejects.toMatchObject({ code: 'FILE_HEADER_INVALID' });
  });

  it('refusals carry the status word: 6A82 FILE_NOT_FOUND, 6982 SECURITY_STATUS_NOT_SATISFIED', async () => {
    await expect(readFile(answering([{ data: new Uint8Array(0), sw: 0x6a82 }]), file, { limits: SHORT_LIMITS })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', place: { sw: 0x6a82 } });
    await expect(readFile(answering([{ data: new Uint8Array(0), sw: 0x6982 }]), file, { limits: SHORT_LIMITS })).rejects.toMatchObject({ code: 'SECURITY_STATUS_NOT_SATISFIED' });
  });

  it('random answers: typed errors only', async () => {
    for (let i = 0; i < 2000; i++) {
      const answers = Array.from({ length: 4 }, () => ({ data: rnd(i % 40), sw: [0x9000, 0x6282, 0x6b00][i % 3]! }));
      try {
        await readFile(answering(answers), file, { limits: SHORT_LIMITS });
      } catch (e) {
        expect(e).toBeInstanceOf(CancuocError);
      }
    }
  });

  it('commands the reader sends for a short file: one SFI read (00 B0 81 00 Le)', async () => {
    const sent: string[] = [];
    const ex: Exchange = async (c) => {
      sent.push(`${c.ins.toString(16)}${c.p1.toString(16)}`);
      return { data: fromHex('6103AABBCC'), sw: 0x6282 };
    };
    expect(await readFile(ex, file, { limits: SHORT_LIMITS })).toEqual(fromHex('6103AABBCC'));
    expect(sent).toEqual(['b081']);
  });
});

describe('9303-11 §9.2.1: choosing PACE from hostile EF.CardAccess', () => {
  it('random bytes: a typed error or a choice, never a crash', () => {
    for (let i = 0; i < 3000; i++) typedOrValue(() => choosePace(decodeCardAccess(rnd(i % 60))));
  });

  it('IM and CAM only, or unknown parameter ids: no choice (the caller falls back to BAC)', () => {
    // ECDH-IM AES-128 paramId 13; ECDH-GM AES-128 with the RFU paramId 20 (both hand-assembled DER).
    expect(choosePace(decodeCardAccess(fromHex('31143012060A04007F0007020204040202010202010D')))).toBeUndefined();
    expect(choosePace(decodeCardAccess(fromHex('31143012060A04007F00070202040202020102020114')))).toBeUndefined();
  });
});
