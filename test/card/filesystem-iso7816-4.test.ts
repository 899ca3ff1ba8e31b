/**
 * The chip's file system against ISO/IEC 7816-4 (2020) §7, §11.2–11.3 and the CCCD profile
 * (docs/cccd-profile.md "The chip"): SELECT, READ BINARY B0 / B1, short and extended Le,
 * short EF identifiers, EF.CardAccess and EF.ATR/INFO before authentication, status words of
 * §5.6, and the ATR of ISO/IEC 7816-3 §8.2. Expected ATR bytes were worked out by hand from the
 * tables cited in src/card/atr.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { decodeTlv, encodeTlv, readTlvList } from '../../src/lds/tlv.js';
import { apdu, h, LOCK, mrzSeedApdu, ok, pace, send, SELECT_LDS1, Terminal, up, writeFile } from './helpers.js';

const CARD_ACCESS = h('31143012060A04007F0007020204020202010202010D');
const DG1 = encodeTlv(0x61, encodeTlv(0x5f1f, new TextEncoder().encode('IDVNM0990123459001099012345<<09901018M2401014VNM<<<<<<<<<<<2NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<')));
const DG2 = encodeTlv(0x75, new Uint8Array(randomBytes(15000)));
const BIG = encodeTlv(0x65, new Uint8Array(randomBytes(40000)));

function card(lock = true): VirtualChip {
  const chip = new VirtualChip();
  ok(chip, SELECT_LDS1);
  ok(chip, mrzSeedApdu('099012345', '990101', '240101'));
  ok(chip, '00DA0065' + '0A65080406303132333435');
  writeFile(chip, 0x011c, CARD_ACCESS);
  writeFile(chip, 0x0101, DG1);
  writeFile(chip, 0x0102, DG2, 0x7fff);
  writeFile(chip, 0x0103, Uint8Array.of(0x63, 0x02, 0x01, 0x02));
  writeFile(chip, 0x0105, BIG, 0x7fff);
  if (lock) ok(chip, LOCK);
  chip.powerOn();
  return chip;
}

function paced(chip: VirtualChip): Terminal {
  const t = pace(chip, '0.4.0.127.0.7.2.2.4.2.2', 13, { kind: 'can', can: '012345' });
  if (!(t instanceof Terminal)) throw new Error(`PACE failed: ${t.toString(16)}`);
  return t.selectApplication();
}

describe('ISO/IEC 7816-4 §11.2.2 SELECT on a CCCD chip', () => {
  const chip = card();
  it('SELECT of the master file 3F00 answers 6D00, as real CCCD chips', () => {
    expect(send(chip, '00A4000C023F00')).toBe('6D00');
    expect(send(chip, '00A4000C')).toBe('6D00');
  });
  it('EF.CardAccess is selectable by file id and readable in plain before the application is selected', () => {
    chip.powerOn();
    expect(send(chip, '00A4020C02011C')).toBe('9000');
    expect(send(chip, '00B0000000')).toBe(up(CARD_ACCESS) + '9000');
    chip.powerOn();
    expect(send(chip, '00B09C0000')).toBe(up(CARD_ACCESS) + '9000');
  });
  it('files of the application are not visible before SELECT AID: 6A82', () => {
    chip.powerOn();
    expect(send(chip, '00A4020C02011E')).toBe('6A82');
  });
  it('unknown AID 6A82, FCI on request, bad P1/P2 6A86, wrong Lc 6700', () => {
    expect(send(chip, '00A4040C07A0000002471002')).toBe('6A82');
    expect(send(chip, '00A4040007A000000247100100')).toBe('6F0984' + '07A0000002471001' + '9000');
    expect(send(chip, '00A4010C02011E')).toBe('6A86');
    expect(send(chip, '00A4020E02011E')).toBe('6A86');
    expect(send(chip, '00A4020C0301011E')).toBe('6700');
  });
  it('after SELECT AID: DG11 (absent) 6A82, DG1 without authentication 6982, DG3 6982 even after PACE', () => {
    ok(chip, SELECT_LDS1);
    expect(send(chip, '00A4020C02010B')).toBe('6A82');
    expect(send(chip, '00A4020C020101')).toBe('6982');
    expect(send(chip, '00B0810000')).toBe('6982');
    const t = paced(chip);
    expect(t.select(0x0103).sw).toBe(0x6982);
    expect(t.send(0x00, 0xb0, 0x83, 0, undefined, 256).sw).toBe(0x6982);
    expect(t.readFile(0x0101)).toEqual(DG1);
  });
  it('SELECT with FCP returns the file size (tag 80) and file id (tag 83)', () => {
    const t = paced(chip);
    const fcp = t.send(0x00, 0xa4, 0x02, 0x04, h('0101'), 256);
    expect(fcp.sw).toBe(0x9000);
    const items = readTlvList(decodeTlv(fcp.data).value);
    expect(up(items.find((i) => i.tag === 0x80)!.value)).toBe(DG1.length.toString(16).toUpperCase().padStart(4, '0'));
    expect(up(items.find((i) => i.tag === 0x83)!.value)).toBe('0101');
  });
});

describe('EF.ATR/INFO (ISO/IEC 7816-4 §12.7.1) and the ATR (ISO/IEC 7816-3 §8.2)', () => {
  const chip = card();
  it('EF.ATR/INFO by SFI 01 before SELECT AID: 7F66 announces 65535-byte commands and responses, 46 the serial', () => {
    chip.powerOn();
    const r = chip.transmit(h('00B0810000'));
    expect(up(r.subarray(r.length - 2))).toBe('9000');
    const dos = readTlvList(r.subarray(0, r.length - 2));
    expect(up(dos.find((d) => d.tag === 0x7f66)!.value)).toBe('0202FFFF0202FFFF');
    expect(dos.find((d) => d.tag === 0x46)!.value).toEqual(chip.image().serial);
    expect(up(dos.find((d) => d.tag === 0x47)!.value)).toBe('9401E0');
  });
  it('the ATR: TS 3B, T=1, historical bytes 80 73 94 01 E0 (card capabilities: extended length), TCK', () => {
    const atr = chip.atr();
    expect(up(atr)).toBe('3B858001807394' + '01E082');
    expect(atr.subarray(1).reduce((x, b) => x ^ b, 0)).toBe(0);
  });
});

describe('ISO/IEC 7816-4 §11.3.3 READ BINARY', () => {
  it('a 15 KB DG2 comes back in one extended READ BINARY under PACE secure messaging', () => {
    const t = paced(card());
    expect(t.select(0x0102).sw).toBe(0x9000);
    const r = t.send(0x00, 0xb0, 0x00, 0x00, undefined, 65536, true);
    expect(r.sw).toBe(0x9000);
    expect(r.data).toEqual(DG2);
  });
  it('B1 with the offset in DO 54 reads above 32767, data in DO 53', () => {
    const t = paced(card());
    expect(t.select(0x0105).sw).toBe(0x9000);
    const at = 39000;
    const r = t.send(0x00, 0xb1, 0x00, 0x00, encodeTlv(0x54, Uint8Array.of(at >> 16, (at >> 8) & 0xff, at & 0xff)), 65536, true);
    expect(r.sw).toBe(0x9000);
    const wrapped = decodeTlv(r.data);
    expect(wrapped.tag).toBe(0x53);
    expect(wrapped.value).toEqual(BIG.subarray(at));
    expect(t.send(0x00, 0xb1, 0x00, 0x00, encodeTlv(0x54, Uint8Array.of(0x01, 0x00, 0x00)), 256).sw).toBe(0x6b00);
    // B1 by SFI 05 in P2
    const bySfi = t.send(0x00, 0xb1, 0x00, 0x05, encodeTlv(0x54, Uint8Array.of(0x80, 0x00)), 16);
    expect(decodeTlv(bySfi.data).value).toEqual(BIG.subarray(0x8000, 0x8000 + 14));
  });
  it('Le 00 gives as much as there is (9000); an explicit Le past the end gives 6282 with the bytes', () => {
    const chip = card(false);
    ok(chip, SELECT_LDS1);
    ok(chip, '00A4020C020101');
    const size = DG1.length;
    expect(send(chip, apduHex(0x00, 0xb0, 0x00, size - 3, undefined, 256))).toBe(up(DG1.subarray(size - 3)) + '9000');
    expect(send(chip, apduHex(0x00, 0xb0, 0x00, size - 3, undefined, 10))).toBe(up(DG1.subarray(size - 3)) + '6282');
    expect(send(chip, apduHex(0x00, 0xb0, 0x00, size, undefined, 1))).toBe('6B00');
    expect(send(chip, '00B00000')).toBe('6700');
    expect(send(chip, '00B0E10000')).toBe('6A86');
    expect(send(chip, '00B0000000' + '00')).toBe('6700');
    chip.powerOn();
    ok(chip, SELECT_LDS1);
    expect(send(chip, '00B0000004')).toBe('6986');
  });
  it('extended Le 0000 in plain on an unlocked card reads a whole 15 KB file', () => {
    const chip = card(false);
    ok(chip, SELECT_LDS1);
    const r = chip.transmit(h('00B0820000' + '0000'));
    expect(r.subarray(0, r.length - 2)).toEqual(DG2);
  });
});

describe('ISO/IEC 7816-4 §5.6 status words for classes and instructions', () => {
  const chip = card();
  it('CLA, INS and chaining', () => {
    expect(send(chip, '80A4040C07A0000002471001')).toBe('6E00');
    expect(send(chip, '01A4040C07A0000002471001')).toBe('6881');
    expect(send(chip, '04A4040C07A0000002471001')).toBe('6882');
    expect(send(chip, '10A4040C07A0000002471001')).toBe('6884');
    expect(send(chip, '0044000000')).toBe('6D00');
    expect(send(chip, '00C0000000')).toBe('6D00');
    expect(send(chip, '0CB0000000')).toBe('6988');
    expect(send(chip, '00A4')).toBe('6700');
    expect(send(chip, '00A4040C09A0000002471001')).toBe('6700');
  });
});

function apduHex(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne?: number): string {
  return up(apdu(cla, ins, p1, p2, data, ne));
}
