/**
 * Test helpers for the virtual chip: hex APDUs in and out, the JMRTD personalization commands,
 * and a minimal terminal built from the crypto layer's terminal steps (checked against the ICAO
 * worked examples in test/crypto) to open BAC and PACE sessions.
 */
import { expect } from 'vitest';
import { concat, fromHex, hex } from '../../src/lds/bytes.js';
import { commandApdu, decodeResponseApdu, encodeCommandApdu, type ResponseApdu } from '../../src/lds/apdu.js';
import { encodeTlv } from '../../src/lds/tlv.js';
import { bacKeys, terminalAuthenticationData, terminalCompleteAuthentication } from '../../src/crypto/bac.js';
import { paceTerminalFinish, paceTerminalKeyAgreement, paceTerminalMap, paceTerminalMutualAuth, paceTerminalStart, type PacePassword } from '../../src/crypto/pace.js';
import { decodeAuthData, encodeAuthData, encodePaceMseSetAt, PACE_GA } from '../../src/crypto/pace-apdu.js';
import { SecureMessaging } from '../../src/crypto/secure-messaging.js';
import { VirtualChip } from '../../src/card/chip.js';

export const h = fromHex;
export const up = (b: Uint8Array): string => hex(b).toUpperCase();

/** Sends hex, returns the whole response as upper-case hex. */
export function send(chip: VirtualChip, apduHex: string): string {
  return up(chip.transmit(h(apduHex)));
}

export function swOf(response: Uint8Array): number {
  return (response[response.length - 2]! << 8) | response[response.length - 1]!;
}

/** Sends and requires SW 9000; returns the data. */
export function ok(chip: VirtualChip, apdu: Uint8Array | string): Uint8Array {
  const r = chip.transmit(typeof apdu === 'string' ? h(apdu) : apdu);
  expect(swOf(r).toString(16)).toBe('9000');
  return r.subarray(0, r.length - 2);
}

export const SELECT_LDS1 = '00A4040C07A0000002471001';

export function apdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne?: number): Uint8Array {
  return encodeCommandApdu(commandApdu({ cla, ins, p1, p2, ...(data ? { data } : {}), ...(ne ? { ne } : {}) }));
}

/** JMRTD step 1: PUT DATA 00 62 with document number, DOB, DOE. */
export function mrzSeedApdu(doc: string, dob: string, doe: string): Uint8Array {
  const a = (s: string) => encodeTlv(0x04, new TextEncoder().encode(s));
  return apdu(0x00, 0xda, 0x00, 0x62, encodeTlv(0x62, a(doc), a(dob), a(doe)));
}

/** Writes one file the JMRTD way (CREATE FILE, SELECT, UPDATE BINARY chunks of `chunk` bytes). */
export function writeFile(chip: VirtualChip, fid: number, content: Uint8Array, chunk = 0xdf): void {
  const f = [fid >> 8, fid & 0xff];
  ok(chip, Uint8Array.of(0x00, 0xe0, 0x00, 0x00, 0x06, 0x63, 0x04, content.length >> 8, content.length & 0xff, f[0]!, f[1]!));
  ok(chip, Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, f[0]!, f[1]!));
  for (let at = 0; at < content.length; at += chunk) {
    const part = content.subarray(at, Math.min(at + chunk, content.length));
    ok(chip, apdu(0x00, 0xd6, at >> 8, at & 0xff, part));
  }
}

export const LOCK = '00DADEAD';

/** A terminal session over the chip: protected exchange with SecureMessaging. */
export class Terminal {
  constructor(
    readonly chip: VirtualChip,
    public sm: SecureMessaging,
  ) {}

  send(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne?: number, extended = false): ResponseApdu {
    const cmd = commandApdu({ cla, ins, p1, p2, ...(data ? { data } : {}), ...(ne ? { ne } : {}), extended });
    const wire = encodeCommandApdu(this.sm.protectCommand(cmd));
    return this.sm.unprotectResponse(this.chip.transmit(wire));
  }

  selectApplication(): this {
    expect(this.send(0x00, 0xa4, 0x04, 0x0c, h('A0000002471001')).sw).toBe(0x9000);
    return this;
  }

