/**
 * ICAO 9303-11 §9.8 secure messaging with 3DES, replayed from Appendix D.4 (SELECT EF.COM and
 * two READ BINARY) on both sides, plus the tampering rules: MAC first, then the session dies.
 */
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex } from '../../../src/lds/bytes.js';
import { retailMac } from '../../../src/crypto/mac.js';
import { commandApdu, decodeCommandApdu, encodeCommandApdu, type CommandApdu } from '../../../src/lds/apdu.js';
import { SecureMessaging, SecureMessagingError } from '../../../src/crypto/secure-messaging.js';

const KS_ENC = fromHex('979EC13B1CBFE9DCD01AB0FED307EAE5');
const KS_MAC = fromHex('F1CB1F1FB5ADF208806B89DC579DC1F8');
const SSC0 = fromHex('887022120C06C226');

interface Step {
  readonly plain: string;
  readonly protectedCmd: string;
  readonly sscCmd: string;
  readonly response: string;
  readonly sscResp: string;
  readonly data: string;
}

// App. D.4 (1)–(3), every value as printed.
const STEPS: readonly Step[] = [
  {
    plain: '00A4020C02011E',
    protectedCmd: '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800',
    sscCmd: '887022120c06c227',
    response: '990290008E08FA855A5D4C50A8ED9000',
    sscResp: '887022120c06c228',
    data: '',
  },
  {
    plain: '00B0000004',
    protectedCmd: '0CB000000D9701048E08ED6705417E96BA5500',
    sscCmd: '887022120c06c229',
    response: '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000',
    sscResp: '887022120c06c22a',
    data: '60145f01',
  },
  {
    plain: '00B0000412',
    protectedCmd: '0CB000040D9701128E082EA28A70F3C7B53500',
    sscCmd: '887022120c06c22b',
    response: '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000',
    sscResp: '887022120c06c22c',
    data: '04303130365f36063034303030305c026175',
  },
];

const session = (ssc = SSC0): SecureMessaging => new SecureMessaging({ cipher: '3DES', ksEnc: KS_ENC, ksMac: KS_MAC, ssc });
const plainOf = (h: string): CommandApdu => decodeCommandApdu(fromHex(h));

describe('ICAO 9303-11 App. D.4 — terminal side', () => {
  it('protects the three commands, checks the three responses and reads EF.COM', () => {
    const sm = session();
    let com = '';
    for (const s of STEPS) {
      const cmd = sm.protectCommand(plainOf(s.plain));
      expect(hex(encodeCommandApdu(cmd))).toBe(s.protectedCmd.toLowerCase());
      expect(hex(sm.ssc)).toBe(s.sscCmd);
      const resp = sm.unprotectResponse(fromHex(s.response));
      expect(hex(sm.ssc)).toBe(s.sscResp);
      expect(resp.sw).toBe(0x9000);
      expect(hex(resp.data)).toBe(s.data);
      com += hex(resp.data);
    }
    expect(com).toBe('60145f0104303130365f36063034303030305c026175');
  });
});

describe('ICAO 9303-11 App. D.4 — chip side', () => {
  it('unprotects the printed commands and produces the printed responses', () => {
    const chip = session();
    for (const s of STEPS) {
      const cmd = chip.unprotectCommand(fromHex(s.protectedCmd));
      expect(hex(encodeCommandApdu(cmd))).toBe(s.plain.toLowerCase());
      expect(hex(chip.ssc)).toBe(s.sscCmd);
      expect(hex(chip.protectResponse({ data: fromHex(s.data), sw: 0x9000 }))).toBe(s.response.toLowerCase());
      expect(hex(chip.ssc)).toBe(s.sscResp);
    }
  });

  it('a terminal and a chip session talk to each other (DO85 for odd INS, extended lengths)', () => {
    const terminal = session();
    const chip = session();
    const commands = [
      commandApdu({ cla: 0, ins: 0xb1, p1: 0, p2: 0, data: fromHex('54020100'), ne: 256 }),
      commandApdu({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(700).fill(7) }),
      commandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 1000 }),
      commandApdu({ cla: 0, ins: 0x84, p1: 0, p2: 0, ne: 8 }),
      commandApdu({ cla: 0x10, ins: 0x86, p1: 0, p2: 0, data: fromHex('7C00') }),
    ];
    for (const cmd of commands) {
      const wire = encodeCommandApdu(terminal.protectCommand(cmd));
      if (cmd.ins === 0xb1) expect(wire[5]).toBe(0x85);
      const seen = chip.unprotectCommand(wire);
      expect(seen).toEqual(cmd);
      const answer = new Uint8Array(cmd.ne === 1000 ? 1000 : 3).fill(cmd.ins);
      const resp = terminal.unprotectResponse(chip.protectResponse({ data: answer, sw: 0x6282 }));
      expect(resp).toEqual({ data: answer, sw: 0x6282 });
    }
    expect(terminal.ssc).toEqual(chip.ssc);
  });
});

