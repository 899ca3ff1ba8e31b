/**
 * Hostile input against the virtual chip (DEVELOPERS.md "the chip survives anything"): more than
 * 100,000 random and mutated APDUs — plain, before authentication, and protected (valid secure
 * messaging wrapping random commands, and mutated protected APDUs) after BAC and PACE. The chip
 * must never throw out of transmit, never fail internally (6F00), always end with a status word
 * of ISO/IEC 7816-4 §5.6, never put DG1 in a plain response nor DG3 in any response (EAC), and
 * still run a clean PACE and BAC afterwards. The PRNG is seeded: a failure names its seed.
 */
import { describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { commandApdu, encodeCommandApdu } from '../../src/lds/apdu.js';
import { encodeTlv } from '../../src/lds/tlv.js';
import { bacKeys, terminalAuthenticationData, terminalCompleteAuthentication } from '../../src/crypto/bac.js';
import { SecureMessaging } from '../../src/crypto/secure-messaging.js';
import { apdu, bac, h, LOCK, mrzSeedApdu, ok, pace, SELECT_LDS1, swOf, Terminal, writeFile } from './helpers.js';
import { xorshift } from '../helpers/prng.js';

const SEED = Number(process.env.CANCUOC_FUZZ_SEED ?? 0x5eed1234);
const MRZ_INFORMATION = '0990123459' + '9901018' + '2401014';
const MARKER_DG1 = new TextEncoder().encode('NGUYEN<<VAN<A<<<<<<<<<<<<<<<');
const MARKER_DG3 = new TextEncoder().encode('FINGERPRINT-TEMPLATE-DO-NOT-LEAK');
const DG1 = encodeTlv(0x61, encodeTlv(0x5f1f, new TextEncoder().encode('IDVNM0990123459001099012345<<09901018M2401014VNM<<<<<<<<<<<2').slice(), MARKER_DG1));
const DG3 = encodeTlv(0x63, MARKER_DG3);

function card(): VirtualChip {
  const chip = new VirtualChip();
  ok(chip, SELECT_LDS1);
  ok(chip, mrzSeedApdu('099012345', '990101', '240101'));
  ok(chip, '00DA0065' + '0A65080406303132333435');
  writeFile(chip, 0x011c, h('31143012060A04007F0007020204020202010202010D'));
  writeFile(chip, 0x011e, h('60145F0104303130365F36063034303030305C026175'));
  writeFile(chip, 0x0101, DG1);
  writeFile(chip, 0x0103, DG3);
  ok(chip, LOCK);
  chip.powerOn();
  return chip;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

const VALID_SW1 = new Set([0x90, 0x62, 0x63, 0x65, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6d, 0x6e]);
const INS = [0xa4, 0xb0, 0xb1, 0x84, 0x82, 0x22, 0x86, 0x88, 0xe0, 0xd6, 0xd7, 0xda, 0xca, 0xc0, 0x2a, 0x20];
const CLA = [0x00, 0x0c, 0x10, 0x1c, 0x80, 0x01, 0x04];

const CORPUS = [
  SELECT_LDS1,
  '00A4020C02011C',
  '00A4020C020101',
  '00A4000C023F00',
  '00B09C0000',
  '00B0810000',
  '00B1000004540200010000',
  '0084000008',
  '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
  '0022C1A40F800A04007F00070202040202830102',
  '10860000027C0000',
  '10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00',
  '008600000C7C0A8508C2B0BD78D94BA86600',
  '0088000008F173589974BF40C600',
  '00E000000663040017011E',
  '00D600001760155F0104303130375F36063034303030305C03616E6F',
  '00DA00621D621B04094C383938393032433304063734303831320406333031323331',
  '00DADEAD',
  '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800',
].map(h);

function mutate(r: ReturnType<typeof xorshift>, base: Uint8Array): Uint8Array {
  const b = base.slice();
  switch (r.int(6)) {
    case 0: // flip a few bits
      for (let i = 0, n = 1 + r.int(3); i < n && b.length > 0; i++) b[r.int(b.length)]! ^= 1 << r.int(8);
      return b;
    case 1: // truncate
      return b.subarray(0, r.int(b.length + 1));
    case 2: // append garbage
      return new Uint8Array([...b, ...r.bytes(1 + r.int(8))]);
    case 3: // set a random byte
      if (b.length > 0) b[r.int(b.length)] = r.int(256);
      return b;
    case 4: // rewrite the length byte
      if (b.length > 4) b[4] = r.pick([0x00, 0x01, 0xff, b.length - 5, b.length - 4, r.int(256)]);
      return b;
    default: // random P1 P2
      if (b.length >= 4) {
        b[2] = r.int(256);
        b[3] = r.int(256);
      }
      return b;
  }
}

function randomApdu(r: ReturnType<typeof xorshift>): Uint8Array {
  const body = r.bytes(r.int(4) === 0 ? r.int(300) : 4 + r.int(40));
  if (body.length >= 2 && r.int(2) === 0) {
    body[0] = r.pick(CLA);
    body[1] = r.pick(INS);
  }
  return body;
}

describe('fuzz: 100,000+ hostile APDUs against the in-process chip', () => {
  it(`never throws, never leaks, always a valid status word, still works afterwards (seed ${SEED})`, () => {
    const r = xorshift(SEED);
    const chip = card();
    let sent = 0;
    const counts = new Map<number, number>();

    const check = (command: Uint8Array, plain: boolean): Uint8Array => {
      let response: Uint8Array;
      try {
        response = chip.transmit(command);
      } catch (e) {
        throw new Error(`seed ${SEED}: transmit threw on ${Buffer.from(command).toString('hex')}: ${String(e)}`);
      }
      sent++;
      if (response.length < 2) throw new Error(`seed ${SEED}: response without SW to ${Buffer.from(command).toString('hex')}`);
      const sw = swOf(response);
      counts.set(sw, (counts.get(sw) ?? 0) + 1);
      if (!VALID_SW1.has(sw >> 8) || sw === 0x6f00) throw new Error(`seed ${SEED}: SW ${sw.toString(16)} for ${Buffer.from(command).toString('hex')}`);
      if (contains(response, MARKER_DG3)) throw new Error(`seed ${SEED}: DG3 leaked to ${Buffer.from(command).toString('hex')}`);
      if (plain && contains(response, MARKER_DG1)) throw new Error(`seed ${SEED}: DG1 leaked in plain to ${Buffer.from(command).toString('hex')}`);
      // error status words carry no data in plain (ISO/IEC 7816-4 §5.1)
      if (plain && sw !== 0x9000 && sw !== 0x6282 && response.length !== 2) throw new Error(`seed ${SEED}: data with SW ${sw.toString(16)}`);
      return response;
    };

    const t0 = performance.now();
    // 1. plain, unauthenticated: random APDUs and mutations of real commands
    for (let i = 0; i < 60_000; i++) {
      if (r.int(50) === 0) chip.powerOn();
      if (r.int(3) === 0) check(h(SELECT_LDS1), true);
      const command = r.int(2) === 0 ? randomApdu(r) : mutate(r, r.pick(CORPUS));
      check(command, chip.authentication === 'none');
    }

    const t1 = performance.now();
    // 2. authenticated by BAC: protected random commands (valid MAC) and mutated protected APDUs
    const keys = bacKeys(MRZ_INFORMATION);
    const openBac = (): SecureMessaging => {
      const rndIc = check(h('0084000008'), true).subarray(0, 8);
      const terminal = { rndIfd: r.bytes(8), kIfd: r.bytes(16) };
      const resp = check(apdu(0x00, 0x82, 0, 0, terminalAuthenticationData(keys, rndIc, terminal), 40), true);
      expect(swOf(resp)).toBe(0x9000);
      return new SecureMessaging(terminalCompleteAuthentication(keys, rndIc, terminal, resp.subarray(0, 40)));
    };
    let sm = openBac();
    check(encodeCommandApdu(sm.protectCommand(commandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: h('A0000002471001') }))), false);
    sm = openBac();
    for (let i = 0; i < 35_000; i++) {
      const data = r.int(3) === 0 ? new Uint8Array(0) : r.bytes(r.int(64));
      const ne = r.int(3) === 0 ? undefined : 1 + r.int(300);
      const cmd = commandApdu({ cla: r.pick([0x00, 0x10]), ins: r.pick(INS), p1: r.int(256), p2: r.int(256), data, ...(ne ? { ne } : {}) });
      const wire = encodeCommandApdu(sm.protectCommand(cmd));
      if (r.int(2) === 0) {
        const response = check(wire, false);
        if (contains(sm.unprotectResponse(response).data, MARKER_DG3)) throw new Error(`seed ${SEED}: DG3 leaked under SM`);
      } else {
        check(mutate(r, wire), false);
        sm = openBac(); // the terminal's counter is out of step after a mutated command
      }
      if (!sm.alive || chip.authentication === 'none') sm = openBac();
    }

    const t2 = performance.now();
    // 3. authenticated by PACE: valid and mutated protected reads of DG1, DG3, EF.COM
    for (let session = 0; session < 100; session++) {
      const t = pace(chip, '0.4.0.127.0.7.2.2.4.2.2', 13, { kind: 'can', can: '012345' });
      if (!(t instanceof Terminal)) throw new Error(`seed ${SEED}: PACE failed with ${t.toString(16)}`);
      sent += 5;
      for (let i = 0; i < 4; i++) {
        const fid = r.pick([0x0101, 0x0103, 0x011e]);
        const cmd = commandApdu({ cla: 0, ins: 0xb0, p1: 0x80 | (fid & 0x1f), p2: 0, ne: 256 });
        const plain = t.sm.unprotectResponse(check(encodeCommandApdu(t.sm.protectCommand(cmd)), false));
        expect(contains(plain.data, MARKER_DG3)).toBe(false);
      }
      const cmd = commandApdu({ cla: 0, ins: 0xb0, p1: 0x83, p2: 0, ne: 256 });
      check(mutate(r, encodeCommandApdu(t.sm.protectCommand(cmd))), false);
    }

    console.log(`fuzz: ${sent} APDUs; plain ${(t1 - t0).toFixed(0)} ms, BAC ${(t2 - t1).toFixed(0)} ms, PACE ${(performance.now() - t2).toFixed(0)} ms`);
    expect(sent).toBeGreaterThanOrEqual(100_000);
    expect(counts.get(0x6f00)).toBeUndefined();

    // 4. still works: a clean PACE and a clean BAC read DG1; DG3 stays closed
    chip.powerOn();
    const after = pace(chip, '0.4.0.127.0.7.2.2.4.2.2', 13, { kind: 'can', can: '012345' });
    expect(after).toBeInstanceOf(Terminal);
    expect((after as Terminal).selectApplication().readFile(0x0101)).toEqual(DG1);
    expect((after as Terminal).select(0x0103).sw).toBe(0x6982);
    chip.powerOn();
    ok(chip, SELECT_LDS1);
    expect(bac(chip, MRZ_INFORMATION).readFile(0x0101)).toEqual(DG1);
  });
});
