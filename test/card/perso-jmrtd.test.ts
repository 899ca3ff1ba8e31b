/**
 * The JMRTD personalization protocol (docs/perso-jmrtd.md): its example byte for byte, the
 * lock of step 6, the quirks kept (6A86 on an unknown PUT DATA), and the new PUT DATA forms of
 * docs/perso.md (CAN, EC AA key, CA key).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { encodeTlv } from '../../src/lds/tlv.js';
import { apdu, bac, h, ok, send, SELECT_LDS1 } from './helpers.js';

// perso-jmrtd.md "Example": ICAO specimen document L898902C3, DOB 740812, DOE 301231.
const EXAMPLE = [
  '00A4040C07A0000002471001',
  '00DA00621D621B04094C383938393032433304063734303831320406333031323331',
  '00E000000663040017011E',
  '00A4020C02011E',
  '00D600001760155F0104303130375F36063034303030305C03616E6F',
  '00DADEAD',
];
const EF_COM = h('60155F0104303130375F36063034303030305C03616E6F');
// MRZ_information with the check digits worked by hand (ICAO 9303-3 §4.9): L898902C3 → 6,
// 740812 → 2 (also in icao-worked-examples.md §6.5), 301231 → 6.
const MRZ_INFORMATION = 'L898902C3674081223012316';

describe('JMRTD personalization protocol, steps 0–6', () => {
  it('the published example answers 9000 to every command, and BAC with the seeded MRZ reads EF.COM back', () => {
    const chip = new VirtualChip();
    for (const command of EXAMPLE) expect(send(chip, command)).toBe('9000');
    expect(chip.locked).toBe(true);
    chip.powerOn();
    ok(chip, SELECT_LDS1);
    expect(bac(chip, MRZ_INFORMATION).readFile(0x011e)).toEqual(EF_COM);
  });

  it('after the lock every personalization command answers 6985 and data is read-only, also under SM', () => {
    const chip = new VirtualChip();
    for (const command of EXAMPLE) send(chip, command);
    for (const command of [EXAMPLE[1]!, EXAMPLE[2]!, EXAMPLE[4]!, '00DADEAD', '00DA00600560030401FF', '00DA0065086506040430313233']) {
      expect(send(chip, command)).toBe('6985');
    }
    ok(chip, SELECT_LDS1);
    const terminal = bac(chip, MRZ_INFORMATION);
    expect(terminal.select(0x011e).sw).toBe(0x9000);
    expect(terminal.send(0x00, 0xd6, 0, 0, h('61')).sw).toBe(0x6985);
    expect(terminal.readFile(0x011e)).toEqual(EF_COM);
  });

  it('before the lock files are readable in plain and can be replaced (CREATE FILE again)', () => {
    const chip = new VirtualChip();
    for (const command of EXAMPLE.slice(0, 5)) send(chip, command);
    expect(send(chip, '00B0000004')).toBe('60155F019000');
    ok(chip, '00E000000663040004011E');
    expect(send(chip, '00B0000000')).toBe('000000009000');
    ok(chip, '00D600000401020304');
    expect(send(chip, '00B09E0000')).toBe('010203049000');
  });

  it('PUT DATA with a P1-P2 it does not know answers 6A86; the binary-field CA key 6A81', () => {
    const chip = new VirtualChip();
    expect(send(chip, '00DA00700460020400')).toBe('6A86');
    expect(send(chip, '00DA0063038101FF')).toBe('6A81');
    expect(send(chip, '00DA006205630304015A')).toBe('6A80');
  });

  it('CREATE FILE checks its data; UPDATE BINARY stays inside the file', () => {
    const chip = new VirtualChip();
    expect(send(chip, '00E000000663040017')).toBe('6700');
    expect(send(chip, '00E000000662040017011E')).toBe('6A80');
    expect(send(chip, '00E000000663040017AAAA')).toBe('6A80');
    expect(send(chip, '00E001000663040017011E')).toBe('6A86');
    expect(send(chip, '00E0000006630400172F01')).toBe('6A89');
    ok(chip, '00E000000663040004011E');
    expect(send(chip, '00D6000300')).toBe('6700');
    expect(send(chip, '00D60003020102')).toBe('6A84');
    expect(send(chip, '00D60005020102')).toBe('6B00');
  });

  it('RSA AA key in two commands (JMRTD 2a/2b), with BER long-form lengths and a leading 00', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = privateKey.export({ format: 'jwk' });
    const n = Buffer.from(jwk.n!, 'base64url');
    const d = Buffer.from(jwk.d!, 'base64url');
    const chip = new VirtualChip();
    const modulus = encodeTlv(0x60, encodeTlv(0x04, new Uint8Array([0, ...n])));
    expect(Array.from(modulus.subarray(0, 4))).toEqual([0x60, 0x81, 0x84, 0x04]);
    ok(chip, apdu(0x00, 0xda, 0x00, 0x60, modulus));
    ok(chip, apdu(0x00, 0xda, 0x00, 0x61, encodeTlv(0x61, encodeTlv(0x04, new Uint8Array(d)))));
    const aa = chip.image().aaKey!;
    expect(aa.kind === 'rsa' && Buffer.from(aa.modulus!).equals(n)).toBe(true);
  });

  it('files above 32767 bytes: extended UPDATE BINARY chunks, then D7 with DO 54 / DO 53 beyond offset 32767', () => {
    const chip = new VirtualChip();
    ok(chip, SELECT_LDS1);
    ok(chip, '00E0000006630490000102');
    const first = new Uint8Array(0x8000).fill(0x11);
    ok(chip, apdu(0x00, 0xd6, 0x00, 0x00, first));
    ok(chip, apdu(0x00, 0xd7, 0x00, 0x00, h('5403008000' + '5304' + 'AABBCCDD')));
    expect(send(chip, '00B10000' + '05' + '540300800006')).toBe('5304AABBCCDD9000');
    expect(send(chip, '00B0000002')).toBe('11119000');
    expect(send(chip, '00D700000454020000')).toBe('6A80');
  });

  it('CAN (00 DA 00 65) and its checks', () => {
    const chip = new VirtualChip();
    ok(chip, '00DA0065' + '0A65080406303132333435');
    expect(chip.image().can).toBe('012345');
    expect(send(chip, '00DA0065' + '0A6508040630313233343A')).toBe('6A80');
    expect(send(chip, '00DA0065' + '0A6608040630313233343A')).toBe('6A80');
  });
});