  select(fid: number): ResponseApdu {
    return this.send(0x00, 0xa4, 0x02, 0x0c, Uint8Array.of(fid >> 8, fid & 0xff));
  }

  /** Reads a whole file (below 32 KiB) with READ BINARY blocks of at most `block` bytes. */
  readFile(fid: number, block = 0xdf): Uint8Array {
    expect(this.select(fid).sw).toBe(0x9000);
    const first = this.send(0x00, 0xb0, 0, 0, undefined, 4);
    expect(first.sw).toBe(0x9000);
    const total = berLength(first.data);
    expect(total).toBeLessThanOrEqual(0x8000);
    const parts = [first.data];
    for (let at = 4; at < total; ) {
      const n = Math.min(block, total - at);
      const r = this.send(0x00, 0xb0, at >> 8, at & 0xff, undefined, n, n > 256);
      expect(r.sw).toBe(0x9000);
      parts.push(r.data);
      at += r.data.length;
    }
    return concat(...parts);
  }
}

/** Length of the whole TLV from its first bytes (tag of one byte, as every LDS file). */
function berLength(first: Uint8Array): number {
  const l = first[1]!;
  if (l < 0x80) return 2 + l;
  const n = l & 0x7f;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + first[2 + i]!;
  return 2 + n + v;
}

/** BAC through the crypto layer's terminal steps. */
export function bac(chip: VirtualChip, mrzInformation: string): Terminal {
  const keys = bacKeys(mrzInformation);
  const rndIc = ok(chip, '0084000008');
  const terminal = { rndIfd: h('781723860C06C226'), kIfd: h('0B795240CB7049B01C19B33E32804F0B') };
  const data = terminalAuthenticationData(keys, rndIc, terminal);
  const resp = ok(chip, apdu(0x00, 0x82, 0, 0, data, 40));
  return new Terminal(chip, new SecureMessaging(terminalCompleteAuthentication(keys, rndIc, terminal, resp)));
}

/** PACE-GM through the crypto layer's terminal steps; returns the SW of the failing step, or a Terminal. */
export function pace(chip: VirtualChip, protocol: string, parameterId: number, password: PacePassword): Terminal | number {
  const ref = password.kind === 'mrz' ? 'mrz' : 'can';
  let r = chip.transmit(apdu(0x00, 0x22, 0xc1, 0xa4, encodePaceMseSetAt({ protocol, password: ref, parameterId })));
  if (swOf(r) !== 0x9000) return swOf(r);
  const ga = (chain: boolean, objects: readonly (readonly [number, Uint8Array])[]) => {
    r = chip.transmit(apdu(chain ? 0x10 : 0x00, 0x86, 0, 0, encodeAuthData(objects), 256));
    return decodeResponseApdu(r);
  };
  let s = paceTerminalStart({ protocol, parameterId, password });
  const r1 = ga(true, []);
  if (r1.sw !== 0x9000) return r1.sw;
  const m = paceTerminalMap(s, decodeAuthData(r1.data, PACE_GA.nonceResponse!)[0x80]!);
  const r2 = ga(true, [[0x81, m.mappingPublicKey]]);
  if (r2.sw !== 0x9000) return r2.sw;
  const a = paceTerminalKeyAgreement(m.state, decodeAuthData(r2.data, PACE_GA.mapResponse!)[0x82]!);
  const r3 = ga(true, [[0x83, a.ephemeralPublicKey]]);
  if (r3.sw !== 0x9000) return r3.sw;
  const t = paceTerminalMutualAuth(a.state, decodeAuthData(r3.data, PACE_GA.keyAgreementResponse!)[0x84]!);
  const r4 = ga(false, [[0x85, t.token]]);
  if (r4.sw !== 0x9000) return r4.sw;
  s = t.state;
  const result = paceTerminalFinish(s, decodeAuthData(r4.data, PACE_GA.mutualAuthResponse!)[0x86]!);
  return new Terminal(chip, new SecureMessaging({ cipher: result.cipher, ksEnc: result.ksEnc, ksMac: result.ksMac }));
}
