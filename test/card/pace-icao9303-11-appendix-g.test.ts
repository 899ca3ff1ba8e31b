/**
 * PACE on the chip side. ICAO 9303-11 (8th ed.) App. G.1 (ECDH-GM, brainpoolP256r1, AES-128,
 * MRZ password): given the chip's nonce s, SK_map,IC and SK_IC, the chip answers MSE:Set AT and
 * the four GENERAL AUTHENTICATE commands byte for byte (icao-worked-examples.md §2.1), and the
 * session runs on the published KSenc / KSmac. Then every suite the CCCD profile asks for
 * (parameter ids 12, 13, 15, 16 with 3DES and AES-128/192/256), CAN and MRZ, and the failures.
 */
import { describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import type { RandomPurpose } from '../../src/card/handler-outcome.js';
import { SecureMessaging } from '../../src/crypto/secure-messaging.js';
import { h, LOCK, mrzSeedApdu, ok, pace, send, SELECT_LDS1, Terminal, writeFile } from './helpers.js';

const G1_SECRETS: Partial<Record<RandomPurpose, string>> = {
  'pace-nonce': '3F00C4D39D153F2B2A214A078D899B22',
  'pace-mapping-key': '498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560',
  'pace-ephemeral-key': '107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A',
};
const EF_COM = h('60145F0104303130365F36063034303030305C026175');

/** EF.CardAccess with one PACEInfo per (cipher arc, parameter id), hex built by hand from §6.4. */
function cardAccess(suites: readonly (readonly [number, number])[]): Uint8Array {
  const infos = suites.map(([c, id]) => `3012060A04007F000702020402${c.toString(16).padStart(2, '0')}0201020201${id.toString(16).padStart(2, '0')}`);
  const body = infos.join('');
  const len = body.length / 2;
  const length = len < 128 ? len.toString(16).padStart(2, '0') : len < 256 ? '81' + len.toString(16) : '82' + len.toString(16).padStart(4, '0');
  return h('31' + length + body);
}

function personalized(ca: Uint8Array, opts: { readonly can?: string; readonly random?: Partial<Record<RandomPurpose, string>> } = {}): VirtualChip {
  const secrets = opts.random ?? {};
  const chip = new VirtualChip(undefined, { random: (p) => (secrets[p] === undefined ? undefined : h(secrets[p]!)) });
  ok(chip, SELECT_LDS1);
  ok(chip, mrzSeedApdu('T22000129', '640812', '101031'));
  if (opts.can !== undefined) ok(chip, '00DA0065' + '0A65080406' + Buffer.from(opts.can).toString('hex'));
  writeFile(chip, 0x011c, ca);
  writeFile(chip, 0x011e, EF_COM);
  ok(chip, LOCK);
  chip.powerOn();
  return chip;
}

const G1_APDUS = [
  ['0022C1A40F800A04007F00070202040202830101', '9000'],
  ['10860000027C0000', '7C12801095A3A016522EE98D01E76CB6B98B42C39000'],
  [
    '10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00',
    '7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000',
  ],
  [
    '10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200',
    '7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000',
  ],
  ['008600000C7C0A8508C2B0BD78D94BA86600', '7C0A86083ABB9674BCE93C089000'],
] as const;

describe('ICAO 9303-11 App. G.1 — PACE ECDH-GM on the chip', () => {
  it('answers MSE:Set AT and GA #1–#4 byte for byte', () => {
    const chip = personalized(h('31143012060A04007F0007020204020202010202010D'), { random: G1_SECRETS });
    for (const [command, response] of G1_APDUS) expect(send(chip, command)).toBe(response);
    expect(chip.authentication).toBe('pace');
  });

  it('then speaks AES secure messaging with the published KSenc / KSmac and SSC 0', () => {
    const chip = personalized(h('31143012060A04007F0007020204020202010202010D'), { random: G1_SECRETS });
    for (const [command] of G1_APDUS) send(chip, command);
    const terminal = new Terminal(
      chip,
      new SecureMessaging({ cipher: 'AES-128', ksEnc: h('F5F0E35C0D7161EE6724EE513A0D9A7F'), ksMac: h('FE251C7858B356B24514B3BD5F4297D1') }),
    );
    ok(chip, SELECT_LDS1); // plain: ends the session, as 9303-11 §9.8 requires
    expect(chip.authentication).toBe('none');
    // run it again and read under SM
    for (const [command] of G1_APDUS) send(chip, command);
    expect(terminal.readFile(0x011e)).toEqual(EF_COM);
  });

  it('a wrong token (wrong password) fails GA #4 with 6300 and no session', () => {
    const chip = personalized(h('31143012060A04007F0007020204020202010202010D'), { random: G1_SECRETS });
    for (const [command, response] of G1_APDUS.slice(0, 4)) expect(send(chip, command)).toBe(response);
    expect(send(chip, '008600000C7C0A8508C2B0BD78D94BA86700')).toBe('6300');
    expect(chip.authentication).toBe('none');
    // PACE is over: another GA is out of sequence
    expect(send(chip, '008600000C7C0A8508C2B0BD78D94BA86600')).toBe('6985');
  });
});

describe('ICAO 9303-11 App. G.2 — PACE DH-GM (RFC 5114 1024/160) on the chip', () => {
  const PK_MAP_IFD =
    '23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C';
  const PK_MAP_IC =
    '78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6';
  const PK_IFD =
    '907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4';
  const PK_IC =
    '075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1';
  it('answers GA #1–#3 byte for byte and T_IC in GA #4 (the chip sends no CAR: no Terminal Authentication)', () => {
    const chip = personalized(h('31143012060A04007F00070202040102020102020100'), {
      random: {
        'pace-nonce': 'FA5B7E3E49753A0DB9178B7B9BD898C8',
        'pace-mapping-key': '66DDAFEAC1609CB5B963BB0CB3FF8B3E047F336C',
        'pace-ephemeral-key': 'A5B780126B7C980E9FCEA1D4539DA1D27C342DFA',
      },
    });
    expect(send(chip, '0022C1A40F800A04007F00070202040102830101')).toBe('9000');
    expect(send(chip, '10860000027C0000')).toBe('7C128010854D8DF5827FA6852D1A4FA701CDDDCA9000');
    expect(send(chip, '10860000867C8183818180' + PK_MAP_IFD + '00')).toBe('7C8183828180' + PK_MAP_IC + '9000');
    expect(send(chip, '10860000867C8183838180' + PK_IFD + '00')).toBe('7C8183848180' + PK_IC + '9000');
    expect(send(chip, '008600000C7C0A8508B46DD9BD4D98381F00')).toBe('7C0A8608917F37B5C0E6D8D19000');
    expect(chip.authentication).toBe('pace');
  });
});

describe('PACE suites of the CCCD profile (parameter ids 12, 13, 15, 16 × 3DES, AES-128/192/256)', () => {
  const suites = [12, 13, 15, 16].flatMap((id) => [1, 2, 3, 4].map((c) => [c, id] as const));
  const chip = personalized(cardAccess(suites), { can: '012345' });

  for (const [c, id] of suites) {
    it(`cipher arc ${c}, parameter id ${id}: CAN and MRZ open a session that reads EF.COM`, () => {
      const protocol = `0.4.0.127.0.7.2.2.4.2.${c}`;
      const withCan = pace(chip, protocol, id, { kind: 'can', can: '012345' });
      expect(withCan).toBeInstanceOf(Terminal);
      expect((withCan as Terminal).selectApplication().readFile(0x011e)).toEqual(EF_COM);
      chip.reset();
      const withMrz = pace(chip, protocol, id, { kind: 'mrz', mrzInformation: 'T22000129364081251010318' });
      expect((withMrz as Terminal).selectApplication().readFile(0x011e)).toEqual(EF_COM);
      chip.reset();
    });
  }

  it('a wrong CAN fails with 6300 at the token step', () => {
    expect(pace(chip, '0.4.0.127.0.7.2.2.4.2.2', 13, { kind: 'can', can: '012346' })).toBe(0x6300);
    expect(chip.authentication).toBe('none');
  });
});

describe('PACE MSE:Set AT refusals', () => {
  const chip = personalized(h('31143012060A04007F0007020204020202010202010D'));
  it('a protocol EF.CardAccess does not offer: 6A80', () => {
    expect(send(chip, '0022C1A40F800A04007F00070202040204830101')).toBe('6A80');
    expect(send(chip, '0022C1A412800A04007F0007020204020283010184010C')).toBe('6A80');
  });
  it('a CAN the card was not personalized with: 6A88', () => {
    expect(send(chip, '0022C1A40F800A04007F00070202040202830102')).toBe('6A88');
  });
  it('malformed data and wrong P1-P2', () => {
    expect(send(chip, '0022C1A403800100')).toBe('6A80');
    expect(send(chip, '0022C1A50F800A04007F00070202040202830101')).toBe('6A86');
  });
  it('GENERAL AUTHENTICATE out of order or without chaining', () => {
    expect(send(chip, '10860000027C0000')).toBe('6985');
    expect(send(chip, '0022C1A40F800A04007F00070202040202830101')).toBe('9000');
    expect(send(chip, '00860000027C0000')).toBe('6A80');
    expect(send(chip, '0022C1A40F800A04007F00070202040202830101')).toBe('9000');
    expect(send(chip, '10860000047C02810000')).toBe('6A80');
  });
});
