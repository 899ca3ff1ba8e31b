/**
 * ICAO 9303-11 (8th ed.) Appendix D on the chip side: the chip, personalized with the D.2 MRZ and
 * given the chip's secrets RND.IC and K.IC, answers the D.3 EXTERNAL AUTHENTICATE and the D.4
 * protected SELECT / READ BINARY exchange byte for byte (values from
 * test/vectors/icao-worked-examples.md §1.3–1.4). Then the §9.8 session rules.
 */
import { describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import type { RandomPurpose } from '../../src/card/handler-outcome.js';
import { h, LOCK, mrzSeedApdu, ok, send, SELECT_LDS1, writeFile } from './helpers.js';

const EF_COM = '60145F0104303130365F36063034303030305C026175';
const SECRETS: Partial<Record<RandomPurpose, string>> = { challenge: '4608F91988702212', 'bac-k-ic': '0B4F80323EB3191CB04970CB4052790B' };

function appendixDChip(): VirtualChip {
  const chip = new VirtualChip(undefined, { random: (p) => (SECRETS[p] === undefined ? undefined : h(SECRETS[p]!)) });
  ok(chip, SELECT_LDS1);
  // D.2: document number L898902C< (the chip pads and appends the check digits), DOB 690806, DOE 940623.
  ok(chip, mrzSeedApdu('L898902C', '690806', '940623'));
  writeFile(chip, 0x011e, h(EF_COM));
  ok(chip, LOCK);
  chip.powerOn();
  ok(chip, SELECT_LDS1);
  return chip;
}

const EXT_AUTH = '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728';
const D4 = [
  ['0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800', '990290008E08FA855A5D4C50A8ED9000'],
  ['0CB000000D9701048E08ED6705417E96BA5500', '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000'],
  ['0CB000040D9701128E082EA28A70F3C7B53500', '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000'],
] as const;

describe('ICAO 9303-11 App. D.3 — BAC on the chip', () => {
  it('GET CHALLENGE answers RND.IC and EXTERNAL AUTHENTICATE answers E.IC ‖ M.IC', () => {
    const chip = appendixDChip();
    expect(send(chip, '0084000008')).toBe('4608F919887022129000');
    expect(send(chip, EXT_AUTH)).toBe('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000');
    expect(chip.authentication).toBe('bac');
  });

  it('a wrong MRZ fails the MAC check with 6300 and opens no session', () => {
    const chip = appendixDChip();
    send(chip, '0084000008');
    const tampered = EXT_AUTH.slice(0, -4) + (EXT_AUTH.slice(-4, -2) === '00' ? '01' : '00') + '28';
    expect(send(chip, tampered)).toBe('6300');
    expect(chip.authentication).toBe('none');
    // the challenge is used up: the genuine cryptogram now fails for want of a challenge
    expect(send(chip, EXT_AUTH)).toBe('6985');
  });

  it('EXTERNAL AUTHENTICATE without GET CHALLENGE, with bad lengths or P1-P2', () => {
    const chip = appendixDChip();
    expect(send(chip, EXT_AUTH)).toBe('6985');
    expect(send(chip, '0084000004')).toBe('6700');
    expect(send(chip, '0084010008')).toBe('6A86');
    send(chip, '0084000008');
    expect(send(chip, '0082000027' + EXT_AUTH.slice(10, 10 + 78) + '28')).toBe('6700');
  });
});

describe('ICAO 9303-11 App. D.4 — 3DES secure messaging on the chip', () => {
  it('answers the protected SELECT EF.COM and both READ BINARY commands byte for byte', () => {
    const chip = appendixDChip();
    send(chip, '0084000008');
    send(chip, EXT_AUTH);
    for (const [command, response] of D4) expect(send(chip, command)).toBe(response);
  });

  it('a wrong MAC answers 6988 in plain and ends the session (9303-11 §9.8)', () => {
    const chip = appendixDChip();
    send(chip, '0084000008');
    send(chip, EXT_AUTH);
    const bad = D4[0][0].replace('BF8B92D635FF24F8', 'BF8B92D635FF24F9');
    expect(send(chip, bad)).toBe('6988');
    expect(chip.authentication).toBe('none');
    // the next correct command cannot be verified any more
    expect(send(chip, D4[0][0])).toBe('6988');
    expect(send(chip, '00B09E0004')).toBe('6982');
  });

  it('a plain command during the session ends it and runs unauthenticated', () => {
    const chip = appendixDChip();
    send(chip, '0084000008');
    send(chip, EXT_AUTH);
    expect(send(chip, '00A4020C02011E')).toBe('6982');
    expect(chip.authentication).toBe('none');
    expect(send(chip, D4[0][0])).toBe('6988');
  });

  it('without BAC the locked chip refuses EF.COM in plain: 6982', () => {
    const chip = appendixDChip();
    expect(send(chip, '00A4020C02011E')).toBe('6982');
    expect(send(chip, '00B09E0004')).toBe('6982');
  });
});