describe('ICAO 9303-11 §9.8 tampering: MAC first, then the session is dead', () => {
  it('every flipped bit of every D.4 response → SM_MAC_INVALID, then the session refuses further use', () => {
    let checked = 0;
    for (const [i, s] of STEPS.entries()) {
      const good = fromHex(s.response);
      for (let bit = 0; bit < good.length * 8; bit++) {
        const sm = session(i === 0 ? SSC0 : fromHex(STEPS[i - 1]!.sscResp));
        sm.protectCommand(plainOf(s.plain));
        const bad = good.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => sm.unprotectResponse(bad)).toThrow(expect.objectContaining({ code: 'SM_MAC_INVALID' }));
        expect(sm.alive).toBe(false);
        expect(() => sm.protectCommand(plainOf(s.plain))).toThrow(expect.objectContaining({ code: 'SM_SESSION_CLOSED' }));
        expect(() => sm.unprotectResponse(good)).toThrow(expect.objectContaining({ code: 'SM_SESSION_CLOSED' }));
        checked++;
      }
    }
    expect(checked).toBe((16 + 27 + 43) * 8);
  });

  it('every flipped bit of a protected command is refused by the chip with a typed error', () => {
    const good = fromHex(STEPS[1]!.protectedCmd);
    for (let bit = 0; bit < good.length * 8; bit++) {
      const chip = session(fromHex(STEPS[0]!.sscResp));
      const bad = good.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const byte = bit >> 3;
      if (byte === good.length - 1) {
        // The protected Le is outside the MAC (§9.8.4 covers header and DOs only): the command is unchanged.
        expect(hex(encodeCommandApdu(chip.unprotectCommand(bad)))).toBe(STEPS[1]!.plain.toLowerCase());
        continue;
      }
      let error: unknown;
      try {
        chip.unprotectCommand(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SecureMessagingError);
      // INS, P1, P2 and the data objects are all under the MAC.
      if (byte >= 1 && byte <= 3) expect((error as SecureMessagingError).code).toBe('SM_MAC_INVALID');
      if (byte >= 5 && byte < good.length - 1) expect((error as SecureMessagingError).code).toBe('SM_MAC_INVALID');
      expect(chip.alive).toBe(false);
      expect(() => chip.protectResponse({ data: new Uint8Array(0), sw: 0x9000 })).toThrow(
        expect.objectContaining({ code: 'SM_SESSION_CLOSED' }),
      );
    }
  });

  it('a plain status word instead of SM → SM_MAC_MISSING with the SW; a plain command → SM_NOT_PROTECTED', () => {
    const sm = session();
    sm.protectCommand(plainOf(STEPS[0]!.plain));
    expect(() => sm.unprotectResponse(fromHex('6988'))).toThrow(
      expect.objectContaining({ code: 'SM_MAC_MISSING', place: expect.objectContaining({ sw: 0x6988 }) }),
    );
    const chip = session();
    expect(() => chip.unprotectCommand(fromHex(STEPS[0]!.plain))).toThrow(expect.objectContaining({ code: 'SM_NOT_PROTECTED' }));
    expect(chip.alive).toBe(false);
  });

  it('a replayed response (MAC over another SSC) → SM_MAC_INVALID', () => {
    const terminal = session();
    terminal.protectCommand(plainOf(STEPS[0]!.plain));
    expect(() => terminal.unprotectResponse(fromHex(STEPS[1]!.response))).toThrow(
      expect.objectContaining({ code: 'SM_MAC_INVALID' }),
    );
  });

  it('a correctly MACed response without DO99 → SM_DO_INVALID (the status word must be authenticated)', () => {
    const terminal = session();
    terminal.protectCommand(plainOf(STEPS[0]!.plain));
    // The attacker here knows KS_MAC, so only the structure rule can catch it: MAC over SSC alone.
    const mac = retailMac(KS_MAC, fromHex(STEPS[0]!.sscResp));
    const body = concat(Uint8Array.of(0x8e, 0x08), mac, fromHex('9000'));
    expect(() => terminal.unprotectResponse(body)).toThrow(expect.objectContaining({ code: 'SM_DO_INVALID' }));
    expect(terminal.alive).toBe(false);
  });

  it('keeps keys out of strings and JSON, and enforces command/response alternation', () => {
    const sm = session();
    expect(String(sm)).toBe('SecureMessaging(3DES)');
    expect(JSON.stringify(sm)).not.toMatch(/979e|f1cb/i);
    expect(() => sm.unprotectResponse(fromHex(STEPS[0]!.response))).toThrow(RangeError);
    sm.protectCommand(plainOf(STEPS[0]!.plain));
    expect(() => sm.protectCommand(plainOf(STEPS[0]!.plain))).toThrow(RangeError);
    expect(() => session().protectCommand(commandApdu({ cla: 0x0c, ins: 0xa4, p1: 0, p2: 0 }))).toThrow(RangeError);
    sm.close();
    expect(String(sm)).toBe('SecureMessaging(3DES, closed)');
  });
});

describe('hostile bytes into unprotectResponse / unprotectCommand → SecureMessagingError only', () => {
  it('random and truncated inputs never escape as anything but SecureMessagingError', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const protectedSelect = fromHex(STEPS[2]!.response);
    for (let i = 0; i < 1500; i++) {
      const n = i % 60;
      const junk = i % 3 === 0 ? protectedSelect.subarray(0, n % protectedSelect.length) : Uint8Array.from({ length: n }, next);
      const terminal = session();
      terminal.protectCommand(plainOf(STEPS[0]!.plain));
      expect(() => terminal.unprotectResponse(junk)).toThrow(SecureMessagingError);
      expect(() => session().unprotectCommand(junk)).toThrow(SecureMessagingError);
    }
  });
});
